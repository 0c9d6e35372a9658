"""A refreshed installation saved beside the newest bot the store holds, even when the
store's read of that bot met a locked file (the review of 2026-12-06 10:25 UTC).

slack_sdk's SQLite store answers ``find_bot`` with None when its read fails (a file held
by another program past its wait), as for a workspace with no bot. The save then wrote
the bot copied before the refresh over one Bolt had rotated meanwhile: the workspace's
newest bot held a refresh token Slack had spent, and its next rotation failed.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.installations.errors import InstallationStoreFailed
from ocp_users_photo.installations.store_access import StoreAccess
from ocp_users_photo.tokens import ActingPerson
from tests.installation_helpers import (
    CLIENT_ID,
    LIFETIME,
    TEAM_ID,
    Clock,
    emulator_source,
    install,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    set_up,
)

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")
ROTATED_REFRESH = "xoxe-1-rotated-by-bolt-meanwhile"


class _QuickStore(SQLite3InstallationStore):
    """slack_sdk's SQLite store, waiting 1 s on a locked file (5 s by default)."""

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(database=self.database, timeout=1.0)


class _BotReadFailed(logging.Handler):
    """Set once slack_sdk's store logs that it could not read the workspace's bot."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "Failed to find bot" in record.getMessage():
            self.seen.set()


async def test_a_bot_read_refused_by_a_locked_file_does_not_bury_the_newest_bot(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    database = tmp_path / "installations.db"
    store = _QuickStore(database=str(database), client_id=CLIENT_ID)
    set_up(store.init)
    failed = _BotReadFailed()
    store.logger.addHandler(failed)
    installed = await install(emulator, store, ALICE.user_id, bot_scope="chat:write")
    assert installed.bot_refresh_token
    assert installed.bot_id is not None
    assert installed.bot_user_id is not None
    source = emulator_source(emulator, store, clock=Clock(LIFETIME + 60))
    emulator.faults.inject(Fault.delay(1.0), path="oauth.v2.access")

    def hold_the_file() -> None:
        # Another program (a backup) holds the file while the save reads the bot, and lets
        # go a moment after that read gave up.
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        failed.seen.wait(30)
        time.sleep(0.3)
        holder.execute("ROLLBACK")
        holder.close()

    async with source:
        asking = asyncio.ensure_future(source.token_for(ALICE))
        await asyncio.sleep(0.5)  # its grant is at Slack now
        # Bolt rotates the workspace's bot meanwhile, and saves it.
        rotated = Bot(
            app_id=installed.app_id,
            enterprise_id=None,
            team_id=installed.team_id,
            bot_token="xoxe.xoxb-1-rotated",
            bot_id=installed.bot_id,
            bot_user_id=installed.bot_user_id,
            bot_scopes=["chat:write"],
            bot_refresh_token=ROTATED_REFRESH,
            bot_token_expires_in=43200,
            installed_at=time.time(),
        )
        store.save_bot(rotated)
        holder = threading.Thread(target=hold_the_file)
        holder.start()
        try:
            await asking
        finally:
            holder.join()
    assert failed.seen.is_set(), "the store's read of the bot met the held file"
    newest = store.find_bot(enterprise_id=None, team_id=TEAM_ID)
    assert newest is not None
    assert newest.bot_refresh_token == ROTATED_REFRESH
    refreshed = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert refreshed is not None
    assert refreshed.user_refresh_token != installed.user_refresh_token


class _HeldDuringTwoBotReads(SQLite3InstallationStore):
    """slack_sdk's store; another program holds the file during each of the first two reads
    of the bot, letting go between them (the review of the first fix: it read again once,
    and a second read met the lock too)."""

    bot_reads = 0

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(database=self.database, timeout=0.2)

    def find_bot(self, **arguments: Any) -> Bot | None:
        type(self).bot_reads += 1
        if type(self).bot_reads > 2:
            return super().find_bot(**arguments)
        holder = sqlite3.connect(self.database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            return super().find_bot(**arguments)
        finally:
            holder.execute("ROLLBACK")
            holder.close()


def _installation(bot_refresh: str, user_refresh: str, at: float) -> Installation:
    return Installation(
        app_id="A1",
        team_id="T1",
        user_id="U1",
        bot_token="xoxe.xoxb-1-bot",
        bot_id="B1",
        bot_user_id="UB1",
        bot_refresh_token=bot_refresh,
        bot_token_expires_in=43200,
        user_token="xoxe.xoxp-1-user",
        user_refresh_token=user_refresh,
        user_token_expires_in=43200,
        installed_at=at,
    )


async def test_a_bot_read_failing_twice_fails_the_save_rather_than_bury_the_bot(
    tmp_path: Path,
) -> None:
    store = _HeldDuringTwoBotReads(database=str(tmp_path / "i.db"), client_id=CLIENT_ID)
    set_up(store.init)
    now = time.time()
    store.save(_installation("xoxe-1-spent", "xoxe-1-user-old", now - 100))
    rotated = Bot(
        app_id="A1",
        team_id="T1",
        bot_token="xoxe.xoxb-1-rotated",
        bot_id="B1",
        bot_user_id="UB1",
        bot_refresh_token=ROTATED_REFRESH,
        bot_token_expires_in=43200,
        installed_at=now - 50,
    )
    store.save_bot(rotated)
    _HeldDuringTwoBotReads.bot_reads = 0
    access = StoreAccess(store)
    refreshed = _installation("xoxe-1-spent", "xoxe-1-user-new", now)
    failures = 0
    for _ in range(3):  # as the source tries a save (SAVE_ATTEMPTS)
        try:
            await access.save(refreshed)
            break
        except InstallationStoreFailed:
            failures += 1
    assert failures == 2  # each read the lock refused failed its save
    newest = store.find_bot(enterprise_id=None, team_id="T1")
    assert newest is not None
    assert newest.bot_refresh_token == ROTATED_REFRESH
