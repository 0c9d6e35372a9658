"""Refusals of a token refresh, remembered for a minute: asked again, Slack says the same.

With the app's client_secret wrong, every call of every person whose token needs renewing
asked oauth.v2.access again, one after another under the person's lock (twenty calls at
once: twenty refused refreshes), a flood Slack may rate-limit the app for. A refusal
that does not change when asked again is remembered: for the refresh token it was given
(spent, revoked, uninstalled) or, when it is the app's own settings (client_id, secret,
token rotation off), for every person. Only a digest of the refresh token is kept.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Final

from ocp_users_photo.installations.errors import APPS_OWN_REFRESH_ERRORS

__all__ = ["LASTING_REFUSALS", "REMEMBERED_SECONDS", "RefusedRefreshes", "key_of"]

REMEMBERED_SECONDS: Final = 60.0
# What Slack answers the same however often it is asked again soon.
LASTING_REFUSALS: Final = APPS_OWN_REFRESH_ERRORS | {
    "invalid_refresh_token",
    "token_revoked",
    "app_uninstalled",
}
_MOST_REMEMBERED: Final = 10_000


class RefusedRefreshes:
    """The lasting refusals of the last ``REMEMBERED_SECONDS``, by refresh token, and the
    app's own (its settings) for every refresh."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._by_token: dict[str, tuple[float, str]] = {}
        self._apps_own: tuple[float, str] | None = None

    def recall(self, token_key: str) -> str | None:
        """Slack's refusal of a refresh with the token of ``token_key`` (``key_of``)
        remembered now, if any."""
        now = self._clock()
        if self._apps_own is not None:
            at, slack_error = self._apps_own
            if now - at < REMEMBERED_SECONDS:
                return slack_error
            self._apps_own = None
        remembered = self._by_token.get(token_key)
        if remembered is None:
            return None
        at, slack_error = remembered
        if now - at < REMEMBERED_SECONDS:
            return slack_error
        del self._by_token[token_key]
        return None

    def remember(self, token_key: str, slack_error: str | None) -> None:
        """Keep Slack's refusal of a refresh with the token of ``token_key``, if it is a
        lasting one."""
        if slack_error not in LASTING_REFUSALS:
            return
        now = self._clock()
        if slack_error in APPS_OWN_REFRESH_ERRORS:
            self._apps_own = (now, slack_error)
            return
        if len(self._by_token) >= _MOST_REMEMBERED:
            self._by_token = {
                key: kept
                for key, kept in self._by_token.items()
                if now - kept[0] < REMEMBERED_SECONDS
            }
            if len(self._by_token) >= _MOST_REMEMBERED:
                self._by_token.pop(next(iter(self._by_token)))
        self._by_token[token_key] = (now, slack_error)


def key_of(refresh_token: str) -> str:
    """What a refresh token is remembered by: a digest (no frame or dict holds the token,
    which a traceback's locals or an error reporter would show)."""
    return hashlib.sha256(refresh_token.encode("utf-8", "surrogatepass")).hexdigest()
