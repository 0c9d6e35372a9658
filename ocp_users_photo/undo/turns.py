"""One change at a time per person: an asyncio lock in the process, a lease row among processes.

A change is "keep the photo shown now, then replace it". Two changes for one person
that overlap would both keep the same photo and one replacement would be lost, so a
person's changes take turns: first an asyncio lock (per event loop, dropped when no
task holds or waits for it), then a lease row in the history's ``leases`` table,
taken in a ``BEGIN IMMEDIATE`` transaction, so processes sharing the history file
(an MCP server and the command line) take turns too.

The turn is held from before the photo is kept until Slack has answered, across
two observer hooks, so it is an object with an explicit ``end()``; ``end_soon()``
lets go without awaiting, for a call cancelled before anything was sent, and
``end_after()`` a little later, for one cancelled while Slack may still be acting on
its upload (which would otherwise land after the next change): the lease is set to
run out then, so the hold lasts whatever loop or process makes the next change, the
loop of the cancelled call ended or not, its process ended or not. Any other lease
outlives its holder only until ``lease_seconds`` pass, or, when its holder was another
process on this machine that no longer runs, the settle time from when that is first
seen: a process killed outright (SIGKILL, the OOM killer) could write no hold, and
Slack may still be setting the upload it had sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sqlite3
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from ocp_users_photo.undo.database import in_transaction
from ocp_users_photo.undo.entries import HistoryOwner
from ocp_users_photo.undo.errors import HistoryBusy, HistoryUnavailable

__all__ = [
    "SETTLE_SECONDS",
    "OwnerLocks",
    "Turn",
    "deadline_ended",
    "in_turn",
    "lease_holder",
    "release_lease",
    "settle_lease",
    "settle_within",
    "try_lease",
    "wait_for_lease",
]


def _this_machine() -> str:
    """The part of a lease holder's name that says where its pid means something: the host
    name, and on Linux the PID namespace (containers sharing a host name, ``--network
    host`` or a pod's ``hostNetwork``, each number their processes anew: another's pid is
    no process here, or another one). A holder of another namespace is never probed."""
    name = socket.gethostname()[:100].replace("|", "?")
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return name
    return f"{name}/pidns:{namespace}"


_HOST: Final = _this_machine()
# Begins the random part of every holder this process names: a pid names a process only
# while it runs, and a later process here may have it again (a container restarted under
# its host name, its server pid 1 again), whose leases are no turns of this process.
_THIS_RUN = uuid.uuid4().hex[:8]


def _a_new_run() -> None:
    """A process forked from this one is another run (its pid may be one this run's
    children had), and takes its own random part."""
    global _THIS_RUN
    _THIS_RUN = uuid.uuid4().hex[:8]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_a_new_run)

# The holders of the leases this process has taken and not yet given back or settled: a
# lease naming this process and another holder is one it could not give back (the file
# was locked by another program then), and no longer holds.
_HELD_HERE: set[str] = set()
# os.kill(pid, 0) asks whether a process runs on POSIX only: on Windows it terminates it.
_PROBES_PROCESSES: Final = os.name == "posix"
# Put before the holder of a lease set to run out at a settle time (settle_lease).
_SETTLING: Final = "settling:"
# How long a change that ended while Slack may still act on its upload (cancelled, or its
# process killed) holds the person's turn: an upload Slack already had may land seconds
# later (it processes what it received), and a change made meanwhile would be overtaken
# by it, its photo replaced by the ended one.
SETTLE_SECONDS: Final = 10.0
# Beyond twice its length, a lease is doubted only this much further ahead: clocks of
# processes sharing a file may differ by a lease's length and a minute.
_SLACK: Final = 60.0


def lease_holder(seconds: float | None = None) -> str:
    """A name for one turn: this machine, this process, a random part, and how long its
    lease lasts (``seconds``), which tells a lease written by a clock since set back."""
    name = f"{_HOST}|{os.getpid()}|{_THIS_RUN}{uuid.uuid4().hex}"
    return name if seconds is None else f"{name}|{seconds:g}"


def settle_within(lease_seconds: float, settle_seconds: float = SETTLE_SECONDS) -> float:
    """How long an ended change holds the person's turn: ``settle_seconds``, within half the
    lease (other processes must not take the turn before the hold ends)."""
    return min(settle_seconds, lease_seconds / 2)


def try_lease(
    database: sqlite3.Connection, owner: HistoryOwner, holder: str, seconds: float
) -> bool:
    """Take ``owner``'s lease for ``holder`` if it is free or ran out. Blocking.

    A lease whose holder was another process here that ended is not taken at once: it is
    marked settling, to run out ``settle_within(seconds)`` from now (or at its own end if
    sooner), since that process may have died with its upload at Slack."""

    def take(connection: sqlite3.Connection) -> bool:
        row = connection.execute(
            "SELECT holder, expires_at FROM leases WHERE workspace = ? AND user_id = ?",
            (owner.workspace, owner.user_id),
        ).fetchone()
        now = time.time()
        if row is not None:
            expires_at, held_by = float(row[1]), str(row[0])
            lasts = _declared_length(held_by)
            # Further ahead than its lease could reach, by more than clocks sharing a file
            # may differ: written while the clock was far ahead (since set back); held as
            # written, it would hold the person up for the whole jump. A name without its
            # length (an older version's) is taken at its word.
            written_ahead = lasts is not None and expires_at - now > 2 * lasts + _SLACK
            if expires_at > now and not written_ahead:
                if _held(held_by):
                    return False
                if not _this_process(held_by):
                    _mark_settling(connection, owner, held_by, min(expires_at, now + settle))
                    return False
        connection.execute(
            "INSERT OR REPLACE INTO leases (workspace, user_id, holder, expires_at) "
            "VALUES (?, ?, ?, ?)",
            (owner.workspace, owner.user_id, holder, now + seconds),
        )
        return True

    settle = settle_within(seconds)
    # Held here before the row can name it: another thread of this process reading the row
    # at once must find its holder alive.
    _HELD_HERE.add(holder)
    taken = False
    try:
        # BEGIN IMMEDIATE: the check and the taking are one write, so two takers never both
        # win.
        taken = in_transaction(database, take)
    finally:
        if not taken:
            _HELD_HERE.discard(holder)
    return taken


def release_lease(database: sqlite3.Connection, owner: HistoryOwner, holder: str) -> None:
    """Give ``owner``'s lease back, if ``holder`` still has it. Blocking."""
    _HELD_HERE.discard(holder)  # given back, even should the file refuse the write now
    database.execute(
        "DELETE FROM leases WHERE workspace = ? AND user_id = ? AND holder = ?",
        (owner.workspace, owner.user_id, holder),
    )


