"""Tests that kill the mutants a sixth hand mutation round (6c: per-person tokens, locks,
the undo's history) let live.

Each test's docstring names the mutation it was written against and the promise that
mutation broke.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.installations.errors import InstallationStoreFailed
from ocp_users_photo.installations.person_locks import PersonLocks
from ocp_users_photo.installations.refresh_locks import LockNotTaken, refresh_lock_for
from ocp_users_photo.installations.refused_refreshes import (
    REMEMBERED_SECONDS,
    RefusedRefreshes,
    key_of,
)
from ocp_users_photo.installations.sqlite_lease import SQLiteRefreshLock
from ocp_users_photo.installations.store_access import AsyncStoreInThreads, StoreAccess
from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.undo.database import SCHEMA_VERSION, in_transaction, open_history
from ocp_users_photo.undo.errors import HistoryUnavailable
from tests.installation_helpers import absence_confirmed

CLIENT_ID = "7777777777.8888888888"
TEAM_ID = "T0EMULATOR"


# --- refused_refreshes.py ---------------------------------------------------------------


def test_the_apps_own_refusal_is_asked_again_once_its_minute_is_over() -> None:
    """Mutation: the app's own refusal kept while ``now - at <= REMEMBERED_SECONDS``.

    Promise: a refusal is remembered for a minute, no longer, the same for the app's own
    as for one token's (the per-token test already pins ``<``)."""
    now = [500.0]
    refused = RefusedRefreshes(clock=lambda: now[0])
    refused.remember(key_of("xoxe-1-alice"), "bad_client_secret")
    now[0] += REMEMBERED_SECONDS
    assert refused.recall(key_of("xoxe-1-bob")) is None


def test_a_full_memory_drops_the_expired_refusals_not_the_live_ones() -> None:
    """Mutation: the pruning of a full memory keeps ``now - kept[0] > REMEMBERED_SECONDS``
    (the expired ones) instead of the live ones.

    Promise: a lasting refusal is not asked of Slack again within its minute, even when
    many people's refusals fill the memory: what goes first is what has expired."""
    from ocp_users_photo.installations import refused_refreshes

    most = refused_refreshes._MOST_REMEMBERED
    now = [0.0]
    refused = RefusedRefreshes(clock=lambda: now[0])
    for number in range(most - 1):
        refused.remember(key_of(f"xoxe-1-old-{number}"), "token_revoked")
    now[0] = REMEMBERED_SECONDS + 1  # every one of those has expired
    refused.remember(key_of("xoxe-1-alice"), "invalid_refresh_token")  # the memory is full
    refused.remember(key_of("xoxe-1-bob"), "invalid_refresh_token")  # pruned here
    assert refused.recall(key_of("xoxe-1-alice")) == "invalid_refresh_token"
    assert refused.recall(key_of("xoxe-1-bob")) == "invalid_refresh_token"


def test_the_memory_of_refusals_never_holds_more_than_its_bound() -> None:
    """Mutation: the last resort ``len(...) >= _MOST_REMEMBERED`` made ``>``, so a memory
    full of live refusals grows by one each time.

    Promise: the memory is bounded (no growing table for a flood of refused people)."""
    from ocp_users_photo.installations import refused_refreshes

    most = refused_refreshes._MOST_REMEMBERED
    refused = RefusedRefreshes(clock=lambda: 0.0)
    for number in range(most + 3):
        refused.remember(key_of(f"xoxe-1-{number}"), "token_revoked")
    assert len(refused._by_token) == most
    # the newest stays remembered; the oldest went
    assert refused.recall(key_of(f"xoxe-1-{most + 2}")) == "token_revoked"
    assert refused.recall(key_of("xoxe-1-0")) is None


# --- sqlite_absence.py ------------------------------------------------------------------


def test_the_absence_check_creates_no_file(tmp_path: Path) -> None:
    """Mutation: the probe's ``?mode=ro`` dropped (SQLite then creates a missing file).

    Promise (sqlite_absence's docstring): the check is read-only, it creates nothing; a
    store whose file is gone is a store failure, and no empty file is left in its place."""
    database = tmp_path / "gone.db"
    store = SQLite3InstallationStore(database=str(database), client_id=CLIENT_ID)
    with pytest.raises(sqlite3.Error):
        absence_confirmed(store)
    assert not database.exists()


