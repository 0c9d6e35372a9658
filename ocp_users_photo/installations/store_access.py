"""Reading and saving a person's installation in one of slack_sdk's installation stores.

A synchronous store (``InstallationStore``: SQLite, SQLAlchemy, files) is called in a
worker thread, so a database round trip never blocks the event loop; a store that is
only asynchronous (``AsyncInstallationStore``) is awaited. slack_sdk's SQLite store
also offers ``async_`` methods, but they block: the synchronous side is preferred.
Whatever a store raises becomes ``InstallationStoreFailed``, without its text; so does
a read slack_sdk's SQLite store could not make and answered with None
(``sqlite_absence.py``), and an SQLite store's path that is no file (``sqlite_file.py``).
"""

from __future__ import annotations

import logging
import os
import shlex
import stat
import threading
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.errors import raise_alone
from ocp_users_photo.installations.errors import InstallationStoreFailed
from ocp_users_photo.installations.sqlite_absence import confirm_absent, confirm_no_bot
from ocp_users_photo.installations.sqlite_file import refuse_non_file
from ocp_users_photo.safe_text import shown_path
from ocp_users_photo.tokens import ActingPerson

AnyInstallationStore = InstallationStore | AsyncInstallationStore

logger = logging.getLogger("ocp_users_photo")

# The store files named as open to others, by real path and mode, in this process: a host
# that makes a token source per request was warned at every request.
_NAMED_EXPOSURES: set[tuple[str, int]] = set()
_NAMED_EXPOSURES_LOCK = threading.Lock()


class StoreAccess:
    """One store, called the way that keeps the event loop free."""

    def __init__(self, store: AnyInstallationStore) -> None:
        if isinstance(store, AsyncStoreInThreads):
            store = store.store  # the same threads, and the store's own facts (client id)
        if not isinstance(store, InstallationStore | AsyncInstallationStore):
            raise TypeError(
                "store must be one of slack_sdk's installation stores (an InstallationStore "
                f"or AsyncInstallationStore, e.g. SQLite3InstallationStore), not "
                f"{type(store).__name__}"
            )
        # Saves go through the store given (a caching wrapper forgets its copy then); reads
        # go beneath any cache: the installation another process refreshed meanwhile is
        # read, not the copy holding a refresh token Slack has spent.
        self._sync: InstallationStore | None = None
        self._async: AsyncInstallationStore | None = None
        self._sync_reads: InstallationStore | None = None
        self._async_reads: AsyncInstallationStore | None = None
        read = beneath_cache(store)
        if isinstance(store, InstallationStore):
            self._sync = store
        else:
            self._async = store
        if isinstance(read, InstallationStore):  # beneath an async cache, perhaps
            self._sync_reads = read
        else:
            self._async_reads = read
        self.store = read  # whose facts (client id, database) describe where the data is
        # slack_sdk's SQLite store answers a read it could not make with None.
        self._sqlite = read if isinstance(read, SQLite3InstallationStore) else None
        self._exposure_looked_at = False

    @property
    def client_id(self) -> str | None:
        """The client id the store keeps installations for, when it says (SQLite, SQLAlchemy)."""
        value = getattr(self.store, "client_id", None)
        return value if isinstance(value, str) else None

    async def find(self, person: ActingPerson) -> Installation | None:
        """The person's newest installation, or None (the store decides "newest": Bolt's rule)."""
        arguments: dict[str, Any] = {
            "enterprise_id": person.enterprise_id,
            "team_id": person.team_id,
            "user_id": person.user_id,
            "is_enterprise_install": person.team_id is None,
        }
        sqlite = self._sqlite
        try:
            if self._sync_reads is not None:
                store = self._sync_reads

                def find_installation() -> Installation | None:
                    if sqlite is not None:
                        refuse_non_file(sqlite.database)  # before any open: a pipe waits
                        _create_private(sqlite.database)
                        if not self._exposure_looked_at:
                            self._exposure_looked_at = True
                            _name_exposure(sqlite.database)
                    found = store.find_installation(**arguments)
                    if found is None and sqlite is not None:
                        confirm_absent(sqlite, **arguments)
                    return found

                # Abandoned if the caller stops waiting (the call's deadline): a read
                # that never comes back must not hold the call with it.
                found = await anyio.to_thread.run_sync(find_installation, abandon_on_cancel=True)
            else:
                assert self._async_reads is not None
                found = await self._async_reads.async_find_installation(**arguments)
        except Exception as error:
            failure = InstallationStoreFailed("finding the installation", error)
        else:
            if found is not None and not isinstance(found, Installation):
                raise InstallationStoreFailed(
                    "finding the installation", TypeError("not an Installation")
                )
            return found
        # Raised outside the except block: the store's exception (which may quote a row,
        # tokens included) must not stay reachable as this error's __context__.
        raise_alone(failure)

    async def save(self, installation: Installation) -> None:
        """Save ``installation`` (a refreshed one) as the person's newest, with the newest bot
        the store holds for its workspace, read just before: the bot read before the
        refresh may have been rotated since (by Bolt), and every store saves the bot with
        the installation (SQLAlchemy's even a blank one, over the install's row), so a copy
        of an older one would become the workspace's, its refresh token spent."""
        try:
            if self._sqlite is not None:  # before any open of the file: a pipe waits
                await anyio.to_thread.run_sync(refuse_non_file, self._sqlite.database)
            if self._sync_reads is not None:
                find_bot = self._sync_reads.find_bot
                bot = await anyio.to_thread.run_sync(
                    _newest_bot, find_bot, installation, self._sqlite
                )
            else:
                assert self._async_reads is not None
                bot = await _newest_bot_of(self._async_reads, installation)
            _take_bot(installation, bot)
            if self._sync is not None:
                await anyio.to_thread.run_sync(self._sync.save, installation)
            else:
                assert self._async is not None
                await self._async.async_save(installation)
        except Exception as error:
            failure = InstallationStoreFailed("saving the refreshed installation", error)
        else:
            return
        # As find's: the store's exception quotes the row it failed on, and here that row
        # holds the refreshed token and its new refresh token, their only live copies.
        raise_alone(failure)

    def describe(self) -> str:
        """The store's kind and where it keeps data, for reprs and messages (no credentials)."""
        kind = type(self.store).__name__
        database = getattr(self.store, "database", None)
        if isinstance(database, str):
            return f"{kind}({database})"
        engine = getattr(self.store, "engine", None)
        url = getattr(engine, "url", None)
        if url is not None and hasattr(url, "render_as_string") and hasattr(url, "set"):
            return f"{kind}({shown_url(url)})"
        return kind


