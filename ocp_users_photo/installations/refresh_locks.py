"""The lock that makes processes sharing a store refresh a person's token once.

A ``RefreshLock`` is held around "read the installation again, refresh it if it is
still the old one, save it". It lives in the database the store lives in, so every
process (and host) that shares the store shares the lock: a lease row in SQLite
(``sqlite_lease.py``), an advisory lock in PostgreSQL (``postgres_lock.py``). A
process that waited reads what the winner saved instead of refreshing again. Both ask
their database again until the lock is free (``take_polling``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable

import anyio.to_thread

from ocp_users_photo.installations.person_locks import PersonLocks
from ocp_users_photo.installations.store_access import (
    AnyInstallationStore,
    AsyncStoreInThreads,
    beneath_cache,
)
from ocp_users_photo.slack.deadlines import check_seconds


class LockNotTaken(Exception):
    """The lock stayed with another holder for longer than the caller waits."""

    def __init__(self, waited_seconds: float) -> None:
        super().__init__(f"the refresh lock was not free within {waited_seconds:g} s")
        self.waited_seconds = waited_seconds


def check_lock_seconds(**settings: object) -> None:
    """Each lock's settings in seconds as the tool checks its own (check_seconds): taken, a
    lease of NaN failed the refresh as a database fault (IntegrityError), and one of 10**400
    raised OverflowError naming no setting. A lock whose setting may be None (the default's)
    leaves it out when it is: None is no number of seconds to any other."""
    for name, value in settings.items():
        check_seconds(name, value)


async def take_polling(
    try_take: Callable[[], bool], *, wait_seconds: float, poll_seconds: float
) -> None:
    """Ask ``try_take`` in a worker thread until it says taken; ``LockNotTaken`` at the end.

    Asking again, rather than blocking in the database, leaves no thread waiting there and
    keeps the wait cancellable; the pause doubles from ``poll_seconds`` up to 0.25 s.
    """
    started = time.monotonic()
    # Never past 0.25 s, nor past the wait's end: a poll_seconds of 1000 with a wait of 1
    # slept its 1000 seconds before the wait was looked at.
    delay = min(poll_seconds, 0.25)
    while not await anyio.to_thread.run_sync(try_take):
        waited = time.monotonic() - started
        if waited >= wait_seconds:
            raise LockNotTaken(wait_seconds)
        await asyncio.sleep(min(delay, wait_seconds - waited))
        delay = min(delay * 2, 0.25)


@runtime_checkable
class RefreshLock(Protocol):
    """Mutual exclusion, per installation key, among every process sharing a store."""

    @property
    def description(self) -> str: ...

    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold the lock for ``key`` for the block; ``LockNotTaken`` if it never comes free."""
        ...


class SingleProcessRefreshLock:
    """No lock between processes: for a store only this process refreshes (files, tests).

    Within the process, one lock per key whichever source (and whichever of these locks)
    asks: two sources over one store (a tool's and a Bolt app's, one made per request)
    would otherwise refresh the same person at once, and Slack spends the refresh token
    for the first. Its tasks, threads and event loops all wait on it (``PersonLocks``).
    """

    description = "this process only"

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with _IN_THIS_PROCESS.hold(key):
            yield

    def __repr__(self) -> str:
        return "SingleProcessRefreshLock()"


# The locks every SingleProcessRefreshLock of the process shares, by installation key.
_IN_THIS_PROCESS = PersonLocks()


def refresh_lock_for(store: AnyInstallationStore) -> RefreshLock:
    """The lock in the store's own database: SQLite's file or a PostgreSQL server.

    Other stores need a lock given explicitly (``ValueError`` says so): a lock this
    package cannot see would let two processes spend the same refresh token.
    """
    from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

    from ocp_users_photo.installations.sqlite_lease import SQLiteRefreshLock

    if isinstance(store, AsyncStoreInThreads):
        store = store.store  # Bolt's AsyncApp's view of a synchronous store
    store = beneath_cache(store)  # slack_sdk's caching wrapper, around a store named here
    if isinstance(store, SQLite3InstallationStore):
        return SQLiteRefreshLock(store.database)
    engine = getattr(store, "engine", None)
    dialect = getattr(getattr(engine, "dialect", None), "name", None)
    if type(store).__name__ == "SQLAlchemyInstallationStore" and dialect is not None:
        if dialect == "postgresql":
            from ocp_users_photo.installations.postgres_lock import PostgresRefreshLock

            return PostgresRefreshLock(engine)  # type: ignore[arg-type]
        database = getattr(getattr(engine, "url", None), "database", None)
        if dialect == "sqlite" and isinstance(database, str) and database not in ("", ":memory:"):
            return SQLiteRefreshLock(database)
    raise ValueError(
        f"no lock shared between processes is known for {type(store).__name__}"
        f"{f' on {dialect}' if dialect else ''}: pass refresh_lock=SQLiteRefreshLock(path) or "
        "PostgresRefreshLock(engine) for the database the installations live in, or "
        "refresh_lock=SingleProcessRefreshLock() if only this process refreshes them"
    )