def test_a_file_without_slack_installations_table_is_not_read_as_absence(
    tmp_path: Path,
) -> None:
    """Mutation: the probe reads ``sqlite_master`` instead of ``slack_installations``.

    Promise: slack_sdk's store answers None when its table cannot be read (another file
    at its path, a table dropped); that is the store's fault, not a person who never
    installed, so the probe must read the table itself."""
    database = tmp_path / "other.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE unrelated (x INTEGER)")
    connection.close()
    store = SQLite3InstallationStore(database=str(database), client_id=CLIENT_ID)
    with pytest.raises(sqlite3.OperationalError, match="slack_installations"):
        absence_confirmed(store)


# --- store_access.py --------------------------------------------------------------------


class _RecordingStore(AsyncInstallationStore):
    """An async store that records what it was asked and answers what it is told."""

    def __init__(self, answer: Any = None, bot: Bot | None = None) -> None:
        self.answer = answer
        self.bot = bot
        self.asked: list[dict[str, Any]] = []
        self.saved: list[Installation] = []

    @property
    def logger(self) -> Any:
        import logging

        return logging.getLogger(__name__)

    async def async_save(self, installation: Installation) -> None:
        self.saved.append(installation)

    async def async_find_bot(self, **kwargs: Any) -> Bot | None:
        return self.bot

    async def async_find_installation(self, **kwargs: Any) -> Installation | None:
        self.asked.append(kwargs)
        return self.answer  # type: ignore[no-any-return]


async def test_an_org_wide_person_is_looked_up_as_an_enterprise_install() -> None:
    """Mutation: ``is_enterprise_install`` always False in the lookup.

    Promise: the store decides "newest" by Bolt's rule, which a person of an org-wide
    installation (no team) is asked for with ``is_enterprise_install=True``; a host's
    store that keys on it would otherwise find the workspace install of someone else,
    or nothing."""
    store = _RecordingStore()
    access = StoreAccess(store)
    await access.find(ActingPerson(team_id=None, user_id="U1", enterprise_id="E1"))
    await access.find(ActingPerson(team_id=TEAM_ID, user_id="U2", enterprise_id="E1"))
    assert [asked["is_enterprise_install"] for asked in store.asked] == [True, False]
    assert [asked["user_id"] for asked in store.asked] == ["U1", "U2"]


async def test_a_store_answering_with_something_not_an_installation_is_a_store_failure() -> None:
    """Mutation: the ``isinstance(found, Installation)`` check dropped.

    Promise: whatever a store gets wrong is ``InstallationStoreFailed``; a dict (a host's
    store returning its row) is not used as an installation."""
    access = StoreAccess(_RecordingStore(answer={"user_token": "xoxp-from-a-row"}))
    with pytest.raises(InstallationStoreFailed):
        await access.find(ActingPerson(team_id=TEAM_ID, user_id="U1"))


def _installation(bot_token: str, bot_refresh: str, user_token: str) -> Installation:
    return Installation(
        app_id="A1",
        team_id=TEAM_ID,
        user_id="UALICE0001",
        bot_token=bot_token,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes=["chat:write"],
        bot_refresh_token=bot_refresh,
        bot_token_expires_at=1_000,
        user_token=user_token,
        user_scopes=["users.profile:write"],
        user_refresh_token="xoxe-1-user",
        user_token_expires_at=2_000,
        installed_at=1.0,
    )


async def test_a_saved_refresh_keeps_the_newest_bots_refresh_token(tmp_path: Path) -> None:
    """Mutation: ``_take_bot`` leaves out ``bot_refresh_token``.

    Promise (StoreAccess.save): the refreshed installation is saved with the newest bot the
    store holds, all of it; with the newest bot token but the older bot refresh token
    (spent by Bolt's rotation), the workspace's next bot refresh is refused and it must
    install the app again."""
    store = SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id=CLIENT_ID)
    store.save(_installation("xoxe.xoxb-new", "xoxe-1-bot-new", "xoxe.xoxp-old"))
    stale = _installation("xoxe.xoxb-old", "xoxe-1-bot-old", "xoxe.xoxp-refreshed")
    stale.bot_token_expires_at = 500
    await StoreAccess(store).save(stale)
    bot = store.find_bot(enterprise_id=None, team_id=TEAM_ID)
    assert bot is not None
    assert bot.bot_token == "xoxe.xoxb-new"
    assert bot.bot_refresh_token == "xoxe-1-bot-new"
    found = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id="UALICE0001")
    assert found is not None
    assert found.user_token == "xoxe.xoxp-refreshed"
    assert found.bot_refresh_token == "xoxe-1-bot-new"


# --- person_locks.py --------------------------------------------------------------------


