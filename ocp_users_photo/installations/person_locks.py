"""One lock per person in this process, so concurrent calls refresh a token once.

Calls for one person may come from tasks of one event loop or from threads, each running
its own loop (``call_sync`` shared by a thread pool): an asyncio lock alone serialises the
first and not the second, and two refreshes would send the same refresh token (Slack
refuses the second, and that caller is told to install the app again). So a person's hold
is an asyncio lock of the running loop (its tasks queue and wake in order) and then the
process's threading lock for that person, taken without blocking the loop. A person's
locks are dropped once no one holds or waits for them, so serving many people keeps no
growing table.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import AsyncIterator, Hashable
from typing import TypeVar

_Lock = TypeVar("_Lock")

# How long a task waits before asking again for a lock a thread of another loop holds
# (a refresh takes tens of milliseconds at least; the wait grows up to the last).
_RETRY_WAITS = (0.002, 0.005, 0.01, 0.02, 0.05)


class PersonLocks:
    """Per-key locks across the event loops and threads of this process, kept while in use."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._by_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[Hashable, tuple[asyncio.Lock, int]]
        ] = weakref.WeakKeyDictionary()
        self._in_process: dict[Hashable, tuple[threading.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        """Hold ``key``'s lock for the block; other tasks and threads asking for it wait."""
        loop = asyncio.get_running_loop()
        with self._guard:
            locks = self._by_loop.setdefault(loop, {})
            task_lock, users = locks.get(key, (asyncio.Lock(), 0))
            locks[key] = (task_lock, users + 1)
            thread_lock, holders = self._in_process.get(key, (threading.Lock(), 0))
            self._in_process[key] = (thread_lock, holders + 1)
        try:
            async with task_lock:
                await _acquire(thread_lock)
                try:
                    yield
                finally:
                    thread_lock.release()
        finally:
            with self._guard:
                _leave(locks, key)
                _leave(self._in_process, key)

    def in_use(self) -> int:
        """How many keys have a lock now in the running loop (for tests)."""
        with self._guard:
            return len(self._by_loop.get(asyncio.get_running_loop(), {}))

    def in_process(self) -> int:
        """How many keys have a lock now in this process, all loops together (for tests)."""
        with self._guard:
            return len(self._in_process)


async def _acquire(lock: threading.Lock) -> None:
    """Take ``lock`` without blocking the loop: asked again after short waits (a waiter
    cancelled between two asks holds nothing)."""
    attempt = 0
    while not lock.acquire(blocking=False):
        await asyncio.sleep(_RETRY_WAITS[min(attempt, len(_RETRY_WAITS) - 1)])
        attempt += 1


def _leave(table: dict[Hashable, tuple[_Lock, int]], key: Hashable) -> None:
    lock, users = table[key]
    if users == 1:
        del table[key]
    else:
        table[key] = (lock, users - 1)
