# ruff: noqa: F811  (photo_app, the fixture imported from test_bolt_photo_app, is a parameter here)
"""Each person acts only as themselves, in their own workspace or organization: against the
emulator and real SQLite files (slack_sdk's installation store, the photo history)."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.installation_helpers import CLIENT_ID, TEAM_ID, owner_of, photo_tokens
from tests.test_bolt_photo_app import (  # noqa: F401  (the fixtures are parameters here)
    RESPONSE_METHOD,
    RunningApp,
    emulator_config,
    install_through_the_app,
    photo_app,
    posted,
    signed,
)

ORG = "E0ORGWIDE01"


def _as_org_wide(store: SQLite3InstallationStore, user_id: str) -> Installation:
    """The person's installation saved again as Bolt saves an org-wide (Enterprise Grid)
    install: enterprise id, no team id, is_enterprise_install; same tokens."""
    workspace = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=user_id)
    assert workspace is not None
    assert workspace.bot_scopes is not None
    assert workspace.user_scopes is not None
    org_wide = Installation(
        app_id=workspace.app_id,
        enterprise_id=ORG,
        team_id=None,
        bot_token=workspace.bot_token,
        bot_id=workspace.bot_id,
        bot_user_id=workspace.bot_user_id,
        bot_scopes=workspace.bot_scopes,
        bot_refresh_token=workspace.bot_refresh_token,
        bot_token_expires_at=workspace.bot_token_expires_at,
        user_id=user_id,
        user_token=workspace.user_token,
        user_scopes=workspace.user_scopes,
        user_refresh_token=workspace.user_refresh_token,
        user_token_expires_at=workspace.user_token_expires_at,
        token_type="user",
        is_enterprise_install=True,
    )
    store.save(org_wide)
    return org_wide


async def test_bolt_app_slash_command_works_for_an_org_wide_installation(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """An org-wide (Enterprise Grid) install: Slack's /photo payload carries the workspace's
    team_id, enterprise_id and is_enterprise_install=true. Bolt's own authorize finds the
    org-wide installation (it passes is_enterprise_install); the app must find the same
    installation for the person and set their photo with their token, not tell them to
    install an app they installed."""
    emulator.faults.inject(Fault.json({"ok": True}), times=5, path=RESPONSE_METHOD)
    await install_through_the_app(photo_app, "UALICE0001")
    store = SQLite3InstallationStore(database=photo_app.database, client_id=CLIENT_ID)
    _as_org_wide(store, "UALICE0001")  # store.save keeps the org-wide bot too
    body = urlencode(
        {
            "token": "unused-verification-token",
            "team_id": TEAM_ID,  # the workspace of the org the command was typed in
            "team_domain": "emulated",
            "enterprise_id": ORG,
            "enterprise_name": "Org",
            "is_enterprise_install": "true",
            "channel_id": "C0GENERAL1",
            "user_id": "UALICE0001",
            "user_name": "alice",
            "command": "/photo",
            "text": "red",
            "api_app_id": "A0EMULATOR1",
            "response_url": f"{emulator.base_url}/{RESPONSE_METHOD}",
            "trigger_id": "1.2.3",
        }
    )
    async with httpx.AsyncClient(timeout=10) as slack:
        acked = await slack.post(
            f"{photo_app.url}/slack/events",
            content=body,
            headers=signed(body, "application/x-www-form-urlencoded"),
        )
    assert acked.status_code == 200, acked.text
    [answer] = await posted(emulator, RESPONSE_METHOD, 1)
    assert answer["text"] == "Done: your Slack photo is now red.", answer["text"]
    assert [owner_of(emulator, token) for token in photo_tokens(emulator)] == ["UALICE0001"]
