# ruff: noqa: F811  (photo_app, the fixture imported from test_bolt_photo_app, is a parameter here)
"""The example Bolt app when a person or a workspace removes it (review: a hostile
workspace member): their tokens and kept photos go. Each test failed when written."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.undo import HistoryOwner, PhotoHistory
from tests.installation_helpers import CLIENT_ID, TEAM_ID
from tests.test_bolt_app_as_slack_drives_it import answers_accepted
from tests.test_bolt_photo_app import (  # noqa: F401  (the fixtures are parameters here)
    RESPONSE_METHOD,
    RunningApp,
    direct_message,
    emulator_config,
    install_through_the_app,
    photo_app,
    posted,
    signed,
    slash_command,
)


async def signed_event(
    running: RunningApp, event: dict[str, object], *, event_time: int | None = None
) -> httpx.Response:
    """An Events API delivery, signed with the app's signing secret as Slack signs it; sent
    by Slack at ``event_time`` (now unless given)."""
    body = json.dumps(
        {
            "token": "unused-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0EMULATOR1",
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()) if event_time is None else event_time,
            "event": event,
        }
    )
    async with httpx.AsyncClient(timeout=10) as slack:
        return await slack.post(
            f"{running.url}/slack/events", content=body, headers=signed(body, "application/json")
        )


async def test_a_person_who_revokes_the_app_is_forgotten(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """Alice removes the app (Slack sends tokens_revoked with her user id). Bolt has
    listeners that delete the installation (enable_token_revocation_listeners), but the
    example never enables them: the event is answered 404 "unhandled request" (Slack
    redelivers it, counts it failed), her installation row (user and refresh token) stays,
    and the photos kept of her stay in PHOTO_APP_HISTORY with nothing in the app that
    ever removes them (no "photo forget" either)."""
    answers_accepted(emulator)
    await install_through_the_app(photo_app, "UALICE0001")
    await slash_command(photo_app, emulator, "UALICE0001", "red")
    await posted(emulator, RESPONSE_METHOD, 1)
    await slash_command(photo_app, emulator, "UALICE0001", "blue")  # red is kept, bytes and all
    await posted(emulator, RESPONSE_METHOD, 2)
    history_path = Path(photo_app.database).parent / "photo_history.sqlite3"
    alice = HistoryOwner(TEAM_ID, "UALICE0001")
    history = PhotoHistory(history_path)
    try:
        assert len(await history.entries(alice)) == 2  # the default avatar, then red
    finally:
        await history.aclose()

    revoked = await signed_event(
        photo_app, {"type": "tokens_revoked", "tokens": {"oauth": ["UALICE0001"], "bot": []}}
    )
    assert revoked.status_code == 200, revoked.text
    await asyncio.sleep(0.5)
    store = SQLite3InstallationStore(database=photo_app.database, client_id=CLIENT_ID)
    found = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id="UALICE0001")
    assert found is None or found.user_token is None, "her tokens are still stored"
    history = PhotoHistory(history_path)
    try:
        assert await history.entries(alice) == [], "the photos kept of her are still kept"
    finally:
        await history.aclose()


async def test_an_uninstalled_workspace_leaves_no_installation(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """app_uninstalled: the same, for every installation of the workspace and every
    photo kept of its people (tests/test_forget.py: another workspace's are kept)."""
    answers_accepted(emulator)
    await install_through_the_app(photo_app, "UALICE0001")
    await install_through_the_app(photo_app, "UBOB000002")
    await slash_command(photo_app, emulator, "UALICE0001", "red")
    await posted(emulator, RESPONSE_METHOD, 1)
    history_path = Path(photo_app.database).parent / "photo_history.sqlite3"
    history = PhotoHistory(history_path)
    try:
        assert await history.entries(HistoryOwner(TEAM_ID, "UALICE0001"))
        assert await history.forget_workspace("T0NOBODY") == 0
    finally:
        await history.aclose()

    uninstalled = await signed_event(photo_app, {"type": "app_uninstalled"})
    assert uninstalled.status_code == 200, uninstalled.text
    await asyncio.sleep(0.5)
    store = SQLite3InstallationStore(database=photo_app.database, client_id=CLIENT_ID)
    assert store.find_installation(enterprise_id=None, team_id=TEAM_ID) is None
    history = PhotoHistory(history_path)
    try:
        assert await history.entries(HistoryOwner(TEAM_ID, "UALICE0001")) == []
    finally:
        await history.aclose()
