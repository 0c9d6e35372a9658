# ruff: noqa: F811  (photo_app, the fixture imported from test_bolt_photo_app, is a parameter here)
"""Three faults of the example Bolt app that the review of 2026-12-06 found:

- Bolt's authorize, given the app's logger, wrote a refused bot-token rotation at ERROR
  with Slack's whole reply: a client secret it echoed went to the logs unmasked;
- any refused rotation of the bot's token (the app's wrong secret, Slack's 5xx) in its
  last two hours ended the request with Bolt's "reinstall this app", though the token
  still worked for an hour or more;
- a revocation while the database was busy (a backup, a migration) kept the person's
  tokens: slack_sdk's SQLite store logs a failed delete and returns, and the app said
  they were forgotten.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.examples.bolt_revocation import forget_on_revocation
from ocp_users_photo.installations.store_access import AsyncStoreInThreads
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    TEAM_ID,
    photo_tokens,
    rotation_config,
)
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
    # An hour's tokens: the bot's is inside Bolt's two-hour window at once, so every
    # request rotates it.
    return rotation_config(lifetime=3600)


async def _installed(emulator: RunningEmulator, app: RunningApp) -> None:
    emulator.faults.inject(Fault.json({"ok": True}), times=5, path=RESPONSE_METHOD)
    await install_through_the_app(app, ALICE)


async def test_a_refused_rotation_echoing_the_client_secret_is_logged_masked(
    emulator: RunningEmulator, photo_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await _installed(emulator, photo_app)
    echo = {"ok": False, "error": f"invalid_client_secret (got {CLIENT_SECRET})"}
    emulator.faults.inject(Fault.json(echo), times=3, path="oauth.v2.access")
    await slash_command(photo_app, emulator, ALICE, "red")
    rotation = [record for record in caplog.records if "rotate" in record.getMessage()]
    assert rotation, "the refused rotation is logged"
    assert not [record for record in caplog.records if CLIENT_SECRET in record.getMessage()]


@pytest.mark.parametrize(
    "refusal",
    [
        Fault.json({"ok": False, "error": "bad_client_secret"}),
        Fault.json({"ok": False, "error": "internal_error"}, status_code=500),
    ],
    ids=["bad_client_secret", "HTTP 500"],
)
async def test_a_refused_rotation_of_a_working_bot_token_still_sets_the_photo(
    emulator: RunningEmulator,
    photo_app: RunningApp,
    caplog: pytest.LogCaptureFixture,
    refusal: Fault,
) -> None:
    await _installed(emulator, photo_app)
    emulator.faults.inject(refusal, times=1, path="oauth.v2.access")
    with caplog.at_level(logging.WARNING):
        await slash_command(photo_app, emulator, ALICE, "red")
        answer = (await posted(emulator, RESPONSE_METHOD, 1))[-1]
    assert "reinstall" not in str(answer["text"]).lower()
    assert len(photo_tokens(emulator)) == 1  # the photo was set
    warned = [record.getMessage() for record in caplog.records]
    assert any("could not rotate the bot token" in said for said in warned)


@pytest.mark.waits
async def test_a_revocation_while_the_database_is_busy_still_removes_the_tokens(
    emulator: RunningEmulator, photo_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    await _installed(emulator, photo_app)
    holding = threading.Event()

    def backup_holding_the_database() -> None:
        connection = sqlite3.connect(photo_app.database, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        holding.set()
        time.sleep(7)  # past the store's own 5 s wait on a lock
        connection.execute("COMMIT")
        connection.close()

    backup = threading.Thread(target=backup_holding_the_database)
    backup.start()
    holding.wait()
    with caplog.at_level(logging.INFO):
        event: dict[str, object] = {"type": "tokens_revoked", "tokens": {"oauth": [ALICE]}}
        acknowledged = await signed_event(photo_app, event)
        await asyncio.to_thread(backup.join)
        for _ in range(200):  # the handler runs after Bolt's answer
            if any("forgotten" in record.getMessage() for record in caplog.records):
                break
            await asyncio.sleep(0.1)
    assert acknowledged.status_code == 200
    store = SQLite3InstallationStore(database=photo_app.database, client_id=CLIENT_ID)
    assert store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE) is None
    said = [record.getMessage() for record in caplog.records]
    assert "tokens revoked: 1 of 1 person(s) forgotten" in said


Handler = Callable[..., Coroutine[Any, Any, None]]
CONTEXT = SimpleNamespace(enterprise_id=None, team_id=TEAM_ID, is_enterprise_install=False)


def _installation(user_id: str, token: str) -> Installation:
    return Installation(
        app_id="A0EMULATOR1",
        team_id=TEAM_ID,
        user_id=user_id,
        user_token=token,
        bot_token=f"xoxb-1-2-{token}",
        bot_id="B0EMULATOR1",
        bot_user_id="U0BOT00001",
        installed_at=time.time(),
    )


def _revocation_handlers(store: SQLite3InstallationStore, folder: Path) -> dict[str, Handler]:
    """The app's revocation handlers on ``store``, to be called as Bolt calls them (by their
    parameters' names)."""
    handlers: dict[str, Handler] = {}

    class Registering:
        def event(self, name: str) -> Callable[[Handler], object]:
            return lambda handler: handlers.setdefault(name, handler)

    forget_on_revocation(
        Registering(),  # type: ignore[arg-type]
        AsyncStoreInThreads(store),
        str(folder / "history.sqlite3"),
    )
    return handlers


