"""The emulator's clock: wall-clock time plus an offset a test moves forward instead of sleeping."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class EmulatorClock:
    """What "now" is for token and code expiry; thread-safe.

    Only expiry reads it (access tokens, refresh of rotated tokens, OAuth codes): the
    rate limiter keeps its own monotonic clock, so moving this one never frees a
    rate-limit window.
    """

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._source = source
        self._offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch, as the emulator sees them."""
        with self._lock:
            return self._source() + self._offset

    @property
    def offset_seconds(self) -> float:
        """How far the clock has been moved forward in total."""
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward (never back: an issued token cannot become younger)."""
        if not seconds >= 0:  # also refuses NaN
            raise ValueError("the clock only moves forward: give seconds >= 0")
        with self._lock:
            self._offset += seconds
            return self._source() + self._offset
