"""The refresh lock in PostgreSQL: a session advisory lock on the store's own server.

``pg_try_advisory_lock`` is asked again until it is granted (no thread sits blocked in
the server, and the wait stays cancellable), on a connection kept for the refresh;
``pg_advisory_unlock`` releases it. The server releases it too when the holder's
connection ends, so a process that dies mid-refresh frees it at once; the session's idle
timeouts are turned off while it holds the lock (a server ending idle sessions ended the
lock under a refresh), and put back before the connection is pooled. Advisory locks
take no rows, so the store's own writes never wait on it. Needs SQLAlchemy (extra
``postgres``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import sys
from collections.abc import AsyncIterator, Callable
from typing import Final

import anyio.to_thread

from ocp_users_photo.extras import missing_extra

try:
    import sqlalchemy
except ModuleNotFoundError as missing:  # the [postgres] extra is not installed
    raise missing_extra("postgres", missing) from missing


from ocp_users_photo.installations.refresh_locks import check_lock_seconds, take_polling
from ocp_users_photo.installations.store_access import shown_url

# Keeps this package's advisory lock ids apart from other users of the same server.
_KEY_NAMESPACE: Final = b"ocp-users-photo"


def advisory_key(key: str) -> int:
    """A signed 64-bit advisory lock id for an installation key (a stable hash)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8, person=_KEY_NAMESPACE)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _is_async_engine(engine: object) -> bool:
    """Whether ``engine`` is SQLAlchemy's AsyncEngine, without importing its asyncio module
    (it needs greenlet): none can have been made where that module is not loaded."""
    asyncio_module = sys.modules.get("sqlalchemy.ext.asyncio")
    return asyncio_module is not None and isinstance(engine, asyncio_module.AsyncEngine)


class PostgresRefreshLock:
    """An advisory lock per installation key on the PostgreSQL server holding the store."""

    def __init__(
        self,
        engine: sqlalchemy.Engine,
        *,
        wait_seconds: float = 90.0,
        poll_seconds: float = 0.02,
    ) -> None:
        if _is_async_engine(engine):
            # Its connect() and execution_options() are coroutines: taken in a worker thread,
            # every refresh failed as "the store failed while taking the refresh lock
            # (AttributeError)", with advice about the database, not the engine.
            raise TypeError(
                "PostgresRefreshLock takes a synchronous engine (its locks are taken in worker "
                "threads), not an AsyncEngine: give it sqlalchemy.create_engine(url, "
                "hide_parameters=True) for the same database (postgresql+psycopg:// serves "
                "both), beside the AsyncEngine the store keeps"
            )
        if engine.dialect.name != "postgresql":
            raise ValueError(
                f"PostgresRefreshLock needs a PostgreSQL engine, not {engine.dialect.name}"
            )
        check_lock_seconds(wait_seconds=wait_seconds, poll_seconds=poll_seconds)
        self._engine = engine
        self.wait_seconds = float(wait_seconds)
        self._poll_seconds = poll_seconds

    @property
    def description(self) -> str:
        return f"an advisory lock on {shown_url(self._engine.url)}"

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock_id = advisory_key(key)
        connection = await anyio.to_thread.run_sync(self._connect)
        released = False
        try:
            await take_polling(
                functools.partial(_try_lock, connection, lock_id),
                wait_seconds=self.wait_seconds,
                poll_seconds=self._poll_seconds,
            )
            try:
                yield
            finally:
                # Shielded: a cancel scope's cancellation (move_on_after, a task group's) is
                # raised at every await within it, and cancelled the unlock and the discard
                # before their threads started, the connection kept out holding the lock.
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(_unlock, connection, lock_id)
                released = True
        finally:
            # A lock perhaps held still (a cancellation as it was granted, an unlock that
            # failed) must not go back to the pool with its connection: the session keeps
            # it, and every other process would wait for it. The connection is discarded
            # then, and the server ends the session and its locks.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(
                    connection.close if released else _discard_of(connection)
                )

    def _connect(self) -> sqlalchemy.Connection:
        # Autocommit: the lock belongs to the session, and no transaction is left open.
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            _keep_session_while_idle(connection)
        except BaseException:
            _discard_of(connection)()
            raise
        return connection

    def __repr__(self) -> str:
        return f"PostgresRefreshLock({self.description})"


# A server ending idle sessions (idle_session_timeout, PostgreSQL 14 and later) ended the
# holder's while the refresh ran, and its lock with it: another process refreshed with the
# same refresh token. Turned off for the lock's session (as the server knows them, so older
# servers are asked nothing they lack), and put back as they were before it is pooled again:
# RESET where the value was the server's (configuration, role, database), so a reloaded
# configuration reaches the pooled connection still; a value the session set, set again.
# By name: a pattern would take PostgreSQL 18's idle_replication_slot_timeout too, which no
# session may set.
_IDLE_TIMEOUTS: Final = (
    "FROM pg_settings WHERE name IN ('idle_session_timeout', 'idle_in_transaction_session_timeout')"
)
_RESETS: Final = {
    "idle_session_timeout": "RESET idle_session_timeout",
    "idle_in_transaction_session_timeout": "RESET idle_in_transaction_session_timeout",
}
_SAVED_TIMEOUTS: Final = "ocp_users_photo.idle_timeouts"


def _keep_session_while_idle(connection: sqlalchemy.Connection) -> None:
    saved = connection.execute(
        sqlalchemy.text("SELECT name, setting, source " + _IDLE_TIMEOUTS)
    ).all()
    connection.execute(sqlalchemy.text("SELECT set_config(name, '0', false) " + _IDLE_TIMEOUTS))
    connection.info[_SAVED_TIMEOUTS] = [
        (name, setting if source == "session" else None) for name, setting, source in saved
    ]


def _restore_idle_timeouts(connection: sqlalchemy.Connection) -> None:
    for name, setting in connection.info.pop(_SAVED_TIMEOUTS, []):
        if setting is None:
            connection.execute(sqlalchemy.text(_RESETS[name]))
        else:
            connection.execute(
                sqlalchemy.text("SELECT set_config(:name, :setting, false)"),
                {"name": name, "setting": setting},
            )


def _try_lock(connection: sqlalchemy.Connection, lock_id: int) -> bool:
    granted = connection.execute(
        sqlalchemy.text("SELECT pg_try_advisory_lock(:lock_id)"), {"lock_id": lock_id}
    ).scalar_one()
    return bool(granted)


def _discard_of(connection: sqlalchemy.Connection) -> Callable[[], None]:
    def discard() -> None:
        connection.invalidate()  # the DBAPI connection closed, never pooled again
        connection.close()

    return discard


def _unlock(connection: sqlalchemy.Connection, lock_id: int) -> None:
    connection.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:lock_id)"), {"lock_id": lock_id})
    _restore_idle_timeouts(connection)
