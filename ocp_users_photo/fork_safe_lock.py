"""``ForkSafeLock``: a ``threading.Lock`` that a forked child holds free.

A child forked while another thread of its parent held a lock gets the lock held, by a
thread the child does not have: its first call that takes it waits for ever. The locks a
tool takes on every thread's behalf (its per-loop stacks) are made anew in the child.
"""

from __future__ import annotations

import os
import threading
import weakref
from types import TracebackType
from typing import Final

__all__ = ["ForkSafeLock"]


class ForkSafeLock:
    """``with lock:`` as with a ``threading.Lock``; a forked child's is a new one."""

    __slots__ = ("__weakref__", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        _EVERY_LOCK.add(self)

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()


_EVERY_LOCK: Final[weakref.WeakSet[ForkSafeLock]] = weakref.WeakSet()


def _made_anew_in_the_child() -> None:
    for lock in list(_EVERY_LOCK):
        lock._lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_made_anew_in_the_child)
