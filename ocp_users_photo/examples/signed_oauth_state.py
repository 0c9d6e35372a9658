"""OAuth states for the Bolt app's public install link that need no storage and no I/O.

``/slack/install`` answers anyone, unsigned. slack_sdk's SQLite state store wrote an
fsynced row per visit from the event loop (its "async" methods are its blocking ones) and
never removed expired rows: a flood of visits stood the app still for seconds (Slack's
requests unanswered past their 3 s) and grew the tokens' database without end. Here a
state is a random nonce and its expiry, signed with a key derived from the app's client
secret: issuing one is a few microseconds of CPU; any process of the app can check it; a
state is taken once per process (the nonces seen are remembered until they expire, at
most ``max_remembered``), and Bolt's state cookie binds it to the browser that asked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final

from ocp_users_photo.extras import missing_extra

try:
    from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
except ModuleNotFoundError as missing:  # the extra is not installed
    raise missing_extra("bolt", missing) from missing

__all__ = ["SignedOAuthStateStore"]

_KEY_CONTEXT: Final = b"ocp-users-photo bolt oauth state\x00"
_MOST_STATE_CHARS: Final = 128  # what a state of ours is at most: anything longer is not one

logger = logging.getLogger(__name__)


class SignedOAuthStateStore(AsyncOAuthStateStore):
    """Bolt's ``state_store``: states signed, not stored (the module says why)."""

    def __init__(
        self,
        secret: str,
        *,
        expiration_seconds: int = 600,
        max_remembered: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("the state store needs the app's client secret to sign with")
        self._key = hashlib.sha256(_KEY_CONTEXT + secret.encode()).digest()
        self.expiration_seconds = expiration_seconds
        self._max_remembered = max_remembered
        self._clock = clock
        self._taken: OrderedDict[str, int] = OrderedDict()  # nonce -> its expiry

    @property
    def logger(self) -> logging.Logger:
        return logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        expires = int(self._clock()) + self.expiration_seconds
        body = f"{expires}.{secrets.token_urlsafe(16)}"
        return f"{body}.{self._signature(body)}"

    async def async_consume(self, state: str) -> bool:
        # ASCII only, as every state issued here: hmac.compare_digest raises on other text,
        # and the redirect is public (a crafted one was a 500 and a traceback in the log).
        if not isinstance(state, str) or len(state) > _MOST_STATE_CHARS or not state.isascii():
            return False
        body, _, signature = state.rpartition(".")
        expires_text, _, nonce = body.partition(".")
        if not (expires_text.isascii() and expires_text.isdigit() and nonce):
            return False
        if not hmac.compare_digest(signature, self._signature(body)):
            return False
        now = int(self._clock())
        expires = int(expires_text)
        if expires < now:
            return False
        self._forget_expired(now)
        if nonce in self._taken:
            return False  # taken once already
        self._taken[nonce] = expires
        while len(self._taken) > self._max_remembered:
            self._taken.popitem(last=False)
        return True

    def _signature(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _forget_expired(self, now: int) -> None:
        # Remembered in the order taken; expiries follow it closely (one expiration time).
        while self._taken:
            nonce, expires = next(iter(self._taken.items()))
            if expires >= now:
                return
            del self._taken[nonce]

    def __repr__(self) -> str:
        return f"SignedOAuthStateStore(expiration_seconds={self.expiration_seconds})"