@pytest.mark.waits
def test_an_installation_made_again_during_the_retries_is_kept(tmp_path: Path) -> None:
    """The person installs the app again while a revocation's deletion waits on the busy
    database: their new installation stays (the review of the fix found it deleted)."""
    database = str(tmp_path / "installations.db")
    store = SQLite3InstallationStore(database=database, client_id=CLIENT_ID)
    store.save(_installation(ALICE, "xoxp-1-2-3-revoked"))
    handlers = _revocation_handlers(store, tmp_path)
    holding = threading.Event()

    def backup_then_installed_again() -> None:
        connection = sqlite3.connect(database, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        holding.set()
        time.sleep(6)  # past the store's own 5 s wait: the first deletion fails
        connection.execute("COMMIT")
        connection.close()
        store.save(_installation(ALICE, "xoxp-1-2-3-installed-again"))

    busy = threading.Thread(target=backup_then_installed_again)
    busy.start()
    holding.wait()
    event = {"type": "tokens_revoked", "tokens": {"oauth": [ALICE]}}
    sent = {"event_time": int(time.time())}
    asyncio.run(handlers["tokens_revoked"](event=event, body=sent, context=CONTEXT))
    busy.join()
    found = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE)
    assert found is not None
    assert found.user_token == "xoxp-1-2-3-installed-again"


def test_an_event_delivered_after_the_person_installed_again_keeps_the_new_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack's event sent at t, delivered once the person had installed again (a queue, a
    retry): what was installed after t is not the installation it is about."""
    store = SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id=CLIENT_ID)
    sent = {"event_time": int(time.time()) - 5}
    store.save(_installation(ALICE, "xoxp-1-2-3-installed-again"))
    handlers = _revocation_handlers(store, tmp_path)
    event = {"type": "tokens_revoked", "tokens": {"oauth": [ALICE]}}
    with caplog.at_level(logging.WARNING):
        asyncio.run(handlers["tokens_revoked"](event=event, body=sent, context=CONTEXT))
    found = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE)
    assert found is not None
    assert found.user_token == "xoxp-1-2-3-installed-again"
    assert any("was installed again since" in record.getMessage() for record in caplog.records)


def test_an_uninstall_delivered_after_a_reinstall_says_what_may_remain(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id=CLIENT_ID)
    sent = {"event_time": int(time.time()) - 5}
    store.save(_installation("UBOB000002", "xoxp-1-2-3-bob-from-before"))
    store.save(_installation(ALICE, "xoxp-1-2-3-alice-again"))  # a new bot with it
    handlers = _revocation_handlers(store, tmp_path)
    with caplog.at_level(logging.WARNING):
        asyncio.run(handlers["app_uninstalled"](body=sent, context=CONTEXT))
    said = [record.getMessage() for record in caplog.records]
    assert any("installed again since the app was removed" in line for line in said)
