"""One lock per person in this process, so concurrent calls refresh a token once.

Calls for one person may come from tasks of one event loop or from threads, each running
its own loop (``call_sync`` shared by a thread pool): an asyncio lock alone serialises the
first and not the second, and two refreshes would send the same refresh token (Slack
refuses the second, and that caller is told to install the app again). So a person's hold
is an asyncio lock of the running loop (its tasks queue and wake in order), then a turn in
a queue the whole process shares, first come first served whatever the loop, waited for
without blocking the loop. A hold whose loop has been closed (its task can never run on
to let go) is passed over. A person's entries are dropped once no one holds or waits for
them, so serving many people keeps no growing table.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import threading
import weakref
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass, field

# How long a task waits before asking again for a turn a task of another loop holds (a
# refresh takes tens of milliseconds at least; the wait grows up to the last).
_RETRY_WAITS = (0.002, 0.005, 0.01, 0.02, 0.05)


@dataclass
class _Queue:
    """One person's turns across the process: who waits, in order, and whose loop holds."""

    waiting: collections.deque[object] = field(default_factory=collections.deque)
    holder: _Hold | None = None
    users: int = 0

    def held(self) -> bool:
        """Whether a hold is in force: its loop still exists and is not closed."""
        loop = None if self.holder is None else self.holder.loop()
        return loop is not None and not loop.is_closed()


@dataclass(eq=False)
class _Hold:
    """One turn taken: the loop of the task that took it."""

    loop: weakref.ref[asyncio.AbstractEventLoop]


class PersonLocks:
    """Per-key locks across the event loops and threads of this process, kept while in use."""

    def __init__(self) -> None:
        self._forget_all()
        _ALL.add(self)

    def _forget_all(self) -> None:
        self._guard = threading.Lock()
        self._by_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[Hashable, tuple[asyncio.Lock, int]]
        ] = weakref.WeakKeyDictionary()
        self._queues: dict[Hashable, _Queue] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        """Hold ``key``'s lock for the block; other tasks and threads asking for it wait."""
        loop = asyncio.get_running_loop()
        with self._guard:
            locks = self._by_loop.setdefault(loop, {})
            task_lock, users = locks.get(key, (asyncio.Lock(), 0))
            locks[key] = (task_lock, users + 1)
        try:
            async with task_lock:
                queue, turn = await self._take_turn(key, loop)
                try:
                    yield
                finally:
                    with self._guard:
                        # Passed over (its loop closed, its frame run only as it is
                        # collected): the one who took over counted it out already.
                        if queue.holder is turn:
                            queue.holder = None
                            self._leave(key, queue)
        finally:
            with self._guard:
                task_lock, users = locks[key]
                if users == 1:
                    del locks[key]
                else:
                    locks[key] = (task_lock, users - 1)

    async def _take_turn(
        self, key: Hashable, loop: asyncio.AbstractEventLoop
    ) -> tuple[_Queue, _Hold]:
        """Wait for ``key``'s turn in the process: first in the queue, no hold in force."""
        ticket = object()
        with self._guard:
            queue = self._queues.setdefault(key, _Queue())
            queue.users += 1
            queue.waiting.append(ticket)
        attempt = 0
        try:
            while True:
                with self._guard:
                    if queue.waiting[0] is ticket and not queue.held():
                        if queue.holder is not None:  # its loop closed: it never lets go
                            queue.users -= 1
                        queue.waiting.popleft()
                        queue.holder = _Hold(weakref.ref(loop))
                        return queue, queue.holder
                await asyncio.sleep(_RETRY_WAITS[min(attempt, len(_RETRY_WAITS) - 1)])
                attempt += 1
        except BaseException:  # cancelled while waiting: the turn is given up
            with self._guard:
                if ticket in queue.waiting:
                    queue.waiting.remove(ticket)
                self._leave(key, queue)
            raise

    def _leave(self, key: Hashable, queue: _Queue) -> None:
        """One user fewer of ``key``'s queue; dropped with the last. Under the guard."""
        queue.users -= 1
        if queue.users == 0 and self._queues.get(key) is queue:
            del self._queues[key]

    def in_use(self) -> int:
        """How many keys have a lock now in the running loop (for tests)."""
        with self._guard:
            return len(self._by_loop.get(asyncio.get_running_loop(), {}))

    def in_process(self) -> int:
        """How many keys have a queue now in this process, all loops together (for tests)."""
        with self._guard:
            return len(self._queues)


# Every PersonLocks of the process: in a forked child the holders' threads and loops are
# gone (a loop left unclosed is never run again), and a turn they held would keep every
# later call waiting. One fork handler for all.
_ALL: weakref.WeakSet[PersonLocks] = weakref.WeakSet()


def _forget_in_child() -> None:
    for locks in list(_ALL):
        locks._forget_all()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
