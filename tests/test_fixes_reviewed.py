"""The day's fixes reviewed: the write-scope refusal keeps the install page and sees a
scope added since, a host source's bad renewal is the host's, float grey clipped white,
one keeper per call, Slack's explanation never beside "no more detail", the CLI's advice
for a busy history, the emulator's rendition of wide grey.
"""

from __future__ import annotations

import asyncio
import io
import json
import struct
from pathlib import Path

import httpx
import pytest
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.cli import next_step_for
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.errors import SlackApiError
from ocp_users_photo.frameworks._calls import is_correctable
from ocp_users_photo.images.pixel_modes import float_grey
from ocp_users_photo.slack.replies import HttpReply, decode_reply
from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.undo import PhotoHistory, PhotoKeeper
from ocp_users_photo.undo.entries import HistoryOwner
from ocp_users_photo.undo.errors import HistoryUnavailable
from ocp_users_photo.undo.turns import wait_for_lease
from tests.installation_helpers import (
    TEAM_ID,
    emulator_source,
    install,
    portrait,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store,
)

INSTALL_URL = "https://photos.example.com/slack/install"
READ_ONLY = "users.profile:read"
BOTH = "users.profile:read,users.profile:write"


# --- undo/owner.py: the users.profile:write check before a kept change --------------------


async def test_a_scope_lacking_installation_still_gets_the_install_page_when_keeping(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # README: when Slack refuses a person's token in a way installing again mends
    # (missing_scope...), run() adds the source's install_url. With keeping on (run()'s
    # default), owner.py refuses first, before Slack can: that refusal must carry the link
    # too (it came as token_not_usable without one; keep_previous=False always had it).
    store = sqlite_store(tmp_path / "installations.db")
    await install(emulator, store, "UALICE0001", user_scope=READ_ONLY)
    source = emulator_source(emulator, store, install_url=INSTALL_URL)
    try:
        async with UsersSetPhoto(
            source,
            base_url=emulator.base_url,
            environ={},
            photo_history=tmp_path / "history.sqlite3",
        ) as tool:
            result = await tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001").run(
                {"image": portrait()}
            )
    finally:
        await source.aclose()
    assert result["ok"] is False
    assert result.get("install_url") == INSTALL_URL, result


