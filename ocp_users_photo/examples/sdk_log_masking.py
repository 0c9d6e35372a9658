"""Keeps people's tokens out of slack_sdk's DEBUG records, for the example Bolt app.

slack_sdk's web client logs each request's form and each reply's body at DEBUG (its
own loggers, at their default level), so the app's OAuth exchange and Bolt's token
rotation would put every installer's user, bot and refresh tokens in a host's logs.
Bolt's app logger writes an OAuth callback it refuses with the request's query, and
aiohttp's access log every request line: an unspent ``code`` in both.
The app knows no token in advance: records of those loggers have anything shaped like
a Slack token masked, the value of an OAuth ``client_secret`` or ``code`` field (a
dict's or JSON's, a list's first item, or a query string's) and anything shaped like an
OAuth code, in the message and in the record's other texts (a formatter's extras).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any, Final

from ocp_users_photo.credentials import SecretTexts, token_secret_forms
from ocp_users_photo.installations.store_access import AsyncStoreInThreads
from ocp_users_photo.safe_text import REDACTED, redacted_folded, without_tokens

# The loggers slack_sdk's web clients write through (each client's module logger).
SLACK_SDK_CLIENT_LOGGERS: Final = (
    "slack_sdk.web.async_base_client",
    "slack_sdk.web.base_client",
    "slack_sdk.web.legacy_base_client",
)
# The app logger Bolt makes when given none (slack_bolt.util.utils.get_bolt_logger), and
# the access log of the aiohttp server Bolt's start() runs.
BOLT_AND_SERVER_LOGGERS: Final = ("slack_bolt.AsyncApp", "slack_bolt.App", "aiohttp.access")
# The example app's own loggers: Bolt's authorize, given the app's, writes through it the
# refusal of a bot token's rotation, Slack's reply whole (a client secret it echoes too).
EXAMPLE_APP_LOGGERS: Final = (
    "ocp_users_photo.examples.bolt_photo_app",
    "ocp_users_photo.examples.bolt_revocation",
)
# 'client_secret': '...' or "code": "..." as a dict's repr or JSON writes them, or the
# first value of a parsed query's list ('code': ['...']).
_SECRET_FIELD: Final = re.compile(
    r"""(?P<key>(?P<q>['"])(?:client_secret|code)(?P=q)\s*:\s*\[?\s*)(?P<v>['"])[^'"]*(?P=v)"""
)
# An OAuth code wherever it stands (Bolt's "... with code: CODE"), by its shape: the
# team's number, a number, and hex digits.
_OAUTH_CODE: Final = re.compile(r"\b\d{6,}\.\d{6,}\.[0-9a-fA-F]{16,}\b")
# ?code=... or &client_secret=... in a request line or URL.
_QUERY_FIELD: Final = re.compile(r"(?P<key>[?&](?:client_secret|code)=)[^&\s'\"]*")
# The latest tokens the app's store handed Bolt (``learn``), masked in every form.
_TOKENS_LEARNED: Final = 16


class SecretsMasked(logging.Filter):
    """Rewrites a record whose text holds a token's shape, an OAuth secret field, or one of
    the app's own secrets (``known``: its client secret, however Slack echoes it back)."""

    def __init__(self) -> None:
        super().__init__()
        # Held as SecretTexts: no repr, vars() walk or error reporter shows them.
        self.known = SecretTexts()
        self._given = SecretTexts()
        self._learned = SecretTexts()
        self._lock = threading.Lock()

    def give(self, known: Iterable[str]) -> None:
        """Mask ``known`` too (the app's own secrets), as they are and however escaped."""
        with self._lock:
            self._given = SecretTexts(self._given.texts(), known)
            self._remade()

    def learn(self, tokens: Iterable[str | None]) -> None:
        """Mask ``tokens`` (a bot's token, a refresh token the store handed Bolt) in every
        form a server may echo them, base64 and percent-escaped included: the shape alone
        finds only the token as it is. The latest ``_TOKENS_LEARNED`` are kept."""
        new = [token for token in tokens if token and token not in self._learned.texts()]
        if not new:
            return
        with self._lock:
            kept = [token for token in self._learned.texts() if token not in new]
            self._learned = SecretTexts((*kept, *new)[-_TOKENS_LEARNED:])
            self._remade()

    def _remade(self) -> None:
        learned = (token_secret_forms(token) for token in self._learned.texts())
        self.known = SecretTexts(self._given.texts(), *learned)

    def filter(self, record: logging.LogRecord) -> bool:
        # The record's other texts too: aiohttp's access log passes the request line as an
        # extra, which a structured (JSON) formatter writes out.
        for name, value in list(vars(record).items()):
            if isinstance(value, str) and name != "msg":
                setattr(record, name, self._masked(value))
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: leave it be
            return True
        masked = self._masked(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True

    def _masked(self, text: str) -> str:
        """``text`` with tokens, OAuth secret fields, OAuth codes and the app's secrets masked."""
        masked = _SECRET_FIELD.sub(rf"\g<key>'{REDACTED}'", without_tokens(text))
        masked = _QUERY_FIELD.sub(rf"\g<key>{REDACTED}", masked)
        masked = _OAUTH_CODE.sub(REDACTED, masked)
        return redacted_folded(masked, self.known.needles()) if self.known else masked

    def __repr__(self) -> str:
        return f"SecretsMasked({len(self.known.texts())} known, {REDACTED})"


_MASK: Final = SecretsMasked()


def mask_slack_sdk_logs(known: Iterable[str] = ()) -> None:
    """Put the mask on slack_sdk's web client loggers, Bolt's app logger, aiohttp's access
    log and the example app's own (once), masking ``known`` too: the app's secrets, which
    Slack's refusal of an OAuth exchange may echo whole, in a text no field name or shape
    tells."""
    # Added to, never replaced: another app of the same process keeps its secrets masked
    # (each app adds three; a process builds a few).
    _MASK.give(known)
    for name in (*SLACK_SDK_CLIENT_LOGGERS, *BOLT_AND_SERVER_LOGGERS, *EXAMPLE_APP_LOGGERS):
        logger = logging.getLogger(name)
        if _MASK not in logger.filters:
            logger.addFilter(_MASK)


class TokensLearned(AsyncStoreInThreads):
    """The app's store for Bolt, whose every bot token and refresh token it hands out the
    log mask learns (``SecretsMasked.learn``): Bolt's authorize logs a refused auth.test's
    reply whole, and slack_sdk every reply, where a server's echo of the bot token in
    base64 or percent-escaped has no token's shape. Those it is given to save too: Bolt's
    rotation of the bot's token saves the new one, then runs auth.test with it."""

    async def async_save(self, installation: Any) -> None:
        _MASK.learn((installation.bot_token, installation.bot_refresh_token))
        await super().async_save(installation)

    async def async_save_bot(self, bot: Any) -> None:
        _MASK.learn((bot.bot_token, bot.bot_refresh_token))
        await super().async_save_bot(bot)

    async def async_find_bot(self, **query: Any) -> Any:
        bot = await super().async_find_bot(**query)
        if bot is not None:
            _MASK.learn((bot.bot_token, bot.bot_refresh_token))
        return bot

    async def async_find_installation(self, **query: Any) -> Any:
        found = await super().async_find_installation(**query)
        if found is not None:
            _MASK.learn((found.bot_token, found.bot_refresh_token))
        return found
