# ruff: noqa: F811  (photo_app, the fixture imported from test_bolt_photo_app, is a parameter here)
"""A revocation whose person's installation was saved again after the event's time (the
review of 2026-12-06 20:15 UTC).

slack_sdk's SQLite store stamps a row with the time it is saved, on every save. A token
refreshed (or a bot rotated by Bolt) and saved after Slack sent tokens_revoked or
app_uninstalled read as an installation made since: the revoked person's tokens, or the
whole workspace's, stayed stored, logged as "installed again". Slack is now asked
whether such a row's token still works.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
from slack_sdk.web.slack_response import SlackResponse

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.examples import bolt_revocation
from ocp_users_photo.examples.bolt_revocation import Stored, _stored_alive
from tests.installation_helpers import CLIENT_ID, TEAM_ID, photo_tokens, rotation_config
from tests.test_bolt_photo_app import (
    RESPONSE_METHOD,
    RunningApp,
    install_through_the_app,
    photo_app,  # noqa: F401 (fixture)
    posted,
    slash_command,
)
from tests.test_bolt_revocation import signed_event

ALICE = "UALICE0001"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    # Tokens of 200 s, inside the source's 300 s margin: every call refreshes first.
    return rotation_config(lifetime=200)


async def _photo_set_after_the_event(emulator: RunningEmulator, app: RunningApp) -> int:
    """Alice installs; then, past the second's grace for the clocks' difference after the
    time returned (the event's), her /photo refreshes her token (Bolt rotates the bot's) and
    saves again, and sets the photo."""
    emulator.faults.inject(Fault.json({"ok": True}), times=5, path=RESPONSE_METHOD)
    await install_through_the_app(app, ALICE)
    sent = int(time.time())
    await asyncio.sleep(2.1)
    await slash_command(app, emulator, ALICE, "red")
    await posted(emulator, RESPONSE_METHOD, 1)
    return sent


async def _revoked_at_slack(emulator: RunningEmulator, user_id: str) -> None:
    """What Slack does before it sends tokens_revoked: the person's tokens stop working."""
    async with httpx.AsyncClient(timeout=10) as control:
        answer = await control.post(
            emulator.control_url + "oauth/revoke", json={"user_id": user_id}
        )
    assert answer.json()["ok"] is True, answer.text


async def test_a_token_refreshed_after_the_event_was_sent_is_still_forgotten(
    emulator: RunningEmulator, photo_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    sent = await _photo_set_after_the_event(emulator, photo_app)
    assert len(photo_tokens(emulator)) == 1
    await _revoked_at_slack(emulator, ALICE)
    store = SQLite3InstallationStore(database=photo_app.database, client_id=CLIENT_ID)
    stored = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE)
    assert stored is not None
    assert float(stored.installed_at) > sent + 1  # saved again after the event's time
    with caplog.at_level(logging.INFO):
        event: dict[str, object] = {"type": "tokens_revoked", "tokens": {"oauth": [ALICE]}}
        assert (await signed_event(photo_app, event, event_time=sent)).status_code == 200
        for _ in range(200):  # the handler runs after Bolt's answer
            if any("forgotten" in record.getMessage() for record in caplog.records):
                break
            await asyncio.sleep(0.1)
    said = [record.getMessage() for record in caplog.records]
    assert "tokens revoked: 1 of 1 person(s) forgotten" in said
    assert not any("installed again since" in line for line in said)
    assert store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE) is None


async def test_a_bot_rotated_after_the_uninstall_was_sent_is_still_removed(
    emulator: RunningEmulator, photo_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    sent = await _photo_set_after_the_event(emulator, photo_app)
    store = SQLite3InstallationStore(database=photo_app.database, client_id=CLIENT_ID)
    bot = store.find_bot(enterprise_id=None, team_id=TEAM_ID)
    assert bot is not None
    assert float(bot.installed_at) > sent + 1  # saved again after the event's time
    async with httpx.AsyncClient(timeout=10) as control:  # the workspace removed the app
        for token in (bot.bot_token, *photo_tokens(emulator)[-1:]):
            answer = await control.post(
                emulator.control_url + "tokens/revoke", json={"token": token}
            )
            assert answer.status_code == 200, answer.text
    with caplog.at_level(logging.INFO):
        event: dict[str, object] = {"type": "app_uninstalled"}
        assert (await signed_event(photo_app, event, event_time=sent)).status_code == 200
        for _ in range(200):
            if any("uninstalled" in record.getMessage() for record in caplog.records):
                break
            await asyncio.sleep(0.1)
    said = [record.getMessage() for record in caplog.records]
    assert not any("installed again since" in line for line in said)
    assert store.find_bot(enterprise_id=None, team_id=TEAM_ID) is None
    assert store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE) is None


# What Slack answers of a row saved since the event (the second review) ---------------------


def _saved_since(revoked_at: float) -> Installation:
    return Installation(
        app_id="A0EMULATOR1",
        team_id=TEAM_ID,
        user_id=ALICE,
        user_token="xoxp-1-2-3-saved-since",
        installed_at=revoked_at + 10,
    )


def _answering(error: str | None) -> Callable[[str], Awaitable[object]]:
    async def auth_test(token: str) -> object:
        if error is None:
            return {"ok": True}
        if error == "unreachable":
            raise OSError("no route to Slack")
        raise SlackApiError(
            "refused",
            SlackResponse(  # type: ignore[no-untyped-call]
                client=None,
                http_verb="POST",
                api_url="auth.test",
                req_args={},
                data={"ok": False, "error": error},
                headers={},
                status_code=200,
            ),
        )

    return auth_test


@pytest.mark.parametrize(
    ("answer", "stored"),
    [
        ("token_revoked", "from before"),
        ("app_uninstalled", "from before"),
        ("invalid_auth", "from before"),
        (None, "installed since"),
        ("ratelimited", "unconfirmed"),
        ("internal_error", "unconfirmed"),
        ("unreachable", "unconfirmed"),
    ],
)
async def test_a_row_saved_since_is_what_slack_says_of_its_token(
    answer: str | None, stored: str
) -> None:
    revoked_at = time.time() - 60
    found = _saved_since(revoked_at)
    assert await _stored_alive(found, revoked_at, found.user_token, _answering(answer)) == stored


async def test_a_row_from_before_the_event_is_not_asked_of_slack() -> None:
    revoked_at = time.time()
    found = _saved_since(revoked_at - 20)  # saved 10 s before the event
    asked = _answering(None)
    assert await _stored_alive(found, revoked_at, found.user_token, asked) == "from before"


async def test_a_row_slack_cannot_say_of_is_asked_again_and_never_deleted(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(bolt_revocation, "_PAUSES_BEFORE_DELETING_AGAIN", (0.0,) * 5)
    deleted: list[bool] = []
    asked: list[bool] = []

    async def delete() -> None:
        deleted.append(True)

    async def kept() -> Stored:
        asked.append(True)
        return "unconfirmed"

    with caplog.at_level(logging.WARNING):
        assert await bolt_revocation._deleted(delete, kept, "the installation of X") is False
    assert len(asked) == 7  # every attempt asked
    assert deleted == []
    assert any("Slack could not say whether" in record.getMessage() for record in caplog.records)
