"""The refresh locks alone: SQLite lease rows, PostgreSQL advisory locks, per-person locks."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.installations import (
    InstallationTokenSource,
    RefreshBusy,
    SingleProcessRefreshLock,
    SQLiteRefreshLock,
    refresh_lock_for,
)
from ocp_users_photo.installations.person_locks import PersonLocks
from ocp_users_photo.installations.refresh_locks import LockNotTaken
from ocp_users_photo.installations.source import REFRESH_DEADLINE
from ocp_users_photo.installations.sqlite_lease import LEASE_TABLE
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    LIFETIME,
    TEAM_ID,
    install,
    photo_tokens,
    portrait,
    refreshes,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
)


async def test_a_sqlite_lease_makes_the_second_holder_wait_for_the_first(tmp_path: Path) -> None:
    lock = SQLiteRefreshLock(tmp_path / "store.db")
    order: list[str] = []

    async def hold(name: str, seconds: float) -> None:
        async with lock.hold("app|T1|U1"):
            order.append(f"{name} in")
            await asyncio.sleep(seconds)
            order.append(f"{name} out")

    first = asyncio.create_task(hold("first", 0.2))
    await asyncio.sleep(0.05)
    await asyncio.gather(first, hold("second", 0))
    assert order == ["first in", "first out", "second in", "second out"]
    with sqlite3.connect(tmp_path / "store.db") as database:
        assert database.execute(f"SELECT count(*) FROM {LEASE_TABLE}").fetchone() == (0,)


async def test_other_keys_do_not_wait(tmp_path: Path) -> None:
    lock = SQLiteRefreshLock(tmp_path / "store.db", wait_seconds=0.2)
    async with lock.hold("app|T1|U1"), lock.hold("app|T1|U2"):
        pass


def plant_lease(database: Path, key: str, expires_at: float) -> None:
    """A lease row as a process that died (or is slow) would have left it."""
    with sqlite3.connect(database) as connection:
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {LEASE_TABLE} "
            "(lock_key TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at REAL NOT NULL)"
        )
        connection.execute(
            f"INSERT OR REPLACE INTO {LEASE_TABLE} VALUES (?, ?, ?)", (key, "dead", expires_at)
        )


async def test_a_lease_left_by_a_dead_process_is_taken_once_it_ends(tmp_path: Path) -> None:
    database = tmp_path / "store.db"
    plant_lease(database, "app|T1|U1", time.time() - 1)
    async with SQLiteRefreshLock(database, wait_seconds=0.5).hold("app|T1|U1"):
        with sqlite3.connect(database) as connection:
            (holder,) = connection.execute(f"SELECT holder FROM {LEASE_TABLE}").fetchone()
        assert holder != "dead"  # the lease is this holder's now, not the dead one's
    with sqlite3.connect(database) as connection:
        assert connection.execute(f"SELECT count(*) FROM {LEASE_TABLE}").fetchone() == (0,)


async def test_a_live_lease_held_too_long_is_lock_not_taken(tmp_path: Path) -> None:
    database = tmp_path / "store.db"
    plant_lease(database, "app|T1|U1", time.time() + 60)
    with pytest.raises(LockNotTaken):
        async with SQLiteRefreshLock(database, wait_seconds=0.2).hold("app|T1|U1"):
            pass


async def test_a_pause_between_asks_longer_than_the_wait_still_ends_at_the_wait(
    tmp_path: Path,
) -> None:
    """poll_seconds=1000 with wait_seconds=0.1: the first pause was the whole 1000 seconds
    (the 0.25 s ceiling came after it), and the wait was looked at only then."""
    database = tmp_path / "store.db"
    plant_lease(database, "app|T1|U1", time.time() + 60)
    lock = SQLiteRefreshLock(database, wait_seconds=0.1, poll_seconds=1000)

    async def take() -> None:
        async with lock.hold("app|T1|U1"):
            pass

    with pytest.raises(LockNotTaken):
        # A guard, not a measure: it ends a wait that never looks at wait_seconds.
        await asyncio.wait_for(take(), 30)


async def test_a_store_file_busy_with_other_writers_is_waited_for_not_broken(
    tmp_path: Path,
) -> None:
    """Another connection holds the file's write lock past the busy timeout (many people
    refreshing, a slow disk): the lease is polled again, and is taken once the file is
    free, or ends in LockNotTaken; never SQLite's "database is locked" as a broken store."""
    database = tmp_path / "store.db"
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    lock = SQLiteRefreshLock(database, wait_seconds=0.6, busy_timeout=0.05)
    try:
        with pytest.raises(LockNotTaken):
            async with lock.hold("app|T1|U1"):
                pass
        asyncio.get_running_loop().call_later(0.2, writer.execute, "COMMIT")
        # Ample time to wait (a full suite's load once held this past 0.6 s); it ends once
        # the file is free, 0.2 s on.
        patient = SQLiteRefreshLock(database, wait_seconds=10, busy_timeout=0.05)
        started = time.monotonic()
        async with patient.hold("app|T1|U1"):
            pass  # taken once the other writer let go
        assert time.monotonic() - started >= 0.15  # not before it let go
    finally:
        writer.close()


