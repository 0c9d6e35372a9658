"""The emulator's clock: wall-clock time plus an offset a test moves forward instead of sleeping."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from ocp_users_photo.slack.deadlines import check_seconds, finite_seconds


class EmulatorClock:
    """What "now" is for token and code expiry; thread-safe.

    Only expiry reads it (access tokens, refresh of rotated tokens, OAuth codes): the
    rate limiter keeps its own monotonic clock, so moving this one never frees a
    rate-limit window. It never moves back, even when the machine's clock is set back
    (an NTP step): it then stands still until that clock catches up. Following it back,
    a token expired by ``expire`` (or past its lifetime) was taken again, and an expired
    OAuth code exchanged.
    """

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._source = source
        self._offset = 0.0
        self._latest = -math.inf  # the latest time told: never told an earlier one after it

    def now(self) -> float:
        """Seconds since the epoch, as the emulator sees them."""
        with self._lock:
            self._latest = max(self._latest, self._source() + self._offset)
            return self._latest

    @property
    def offset_seconds(self) -> float:
        """How far the clock has been moved forward in total."""
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward (never back: an issued token cannot become younger).

        By a finite time, and to one: moved by infinity (or twice by 1e308) it never came
        back, and GET /_emulator/clock answered `Infinity`, which is no JSON.
        """
        try:
            seconds = check_seconds("seconds", seconds, allow_zero=True)
        except ValueError as refused:
            raise ValueError(f"the clock only moves forward, by a finite time: {refused}") from None
        with self._lock:
            moved = max(self._latest, self._source() + self._offset) + seconds
            if finite_seconds(moved) is None:
                raise ValueError(
                    "the clock only moves forward, by a finite time: it is "
                    f"{self._offset:g} seconds ahead already, and {seconds:g} more is past "
                    "a float's reach; give fewer seconds"
                )
            self._offset += seconds
            self._latest = moved
            return moved