async def test_a_key_taken_over_from_a_closed_loop_leaves_no_queue_behind() -> None:
    """Mutation: taking over from a holder whose loop closed no longer counts that holder
    out of the queue's users (``queue.users -= 1`` dropped).

    Promise (person_locks' docstring): a person's entries are dropped once no one holds or
    waits for them, so serving many people keeps no growing table; a dead holder passed
    over is counted out by the one who took over (its own frame never will)."""
    from tests.test_refresh_locks_and_callers_client import _hold_in_a_loop_that_dies

    locks = PersonLocks()
    kept = _hold_in_a_loop_that_dies(locks, "alice")
    assert kept, "the holder task ran"
    assert locks.in_process() == 1
    async with locks.hold("alice"):
        pass
    assert locks.in_process() == 0


# --- sqlite_lease.py --------------------------------------------------------------------


async def test_a_lease_that_ran_out_and_was_taken_over_is_not_released_by_its_first_holder(
    tmp_path: Path,
) -> None:
    """Mutation: the release deletes the key's lease whoever holds it (``AND holder = ?``
    dropped).

    Promise (sqlite_lease's ``_release``): only this holder's lease goes; one that ran
    out may belong to another process now, and deleting it would let a third refresh the
    same person's token while the second still is."""
    database = tmp_path / "store.db"
    now = [1000.0]
    slow = SQLiteRefreshLock(database, lease_seconds=10, wait_seconds=0.1, clock=lambda: now[0])
    other = SQLiteRefreshLock(database, lease_seconds=10, wait_seconds=0.1, clock=lambda: now[0])
    third = SQLiteRefreshLock(database, lease_seconds=10, wait_seconds=0.1, clock=lambda: now[0])
    slow_hold = slow.hold("app|T1|U1")
    await slow_hold.__aenter__()
    now[0] += 11  # the slow holder's lease ran out: another process takes it over
    async with other.hold("app|T1|U1"):
        await slow_hold.__aexit__(None, None, None)  # the slow holder ends meanwhile
        with pytest.raises(LockNotTaken):
            async with third.hold("app|T1|U1"):
                pass


async def test_a_lease_left_by_a_dead_holder_is_waited_out_by_default(tmp_path: Path) -> None:
    """Mutation: the default ``wait_seconds`` made ``lease_seconds - 5`` (below a lease).

    Promise (SQLiteRefreshLock): waiting a little longer than a lease lets a dead
    holder's lease run out first, so the next refresh takes it instead of failing with
    LockNotTaken ("try again shortly") for as long as it stays."""
    database = tmp_path / "store.db"
    first = SQLiteRefreshLock(database, lease_seconds=0.3)
    left = first.hold("app|T1|U1")
    await left.__aenter__()  # a holder that never ends (its process died)
    try:
        async with SQLiteRefreshLock(database, lease_seconds=0.3).hold("app|T1|U1"):
            pass
    finally:
        await left.__aexit__(None, None, None)


# --- refresh_locks.py -------------------------------------------------------------------


async def test_take_polling_gives_up_when_its_wait_is_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Mutation: ``take_polling``'s end made ``wait_seconds * 100`` (or never).

    Promise (RefreshLock.hold): ``LockNotTaken`` once the lock stayed with another holder
    for ``wait_seconds``; the pause doubles from ``poll_seconds`` up to 0.25 s. The clock
    and the pauses are the test's: each look at the clock is one second later."""
    import asyncio
    import itertools

    from ocp_users_photo.installations import refresh_locks

    ticks = itertools.count()

    class FakeTime:
        @staticmethod
        def monotonic() -> float:
            return float(next(ticks))

    pauses: list[float] = []

    async def no_wait(delay: float) -> None:
        pauses.append(delay)

    monkeypatch.setattr(refresh_locks, "time", FakeTime)
    monkeypatch.setattr(asyncio, "sleep", no_wait)
    asked: list[int] = []

    def never_free() -> bool:
        asked.append(1)
        return False

    with pytest.raises(LockNotTaken):
        await refresh_locks.take_polling(never_free, wait_seconds=5.5, poll_seconds=0.1)
    assert len(asked) == 6  # at 1, 2, 3, 4, 5 s it waits again; at 6 s it gives up
    assert pauses == [0.1, 0.2, 0.25, 0.25, 0.25]


def test_an_sqlalchemy_store_in_sqlite_memory_gets_no_lock_of_its_own(tmp_path: Path) -> None:
    """Mutation: ``":memory:"`` no longer refused as a SQLite database to keep leases in.

    Promise (refresh_lock_for): a lock this package cannot share between processes is not
    offered; ``SQLiteRefreshLock(":memory:")`` would be a new empty database on every
    connection, so every holder would take it at once."""
    import sqlalchemy
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    in_memory = SQLAlchemyInstallationStore(
        client_id=CLIENT_ID, engine=sqlalchemy.create_engine("sqlite:///:memory:")
    )
    with pytest.raises(ValueError, match="SingleProcessRefreshLock"):
        refresh_lock_for(in_memory)