async def test_a_busy_timeout_past_sqlites_longest_wait_still_waits_for_the_file(
    tmp_path: Path,
) -> None:
    """SQLite's busy timeout is a C int of milliseconds: busy_timeout=10**7 ("as long as it
    takes") reached it as 0, so a writer's moment ended the short wait in LockNotTaken."""
    database = tmp_path / "store.db"
    writer = sqlite3.connect(database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        asyncio.get_running_loop().call_later(0.3, writer.execute, "COMMIT")
        lock = SQLiteRefreshLock(database, wait_seconds=0.05, busy_timeout=10**7)
        async with lock.hold("app|T1|U1"):
            pass  # SQLite waited for the writer, as busy_timeout asked
    finally:
        writer.close()


async def test_the_source_reports_a_busy_refresh_lock_as_refresh_busy(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    database = tmp_path / "store.db"
    store = SQLite3InstallationStore(database=str(database), client_id=CLIENT_ID)
    await install(emulator, store, "UALICE0001")
    plant_lease(database, f"{CLIENT_ID}||{TEAM_ID}|UALICE0001", time.time() + 60)
    emulator.state.advance_clock(LIFETIME)
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=emulator.base_url,
        refresh_lock=SQLiteRefreshLock(database, wait_seconds=0.3),
        environ={},
    )
    # Keeping off: the first request is then auth.test, whose the token is (keeping would
    # read the profile too), which meets token_expired.
    async with (
        source,
        UsersSetPhoto(source, base_url=emulator.base_url, keep_previous=False) as tool,
    ):
        result = await tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001").run(
            {"image": portrait()}
        )
    assert result["error"] == "refresh_busy"
    assert "try again" in result["message"]
    assert refreshes(emulator) == 0
    assert len(emulator.requests.for_path("auth.test")) == 1  # the one that met token_expired
    assert photo_tokens(emulator) == []


async def test_person_locks_serialise_one_person_and_leave_nothing_behind() -> None:
    locks = PersonLocks()
    inside = 0
    most = 0

    async def work(key: str) -> None:
        nonlocal inside, most
        async with locks.hold(key):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(work("alice") for _ in range(10)))
    assert most == 1
    assert locks.in_use() == 0
    started = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("alice"):
            started.set()
            await asyncio.sleep(0.05)

    task = asyncio.create_task(holder())
    await started.wait()
    async with locks.hold("bob"):  # another person is not kept waiting
        assert not task.done()
    await task


def test_the_shared_lock_follows_the_store(tmp_path: Path) -> None:
    sqlite_store = SQLite3InstallationStore(database=str(tmp_path / "a.db"), client_id=CLIENT_ID)
    lock = refresh_lock_for(sqlite_store)
    assert isinstance(lock, SQLiteRefreshLock)
    assert lock.database == str(tmp_path / "a.db")

    import sqlalchemy
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    on_file = SQLAlchemyInstallationStore(
        client_id=CLIENT_ID, engine=sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'b.db'}")
    )
    file_lock = refresh_lock_for(on_file)
    assert isinstance(file_lock, SQLiteRefreshLock)
    assert file_lock.database == str(tmp_path / "b.db")
    in_memory = SQLAlchemyInstallationStore(
        client_id=CLIENT_ID, engine=sqlalchemy.create_engine("sqlite://")
    )
    with pytest.raises(ValueError, match="SingleProcessRefreshLock"):
        refresh_lock_for(in_memory)
    assert repr(SingleProcessRefreshLock()) == "SingleProcessRefreshLock()"


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ({"lease_seconds": float("nan")}, "lease_seconds must be a number of seconds above 0"),
        ({"lease_seconds": 10**400}, "lease_seconds must be .* got a 1329-bit integer"),
        ({"wait_seconds": float("nan")}, "wait_seconds must be a number of seconds above 0"),
        # A lease of 0 is over as it is taken; None is the default's only for wait_seconds.
        ({"lease_seconds": 0}, "lease_seconds must be a number of seconds above 0, got 0"),
        ({"poll_seconds": None}, "poll_seconds must be a number of seconds above 0, got None"),
    ],
    ids=[
        "lease_seconds=nan",
        "lease_seconds=10**400",
        "wait_seconds=nan",
        "lease_seconds=0",
        "poll_seconds=None",
    ],
)
def test_a_lease_setting_no_lock_can_keep_is_refused_naming_it(
    tmp_path: Path, setting: dict[str, float], said: str
) -> None:
    """As the tool's seconds: a lease of NaN was taken, and every refresh failed as the
    store's fault (IntegrityError, its expires_at NULL); 10**400 raised OverflowError."""
    with pytest.raises(ValueError, match=said):
        SQLiteRefreshLock(tmp_path / "locks.db", **setting)  # type: ignore[arg-type]
    assert not (tmp_path / "locks.db").exists()


