"""How many image bytes the calls of this process make at once: a budget they wait on.

A call given base64 text, a data: URI, a file object or a web URL makes the image's bytes
in memory (up to the 32 MiB cap) and holds them until its upload is closed. Fifty such
calls at once held gigabytes, and all of them failed together when memory or their
deadlines ran out. Each now takes what it will make from one budget for the process
before it makes it (``hold``; a web URL once its host's answer headers say what the
body will make, not for the whole fetch), waiting its turn (first come, first served)
within the call's deadline, and gives it back when its image is closed: calls beyond the budget
wait, the ones inside it go through. Paths and bytes never wait: bytes are the caller's,
and a file is read as it is sent, at most 1.25 MiB at once. A file that small is read
whole when it is opened, and held until its image is closed, only if its size can be
taken from the budget at once (``try_hold``); otherwise it stays open and streams. One
image larger than the whole budget goes when nothing else is held.

A change with keeping on (undo) downloads the photo shown now and holds it until kept:
that takes from a budget of its own, ``kept_photo_bytes``, the same way (``Holding``).

One budget for every event loop and thread of the process (memory is the process's): a
lock guards the count, and a waiter is woken on its own loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "DEFAULT_BUDGET_BYTES",
    "ByteBudget",
    "Held",
    "Holding",
    "image_bytes",
    "kept_photo_bytes",
]

# Eight images at the 32 MiB cap, hundreds of ordinary ones.
DEFAULT_BUDGET_BYTES: Final = 256 * 1024 * 1024


@dataclass(eq=False)
class _Waiter:
    count: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]
    granted: bool = False


@dataclass(eq=False)
class Held:
    """Bytes taken from a budget; ``release`` gives them back, once."""

    budget: ByteBudget
    count: int
    loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _released: bool = field(default=False, repr=False)

    def release(self) -> None:
        if not self._released:
            self._released = True
            self.budget._give_back(self.count)

    def shrink_to(self, count: int) -> None:
        """Keep only ``count`` bytes (what was made, once known), giving back the rest."""
        count = max(0, count)
        if self._released or count >= self.count:
            return
        returned, self.count = self.count - count, count
        self.budget._give_back(returned)

    def release_when_collected(self) -> None:
        """``release`` for a collector's callback (what held it was dropped unclosed): it may
        run at any allocation, this thread perhaps inside the budget's lock, so it takes no
        lock; the bytes are handed back through a queue made for such callbacks, and the
        holder's loop is woken to grant them."""
        if self._released:
            return
        self._released = True
        self.budget._returned.put(self.count)
        loop = self.loop
        if loop is None:  # taken without a loop (try_hold): wake on the first waiter's
            with contextlib.suppress(IndexError):  # no one waits: the next take drains
                loop = self.budget._waiting[0].loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # its loop closed: the next take drains
                loop.call_soon_threadsafe(self.budget._wake)


