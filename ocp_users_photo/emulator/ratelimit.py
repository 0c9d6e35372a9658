"""A sliding-window rate limiter: at most N calls in any 60 seconds per key."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

WINDOW_SECONDS = 60.0


def check_calls_per_minute(name: str, value: object) -> int | None:
    """``value`` as a limit: a whole number, 1 or more, or None (no limit); ValueError naming
    ``name`` otherwise. A NaN passed ``< 1`` and every limited call then failed (HTTP 500)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number, at least 1, or None for no limit")
    return value


class SlidingWindowLimiter:
    """Counts admitted calls per key over the last minute; refused calls do not count.

    Refused calls are not counted so that a client that honours Retry-After
    gets through exactly when the header said it would.
    """

    def __init__(
        self, calls_per_minute: int | None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._limit = check_calls_per_minute("calls_per_minute", calls_per_minute)
        self._windows: dict[Hashable, deque[float]] = {}

    @property
    def calls_per_minute(self) -> int | None:
        return self._limit

    def set_limit(self, calls_per_minute: int | None) -> None:
        """Change the limit at run time (None: off); forgets the calls counted so far."""
        limit = check_calls_per_minute("calls_per_minute", calls_per_minute)
        with self._lock:
            self._limit = limit
            self._windows.clear()

    def admit(self, key: Hashable) -> int | None:
        """None when the call may go ahead, else the whole seconds to wait (Retry-After)."""
        with self._lock:
            if self._limit is None:
                return None
            now = self._clock()
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - WINDOW_SECONDS:
                window.popleft()
            if len(window) < self._limit:
                window.append(now)
                return None
            # Rounded up: a client that waits this long finds a free slot.
            return max(1, math.ceil(window[0] + WINDOW_SECONDS - now))
