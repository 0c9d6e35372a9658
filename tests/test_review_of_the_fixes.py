"""Defects a review of this session's own fixes found (each failed when written).

Each test states what a person relies on and fails where the package breaks it.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ocp_users_photo import UsersPhotoError, UsersSetPhoto
from ocp_users_photo.cli import next_step_for
from ocp_users_photo.emulator import Fault, RunningEmulator, run_emulator
from ocp_users_photo.errors import may_have_taken_effect
from tests.conftest import CANARY_TOKEN
from tests.installation_helpers import (
    CLIENT_SECRET,
    LIFETIME,
    TEAM_ID,
    emulator_source,
    install,
    portrait,
    rotation_config,
    sqlite_store,
)
from tests.test_debug_secrets import rendered_with_locals
from tests.undo_fixtures import (
    GREEN,
    LONG_RATE_LIMIT,
    RED,
    AppliedThen,
    briefly_held_history,
    history_tool,
)


@pytest.fixture
def emulator_config():  # type: ignore[no-untyped-def]
    from ocp_users_photo.emulator import EmulatorConfig

    return EmulatorConfig(rate_limit_per_minute=None)


# --- an earlier attempt of a READ "reached Slack": no change was asked for -------------------


async def test_whoami_after_a_503_then_a_long_rate_limit_says_nothing_changed(
    emulator: RunningEmulator,
) -> None:
    """auth.test only reads. A 503 then a 429 longer than the tool waits must not be said as
    'the change may have taken effect' (errors.after_an_earlier_attempt is applied to every
    method's refusal, client.py _call), nor the CLI's next: 'the photo may be set already'."""
    emulator.faults.inject(Fault.status(503), path="/api/auth.test")
    emulator.faults.inject(Fault.rate_limited(120), path="/api/auth.test")
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, retry_backoff=0.01
    ) as tool:
        with pytest.raises(UsersPhotoError) as raised:
            await tool.whoami()
    error = raised.value
    assert not may_have_taken_effect(error), error.message
    assert "may have taken effect" not in error.message
    assert "photo may be set" not in (next_step_for(error) or "")


async def test_a_set_whose_keeping_read_is_refused_after_a_503_says_nothing_was_sent(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The keeper's users.profile.get (before users.setPhoto is sent) meets a 503 then a long
    rate limit: users.setPhoto was never sent, yet the model is told 'the change may have
    taken effect: do not call again; tell the person to check their photo'."""
    async with history_tool(
        emulator, tmp_path / "h.sqlite3", keep_previous=True, retry_backoff=0.01
    ) as tool:
        await tool.call({"image": RED})
        sets_before = len(emulator.requests.for_path("users.setPhoto"))
        emulator.faults.inject(Fault.status(503), path="/api/users.profile.get")
        emulator.faults.inject(Fault.rate_limited(120), path="/api/users.profile.get")
        answer = await tool.run({"image": GREEN})
    assert len(emulator.requests.for_path("users.setPhoto")) == sets_before, "nothing was sent"
    assert answer["ok"] is False
    assert "may have taken effect" not in answer["message"], answer["message"]


async def test_whoamis_reply_outside_the_schema_is_not_told_as_a_photo_maybe_set(
    emulator: RunningEmulator,
) -> None:
    """The CLI's new next: line for ReplySchemaError says 'look at your Slack profile before
    running the command again (setting the same photo twice...)' for auth.test too."""
    emulator.faults.inject(Fault.json({"hello": 1}), path="/api/auth.test")
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(UsersPhotoError) as raised:
            await tool.whoami()
    assert "photo" not in (next_step_for(raised.value) or ""), next_step_for(raised.value)


# --- secrets in frame locals ------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        {"ok": True, "token_type": "user", "access_token": "xoxe.xoxp-1-NEWACCESSSECRET0123456789"},
        {
            "ok": True,
            "token_type": "user",
            "access_token": "xoxe.xoxp-1-NEWACCESSSECRET0123456789",
            "refresh_token": "xoxe-1-NEWREFRESHSECRET0123456789",
            "expires_in": 43200,
            "user_id": "UMALLORY01",
        },
    ],
    ids=["no_refresh_token", "another_users_tokens"],
)
async def test_a_refused_refresh_reply_leaves_no_token_in_traceback_locals(
    tmp_path: Path, reply: dict[str, object]
) -> None:
    """oauth.v2.access answers ok:true with tokens the source will not save: refresh_grant.py
    _refreshed raises TokenRefreshFailed from the frame whose `body` (and `tokens`) hold
    the new access and refresh tokens as text."""
    store = sqlite_store(tmp_path / "installations.db")
    async with run_emulator(rotation_config()) as emulator:
        await install(emulator, store, "UALICE0001")
        source = emulator_source(emulator, store)
        async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
            emulator.state.advance_clock(LIFETIME)
            emulator.faults.inject(Fault.json(reply), path="oauth.v2.access")
            del reply  # this test's frame is in the traceback too
            alice = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
            with pytest.raises(UsersPhotoError) as raised:
                await alice.call({"image": portrait()})
    text = rendered_with_locals(raised.value)
    assert CLIENT_SECRET not in text
    assert "NEWACCESSSECRET" not in text
    assert "NEWREFRESHSECRET" not in text


# --- the CLI's next: line after an undo that may have taken effect ---------------------------


