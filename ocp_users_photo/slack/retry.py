"""When to try a Slack call again, and how long to wait: backoff and Retry-After."""

from __future__ import annotations

import email.utils
import math
import random
import time
from dataclasses import dataclass
from typing import Final

import httpx

# The longest Retry-After taken as said; a longer one is read as this (one day).
MAX_RETRY_AFTER: Final = 86400.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to try again."""

    max_retries: int = 2
    max_retry_wait: float = 30.0
    backoff: float = 0.5
    backoff_cap: float = 8.0

    def backoff_delay(self, attempt: int, jitter: random.Random) -> float:
        """Seconds before retry number ``attempt`` (1-based): doubling, capped, half jittered."""
        ceiling = min(self.backoff_cap, self.backoff * 2 ** (attempt - 1))
        return float(ceiling * (0.5 + jitter.random() / 2))


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Retry-After as seconds (it may be a number or an HTTP date); None when absent or unusable."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()[:64]
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        seconds = moment.timestamp() - time.time()
    if not math.isfinite(seconds):
        return None
    # A server's number goes on to a model and a terminal ("try again in N s"): a day says
    # all that 1e308 or a date in the year 9999 would, in a figure of a sane size.
    return min(max(0.0, seconds), MAX_RETRY_AFTER)