def beneath_cache(store: AnyInstallationStore) -> AnyInstallationStore:
    """The store beneath slack_sdk's caching wrappers (``CacheableInstallationStore`` and its
    async twin), which answer a read from a copy kept in memory, however old, and beneath
    async views of synchronous stores, in any order and depth."""
    from slack_sdk.oauth.installation_store.async_cacheable_installation_store import (
        AsyncCacheableInstallationStore,
    )
    from slack_sdk.oauth.installation_store.cacheable_installation_store import (
        CacheableInstallationStore,
    )

    for _ in range(16):  # wrappers wrapped in a ring: no store beneath them answers
        if isinstance(store, CacheableInstallationStore | AsyncCacheableInstallationStore):
            store = store.underlying
        elif isinstance(store, AsyncStoreInThreads):  # an async view, of a cached store too
            store = store.store
        else:
            return store
    raise TypeError("store: its wrappers wrap one another without end")


def shown_url(url: Any) -> str:
    """A SQLAlchemy database URL for reprs and messages: its password masked, its query
    left out (libpq, psycopg's, takes ``?password=`` too, which hide_password leaves)."""
    text: str = url.set(query={}).render_as_string(hide_password=True)
    return text


def _create_private(database: str | os.PathLike[str]) -> None:
    """Make slack_sdk's SQLite database, if it does not exist yet, readable and writable by
    its owner only: the store's read would make it with the process's umask (often readable
    by everyone), and it comes to hold every person's tokens. A missing folder is left
    missing: the open fails, and the read is InstallationStoreFailed, as without this.
    ``database`` may be a Path: sqlite3.connect, and so the store, takes one."""
    database = os.fspath(database)
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    if os.path.exists(database):
        return
    flags = os.O_CREAT | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
    os.close(os.open(database, flags, 0o600))


