# ruff: noqa: F811  (photo_app, the fixture imported from test_bolt_photo_app, is a parameter here)
"""Review of the example Bolt app as production code facing the internet (round 14).

Each test failed when written.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread
import httpx
import pytest
from aiohttp import web
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.examples.bolt_photo_app import build_app
from ocp_users_photo.examples.signed_oauth_state import SignedOAuthStateStore
from tests.installation_helpers import CLIENT_ID, CLIENT_SECRET, TEAM_ID
from tests.test_bolt_log_records import loggers_holding
from tests.test_bolt_photo_app import (  # noqa: F401  (the fixtures are parameters here)
    SIGNING_SECRET,
    RunningApp,
    app_settings,
    emulator_config,
    install_through_the_app,
    photo_app,
)


async def test_an_install_against_slack_itself_logs_no_token_at_debug(
    emulator: RunningEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without SLACK_API_URL (production: Slack itself), Bolt made the web client itself,
    logging through its own ``slack_bolt.AsyncApp`` logger, which the mask was not on: the
    OAuth exchange's reply, every installer's tokens, went to the DEBUG log unmasked."""
    settings, listener, url = app_settings(emulator, tmp_path, base_url=None)  # production's
    # The operator logs at DEBUG from the start (Bolt's loggers take the root's level when
    # made); what is set on Bolt's logger here is put back after.
    caplog.set_level(logging.DEBUG)
    bolt_logger = logging.getLogger("slack_bolt.AsyncApp")
    bolt_level = bolt_logger.level
    app = await anyio.to_thread.run_sync(build_app, settings)
    # The one change from production: Slack's Web API is the emulator, on the same client.
    app.bolt.client.base_url = f"{emulator.base_url}/"
    runner = web.AppRunner(app.bolt.web_app())
    await runner.setup()
    await web.SockSite(runner, listener).start()
    try:
        await install_through_the_app(RunningApp(url, app, settings.database), "UALICE0001")
    finally:
        await runner.cleanup()
        await app.aclose()
        bolt_logger.setLevel(bolt_level)
    store = SQLite3InstallationStore(database=settings.database, client_id=CLIENT_ID)
    alice = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id="UALICE0001")
    assert alice is not None
    assert alice.user_token is not None
    assert alice.user_refresh_token is not None
    assert alice.bot_token is not None
    secrets = [alice.user_token, alice.user_refresh_token, alice.bot_token, CLIENT_SECRET]
    assert all(secrets)
    assert any("oauth.v2.access" in record.getMessage() for record in caplog.records), (
        "the OAuth exchange was logged at DEBUG (what is checked below)"
    )
    leaking = loggers_holding(caplog.records, secrets)
    assert leaking == [], f"tokens in the DEBUG records of {leaking}"


async def test_a_state_with_a_non_ascii_character_is_refused_not_a_crash(
    photo_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    """The OAuth redirect is public: a state (and its cookie) with a non-ASCII character
    reached ``hmac.compare_digest``, which raises TypeError on such text. Each such request
    was a 500 and a traceback at ERROR in the operator's log, not "invalid_state"."""
    store = SignedOAuthStateStore("app-client-secret")
    assert await store.async_consume("1999999999.nonce.sign\u00e9") is False
    state = "1999999999.nonce.sign\u00e9"
    async with httpx.AsyncClient(timeout=10) as browser:
        landed = await browser.get(
            f"{photo_app.url}/slack/oauth_redirect?code=c0de&state={quote(state)}",
            headers={b"cookie": f"slack-app-oauth-state={state}".encode()},
        )
    assert landed.status_code == 401, landed.text
    assert "invalid_state" in landed.text
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