def settle_lease(
    database: sqlite3.Connection, owner: HistoryOwner, holder: str, until: float
) -> None:
    """Have ``owner``'s lease, if ``holder`` still has it, run out at ``until``, whatever
    becomes of the holder's process (Ctrl-C ends it now, while Slack may still set the
    upload it has): the holder is marked settling. Blocking."""
    _mark_settling(database, owner, holder, until)
    # Only now: until the settle time is written, the lease must hold as this process's.
    _HELD_HERE.discard(holder)


def _mark_settling(
    connection: sqlite3.Connection, owner: HistoryOwner, holder: str, until: float
) -> None:
    """Have ``holder``'s lease, if it still names it, run out at ``until``, marked settling:
    by its holder (``settle_lease``), or, for a dead process's, as its holder would have set
    it had it been stopped rather than killed."""
    connection.execute(
        "UPDATE leases SET expires_at = ?, holder = ? "
        "WHERE workspace = ? AND user_id = ? AND holder = ?",
        (until, _SETTLING + holder, owner.workspace, owner.user_id, holder),
    )


def _this_process(holder: str) -> bool:
    """Whether ``holder`` names a turn of this process (one it gave back or settled, when not
    held: nothing of it is still on its way to Slack), not one of an earlier process that
    had its pid."""
    return holder.startswith(f"{_HOST}|{os.getpid()}|{_THIS_RUN}")


def _declared_length(holder: str) -> float | None:
    """The lease length a holder's name declares (``lease_holder``); None for an older name."""
    parts = holder.removeprefix(_SETTLING).split("|")
    if len(parts) != 4:
        return None
    try:
        seconds = float(parts[3])
    except ValueError:
        return None
    return seconds if 0 < seconds < 86_400 else None


def _held(holder: str) -> bool:
    """Whether an unexpired lease still holds: a settling one always, another while its
    holder may still run."""
    return holder.startswith(_SETTLING) or _alive(holder)


def _alive(holder: str) -> bool:
    """Whether a lease's holder may still run: always, unless it was a process here that ended."""
    host, _, rest = holder.partition("|")
    pid_text = rest.partition("|")[0]
    if host != _HOST or not (pid_text.isascii() and pid_text.isdigit()):
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return holder in _HELD_HERE
    if not _PROBES_PROCESSES:
        return True  # the lease runs out at its own time
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, under another user
    return True


class OwnerLocks:
    """An asyncio lock per person, per event loop, kept only while a task holds or awaits it."""

    def __init__(self) -> None:
        self._by_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[HistoryOwner, tuple[asyncio.Lock, int]]
        ] = weakref.WeakKeyDictionary()

    async def acquire(self, owner: HistoryOwner) -> Callable[[], None]:
        """Wait for ``owner``'s lock; the function that releases it (harmless to call twice)."""
        locks = self._by_loop.setdefault(asyncio.get_running_loop(), {})
        lock, users = locks.get(owner, (asyncio.Lock(), 0))
        locks[owner] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:
            self._drop(locks, owner)
            raise
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                lock.release()
                self._drop(locks, owner)

        return release

    @staticmethod
    def _drop(locks: dict[HistoryOwner, tuple[asyncio.Lock, int]], owner: HistoryOwner) -> None:
        lock, users = locks[owner]
        if users == 1:
            del locks[owner]
        else:
            locks[owner] = (lock, users - 1)