def _name_exposure(database: str | os.PathLike[str]) -> None:
    """Warn, once per file and mode in a process, when an existing SQLite store's file is
    open to users other than its owner: made by Bolt or the app's setup with the umask's
    mode (often 644), it holds every person's tokens. Its mode is its owner's to change,
    so it is only named."""
    database = os.fspath(database)
    if os.name == "nt" or not database or database == ":memory:" or database.startswith("file:"):
        return  # Windows' modes say nothing of other users; a URI or memory is no one file
    try:
        status = os.stat(database).st_mode
    except OSError:
        return  # the read that follows names what is wrong with the file
    mode = stat.S_IMODE(status)
    if stat.S_ISREG(status) and mode & 0o077:  # a folder's or a pipe's mode is no file's
        with _NAMED_EXPOSURES_LOCK:
            named = (os.path.realpath(database), mode)
            if named in _NAMED_EXPOSURES:
                return
            _NAMED_EXPOSURES.add(named)
        path = shown_path(database)
        # A command only for the path as it is: the shown one may differ (white space
        # collapsed, control characters as '?', a token masked, cut short), another file.
        command = f"chmod 600 {shlex.quote(path)}" if path == database else "chmod it to 600"
        logger.warning(
            "the installation database %s is open to users other than its owner (mode %o) "
            "and holds every person's Slack tokens: make it its owner's only (%s)",
            path,
            mode,
            command,
        )


def _newest_bot(
    find_bot: Callable[..., Bot | None],
    installation: Installation,
    sqlite: SQLite3InstallationStore | None = None,
) -> Bot | None:
    """The store's newest bot for the installation's workspace; None when it keeps none,
    or cannot say (a store of the host's own without ``find_bot``).

    slack_sdk's SQLite store (``sqlite``) answers None for a read it could not make too (a
    file locked past its wait): taken for "no bot", the bot copied before the refresh
    would be saved over one rotated since. So that None is checked by a read of the file
    of its own, which raises where the file holds a bot (or cannot be read): the save
    fails then, and is tried again (``source._save_refreshed``)."""
    arguments = {
        "enterprise_id": installation.enterprise_id,
        "team_id": installation.team_id,
        "is_enterprise_install": installation.is_enterprise_install,
    }
    try:
        found = find_bot(**arguments)
    except NotImplementedError:
        return None
    if found is None and sqlite is not None and installation.bot_token:
        confirm_no_bot(
            sqlite,
            enterprise_id=installation.enterprise_id,
            team_id=installation.team_id,
            is_enterprise_install=installation.is_enterprise_install,
        )
    return found


async def _newest_bot_of(store: AsyncInstallationStore, installation: Installation) -> Bot | None:
    """``_newest_bot`` of an asynchronous store."""
    try:
        return await store.async_find_bot(
            enterprise_id=installation.enterprise_id,
            team_id=installation.team_id,
            is_enterprise_install=installation.is_enterprise_install,
        )
    except NotImplementedError:
        return None


def _take_bot(installation: Installation, bot: Bot | None) -> None:
    """``installation`` with ``bot``'s token and its facts (none: as it is)."""
    if bot is None or not bot.bot_token:
        return
    installation.bot_token = bot.bot_token
    installation.bot_id = bot.bot_id
    installation.bot_user_id = bot.bot_user_id
    installation.bot_scopes = list(bot.bot_scopes or [])
    installation.bot_refresh_token = bot.bot_refresh_token
    installation.bot_token_expires_at = bot.bot_token_expires_at


class AsyncStoreInThreads(AsyncInstallationStore):
    """A synchronous store as an ``AsyncInstallationStore`` whose every call runs in a thread.

    For Bolt's AsyncApp: it wants an async store, and slack_sdk's SQLite and SQLAlchemy
    stores' async methods block the event loop.
    """

    def __init__(self, store: InstallationStore) -> None:
        self.store = store

    @property
    def logger(self) -> Any:
        return self.store.logger

    async def async_save(self, installation: Installation) -> None:
        await anyio.to_thread.run_sync(lambda: self.store.save(installation))

    async def async_save_bot(self, bot: Any) -> None:
        await anyio.to_thread.run_sync(lambda: self.store.save_bot(bot))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Any:
        return await anyio.to_thread.run_sync(
            lambda: self.store.find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await anyio.to_thread.run_sync(
            lambda: self.store.find_installation(
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
                is_enterprise_install=is_enterprise_install,
            )
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await anyio.to_thread.run_sync(
            lambda: self.store.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        )

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await anyio.to_thread.run_sync(
            lambda: self.store.delete_installation(
                enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
            )
        )