def test_a_postgres_lock_waiting_nan_seconds_is_refused_naming_it() -> None:
    """wait_seconds=NaN was taken (NaN <= 0 is false): held by another process, the lock
    was waited for without end, no elapsed time being ever past NaN."""
    import sqlalchemy

    from ocp_users_photo.installations.postgres_lock import PostgresRefreshLock

    # Never connected: the refusal comes when the lock is made.
    engine = sqlalchemy.create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    with pytest.raises(ValueError, match="wait_seconds must be a number of seconds above 0"):
        PostgresRefreshLock(engine, wait_seconds=float("nan"))
    engine.dispose()


def test_a_postgres_lock_waiting_none_seconds_is_refused_naming_it() -> None:
    """wait_seconds=None, the SQLite lock's default, passed the shared check (its None let
    through for every lock) and raised float()'s own TypeError, naming no setting."""
    import sqlalchemy

    from ocp_users_photo.installations.postgres_lock import PostgresRefreshLock

    engine = sqlalchemy.create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    with pytest.raises(
        ValueError, match="wait_seconds must be a number of seconds above 0, got None"
    ):
        PostgresRefreshLock(engine, wait_seconds=None)  # type: ignore[arg-type]
    engine.dispose()


async def test_postgres_advisory_locks_exclude_per_key(postgres_url: str) -> None:
    import sqlalchemy

    from ocp_users_photo.installations.postgres_lock import PostgresRefreshLock

    engine = sqlalchemy.create_engine(postgres_url)
    try:
        lock = PostgresRefreshLock(engine, wait_seconds=0.3)
        from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

        chosen = refresh_lock_for(SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine))
        assert isinstance(chosen, PostgresRefreshLock)
        assert "postgres@127.0.0.1" in chosen.description
        async with lock.hold("app|T1|U1"):
            async with lock.hold("app|T1|U2"):  # another key: free
                pass
            with pytest.raises(LockNotTaken):
                async with lock.hold("app|T1|U1"):
                    pass
        async with lock.hold("app|T1|U1"):  # released: free again
            pass
    finally:
        engine.dispose()


