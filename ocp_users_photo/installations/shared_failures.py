"""A refresh that failed, told to the calls that waited for it rather than tried again.

Calls for one person wait on that person's lock while one of them refreshes. When the
refresh got no answer (Slack's OAuth slow or failing), each waiting call used to take
the lock in turn and refresh again: five calls at once made five refreshes one after
another, each as long as the first, and the last calls ran out of their deadlines
though the person's token still worked. Each also sent again a refresh token Slack may
have spent answering the first. A call that began waiting before a refresh failed now
gets that failure (and goes on with the current token where it still works); a call
that asks after it refreshes again.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Final

from ocp_users_photo.errors import UsersPhotoError
from ocp_users_photo.fork_safe_lock import ForkSafeLock

__all__ = ["SharedFailures"]

# Long past any call's wait for the lock (a refresh, retries included, ends within 35 s).
_KEPT_SECONDS: Final = 300.0


class SharedFailures:
    """The last failed refresh of each person (by lock key), with when it ended."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # Refreshes run on the runner's loop or callers' loops; a forked child's is free.
        self._lock = ForkSafeLock()
        self._failed: dict[str, tuple[float, UsersPhotoError]] = {}

    def now(self) -> float:
        """The time a call begins to wait, to compare with ``ended_since``."""
        return self._clock()

    def record(self, key: str, failure: UsersPhotoError) -> None:
        """Keep a copy of ``failure`` (no traceback: its frames hold tokens) for ``key``."""
        now = self._clock()
        with self._lock:
            for old in [k for k, (at, _) in self._failed.items() if now - at > _KEPT_SECONDS]:
                del self._failed[old]
            self._failed[key] = (now, copy.copy(failure))

    def forget(self, key: str) -> None:
        """A refresh of ``key`` succeeded: no failure is told any more."""
        with self._lock:
            self._failed.pop(key, None)

    def ended_since(self, key: str, asked_at: float) -> UsersPhotoError | None:
        """A copy of the failure of a refresh of ``key`` that ended at or after
        ``asked_at`` (while the caller waited for the lock), if any."""
        with self._lock:
            found = self._failed.get(key)
        if found is None or found[0] < asked_at:
            return None
        return copy.copy(found[1])