class AppliedThenLost(httpx.AsyncBaseTransport):
    """The armed users.setPhoto reaches Slack and is applied; its answer is lost."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.armed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.armed and request.url.path.endswith("/users.setPhoto"):
            self.armed = False
            await response.aread()
            raise httpx.ReadError("connection reset after the request was handled")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_running_undo_again_after_its_answer_was_lost_is_not_safe_as_the_cli_says(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """set RED, set GREEN, undo (applied: RED shown; its answer lost). The CLI says 'running
    the command again is safe (setting the same photo twice changes nothing more)' (or,
    after a 5xx then a refusal, the same parenthesis). For undo it is not: the second undo
    puts GREEN back, the very change the person wanted gone."""
    from tests.conftest import shown_avatar_hash

    transport = AppliedThenLost()
    async with (
        httpx.AsyncClient(transport=transport) as http,
        history_tool(
            emulator, tmp_path / "h.sqlite3", client=http, max_retries=0, keep_previous=True
        ) as tool,
    ):
        await tool.call({"image": RED})
        green = (await tool.call({"image": GREEN}))["profile"]["avatar_hash"]
        transport.armed = True
        with pytest.raises(UsersPhotoError) as lost:
            await tool.undo()
        assert shown_avatar_hash(emulator) != green, f"the undo was applied: {lost.value!r}"
        advice = next_step_for(lost.value) or ""
        if "again is safe" in advice or "changes nothing more" in advice:
            await tool.undo()  # what the advice says is safe
            assert shown_avatar_hash(emulator) != green, f"the undo was undone; advice: {advice}"


# --- the listing now depends on a Slack read it did not need -------------------------------


async def test_listing_kept_photos_survives_an_unreadable_profile_when_the_newest_is_in_doubt(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """kept_photos_for_undo reads users.profile.get when the newest entry's change is in
    doubt, and catches SlackApiError only: a network failure of that read (a hint for
    which entry undo would choose) now fails the whole listing (history, usersRestorePhoto),
    which is local data and was listed before."""
    async with (
        briefly_held_history(tmp_path / "h.sqlite3") as history,
        history_tool(emulator, history, keep_previous=True, max_retries=0) as tool,
    ):
        await tool.call({"image": RED})
        emulator.faults.inject(Fault.drop())
        with pytest.raises(UsersPhotoError):
            await tool.call({"image": GREEN})
        emulator.faults.inject(Fault.drop(), path="/api/users.profile.get")
        listing = await tool.restore_tool().run({})
    assert listing.get("ok") is not False, listing


# --- history refusals "in one form": not all of them ---------------------------------------


async def test_a_model_is_not_told_to_give_a_history_path_when_no_default_place_exists(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """_refused gives a history refusal a model_message ('tell the person that whoever runs
    this tool must mend its photo history...'); database.py default_history_path's refusal
    was left out: a model reads 'give a path (photo_history=..., --history PATH or
    $OCP_USERS_PHOTO_HISTORY)', which it cannot do."""
    import platformdirs

    def no_home(*args: object, **kwargs: object) -> Path:
        raise KeyError("getpwuid(): uid not found")

    monkeypatch.setattr(platformdirs, "user_data_path", no_home)
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, keep_previous=True
    ) as tool:
        answer = await tool.run({"image": RED})
    assert answer["ok"] is False
    assert "photo_history=" not in answer["message"], answer["message"]


# --- emulator banner and the set command's flag names ----------------------------------------


async def test_the_emulator_banner_gives_no_wildcard_address_on_any_line() -> None:
    """8db831a: 'its banner gives a loopback URL when it listens on every interface'. The
    OAuth line (emulator/command.py ready_message) still prints http://0.0.0.0:PORT/..."""
    from ocp_users_photo.emulator.command import ready_message

    async with run_emulator(host="0.0.0.0") as running:
        banner = ready_message(running)
    assert "0.0.0.0" not in banner, banner


def test_set_keeps_a_file_name_holding_crop_x_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """set_command.py crop_arguments_as_flags rewrote crop_x/crop_y/crop_w into --crop-x... anywhere
    in the refusal, the image's own path included: 'no file at .../--crop-w.png'."""
    from ocp_users_photo.cli import main

    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "photos" / "crop_w.png"
    assert main(["set", "--dry-run", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err, err


# --- renewal drops what the first sending's attempts knew --------------------------------------


class RenewingSource:
    description = "test source"

    async def token_for(self, person: object) -> str:
        return CANARY_TOKEN

    async def renew(self, person: object, expired: object) -> str:
        return CANARY_TOKEN  # the emulator takes it again


async def test_a_change_applied_before_a_5xx_stays_may_have_happened_across_a_renewal(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """client.py call(): after token_expired it calls _call again with the renewed token; the
    first _call's 'an earlier attempt reached Slack' is not carried over, so a refusal of
    the renewed sending reads as 'nothing changed' and the keeper drops the entry of the
    photo that the first attempt replaced in Slack."""
    from tests.conftest import shown_avatar_hash

    transport = AppliedThen(
        httpx.Response(200, json={"ok": False, "error": "token_expired"}), LONG_RATE_LIMIT
    )
    async with (
        httpx.AsyncClient(transport=transport) as http,
        UsersSetPhoto(
            RenewingSource(),
            base_url=emulator.base_url,
            environ={},
            client=http,
            retry_backoff=0.01,
            photo_history=tmp_path / "h.sqlite3",
            keep_previous=True,
        ) as tool,
    ):
        red = (await tool.call({"image": RED}))["profile"]["avatar_hash"]
        transport.armed = True
        with pytest.raises(UsersPhotoError) as raised:
            await tool.call({"image": GREEN})
        assert shown_avatar_hash(emulator) != red, "the first attempt was applied"
        kept = [entry.avatar_hash for entry in await tool.history()]
    assert may_have_taken_effect(raised.value), raised.value.message
    assert red in kept, kept
