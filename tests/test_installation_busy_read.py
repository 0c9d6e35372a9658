"""A busy SQLite installation store is not read as a person without an installation.

slack_sdk's SQLite store answers a read it could not make (the file held by another
program past SQLite's 5 s wait) with None, as for a person who never installed. The
check of that None read only whether the file's table could be read, a moment later,
once the other program was done: it could, so the None stood. Right after a refresh,
that read the person's installation as deleted meanwhile: the refreshed tokens (the only
live refresh token, Slack having spent the stored one) were dropped, the person told to
install again, and the store left holding the spent token (the review of 2026-12-06).
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorThread, Fault
from ocp_users_photo.emulator.server import run_emulator
from ocp_users_photo.installations import InstallationTokenSource, SingleProcessRefreshLock
from ocp_users_photo.installations.sqlite_absence import InstallationUnread, confirm_absent
from ocp_users_photo.tokens import ActingPerson
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    LIFETIME,
    TEAM_ID,
    Clock,
    install,
    refreshes,
    rotation_config,
    sqlite_store,
)

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")


def _held_exclusively(database: Path, seconds: float, held: threading.Event) -> None:
    """Another program's hold on the whole file (a VACUUM, a backup, a migration)."""
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        held.set()
        time.sleep(seconds)
        connection.execute("COMMIT")
    finally:
        connection.close()


@pytest.mark.waits
async def test_a_refresh_whose_store_is_held_past_its_wait_keeps_the_new_tokens(
    tmp_path: Path,
) -> None:
    database = tmp_path / "installations.db"
    async with run_emulator(rotation_config()) as emulator:
        store = sqlite_store(database)
        installed = await install(emulator, store, ALICE.user_id)
        source = InstallationTokenSource(
            store,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            base_url=emulator.base_url,
            refresh_lock=SingleProcessRefreshLock(),
            clock=Clock(LIFETIME),  # the token is due: refreshed at this call
            environ={},
        )
        # The refresh's auth.test takes a second: the hold begins after Slack rotated.
        emulator.faults.inject(Fault.delay(1.0), path="auth.test")
        held = threading.Event()

        async def another_program() -> None:
            while refreshes(emulator) < 1:  # noqa: ASYNC110 (polling the emulator's record)
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.3)
            await asyncio.to_thread(_held_exclusively, database, 6.0, held)

        other = asyncio.create_task(another_program())
        try:
            token = await source.token_for(ALICE)
        finally:
            await other
        assert held.is_set()
        stored = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
        assert stored is not None
        assert stored.user_refresh_token != installed.user_refresh_token, "the spent one kept"
        assert stored.user_token == token.reveal()
        again = await source.token_for(ALICE)  # no refresh, no "install again"
        assert again.reveal() == token.reveal()
        assert refreshes(emulator) == 1
        await source.aclose()


def test_a_person_whose_rows_the_file_holds_is_not_confirmed_absent(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path / "installations.db")
    with EmulatorThread(rotation_config()) as emulator:
        asyncio.run(install(emulator, store, ALICE.user_id))
    for user_id in (ALICE.user_id, "UBOB0000002"):
        confirmed = functools.partial(
            confirm_absent,
            store,
            enterprise_id=None,
            team_id=TEAM_ID,
            user_id=user_id,
            is_enterprise_install=False,
        )
        if user_id == ALICE.user_id:
            with pytest.raises(InstallationUnread):
                confirmed()
        else:
            confirmed()  # really absent: no error
