"""PhotoHistory: each person's replaced photos in a local SQLite file, bounded, never silently lost.

What is kept, per change: the photo Slack showed before it (a custom photo's original
bytes, or "the default avatar"), its avatar hash, the crop box it was shown with when a
change made here set it, the time, and what replaced it (format, size, bytes, crop box,
and whether it was an undo). Bytes are stored once per content (SHA-256): the same
original kept again and again takes its space once.

Bounds, per person: at most ``max_entries`` entries and ``max_bytes`` of distinct photos;
the oldest entries go first, except the person's oldest entry, the photo they had before
any change made here, which is never evicted, and the entry just kept. So a person's
history may pass ``max_bytes`` by those two photos at most.

Every method does its SQLite work in a worker thread (``database.py`` opens the file);
failures are ``HistoryUnavailable``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import functools
import hashlib
import json
import math
import os
import re
import sqlite3
import stat
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, get_args

import anyio.to_thread

from ocp_users_photo.arguments import describe_value
from ocp_users_photo.closing import AsyncClosing
from ocp_users_photo.crop import CropBox
from ocp_users_photo.home_paths import home_expanded
from ocp_users_photo.images.limits import DEFAULT_LIMITS
from ocp_users_photo.images.upload import CONTENT_TYPES
from ocp_users_photo.safe_text import shown as shown_text
from ocp_users_photo.safe_text import shown_path
from ocp_users_photo.slack.deadlines import call_deadline, call_ends, check_seconds
from ocp_users_photo.sqlite_busy import busy_wait
from ocp_users_photo.undo.database import (
    check_read_only,
    default_history_path,
    emptied_refusal,
    forget_removed_bytes,
    in_transaction,
    only_readable,
    open_history,
    read_only_snapshot,
    translated_failures,
)
from ocp_users_photo.undo.entries import (
    AVATAR_HASH,
    EntryStatus,
    HistoryOwner,
    KeptPhoto,
    PhotoKind,
    ShownPhoto,
    is_default_avatar,
)
from ocp_users_photo.undo.errors import DamagedEntry, HistoryBusy, HistoryUnavailable
from ocp_users_photo.undo.turns import (
    OwnerLocks,
    Turn,
    deadline_ended,
    in_turn,
    lease_holder,
    release_lease,
    settle_lease,
    try_lease,
    wait_for_lease,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_MAX_ORIGINAL_BYTES",
    "PhotoHistory",
]

DEFAULT_MAX_ENTRIES: Final = 20
DEFAULT_MAX_BYTES: Final = 64 * 1024 * 1024
# The largest original downloaded to be kept: the byte cap of images given to the tool.
DEFAULT_MAX_ORIGINAL_BYTES: Final = DEFAULT_LIMITS.max_bytes
# Longer than a change can take: the tool's default call deadline is 120 s, plus keeping.
DEFAULT_LEASE_SECONDS: Final = 180.0
_MAX_REPLACED_BY_CHARS: Final = 2000
# What an entry's row holds when this module wrote it (_kept checks every row read).
_KINDS: Final = frozenset(get_args(PhotoKind))
_STATUSES: Final = frozenset(get_args(EntryStatus))
_SHA256: Final = re.compile(r"[0-9a-f]{64}")
# What _keep writes: the kept original's type (undo/shown_photo.py), else _UNKNOWN_TYPE.
_UNKNOWN_TYPE: Final = "application/octet-stream"
_CONTENT_TYPES: Final = frozenset({*CONTENT_TYPES.values(), _UNKNOWN_TYPE})
_EARLIEST: Final = 1_000_000_000  # 2001: no photo was kept before this code existed
_LATEST: Final = 10_000_000_000  # 2286
_MAX_SIDE: Final = 1_000_000

T = TypeVar("T")


class _Unset:
    """No ``absent`` answer given: the operation opens (and creates) the history."""


_UNSET: Final = _Unset()
# How long forget waits for a change of the person's photo under way (PhotoHistory.forget).
FORGET_WAIT_SECONDS: Final = 30.0

# A kept photo's size, as its bytes have it: the byte_count column written beside them is
# not trusted (a damaged or hand-edited one listed 1 TB, and the next change's pruning,
# taking it for the person's whole allowance, dropped every entry but two). SQLite takes a
# blob's length and type from its header, without reading the blob.
_PHOTO_SIZE: Final = "CASE WHEN typeof(p.data) = 'blob' THEN length(p.data) END"
_ENTRY_COLUMNS: Final = (
    f"e.id, e.kept_at, e.kind, e.avatar_hash, e.status, e.photo_sha256, {_PHOTO_SIZE}, "
    "p.content_type, e.crop_x, e.crop_y, e.crop_w, e.replaced_by"
)


class PhotoHistory(AsyncClosing):
    """The photo history in one SQLite file; share one object among tools of a process.

    ``path``: the file (default: ``default_history_path()``, in the user's data folder).
    ``max_entries`` and ``max_bytes`` bound each person's history; an original larger than
    ``max_original_bytes`` is not downloaded (keeping it is then impossible). Nothing is
    opened until the first use.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_original_bytes: int = DEFAULT_MAX_ORIGINAL_BYTES,
        busy_timeout: float = 5.0,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        for name, value, least in (
            ("max_entries", max_entries, 2),
            ("max_bytes", max_bytes, 1),
            ("max_original_bytes", max_original_bytes, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(
                    f"{name} must be a whole number of at least {least}, got "
                    f"{describe_value(value)}"
                )
        for name, seconds in (("busy_timeout", busy_timeout), ("lease_seconds", lease_seconds)):
            # check_seconds, as every door's: 10**400 raised OverflowError naming neither.
            check_seconds(name, seconds)
        self._given_path = home_expanded(path) if path is not None else None
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_original_bytes = max_original_bytes
        self.busy_timeout = busy_wait(busy_timeout)  # SQLite waits at most ~24.8 days
        self.lease_seconds = float(lease_seconds)
        self._locks = OwnerLocks()
        self._connection: sqlite3.Connection | None = None
        # The file the connection was opened on (its device and inode): _blocking opens the
        # path again once another file, or none, is there.
        self._opened_file: tuple[int, int] | None = None
        # What the last closed connection left at the path (device, inode, size, change
        # time): a file put there since, or written over in place (``cp backup ...`` keeps
        # the inode), is checked at the next opening. None: not known (no connection yet,
        # or closed without looking), so the next opening checks, as a new process does.
        self._left_file: tuple[int, ...] | None = None
        self._connection_lock = threading.Lock()
        _OPEN_IN_THIS_PROCESS.add(self)

    @functools.cached_property
    def path(self) -> Path:
        """The history file (the default one is found in the user's data folder on first use).

        Found once: every operation, and every message, then names the file the
        connection was opened on, whatever the environment says later.
        """
        return self._given_path if self._given_path is not None else default_history_path()

    # A person's turn -------------------------------------------------------------------

    async def turn(self, owner: HistoryOwner) -> Turn:
        """Wait for ``owner``'s turn to change their photo: this process's, then the file's.

        Within a call, no longer than its deadline (HistoryBusy, nothing sent); otherwise
        until this process's change ends, then up to the lease's length.
        """
        own_wait = self.lease_seconds + 5
        own_end = time.monotonic() + own_wait
        ends = call_ends(own_end)
        by_deadline = ends < own_end
        try:
            async with asyncio.timeout(ends - time.monotonic() if by_deadline else None):
                release_lock = await self._locks.acquire(owner)
        except TimeoutError:
            raise deadline_ended(owner, "in this process") from None
        holder = lease_holder(self.lease_seconds)
        taking: list[asyncio.Task[bool]] = []

        async def take() -> bool:
            # A task of its own: anyio lets an asyncio cancellation through at once while
            # the worker thread goes on, perhaps to take the lease after we have left.
            attempt = asyncio.create_task(self._run(try_lease, owner, holder, self.lease_seconds))
            taking[:] = [attempt]
            return await asyncio.shield(attempt)

        async def give_back() -> None:
            for attempt in taking:  # a take still under way ends first, then its lease goes
                with contextlib.suppress(Exception):
                    await attempt
            try:
                await self._run(release_lease, owner, holder)
            except HistoryUnavailable:
                # Locked by another program now (a backup, a database browser): given back
                # once it lets go, or other processes would wait until the lease ran out.
                self._release_later(owner, holder)
                raise

        def settle(seconds: float, wait: bool) -> None:
            until = time.time() + seconds

            def write() -> None:
                # A connection of its own: the tool may close the shared one meanwhile
                # (call_sync closes it as its loop ends). A lease that cannot be set so runs
                # out at its own time (lease_seconds).
                with contextlib.suppress(Exception):
                    database = self._open_aside()
                    try:
                        settle_lease(database, owner, holder, until)
                    finally:
                        database.close()

            if wait:
                write()
                return
            # Not a daemon: a process ending now (Ctrl-C) writes the settle time first.
            threading.Thread(target=write, name="ocp-users-photo lease", daemon=False).start()

        try:
            await wait_for_lease(
                take,
                wait_seconds=max(ends - time.monotonic(), 0.0) if by_deadline else own_wait,
                owner=owner,
                deadline=by_deadline,
                # Not found here: finding the default path imports platformdirs, which
                # take (in a worker thread) has done by the time a message needs it.
                path=lambda: self.path,
            )
        except Exception:
            release_lock()
            raise
        except BaseException:
            # Cancelled, perhaps while the worker thread takes the lease: give it back once
            # taken, or this living process would hold up the person's next change until
            # the lease ran out. A lease not taken names another holder and stays.
            Turn(owner, release_lock, give_back, settle).end_soon()
            raise

        return Turn(owner, release_lock, give_back, settle)

    def _release_later(self, owner: HistoryOwner, holder: str) -> None:
        """Give ``holder``'s lease back from a thread, trying for as long as it would last.

        A daemon: a process that ends meanwhile frees its leases by ending (``turns``)."""
        lasts = self.lease_seconds

        def retry() -> None:
            started, delay = time.monotonic(), 0.25
            while time.monotonic() - started < lasts:
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                with contextlib.suppress(Exception):
                    database = self._open_aside()
                    try:
                        release_lease(database, owner, holder)
                        return
                    finally:
                        database.close()

        threading.Thread(target=retry, name="ocp-users-photo lease", daemon=True).start()

    def _open_aside(self) -> sqlite3.Connection:
        """A connection of its own to the history (blocking), for a lease given back or set
        to run out: a file emptied in place is refused, as ``_blocking`` refuses it, or
        SQLite would start a new history in it, and every change after would be kept there
        as if nothing had been lost."""
        if _was_emptied(self.path):
            raise emptied_refusal(self.path)
        return open_history(self.path, self.busy_timeout, check=False)

    # Keeping ---------------------------------------------------------------------------

    async def keep(
        self,
        owner: HistoryOwner,
        shown: ShownPhoto,
        replaced_by: dict[str, Any],
        *,
        abandoned: threading.Event | None = None,
    ) -> KeptPhoto:
        """Write ``shown`` as ``owner``'s newest entry, status pending, fsynced.

        The crop box it was shown with is the one a change made here set it with, if any.
        Nothing is evicted yet: a change Slack refuses is discarded, and must not have
        pushed a kept photo out (``finish`` evicts).

        ``abandoned``: set when the change is cancelled while its entry is written; the
        entry is then removed in the writing thread itself, once written, with no loop
        needed (``asyncio.run`` ends its loop right after cancelling what is left, and a
        removal awaited on it never ran: the entry stayed, pending, for a change never sent).
        """
        if abandoned is None:
            return await self._run(_keep, owner, shown, replaced_by)
        return await self._run(
            _keep_unless_abandoned, owner, shown, replaced_by, abandoned, self.busy_timeout
        )

    async def finish(
        self, entry: int, status: EntryStatus, result_avatar_hash: str | None = None
    ) -> bool:
        """Record how the change after ``entry`` ended, and what Slack then showed; then
        evict the owner's oldest entries past the bounds (module docstring).

        Whether the entry was still there to record: False when it was removed while its
        change was under way (``forget_workspace``, another program), so that no caller
        tells of a kept photo that undo cannot find."""
        return await self._run(
            _finish,
            entry,
            status,
            result_avatar_hash,
            self.max_entries,
            self.max_bytes,
            self.busy_timeout,
        )

    async def discard(self, entry: int) -> None:
        """Remove ``entry``: the change after it certainly did not happen."""
        await self._run(_discard, entry, self.busy_timeout)

    # Reading ---------------------------------------------------------------------------

    async def entries(self, owner: HistoryOwner) -> list[KeptPhoto]:
        """``owner``'s kept photos, newest first: no bytes."""
        return await self._read(_entries, owner, absent=[])

    async def forget(self, owner: HistoryOwner) -> int:
        """Remove every entry of ``owner`` and the photos only they used, their pages zeroed
        and out of the write-ahead log too (a person who asks to be forgotten, one who
        left): how many entries were removed. Slack is not touched.

        Done in the person's turn, as a change is: a change under way ends first (its
        entry, removed under it, would have its end recorded nowhere while its caller was
        told the photo was kept), then its entry goes with the rest. A turn not had
        within FORGET_WAIT_SECONDS (or the call's deadline) is HistoryBusy, nothing
        forgotten: a change ends well within it, and a program that stopped during one
        holds the turn for up to the lease's length, longer than anyone waits without a
        word. No history file: 0, none made."""
        if not await self._read(_present, absent=False):
            return 0
        started = time.monotonic()
        try:
            with call_deadline(FORGET_WAIT_SECONDS):  # or less: a caller's deadline ending
                turn = await self.turn(owner)
        except HistoryBusy as busy:
            if not busy.under_way:
                raise  # the file's lock, held by another program: said as it is
            waited = time.monotonic() - started
            raise _forget_busy(owner, self.path, waited, self.lease_seconds) from None
        return await in_turn(
            turn,
            lambda: self._run(
                _forget,
                "workspace = ? AND user_id = ?",
                (owner.workspace, owner.user_id),
                self.busy_timeout,
                absent=0,
            ),
        )

    async def forget_workspace(self, workspace: str) -> int:
        """``forget`` for every person of ``workspace`` (an enterprise id, else a team id):
        the app was uninstalled there. How many entries were removed."""
        return await self._run(_forget, "workspace = ?", (workspace,), self.busy_timeout, absent=0)

    async def entry(
        self, owner: HistoryOwner, number: int | None
    ) -> tuple[KeptPhoto, bytes] | None:
        """One of ``owner``'s entries and its bytes (empty for the default avatar).

        The newest when ``number`` is None; None when this person has no such entry.
        """
        return await self._read(_entry, owner, number, absent=None)

    async def made_here(self, owner: HistoryOwner, avatar_hash: str) -> bool:
        """Whether a change made here (its entry still kept) produced ``avatar_hash``: the
        crop box that photo is shown with is then known."""
        return await self._read(_made_here, owner, avatar_hash, absent=False)

    async def newest_result(self, owner: HistoryOwner) -> str | None:
        """The avatar hash the change of ``owner``'s newest entry produced (None: not known)."""
        return await self._read(_newest_result, owner, absent=None)

    async def newest_entry(self, owner: HistoryOwner) -> int:
        """The number of ``owner``'s newest entry (0 when there is none)."""
        return await self._read(_newest_entry, owner, absent=0)

    # -----------------------------------------------------------------------------------

    async def _run(self, operation: Callable[..., T], *args: Any, absent: T | _Unset = _UNSET) -> T:
        """``operation`` on the connection, in a worker thread. ``absent``: a reading's answer
        while no history file exists, which it does not create (a misspelt ``--history``
        left an empty history file behind)."""
        # The thread is not abandoned on cancellation: a write that started is finished, or
        # rolled back. The caller, though, is let go at once by an asyncio cancellation.
        return await anyio.to_thread.run_sync(self._blocking, operation, args, absent)

    async def _read(self, operation: Callable[..., T], *args: Any, absent: T) -> T:
        """``_run`` for an operation that only reads: a history this user may read but not
        write (its folder made read-only, a copy on read-only media) is read through a
        read-only connection, where opening it as a change does would fail."""
        return await anyio.to_thread.run_sync(self._blocking, operation, args, absent, True)

    def _blocking(
        self,
        operation: Callable[..., T],
        args: tuple[Any, ...],
        absent: T | _Unset = _UNSET,
        reading: bool = False,
    ) -> T:
        path = self.path
        with self._connection_lock:
            if _was_emptied(path):
                # Emptied in place (``truncate -s 0``, ``: > file``) since it held photos:
                # opened, SQLite would make a new history in it and every kept photo would
                # be gone without a word. Refused (closing the connection writes back what
                # the -wal file still held: a file so refilled is used or refused as it is).
                self._close_connection(look=False)
                raise emptied_refusal(path)
            if self._connection is not None and _file_at(path) != self._opened_file:
                # The file was deleted, moved away or replaced since the connection opened it:
                # photos kept through that connection would go to a file no one finds again
                # (a deleted one is gone when this process ends), out of other processes'
                # sight and their leases. The path is opened again, as a new process would,
                # and the file found there checked as a new process checks it.
                self._close_connection(look=False)
            if not isinstance(absent, _Unset) and self._connection is None and _no_file_at(path):
                # None kept yet, if the first change could make the file: else it says what
                # the change would (a listing said "none kept" where every change failed).
                check_read_only(path, self.busy_timeout)
                return absent
            if self._connection is None and only_readable(path):
                # Opened as a change opens it, SQLite would make the -wal and -shm files
                # beside it as this user's, which their owner could not then write.
                if not reading:
                    check_read_only(path, self.busy_timeout)  # raises: cannot be written
                return read_only_snapshot(
                    path, self.busy_timeout, lambda database: operation(database, *args)
                )
            if self._connection is None:
                # A closed connection (check_usable, aclose) left no one watching the path:
                # another file put there meanwhile is checked as a new process checks it.
                check = self._left_file is None or _stamp_of(path) != self._left_file
                self._connection = open_history(path, self.busy_timeout, check=check)
                self._opened_file = _file_at(path)
            try:
                with translated_failures(path):
                    done = operation(self._connection, *args)
            except BaseException:
                # Whatever state it was left in, the next operation starts on a fresh one.
                self._close_connection()
                raise
            self._note_holding(_stamp_of(path))
            return done

    def _note_holding(self, stamp: tuple[int, ...] | None) -> None:
        """Remember the file at the path as one holding a history, when it has bytes."""
        if stamp is not None and stamp[2] > 0:
            _SEEN_HOLDING[_spelled_one_way(self.path)] = (stamp[0], stamp[1])

    def _close_before_fork(self) -> None:
        """Before ``os.fork()``: SQLite's state for an open file must not reach a child (its
        new connection would take the parent's locks for its own, and the parent, closing
        later, would delete the WAL the child writes to). Waits for an operation under way,
        at most the busy timeout; the parent opens the file again at its next use, and checks
        it then: the file is not looked at here, where the forking thread may be an event
        loop's (a stat there is a blocking call on the loop)."""
        if self._connection_lock.acquire(timeout=self.busy_timeout):
            try:
                self._close_connection(look=False)
            finally:
                self._connection_lock.release()

    def _forget_after_fork(self) -> None:
        """In a forked child: a connection still open (its close timed out) is forgotten,
        never used or closed, and the lock is made anew (a parent's thread may have held it)."""
        self._connection = None
        self._connection_lock = threading.Lock()

    def _close_connection(self, *, look: bool = True) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(sqlite3.Error):
                connection.close()
            # What it left at the path, looked at after the close (whose checkpoint may
            # write the file); unknown, so checked at the next opening, when not looked at.
            self._left_file = _stamp_of(self.path) if look else None
            self._note_holding(self._left_file)

    def check_usable(self) -> None:
        """Open the file as the first change would, then close it (blocking): a program can
        say at start that the history cannot be used (HistoryUnavailable, saying why),
        rather than at every change a model asks for."""
        try:
            self._blocking(_nothing, ())
        finally:
            self._close_looking()

    async def check_readable(self) -> None:
        """What reading the history would refuse (a damaged file, a folder, a newer schema),
        found before Slack is asked whose the token is: a command that lists or puts back
        says the file's fault even offline, and sends nothing for a file it cannot read.
        Makes no file: where there is none, nothing is kept (what a change would refuse
        there is said as reading it says it)."""
        await self._read(_nothing, absent=None)

    async def check_existing(self) -> None:
        """What the first change would refuse in the history file, found without writing to
        it or making it (a dry run): HistoryUnavailable, saying why."""
        await anyio.to_thread.run_sync(self._check_existing)

    def _check_existing(self) -> None:
        path = self.path
        with self._connection_lock:
            if _was_emptied(path):
                raise emptied_refusal(path)
            if self._connection is not None and _file_at(path) == self._opened_file:
                return  # in use by this history, and checked when it was opened
        check_read_only(path, self.busy_timeout)

    def close(self) -> None:
        """Close the history's connection (the next use opens it again, and checks the file:
        a close on the event loop looks at no file, so which one is left is not known)."""
        with self._connection_lock:
            self._close_connection(look=False)

    async def aclose(self) -> None:
        """``close`` in a worker thread: closing may checkpoint the WAL into the file. The
        next use checks the file only if another was put there, or it was written over."""
        await anyio.to_thread.run_sync(self._close_looking)

    def _close_looking(self) -> None:
        """``close``, noting the file left at the path (blocking)."""
        with self._connection_lock:
            self._close_connection()

    def __repr__(self) -> str:
        where = str(self._given_path) if self._given_path is not None else "the default file"
        return f"PhotoHistory({where}, max_entries={self.max_entries}, max_bytes={self.max_bytes})"


def _file_at(path: Path) -> tuple[int, int] | None:
    """Which file ``path`` names now (device, inode); None when none can be found."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _was_emptied(path: Path) -> bool:
    """Whether the file last seen holding a history at ``path`` (``_SEEN_HOLDING``: the same
    device and inode) is there now with zero bytes."""
    if not _SEEN_HOLDING:
        return False
    held = _SEEN_HOLDING.get(_spelled_one_way(path))
    stamp = _stamp_of(path) if held is not None else None
    return stamp is not None and stamp[:2] == held and stamp[2] == 0


def _spelled_one_way(path: Path) -> str:
    """``path`` absolute, with its links followed and ``..`` resolved: one file reached through
    a link, relative to the working folder, or through ``..``, is one key of ``_SEEN_HOLDING``.
    As given when it cannot be resolved (a relative path in a working folder since removed:
    opening it then says what is wrong)."""
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return str(path)


def _stamp_of(path: Path) -> tuple[int, ...] | None:
    """Which file ``path`` names now, and when its bytes last changed (device, inode, size,
    change time: a program writing in place cannot set that time back); None when none
    can be found."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino, found.st_size, found.st_ctime_ns


def _no_file_at(path: Path) -> bool:
    """Whether no history is at ``path``: neither the file, or only a file with no bytes
    (a read would write a new history into it, and a file emptied by another program
    would then read as one that never held photos), nor a write-ahead log left of it
    (SQLite opening the path takes that log's pages in, a person's kept photos among them,
    which ``forget`` must reach). Any other failure to look is left to the opening, which
    says what it is."""
    try:
        target = Path(os.path.realpath(path))  # SQLite keeps the log beside a link's target
    except OSError:  # a relative path in a working folder removed since: the opening says
        return False
    for name in (target, target.with_name(f"{target.name}-wal")):
        try:
            found = os.stat(name)
        except FileNotFoundError:
            continue
        except OSError:
            return False
        if name == target and stat.S_ISREG(found.st_mode) and found.st_size == 0:
            continue
        return False
    return True


def _keep(
    database: sqlite3.Connection,
    owner: HistoryOwner,
    shown: ShownPhoto,
    replaced_by: dict[str, Any],
) -> KeptPhoto:
    described = json.dumps(replaced_by, ensure_ascii=True, sort_keys=True)
    if len(described) > _MAX_REPLACED_BY_CHARS:
        described = json.dumps({"summary": "too long to keep"})

    kept_at = time.time()
    if not _EARLIEST <= kept_at <= _LATEST:
        # Written, it would read back as a damaged entry (its time), for good: the person's
        # original is never evicted. A machine without a real-time clock reads 1970 until
        # NTP answers.
        wrong = (
            f"this machine's clock reads {_clock_reading(kept_at)}, a time no photo can have "
            "been kept at; nothing was changed in Slack:"
        )
        refused = HistoryUnavailable(
            f"{wrong} set the clock (or wait for it to be set over the network), then try again"
        )
        refused.model_message = f"{wrong} tell the person that this machine's clock must be set"
        raise refused

    def write(connection: sqlite3.Connection) -> int:
        crop = _crop_in_force(connection, owner, shown.avatar_hash)
        sha256 = None
        if shown.data is not None:
            sha256 = hashlib.sha256(shown.data).hexdigest()
            added = connection.execute(
                "INSERT OR IGNORE INTO photos (sha256, content_type, byte_count, data) "
                "VALUES (?, ?, ?, ?)",
                (
                    sha256,
                    shown.content_type or _UNKNOWN_TYPE,
                    len(shown.data),
                    shown.data,
                ),
            ).rowcount
            if not added:
                # Already kept: its stored copy is made the bytes at hand again if it no longer
                # is (a damaged page, another program), or the entry written now would point
                # to bytes no undo can put back, and the change would go on anyway.
                connection.execute(
                    "UPDATE photos SET data = ?, byte_count = ? WHERE sha256 = ? "
                    "AND (data IS NOT ? OR byte_count IS NOT ?)",
                    (shown.data, len(shown.data), sha256, shown.data, len(shown.data)),
                )
        cursor = connection.execute(
            "INSERT INTO entries (workspace, user_id, kept_at, kind, photo_sha256, avatar_hash, "
            "crop_x, crop_y, crop_w, replaced_by, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
            (
                owner.workspace,
                owner.user_id,
                kept_at,
                shown.kind,
                sha256,
                shown.avatar_hash,
                crop.x if crop else None,
                crop.y if crop else None,
                crop.width if crop else None,
                described,
            ),
        )
        return int(cursor.lastrowid or 0)

    number = in_transaction(database, write, durable=True)
    # The listing's row, not _entry's: the bytes were just written, no need to read them back.
    row = database.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM entries e LEFT JOIN photos p "  # noqa: S608
        "ON p.sha256 = e.photo_sha256 WHERE e.id = ?",
        (number,),
    ).fetchone()
    return _kept(row, original=_oldest_entry(database, owner) == number)


# SQLite's integers, and so entry numbers, are 64-bit signed.
_LARGEST_ROWID: Final = 2**63 - 1


def _clock_reading(epoch: float) -> str:
    try:
        return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return f"{epoch:.0f} s after 1970"


def _made_here(database: sqlite3.Connection, owner: HistoryOwner, avatar_hash: str) -> bool:
    return _producing_change(database, owner, avatar_hash) is not None


def _producing_change(
    database: sqlite3.Connection, owner: HistoryOwner, avatar_hash: str
) -> tuple[Any] | None:
    """The row (its ``replaced_by`` alone) of the newest change made here that produced
    ``avatar_hash``; None when none did (or its entry was pushed out)."""
    row: tuple[Any] | None = database.execute(
        "SELECT replaced_by FROM entries WHERE workspace = ? AND user_id = ? "
        "AND result_avatar_hash = ? ORDER BY id DESC LIMIT 1",
        (owner.workspace, owner.user_id, avatar_hash),
    ).fetchone()
    return row


def _crop_in_force(
    database: sqlite3.Connection, owner: HistoryOwner, avatar_hash: str
) -> CropBox | None:
    """The crop box of the change made here that produced ``avatar_hash``, if one did."""
    row = _producing_change(database, owner, avatar_hash)
    if row is None:
        return None
    damaged = sqlite3.DatabaseError("malformed: the description of the change shown now")
    text = row[0]
    if not isinstance(text, str) or len(text) > _MAX_REPLACED_BY_CHARS:
        raise damaged
    try:
        described = json.loads(text)
    except (ValueError, RecursionError):
        raise damaged from None
    image = described.get("image") if isinstance(described, dict) else None
    crop = image.get("crop") if isinstance(image, dict) else None
    if crop is None:
        return None  # set whole
    if not isinstance(crop, dict):
        raise damaged
    x, y, width = (_crop_side(crop.get(name)) for name in ("crop_x", "crop_y", "crop_w"))
    if x is None or y is None or width is None:
        raise damaged
    return CropBox(x, y, width)


def _crop_side(value: object) -> int | None:
    """A crop box side as a change's summary writes it (a whole number, or its digits)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 7:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_SIDE:
        return value
    return None


def _evict(
    database: sqlite3.Connection,
    owner: HistoryOwner,
    newest: int,
    max_entries: int,
    max_bytes: int,
) -> bool:
    rows = database.execute(
        f"SELECT e.id, e.photo_sha256, COALESCE({_PHOTO_SIZE}, 0) FROM entries e "  # noqa: S608 - fixed text
        "LEFT JOIN photos p ON p.sha256 = e.photo_sha256 "
        "WHERE e.workspace = ? AND e.user_id = ? ORDER BY e.id",
        (owner.workspace, owner.user_id),
    ).fetchall()
    if not rows:
        return False
    protected = {int(rows[0][0]), newest}  # the original, and the photo kept just now
    uses: dict[str, int] = {}
    sizes: dict[str, int] = {}
    for _, sha256, byte_count in rows:
        if sha256 is not None:
            if not _whole(byte_count) or byte_count < 0:
                raise sqlite3.DatabaseError(f"malformed: the size of kept photo {sha256[:12]}")
            uses[sha256] = uses.get(sha256, 0) + 1
            sizes[sha256] = int(byte_count)
    count = len(rows)
    total = sum(sizes.values())
    evicted: list[tuple[int, str | None]] = []
    for number, sha256, _ in rows:
        if count <= max_entries and total <= max_bytes:
            break
        if int(number) in protected:
            continue
        evicted.append((int(number), sha256))
        count -= 1
        if sha256 is not None:
            uses[sha256] -= 1
            if uses[sha256] == 0:
                total -= sizes[sha256]
    dropped = False
    for number, sha256 in evicted:
        database.execute("DELETE FROM entries WHERE id = ?", (number,))
        if sha256 is not None:
            dropped = _drop_unused_photo(database, sha256) or dropped
    return dropped


def _drop_unused_photo(database: sqlite3.Connection, sha256: str) -> bool:
    """Remove the photo no entry uses any more; whether one was removed."""
    cursor = database.execute(
        "DELETE FROM photos WHERE sha256 = ? AND NOT EXISTS "
        "(SELECT 1 FROM entries WHERE photo_sha256 = ?)",
        (sha256, sha256),
    )
    return cursor.rowcount > 0


def _nothing(database: sqlite3.Connection) -> None:
    """No operation: opening the file (and checking its tables) is the test."""


def _present(database: sqlite3.Connection) -> bool:
    """True: a history is there (``_run``'s ``absent`` answers for none, making none)."""
    return True


def _forget_busy(
    owner: HistoryOwner, path: Path, waited: float, lease_seconds: float
) -> HistoryBusy:
    """``forget``'s HistoryBusy: the turn's own says "nothing was changed in Slack", which
    a person asking to be forgotten reads as no answer to what they asked."""
    said = (
        f"another change of {owner}'s photo did not end within the {waited:.1f} s waited (the "
        f"history {shown_path(path)} says one is under way, or a program that stopped during "
        f"one holds it for up to {lease_seconds:g} s); nothing was forgotten: run the forget "
        "again in a few minutes"
    )
    busy = HistoryBusy(said)
    busy.under_way = True
    return busy


def _finish(
    database: sqlite3.Connection,
    number: int,
    status: EntryStatus,
    avatar_hash: str | None,
    max_entries: int,
    max_bytes: int,
    busy_timeout: float,
) -> bool:
    """Whether entry ``number`` was there to record (``PhotoHistory.finish``)."""

    def write(connection: sqlite3.Connection) -> tuple[bool, bool]:
        updated = connection.execute(
            "UPDATE entries SET status = ?, result_avatar_hash = ?, ended_at = ? WHERE id = ?",
            (status, avatar_hash, time.time(), number),
        ).rowcount
        row = connection.execute(
            "SELECT workspace, user_id FROM entries WHERE id = ?", (number,)
        ).fetchone()
        if not updated or row is None:
            return False, False  # removed while its change was under way
        owner = HistoryOwner(str(row[0]), str(row[1]))
        return True, _evict(connection, owner, number, max_entries, max_bytes)

    recorded, dropped = in_transaction(database, write)
    if dropped:
        forget_removed_bytes(database, busy_timeout)
    return recorded


def _keep_unless_abandoned(
    database: sqlite3.Connection,
    owner: HistoryOwner,
    shown: ShownPhoto,
    replaced_by: dict[str, Any],
    abandoned: threading.Event,
    busy_timeout: float,
) -> KeptPhoto:
    """``_keep``, then the entry removed at once when the change was abandoned meanwhile
    (the entry numbers never come back, so a second removal by the caller is harmless).
    A removal that fails here is the caller's to try again: the entry is returned."""
    kept = _keep(database, owner, shown, replaced_by)
    if abandoned.is_set():
        with contextlib.suppress(sqlite3.Error, OSError):
            _discard(database, kept.entry, busy_timeout)
    return kept


def _discard(database: sqlite3.Connection, number: int, busy_timeout: float) -> None:
    def remove(connection: sqlite3.Connection) -> bool:
        row = connection.execute(
            "SELECT photo_sha256 FROM entries WHERE id = ?", (number,)
        ).fetchone()
        if row is None:
            return False
        connection.execute("DELETE FROM entries WHERE id = ?", (number,))
        return row[0] is not None and _drop_unused_photo(connection, str(row[0]))

    if in_transaction(database, remove):
        forget_removed_bytes(database, busy_timeout)


def _forget(
    database: sqlite3.Connection, where: str, values: tuple[str, ...], busy_timeout: float
) -> int:
    """Remove the entries ``where`` selects (one of forget's two fixed conditions)."""

    def remove(connection: sqlite3.Connection) -> tuple[int, bool]:
        photos = [
            str(row[0])
            for row in connection.execute(
                f"SELECT DISTINCT photo_sha256 FROM entries WHERE {where} "  # noqa: S608
                "AND photo_sha256 IS NOT NULL",
                values,
            )
        ]
        removed = connection.execute(
            f"DELETE FROM entries WHERE {where}",  # noqa: S608 - fixed text, values bound
            values,
        ).rowcount
        dropped = [_drop_unused_photo(connection, sha256) for sha256 in photos]
        return removed, any(dropped)

    removed, dropped = in_transaction(database, remove, durable=True)
    if dropped:
        forget_removed_bytes(database, busy_timeout)
    return int(removed)


def _entries(database: sqlite3.Connection, owner: HistoryOwner) -> list[KeptPhoto]:
    rows = database.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM entries e LEFT JOIN photos p "  # noqa: S608
        "ON p.sha256 = e.photo_sha256 WHERE e.workspace = ? AND e.user_id = ? ORDER BY e.id DESC",
        (owner.workspace, owner.user_id),
    ).fetchall()
    if not rows:
        return []
    oldest = int(rows[-1][0])
    return [_kept(row, original=int(row[0]) == oldest) for row in rows]


def _entry(
    database: sqlite3.Connection, owner: HistoryOwner, number: int | None
) -> tuple[KeptPhoto, bytes] | None:
    if number is not None and number > _LARGEST_ROWID:
        return None  # no such entry: SQLite would raise OverflowError on the number
    where = "" if number is None else "AND e.id = ? "
    parameters: tuple[Any, ...] = (owner.workspace, owner.user_id)
    if number is not None:
        parameters += (number,)
    row = database.execute(
        f"SELECT {_ENTRY_COLUMNS}, p.data FROM entries e LEFT JOIN photos p "  # noqa: S608
        f"ON p.sha256 = e.photo_sha256 WHERE e.workspace = ? AND e.user_id = ? {where}"
        "ORDER BY e.id DESC LIMIT 1",
        parameters,
    ).fetchone()
    if row is None:
        return None
    kept = _kept(row[:-1], original=int(row[0]) == _oldest_entry(database, owner))
    stored = row[-1]
    if stored is not None and not isinstance(stored, bytes):
        # SQLite keeps what it is given: text, a number (bytes(10**14) would allocate it).
        raise DamagedEntry(kept.entry, "its photo is kept as something other than bytes")
    if stored is None and kept.sha256 is not None:
        # The entry names a photo the file no longer holds (deleted by another program,
        # a restored backup): said as missing, not as bytes that changed.
        raise DamagedEntry(kept.entry, "its photo's bytes are missing from the history")
    data = b"" if stored is None else stored
    if kept.sha256 is not None and hashlib.sha256(data).hexdigest() != kept.sha256:
        # Other bytes under the photo's key (a damaged page, another program): putting
        # them back would set a photo the listing does not show.
        raise DamagedEntry(kept.entry, "its photo's bytes no longer match their SHA-256")
    return kept, data


def _newest_result(database: sqlite3.Connection, owner: HistoryOwner) -> str | None:
    row = database.execute(
        "SELECT result_avatar_hash FROM entries WHERE workspace = ? AND user_id = ? "
        "ORDER BY id DESC LIMIT 1",
        (owner.workspace, owner.user_id),
    ).fetchone()
    found = row[0] if row is not None else None
    # Compared, never shown: a value of another shape is as good as none.
    return found if isinstance(found, str) and AVATAR_HASH.fullmatch(found) else None


def _newest_entry(database: sqlite3.Connection, owner: HistoryOwner) -> int:
    """The number of ``owner``'s newest entry (0 when there is none)."""
    return _end_entry(database, owner, "MAX")


def _oldest_entry(database: sqlite3.Connection, owner: HistoryOwner) -> int:
    """The number of ``owner``'s oldest entry, the original (0 when there is none)."""
    return _end_entry(database, owner, "MIN")


def _end_entry(
    database: sqlite3.Connection, owner: HistoryOwner, end: Literal["MAX", "MIN"]
) -> int:
    found = database.execute(
        f"SELECT {end}(id) FROM entries WHERE workspace = ? AND user_id = ?",  # noqa: S608
        (owner.workspace, owner.user_id),
    ).fetchone()[0]
    return int(found or 0)


def _kept(row: tuple[Any, ...], *, original: bool) -> KeptPhoto:
    """An entry's row as written here, or sqlite3.DatabaseError ("malformed": the history is
    damaged) for any value it was never written with. SQLite does not enforce column
    types, and what is read goes to a terminal and a model: another program, a damaged
    page or a hostile hand must not put text of any length or kind there."""
    (
        number,
        kept_at,
        kind,
        avatar_hash,
        status,
        sha256,
        byte_count,
        content_type,
        crop_x,
        crop_y,
        crop_w,
        replaced_by,
    ) = row
    entry = number if _whole(number) and number >= 1 else 0

    def damaged(what: str) -> sqlite3.DatabaseError:
        return sqlite3.DatabaseError(f"malformed entry #{entry}: {what}")

    if not entry:
        raise damaged("its number")
    # From 1970 on: versions before 5589ace wrote the time of a machine whose clock read
    # 1970 (no real-time clock before NTP answers); the time is wrong, the entry whole.
    if not (isinstance(kept_at, (int, float)) and 0 <= kept_at <= _LATEST):
        raise damaged("its time")
    if kind not in _KINDS or status not in _STATUSES:
        raise damaged("its kind or status")
    if not (isinstance(avatar_hash, str) and AVATAR_HASH.fullmatch(avatar_hash)):
        raise damaged("its avatar hash")
    if kind == "custom" and is_default_avatar(avatar_hash):
        # Versions before 0624228 kept a default avatar shown without is_custom_image
        # (Slack's documented profile) as a photo: put back, it is the default (deletePhoto),
        # not an upload of the default's picture as the person's own photo.
        kind = "default"
    if sha256 is not None and not (isinstance(sha256, str) and _SHA256.fullmatch(sha256)):
        raise damaged("its photo's key")
    if byte_count is not None and not (_whole(byte_count) and byte_count >= 0):
        raise damaged("its photo's size")
    if content_type is not None and content_type not in _CONTENT_TYPES:
        raise damaged("its photo's type")
    crop = None
    if crop_w is not None:
        if not all(_whole(side) and 0 <= side <= _MAX_SIDE for side in (crop_x, crop_y, crop_w)):
            raise damaged("its crop box")
        crop = CropBox(crop_x, crop_y, crop_w)
    described: object = {}
    if isinstance(replaced_by, str) and len(replaced_by) <= _MAX_REPLACED_BY_CHARS:
        described = _description(replaced_by)
    return KeptPhoto(
        entry=entry,
        kept_at=datetime.datetime.fromtimestamp(float(kept_at), tz=datetime.UTC),
        kind=kind,
        avatar_hash=avatar_hash,
        status=status,
        sha256=sha256,
        byte_count=byte_count,
        content_type=content_type,
        crop_box=crop,
        replaced_by=described if isinstance(described, dict) else {},
        original=original,
    )


def _description(text: str) -> object:
    """An entry's description of its change, as ``_keep`` writes it: JSON (not Python's NaN,
    Infinity or a number too large for a float, which ``history --json`` would print as no
    JSON parser reads them), each of its texts (names too) as ``shown`` makes them: it goes
    to a terminal and a model, and a file another program wrote may hold escape sequences,
    invisible characters or a token spelled around them. ``{}`` for anything else: the
    entry itself stays usable."""
    try:
        described = json.loads(text, parse_constant=_not_json, parse_float=_finite_number)
        # Shown once decoded: in the file's text, an escape ("xox\\u0070-...") hides a token.
        return _shown_throughout(described)
    except (ValueError, RecursionError):
        return {}


# The longest text of a description shown: _keep writes names and formats ("png"), short.
_DESCRIPTION_TEXT_CHARS: Final = 200


def _shown_throughout(value: object) -> object:
    """``value`` (decoded JSON) with every text, a name or a value, made safe to show."""
    if isinstance(value, str):
        return shown_text(value, _DESCRIPTION_TEXT_CHARS)
    if isinstance(value, list):
        return [_shown_throughout(item) for item in value]
    if isinstance(value, dict):
        return {
            shown_text(name, _DESCRIPTION_TEXT_CHARS): _shown_throughout(item)
            for name, item in value.items()
        }
    return value


def _not_json(constant: str) -> object:
    raise ValueError(f"{constant} is not JSON")


def _finite_number(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} is no finite number")
    return number


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Every history of this process, so that a forked child forgets their connections.
_OPEN_IN_THIS_PROCESS: weakref.WeakSet[PhotoHistory] = weakref.WeakSet()
# The file (device, inode) each history path (``_spelled_one_way``) was last seen holding a
# history at (more than zero bytes), by any PhotoHistory of this process (two tools each
# given the path, or each on the default one): found at zero bytes, it was emptied in place,
# and SQLite would take it for a new database, whichever PhotoHistory opened it first.
_SEEN_HOLDING: dict[str, tuple[int, int]] = {}


def _close_connections_before_fork() -> None:
    for history in list(_OPEN_IN_THIS_PROCESS):
        history._close_before_fork()


def _forget_connections_after_fork() -> None:
    for history in list(_OPEN_IN_THIS_PROCESS):
        history._forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_close_connections_before_fork, after_in_child=_forget_connections_after_fork
    )
