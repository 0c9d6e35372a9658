"""The example Bolt app at DEBUG logs no echo of the bot's token, in any form.

Bolt's authorize logs a refused auth.test's reply whole, and slack_sdk every reply: a
server that echoed the bot's token base64-encoded (its Authorization header) or
percent-escaped wrote it into the app's log, where the mask looked for a token's shape.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.examples.sdk_log_masking import TokensLearned, mask_slack_sdk_logs
from tests.installation_helpers import CLIENT_ID, TEAM_ID
from tests.test_bolt_app_as_slack_drives_it import answers_accepted
from tests.test_bolt_photo_app import (  # noqa: F401 - the fixtures, used by name
    RunningApp,
    emulator_config,
    install_through_the_app,
    photo_app,
    slash_command,
)


@pytest.mark.parametrize("form", ["base64 of the header", "percent-escaped"])
async def test_a_bot_token_echoed_encoded_by_auth_test_is_not_logged(
    emulator: RunningEmulator,
    photo_app: RunningApp,  # noqa: F811 - the fixture imported above
    caplog: pytest.LogCaptureFixture,
    form: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    answers_accepted(emulator)
    await install_through_the_app(photo_app, "UALICE0001")
    store = SQLite3InstallationStore(database=photo_app.database, client_id=CLIENT_ID)
    bot = store.find_bot(enterprise_id=None, team_id=TEAM_ID)
    assert bot is not None
    assert bot.bot_token
    token = bot.bot_token
    if form == "percent-escaped":
        echoed = "".join(f"%{byte:02X}" for byte in token.encode())
    else:
        echoed = base64.b64encode(f"Bearer {token}".encode()).decode()
    body = json.dumps({"ok": False, "error": "invalid_auth", "seen": echoed}).encode()
    reply = Fault.status(200, body=body, headers={"Content-Type": "application/json"})
    emulator.faults.inject(reply, path="auth.test")
    await slash_command(photo_app, emulator, "UALICE0001", "blue")
    # Bolt logged the refused auth.test through the app's logger (what is checked below).
    assert any(
        record.name == "ocp_users_photo.examples.bolt_photo_app" for record in caplog.records
    )
    leaking = sorted(
        {record.name for record in caplog.records if echoed[8:40] in record.getMessage()}
    )
    assert leaking == [], f"the bot token's echo in the DEBUG records of {leaking}"


async def test_a_rotated_bot_token_bolt_saves_is_masked_in_every_form(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt's authorize rotates the bot's token, saves the new one through the store
    (``async_save_bot``) and runs auth.test with it at once: a refusal echoing it encoded is
    logged whole, before any find_bot handed that token out."""
    mask_slack_sdk_logs()
    store = SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id=CLIENT_ID)
    store.init()  # type: ignore[no-untyped-call]
    rotated = Bot(
        app_id="A1",
        team_id=TEAM_ID,
        bot_token="xoxe.xoxb-1-rotatedjustnow",
        bot_id="B1",
        bot_user_id="UB1",
        bot_refresh_token="xoxe-1-rotatedrefresh",
        bot_token_expires_in=43200,
        installed_at=time.time(),
    )
    await TokensLearned(store).async_save_bot(rotated)
    echoed = base64.b64encode(f"Bearer {rotated.bot_token}".encode()).decode()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("slack_sdk.web.async_base_client").debug("Received: %s", echoed)
    assert echoed[8:40] not in caplog.text, caplog.text