class Turn:
    """A person's turn to change their photo: held until ``end()`` (or ``end_soon()``)."""

    def __init__(
        self,
        owner: HistoryOwner,
        release_lock: Callable[[], None],
        release_lease: Callable[[], Awaitable[None]],
        settle_lease: Callable[[float, bool], None],
    ) -> None:
        self.owner = owner
        self._release_lock = release_lock
        self._release_lease: Callable[[], Awaitable[None]] | None = release_lease
        # Sets the lease to run out in so many seconds: in a thread of its own (no loop),
        # or, when told to wait, here and now (a process about to end at once).
        self._settle_lease = settle_lease
        self._background: set[asyncio.Task[None]] = set()

    async def end(self) -> None:
        """Give the lease back, then the lock."""
        release, self._release_lease = self._release_lease, None
        try:
            if release is not None:
                with contextlib.suppress(HistoryUnavailable):
                    # A lease that cannot be given back runs out by itself.
                    await release()
        except asyncio.CancelledError:
            # Cancelled before the lease was surely given back (anyio may stop the release
            # before it reaches its thread): it runs out now, written from a thread of its
            # own, or this living process would hold the person's next change for the
            # whole lease. A lease given back already is left as it is.
            self._settle_lease(0.0, False)
            raise
        finally:
            self._release_lock()

    def end_after(self, seconds: float, *, wait: bool = False) -> None:
        """Let go ``seconds`` from now, without awaiting: a cancelled change's upload that
        Slack already has may still land, and the next change must not be overtaken by it.

        The lease is set to run out then (in a thread: no loop needed, so the hold outlives
        a loop that ends now, as ``call_sync``'s and ``asyncio.run``'s do), and the lock is
        let go at once: the next change of this process waits on the lease, as another
        process's does. ``wait``: the lease is set before this returns (blocking), for a
        process that ends right after (``os._exit`` stops every thread).
        """
        if self._release_lease is None:  # ended already: the lock is all there is to free
            self.end_soon()
            return
        self._release_lease = None
        self._settle_lease(seconds, wait)
        self._release_lock()

    def end_soon(self) -> None:
        """Let go without awaiting: the lock now, the lease in a task of its own."""
        release, self._release_lease = self._release_lease, None
        self._release_lock()
        if release is None:
            return

        async def give_back() -> None:
            with contextlib.suppress(HistoryUnavailable):
                await release()

        try:
            task = asyncio.get_running_loop().create_task(give_back())
        except RuntimeError:
            # No loop any more: set to run out now, from a thread of its own, or this
            # living process would hold the person's next change for the whole lease.
            self._settle_lease(0.0, False)
            return
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        # Cancelled before the lease was surely given back: asyncio.run cancels what is
        # left as its loop ends (a call's timeout there, then the loop gone). As in end().
        task.add_done_callback(self._settle_if_cancelled)

    def _settle_if_cancelled(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            self._settle_lease(0.0, False)


async def wait_for_lease(
    take: Callable[[], Awaitable[bool]],
    *,
    wait_seconds: float,
    owner: HistoryOwner,
    path: Callable[[], object],
    deadline: bool = False,
) -> None:
    """Poll ``take`` until it succeeds; HistoryBusy after ``wait_seconds``.

    ``path()`` names the history in that message; it is asked for only then.
    ``deadline``: the wait is what is left of the call's deadline, and the message says so.
    """
    started = time.monotonic()
    delay = 0.01
    while not await take():
        waited = time.monotonic() - started
        if waited >= wait_seconds:
            if deadline:
                raise deadline_ended(owner, f"(the history {path()} says so)")
            busy = HistoryBusy(
                f"another change of {owner}'s photo has been under way for over "
                f"{wait_seconds:g} s (the history {path()} says so); nothing was changed in "
                "Slack: try again later"
            )
            busy.under_way = True
            raise busy
        await asyncio.sleep(min(delay, wait_seconds - waited))
        delay = min(delay * 2, 0.25)


_T = TypeVar("_T")


async def in_turn(turn: Turn, work: Callable[[], Awaitable[_T]]) -> _T:
    """``work()`` done in ``turn``, which ends with it: when it returns or fails, and, when
    it is cancelled, soon (``end_soon``: nothing more may be awaited then). For work in a
    person's turn that sends nothing to Slack (a cancelled change holds it longer)."""
    try:
        done = await work()
    except Exception:
        await turn.end()
        raise
    except BaseException:
        turn.end_soon()
        raise
    await turn.end()
    return done


def deadline_ended(owner: HistoryOwner, where: str) -> HistoryBusy:
    """The call's deadline ended while it waited for ``owner``'s turn (``where`` says whose)."""
    said = (
        f"the call's deadline ended while it waited for another change of {owner}'s photo "
        f"{where}; nothing was changed in Slack: try again once that change is done"
    )
    busy = HistoryBusy(f"{said} (or give the tool a longer deadline=)")
    busy.model_message = busy.terminal_message = said  # deadline= is the Python caller's
    busy.under_way = True
    return busy
