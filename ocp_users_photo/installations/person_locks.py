"""One asyncio lock per person, so concurrent calls in one process refresh a token once.

Locks belong to an event loop, so each loop gets its own set (a program may run
``call_sync`` many times, each in a fresh loop). A person's lock is dropped once no
task holds or waits for it, so serving many people keeps no growing table.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Hashable


class PersonLocks:
    """Per-key asyncio locks, per event loop, kept only while in use."""

    def __init__(self) -> None:
        self._by_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[Hashable, tuple[asyncio.Lock, int]]
        ] = weakref.WeakKeyDictionary()

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        """Hold ``key``'s lock for the block; other tasks asking for the same key wait."""
        locks = self._by_loop.setdefault(asyncio.get_running_loop(), {})
        lock, users = locks.get(key, (asyncio.Lock(), 0))
        locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = locks[key]
            if users == 1:
                del locks[key]
            else:
                locks[key] = (lock, users - 1)

    def in_use(self) -> int:
        """How many keys have a lock now in the running loop (for tests)."""
        return len(self._by_loop.get(asyncio.get_running_loop(), {}))