async def test_a_postgres_lock_refuses_an_async_engine_when_made() -> None:
    """Bolt's AsyncApp keeps its store on an AsyncEngine, and refresh_lock_for's refusal
    says PostgresRefreshLock(engine): given that engine, the lock was made, and every
    refresh then failed as the store's "(AttributeError)", told to check the database."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from ocp_users_photo.installations.postgres_lock import PostgresRefreshLock

    engine = create_async_engine("postgresql+psycopg://app:pw@127.0.0.1:1/slack")
    try:
        with pytest.raises(TypeError, match=r"not an AsyncEngine.*sqlalchemy\.create_engine"):
            PostgresRefreshLock(engine)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


def test_the_postgres_lock_imports_without_sqlalchemys_asyncio_module() -> None:
    """The lock is synchronous: telling an AsyncEngine apart must not import SQLAlchemy's
    asyncio module, which raises ImportError without greenlet (SQLAlchemy 2.1 no longer
    installs it)."""
    script = (
        "import sys; sys.modules['greenlet'] = None\n"
        "import sqlalchemy\n"
        "from ocp_users_photo.installations.postgres_lock import PostgresRefreshLock\n"
        "engine = sqlalchemy.create_engine('postgresql+psycopg://127.0.0.1:1/x')\n"
        "PostgresRefreshLock(engine)\n"
        "print('sqlalchemy.ext.asyncio' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


async def test_a_refresh_busy_message_names_the_person() -> None:
    from ocp_users_photo.tokens import ActingPerson

    busy = RefreshBusy(ActingPerson(team_id="T1", user_id="U1"), 65)
    assert "U1 in T1" in busy.message
    assert "65 s" in busy.message


def test_a_refresh_ends_before_its_lock_could_be_taken_over(tmp_path: Path) -> None:
    """A refresh's whole deadline (retries and waits included) is under the lease of the
    store's refresh lock: a lease that ran out while its refresh went on would let another
    process refresh the same installation, and Slack spends the refresh token."""
    store = SQLite3InstallationStore(database=str(tmp_path / "store.db"), client_id="app")
    source = InstallationTokenSource(
        store, client_id="app", client_secret="s3cret-client-value", environ={}, timeout=300
    )
    lock = source.refresh_lock
    assert isinstance(lock, SQLiteRefreshLock)
    assert lock.lease_seconds > REFRESH_DEADLINE
    assert source._slack.deadline == REFRESH_DEADLINE
    assert source._slack.timeout <= REFRESH_DEADLINE
    # And the store's read before it and the first save after it, on a busy file: slack_sdk's
    # SQLite store connects with sqlite3's default wait of 5 s, and a save writes in two
    # connections (the installation, the bot). With a 45 s refresh, saves waiting that long
    # ran past the lease: another process took the lock and met the refresh token Slack had
    # spent, before the save (multi-process review). Later tries, on a file busy through
    # them, may still end past it (README says so).
    # The read of what was stored meanwhile, after the refresh, waits as long.
    busy_wait = 5.0
    under_the_lease = busy_wait + REFRESH_DEADLINE + busy_wait + 2 * busy_wait
    assert under_the_lease < lock.lease_seconds


async def test_a_sqlite_lease_whose_holder_a_cancel_scope_cancels_is_released(
    tmp_path: Path,
) -> None:
    """A cancel scope's cancellation is raised at every await within it: the lease's release
    was cancelled before its thread started, and the person's refreshes in every other
    process were RefreshBusy until the lease ran out."""
    import anyio

    database = tmp_path / "store.db"
    with anyio.move_on_after(0.2) as scope:
        async with SQLiteRefreshLock(database).hold("app|T1|U1"):
            await anyio.sleep(60)
    assert scope.cancelled_caught
    async with SQLiteRefreshLock(database, wait_seconds=0.5).hold("app|T1|U1"):
        pass


async def test_a_postgres_lock_whose_holder_a_cancel_scope_cancels_is_not_left_held(
    postgres_url: str,
) -> None:
    """A cancel scope's cancellation (anyio's move_on_after, a task group's) is raised at
    every await within it, the cleanup's too: the unlock and the discard were each cancelled
    before their worker thread started, and the connection stayed checked out holding the
    session lock (every other process's refresh of that person: RefreshBusy)."""
    import anyio
    import sqlalchemy

    from ocp_users_photo.installations.postgres_lock import PostgresRefreshLock

    here, elsewhere = sqlalchemy.create_engine(postgres_url), sqlalchemy.create_engine(postgres_url)
    try:
        with anyio.move_on_after(0.2) as scope:
            async with PostgresRefreshLock(here, wait_seconds=5).hold("app|T1|U1"):
                await anyio.sleep(60)
        assert scope.cancelled_caught
        other_process = PostgresRefreshLock(elsewhere, wait_seconds=1)
        async with other_process.hold("app|T1|U1"):  # LockNotTaken while it was held
            pass
        assert here.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        here.dispose()
        elsewhere.dispose()


async def test_a_postgres_lock_granted_as_its_holder_is_cancelled_is_not_left_held(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancellation that lands while pg_try_advisory_lock is granted in the worker thread
    (a refresh on a host's loop that ends) raised before the unlock's ``try``: the
    connection went back to SQLAlchemy's pool still holding the session lock, and every
    other process waited for it until this one exited (RefreshBusy for that person)."""
    import threading

    import sqlalchemy

    from ocp_users_photo.installations import postgres_lock
    from ocp_users_photo.installations.postgres_lock import PostgresRefreshLock

    granted = threading.Event()
    real_try_lock = postgres_lock._try_lock

    def slow_grant(connection: sqlalchemy.Connection, lock_id: int) -> bool:
        taken = real_try_lock(connection, lock_id)
        granted.set()
        time.sleep(0.3)  # the cancellation lands now, while the thread still runs
        return taken

    monkeypatch.setattr(postgres_lock, "_try_lock", slow_grant)
    here, elsewhere = sqlalchemy.create_engine(postgres_url), sqlalchemy.create_engine(postgres_url)
    try:
        lock = PostgresRefreshLock(here, wait_seconds=5)

        async def refresh() -> None:
            async with lock.hold("app|T1|U1"):
                await asyncio.sleep(60)

        holder = asyncio.create_task(refresh())
        assert await asyncio.to_thread(granted.wait, 30), "the lock was never asked for"
        holder.cancel()
        with pytest.raises(asyncio.CancelledError):
            await holder
        monkeypatch.setattr(postgres_lock, "_try_lock", real_try_lock)
        other_process = PostgresRefreshLock(elsewhere, wait_seconds=1)
        async with other_process.hold("app|T1|U1"):  # LockNotTaken while the pool held it
            pass
    finally:
        here.dispose()
        elsewhere.dispose()
