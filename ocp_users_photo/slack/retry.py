"""When to try a Slack call again, and how long to wait: backoff and Retry-After.

A request that failed on its way is sent again only where a second sending cannot do
more than the first: always when none of it went out (the connection never opened),
for the methods that only read whatever happened, and for setting or removing a photo
when the connection dropped before any answer began (a keep-alive connection the
server had closed). Once Slack had the whole request and is slow, or had begun to
answer, the call ends "may have taken effect" instead: sending it again would be a
second upload to a Slack that is slow already. An HTTP 5xx (a quick failure, often
passing) is retried for those same methods, a change included: the second sending
sets what the first may have set. ``oauth.v2.access`` is never sent twice: Slack
spends the refresh token it is given, so a second sending of one grant fails and the
first answer's new tokens would be lost.
"""

from __future__ import annotations

import datetime
import email.utils
import math
import random
import time
from dataclasses import dataclass
from typing import Final

import httpx

from ocp_users_photo.errors import READ_ONLY_METHODS

# The longest Retry-After taken as said; a longer one is read as this (one day).
MAX_RETRY_AFTER: Final = 86400.0
# Methods that change something, and whose second sending sets what the first set (the
# same image again, the photo removed again).
REPEATABLE_CHANGES: Final = frozenset({"users.setPhoto", "users.deletePhoto"})


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
    """Retry-After as seconds (it may be a number or an HTTP date); None when absent or unusable.

    Given more than once (a proxy or gateway on the way adding its own), the longest wait
    is taken, each read alone: joined with ", " as a header's lines are, "1, 1" was no
    number and no date, and the wait Slack asked for was said to be none ("60 s assumed").
    """
    waits = [
        _one_retry_after(value, headers.get_list("date"))
        for value in headers.get_list("retry-after")[:8]
    ]
    if not waits or None in waits:
        return None
    return max(wait for wait in waits if wait is not None)


def _one_retry_after(value: str, dates: list[str]) -> float | None:
    """One Retry-After line's value as seconds; None when it is unusable. A date is
    counted from the reply's own Date (``dates``: its one value, else this machine's
    clock): both are the server's clock, and measured against this machine's, a clock
    an hour slow made "in 2 minutes" an hour's wait, and one minutes fast made it none."""
    value = value.strip()[:64]
    try:
        seconds = float(value)
        if seconds < 0:
            return None  # no delay at all (delay-seconds are digits): "wait 0 s" would invite one
    except ValueError:
        moment = _http_date(value)
        if moment is None:
            return None
        said_at = _http_date(dates[0]) if len(dates) == 1 else None
        seconds = moment - (time.time() if said_at is None else said_at)
    if not math.isfinite(seconds):
        return None
    # A server's number goes on to a model and a terminal ("try again in N s"): a day says
    # all that 1e308 or a date in the year 9999 would, in a figure of a sane size.
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def _http_date(value: str) -> float | None:
    """An HTTP date as seconds since the epoch; None when it is none."""
    try:
        moment = email.utils.parsedate_to_datetime(value.strip()[:64])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        # HTTP's asctime form ("Sun Nov  6 08:49:37 1994") names no zone, and is GMT as
        # all HTTP dates are: read as local time, it was hours off east or west of it.
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def may_send_again(method: str, *, body_started: bool, answer_began: bool, dropped: bool) -> bool:
    """Whether a failed attempt at ``method`` may be sent again (see the module's docstring).

    ``body_started``: the HTTP stack began to take the request's body; ``answer_began``:
    a status line came back; ``dropped``: the connection failed, rather than timing out.
    """
    if not body_started or method in READ_ONLY_METHODS:
        return True
    return method in REPEATABLE_CHANGES and dropped and not answer_began


def may_resend_after_server_error(method: str) -> bool:
    """Whether ``method`` may be sent again after an HTTP 5xx: a read, or a change whose
    second sending sets what the first may have set; never a refresh grant."""
    return method in READ_ONLY_METHODS or method in REPEATABLE_CHANGES
