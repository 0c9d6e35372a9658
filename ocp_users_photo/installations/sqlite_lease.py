"""The refresh lock in an SQLite file: a lease row, taken in a BEGIN IMMEDIATE transaction.

SQLite locks a whole file, and slack_sdk's store writes the refreshed installation
through its own connection, so the lock cannot be an open write transaction held
across the refresh (the store's save would wait on it). Instead a short BEGIN
IMMEDIATE transaction, which only one connection at a time can run, takes a lease
row in a table of this package's own (``ocp_users_photo_refresh_leases``) in the
same file; the row is deleted when the refresh is done. A lease that outlives
``lease_seconds`` (its holder died) is taken over.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Final

import anyio.to_thread

from ocp_users_photo.installations.refresh_locks import check_lock_seconds, take_polling
from ocp_users_photo.installations.sqlite_file import refuse_non_file
from ocp_users_photo.sqlite_busy import busy_wait, is_busy

LEASE_TABLE: Final = "ocp_users_photo_refresh_leases"
# SQLITE_BUSY and SQLITE_LOCKED (the sqlite3 module names them from Python 3.11 on).
_CREATE: Final = (
    f"CREATE TABLE IF NOT EXISTS {LEASE_TABLE} "
    "(lock_key TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at REAL NOT NULL)"
)


class SQLiteRefreshLock:
    """A lease per installation key in the store's SQLite file, shared by every process."""

    def __init__(
        self,
        database: str | os.PathLike[str],
        *,
        lease_seconds: float = 60.0,
        wait_seconds: float | None = None,
        poll_seconds: float = 0.02,
        busy_timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        check_lock_seconds(
            lease_seconds=lease_seconds, poll_seconds=poll_seconds, busy_timeout=busy_timeout
        )
        if wait_seconds is not None:  # None: the lease's length and a little more (below)
            check_lock_seconds(wait_seconds=wait_seconds)
        self.database = os.fspath(database)
        self.lease_seconds = float(lease_seconds)
        # Waiting a little longer than a lease lets a dead holder's lease run out first.
        self.wait_seconds = float(wait_seconds) if wait_seconds is not None else lease_seconds + 5
        self._poll_seconds = poll_seconds
        self._busy_timeout = busy_wait(busy_timeout)
        self._clock = clock

    @property
    def description(self) -> str:
        return f"a lease row in {self.database}"

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        holder = uuid.uuid4().hex
        await take_polling(
            functools.partial(self._try_take, key, holder),
            wait_seconds=self.wait_seconds,
            poll_seconds=self._poll_seconds,
        )
        try:
            yield
        finally:
            # Shielded: a cancel scope's cancellation (move_on_after, a task group's) is
            # raised at every await within it, and cancelled the release before its thread
            # started, the lease left to run out.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._release, key, holder)

    def _connect(self) -> sqlite3.Connection:
        refuse_non_file(self.database)  # StoreNotAFile: a pipe, folder or device is no lock
        # isolation_level=None: the transactions below are begun and ended by hand.
        return sqlite3.connect(self.database, timeout=self._busy_timeout, isolation_level=None)

    def _try_take(self, key: str, holder: str) -> bool:
        with contextlib.closing(self._connect()) as database:
            try:
                database.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                # Other writers held the file past the busy timeout (many people refreshing
                # at once, a slow disk): the lock is busy, not broken; the next poll tries
                # again, until wait_seconds end in LockNotTaken ("try again shortly").
                if is_busy(error):
                    return False
                raise
            try:
                database.execute(_CREATE)
                row = database.execute(
                    f"SELECT expires_at FROM {LEASE_TABLE} WHERE lock_key = ?",  # noqa: S608
                    (key,),
                ).fetchone()
                now = self._clock()
                # A lease ending more than two leases ahead was written by no clock within a
                # minute of this one (the README's condition): its writer's clock was set
                # back since (an NTP step, a restored VM), and if it died holding it, the
                # lease would last as long as the step. Taken over, as one that ended.
                if row is not None and now < float(row[0]) <= now + 2 * self.lease_seconds:
                    database.execute("COMMIT")
                    return False
                database.execute(
                    f"INSERT OR REPLACE INTO {LEASE_TABLE} (lock_key, holder, expires_at) "  # noqa: S608
                    "VALUES (?, ?, ?)",
                    (key, holder, now + self.lease_seconds),
                )
                database.execute("COMMIT")
                return True
            except BaseException:
                database.execute("ROLLBACK")
                raise

    def _release(self, key: str, holder: str) -> None:
        with contextlib.closing(self._connect()) as database:
            # Only this holder's lease: one that ran out may belong to another process now.
            database.execute(
                f"DELETE FROM {LEASE_TABLE} WHERE lock_key = ? AND holder = ?",  # noqa: S608
                (key, holder),
            )

    def __repr__(self) -> str:
        return f"SQLiteRefreshLock({self.database!r}, lease_seconds={self.lease_seconds:g})"