class ByteBudget:
    """A number of bytes calls take before making them and give back after."""

    def __init__(self, capacity: int = DEFAULT_BUDGET_BYTES) -> None:
        if capacity < 1:
            raise ValueError("a byte budget holds at least one byte")
        self.capacity = capacity
        self._lock = threading.Lock()
        self._held = 0
        self._waiting: deque[_Waiter] = deque()
        # Bytes given back by collector callbacks, which must not take the lock.
        self._returned: queue.SimpleQueue[int] = queue.SimpleQueue()

    @property
    def held(self) -> int:
        """Bytes taken and not yet given back."""
        with self._lock:
            self._drain()
            return self._held

    @property
    def waiting(self) -> int:
        """Calls waiting for bytes."""
        return len(self._waiting)

    async def hold(self, count: int) -> Held:
        """Take ``count`` bytes, waiting until they fit (or nothing else is held); none at once."""
        count = max(0, count)
        loop = asyncio.get_running_loop()
        future = loop.create_future()  # made outside the lock: a collection may run here
        with self._lock:
            self._drain()
            # Nothing to take (an empty body, refused soon after) waits for no one.
            if count == 0 or (not self._waiting and self._fits(count)):
                self._held += count
                return Held(self, count, loop)
            waiter = _Waiter(count, loop, future)
            self._waiting.append(waiter)
        try:
            await waiter.future
        except BaseException:
            with self._lock:
                granted = waiter.granted
                if not granted:
                    self._waiting.remove(waiter)
            if granted:  # given the bytes as the wait was cancelled: give them back
                self._give_back(count)
            else:
                self._wake()  # one behind it may fit now
            raise
        return Held(self, count, loop)

    def try_hold(self, count: int) -> Held | None:
        """Take ``count`` bytes now if they fit and no call waits for bytes; else None, nothing
        taken. Never waits, and needs no event loop: for a worker thread that can do without
        the bytes (a path's file, read whole only with them, streamed otherwise)."""
        count = max(0, count)
        with self._lock:
            self._drain()
            if count and (self._waiting or not self._fits(count)):
                return None
            self._held += count
            return Held(self, count)

    def take_now(self, count: int) -> Held:
        """Take ``count`` bytes at once, past the capacity if need be: for work that already
        holds bytes of this budget and must not wait for more (``Holding``)."""
        count = max(0, count)
        with self._lock:
            self._drain()
            self._held += count
        return Held(self, count)

    def _fits(self, count: int) -> bool:
        return self._held == 0 or self._held + count <= self.capacity

    def _give_back(self, count: int) -> None:
        with self._lock:
            self._held -= count
        self._wake()

    def _drain(self) -> None:
        """Count what collector callbacks gave back (under the lock)."""
        while True:
            try:
                self._held -= self._returned.get_nowait()
            except queue.Empty:
                return

    def _wake(self) -> None:
        """Grant the waiters at the head of the line that fit now, in order."""
        woken: list[_Waiter] = []
        with self._lock:
            self._drain()
            while self._waiting and self._fits(self._waiting[0].count):
                waiter = self._waiting.popleft()
                waiter.granted = True
                self._held += waiter.count
                woken.append(waiter)
        for waiter in woken:
            try:
                waiter.loop.call_soon_threadsafe(_grant, waiter.future)
            except RuntimeError:  # its loop closed: no one will take the bytes
                self._give_back(waiter.count)


class Holding:
    """What one piece of work holds of ``budget``, taken as it learns what it will make.

    The first ``take`` waits its turn; a later one (the work already holds bytes) is taken
    at once, past the capacity if need be: work that held bytes and waited for more would
    wait on other work doing the same, each holding what the others wait for. So the
    budget is exceeded by at most the later takes of the work it lets in.
    """

    def __init__(self, budget: ByteBudget) -> None:
        self._budget = budget
        self._held: list[Held] = []

    @property
    def count(self) -> int:
        return sum(held.count for held in self._held)

    async def take(self, count: int) -> None:
        if self._held:
            self._held.append(self._budget.take_now(count))
        else:
            self._held.append(await self._budget.hold(count))

    def release(self) -> None:
        """Give back everything taken (harmless to call again)."""
        held, self._held = self._held, []
        for each in held:
            each.release()


def _grant(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


# The process's budget, which every tool's image intake takes from.
image_bytes: Final = ByteBudget()
# The photos shown now that changes with keeping on download (undo/shown_photo.py), held
# until kept. A budget of its own: a change keeps while it holds its image's bytes of
# image_bytes, and changes each holding some of one budget and waiting for more of it
# would wait on each other.
kept_photo_bytes: Final = ByteBudget()


def _forgotten_in_a_forked_child() -> None:
    """A forked child runs none of its parent's calls: nothing of theirs is held or waits
    in it, and their bytes, never given back there, would keep every image call of the
    child waiting to its deadline (its lock, held by a thread at the fork, forever)."""
    for budget in (image_bytes, kept_photo_bytes):
        budget._lock = threading.Lock()
        budget._held = 0
        budget._waiting = deque()
        budget._returned = queue.SimpleQueue()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_forgotten_in_a_forked_child)