def test_bolts_threaded_view_of_a_sqlite_store_gets_its_files_lock(tmp_path: Path) -> None:
    """Mutation: ``refresh_lock_for`` no longer looks through ``AsyncStoreInThreads``.

    Promise: the lock follows the store, including the view Bolt's AsyncApp is given
    (README); without it that host is refused a lock it has."""
    store = SQLite3InstallationStore(database=str(tmp_path / "a.db"), client_id=CLIENT_ID)
    lock = refresh_lock_for(AsyncStoreInThreads(store))
    assert isinstance(lock, SQLiteRefreshLock)
    assert lock.database == str(tmp_path / "a.db")


# --- undo/database.py -------------------------------------------------------------------


def test_a_history_written_by_a_newer_schema_is_refused(tmp_path: Path) -> None:
    """Mutation: a history of schema ``SCHEMA_VERSION + 1`` accepted
    (``version > SCHEMA_VERSION + 1``).

    Promise (database.py): a history a newer ocp-users-photo wrote is not read (or
    written) by this one, whose idea of its tables may be wrong; it says to upgrade."""
    path = tmp_path / "history.sqlite3"
    open_history(path, 1.0, check=True).close()
    with contextlib.closing(sqlite3.connect(path)) as database:
        database.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryUnavailable, match="newer ocp-users-photo"):
        open_history(path, 1.0, check=True)


def test_a_failed_transaction_is_rolled_back(tmp_path: Path) -> None:
    """Mutation: ``in_transaction`` no longer rolls back when its work raises.

    Promise (in_transaction): the work is done whole or not at all, and the connection,
    which the history keeps open for the next operation, is left with no transaction
    open (a BEGIN on it would fail, and the half-done writes would be committed later)."""
    path = tmp_path / "history.sqlite3"
    database = open_history(path, 1.0, check=True)
    try:

        def half_done(connection: sqlite3.Connection) -> None:
            connection.execute(
                "INSERT INTO leases (workspace, user_id, holder, expires_at) "
                "VALUES ('T1', 'U1', 'me', 1.0)"
            )
            raise RuntimeError("the work failed halfway")

        with pytest.raises(RuntimeError):
            in_transaction(database, half_done)
        assert not database.in_transaction
        assert database.execute("SELECT count(*) FROM leases").fetchone() == (0,)
    finally:
        database.close()


def test_a_damaged_index_of_the_entries_is_found_when_the_history_is_opened(
    tmp_path: Path,
) -> None:
    """Mutation: ``_CHECKED_TABLES`` without ``entries``.

    Promise (database.py): the quick check on the first opening covers the entries and
    their indexes, so a damaged file is found before anything is kept in it."""
    from tests.undo_fixtures import damage_table

    path = tmp_path / "history.sqlite3"
    open_history(path, 1.0, check=True).close()
    damage_table(path, "entries_by_photo")
    with pytest.raises(HistoryUnavailable, match="damaged"):
        open_history(path, 1.0, check=True).close()


# --- worker_threads.py ------------------------------------------------------------------


async def test_a_job_cancelled_while_it_waited_for_a_thread_is_never_run() -> None:
    """Mutation: the worker no longer skips a job whose caller was cancelled while it
    waited in the queue (``if job.abandoned`` made ``if False``).

    Promise (worker_threads' docstring): a job whose caller was cancelled before a thread
    took it is not run (a cancelled conversion would hold up every later one)."""
    import asyncio
    import threading

    from ocp_users_photo import worker_threads

    pool = worker_threads._WorkerPool(1)
    release = threading.Event()
    started = threading.Event()
    ran: list[str] = []

    def blocker() -> str:
        started.set()
        release.wait(10)
        return "blocker"

    def cancelled() -> str:
        ran.append("cancelled")
        return "cancelled"

    first = asyncio.ensure_future(worker_threads._in_pool(pool, blocker, (), None))
    await asyncio.to_thread(started.wait, 10)
    second = asyncio.ensure_future(worker_threads._in_pool(pool, cancelled, (), None))
    await asyncio.sleep(0)  # queued behind the blocker
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    release.set()
    assert await first == "blocker"
    assert await worker_threads._in_pool(pool, lambda: "after", (), None) == "after"
    assert ran == []