async def test_a_scope_added_after_a_refusal_is_seen_without_restarting(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # The refusal says "add users.profile:write ... and install the app again"; Slack keeps
    # the token string when scopes are added. The session's auth.test answer is remembered
    # per token for the process's life: the refusal asks afresh, or a long-running server
    # (MCP, an agent) would go on refusing what Slack now accepts.
    token = "xoxp-1234567890-1234567890123-scopeaddedlater0000000000"
    emulator.state.add_token(token, scopes=READ_ONLY)
    async with UsersSetPhoto(
        token,
        base_url=emulator.base_url,
        environ={},
        photo_history=tmp_path / "history.sqlite3",
    ) as tool:
        first = await tool.run({"image": portrait()})
        assert first["error"] == "token_not_usable"
        emulator.state.add_token(token, scopes=BOTH)
        assert "users.profile:write" in ((await tool.whoami()).scopes or ())
        second = await tool.run({"image": portrait()})
    assert second["ok"] is True, second


# --- tool.py: a token source's text answers ----------------------------------------------


class _ExpiringTextSource:
    """A host's source giving text (README: "or the token as text, checked as any token
    is"), whose renew gives something that is not a token."""

    description = "vault"

    def __init__(self, token: str, fresh: object) -> None:
        self.token, self.fresh = token, fresh

    async def token_for(self, person: ActingPerson | None) -> str:
        return self.token

    async def renew(self, person: ActingPerson | None, expired: object) -> object:
        return self.fresh


@pytest.mark.parametrize("fresh", ["", 12345, "not-a-slack-token"])
async def test_a_renewed_token_that_is_not_one_is_the_hosts_problem_not_the_models(
    emulator: RunningEmulator, fresh: object
) -> None:
    # token_for's bad answer becomes token_not_usable; renew's is a plain InvalidArguments
    # ("usersSetPhoto was not called", though Slack was called and said token_expired),
    # which the framework doors hand the model as arguments to correct and retry.
    token = "xoxp-1234567890-1234567890123-expiringtoken000000000000"
    emulator.state.add_token(token, expires_in=0)
    source = _ExpiringTextSource(token, fresh)
    async with UsersSetPhoto(
        source,  # type: ignore[arg-type]
        base_url=emulator.base_url,
        environ={},
        keep_previous=False,
    ) as tool:
        result = await tool.run({"image": portrait()})
    assert result["ok"] is False
    assert not is_correctable(result), result
    assert result["error"] == "token_not_usable", result


async def test_a_per_call_keeper_beside_the_tools_keeper_is_refused_not_a_hang(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # Two PhotoKeepers in UsersSetPhoto(observers=...) are refused, since both wait for
    # one person's turn in one task; a keeper given to one call beside the tool's is too.
    token = "xoxp-1234567890-1234567890123-callkeeper00000000000000"
    emulator.state.add_token(token)
    history = PhotoHistory(tmp_path / "history.sqlite3")
    try:
        async with UsersSetPhoto(
            token, base_url=emulator.base_url, environ={}, observers=[PhotoKeeper(history)]
        ) as tool:
            with pytest.raises(ValueError, match="PhotoKeeper"):
                await asyncio.wait_for(
                    tool.call_with_summary({"image": portrait()}, observers=[PhotoKeeper(history)]),
                    10,
                )
    finally:
        await history.aclose()


# --- hints.py: Slack's explanation and "no more detail" ------------------------------------


@pytest.mark.parametrize("code", ["bad_image", "invalid_arg_name", "invalid_form_data"])
def test_an_explained_refusal_of_another_method_never_says_slack_gave_no_more_detail(
    code: str,
) -> None:
    body = {"ok": False, "error": code, "response_metadata": {"messages": ["[ERROR] why"]}}
    reply = HttpReply(
        status_code=200, headers=httpx.Headers(), body=json.dumps(body).encode(), attempts=1
    )
    with pytest.raises(SlackApiError) as refused:
        decode_reply(reply, method="users.profile.get", redact=lambda value: value)
    assert "[ERROR] why" in str(refused.value)
    assert "no more detail" not in str(refused.value)


# --- cli.py: the next step for HistoryUnavailable ------------------------------------------


async def test_the_lease_wait_refusal_does_not_advise_bypassing_the_persons_turn() -> None:
    # "another change of ...'s photo has been under way ...: try again later" gets the CLI's
    # "next: give another file with --history PATH; for set, --no-keep-previous ...": both
    # step around the lease that keeps one change at a time, so the change under way (an MCP
    # server's, a cancelled upload settling) may land after this one.
    async def never() -> bool:
        return False

    with pytest.raises(HistoryUnavailable) as waited:
        await wait_for_lease(
            never, wait_seconds=0, owner=HistoryOwner("T0", "U0"), path=lambda: "h.sqlite3"
        )
    assert "under way" in waited.value.message
    advice = next_step_for(waited.value) or ""
    assert "--no-keep-previous" not in advice
    assert "another file" not in advice


# --- images/pixel_modes.py: float grey -------------------------------------------------------


def test_float_grey_far_above_one_is_clipped_white_not_black() -> None:
    # The docstring: "values outside that range are clipped". Past 32768.5 the product
    # overflows 'I' and comes out 0 (black): a float TIFF of raw counts (0-65535, as
    # scientific software writes) gets black highlights; convert('RGB') made them white.
    values = [0.5, 2.0, 40000.0, 65535.0, float("inf")]
    picture = Image.frombytes("F", (len(values), 1), struct.pack(f"<{len(values)}f", *values))
    out = float_grey(picture)
    assert [out.getpixel((x, 0)) for x in range(len(values))] == [32767] + [65535] * 4


# --- square.py (pre-existing, met by 1bf3d29's 16-bit output) -------------------------------


async def test_the_emulators_rendition_of_a_float_grey_tiff_keeps_its_grey(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # 1bf3d29 sends a 0.75 float grey as 16-bit grey (49151); the emulator's renditions and
    # --preview come from square.upright(), whose convert('RGB') clips 16-bit grey: white.
    side = 600
    picture = Image.frombytes("F", (side, side), struct.pack(f"<{side * side}f", *[0.75] * side**2))
    path = tmp_path / "grey.tif"
    picture.save(path)
    token = "xoxp-1234567890-1234567890123-floatgrey000000000000000"
    emulator.state.add_token(token)
    async with UsersSetPhoto(
        token, base_url=emulator.base_url, environ={}, keep_previous=False, image_roots=[tmp_path]
    ) as tool:
        reply = await tool.call({"image": str(path)})
    async with httpx.AsyncClient() as client:
        data = (await client.get(reply["profile"]["image_192"])).content
    shown = Image.open(io.BytesIO(data)).convert("L").getpixel((96, 96))
    assert isinstance(shown, int)
    assert 180 <= shown <= 200, f"0.75 grey shown as {shown}"
