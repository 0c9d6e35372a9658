"""Which tokens the emulator accepts, whose they are, their scopes, expiry and revocations."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum

from ocp_users_photo.emulator.clock import EmulatorClock
from ocp_users_photo.emulator.config import (
    DEFAULT_BOT_SCOPES,
    DEFAULT_USER_SCOPES,
    EmulatorConfig,
    TokenGrant,
    default_scopes,
    split_scopes,
    user_id_for_token,
)
from ocp_users_photo.slack.deadlines import check_seconds
from ocp_users_photo.token_kinds import token_kind


class TokenStatus(Enum):
    """What the registry knows about a token that is not a valid grant (the Slack error)."""

    UNKNOWN = "invalid_auth"
    REVOKED = "token_revoked"
    EXPIRED = "token_expired"


@dataclass(frozen=True)
class TokenLookup:
    """The answer for one token: a grant, or why there is none."""

    grant: TokenGrant | None
    status: TokenStatus | None = None


class TokenRegistry:
    """Known tokens, their expiry and revocations; safe to change from any thread while serving.

    Tokens are keyed by their text, but each names a user id: the person (their
    profile and photo) is the user id's, so a refreshed token reaches the same person.
    """

    def __init__(self, config: EmulatorConfig, clock: EmulatorClock) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._accept_any_user = config.accept_any_user_token
        self._accept_any_bot = config.accept_any_bot_token
        self._grants: dict[str, TokenGrant] = {grant.token: grant for grant in config.tokens}
        self._revoked: set[str] = set(config.revoked_tokens)

    def grant(
        self,
        token: str,
        *,
        user_id: str | None = None,
        scopes: str | Iterable[str] | None = None,
        expires_in: float | None = None,
        bot_id: str | None = None,
        app_id: str | None = None,
    ) -> TokenGrant:
        """Make the token valid (again): un-revokes it and replaces any earlier grant.

        `expires_in` (seconds from now on the emulator's clock) makes it expire;
        None: it never does.
        """
        if not token:
            raise ValueError("a token must not be empty")
        if expires_in is not None:  # finite: auth.test's expires_in of infinity was an HTTP 500
            expires_in = check_seconds("expires_in", expires_in, allow_zero=True)
        resolved_scopes = default_scopes(token) if scopes is None else split_scopes(scopes)
        expires_at = None if expires_in is None else self._clock.now() + expires_in
        grant = TokenGrant(
            token=token,
            user_id=user_id or user_id_for_token(token),
            scopes=resolved_scopes,
            expires_at=expires_at,
            bot_id=bot_id,
            app_id=app_id,
        )
        with self._lock:
            self._grants[token] = grant
            self._revoked.discard(token)
        return grant

    def revoke(self, token: str) -> None:
        """From now on the token is answered with token_revoked."""
        with self._lock:
            self._revoked.add(token)

    def expire(self, token: str) -> TokenGrant:
        """Make a currently valid token expire now (token_expired from now on).

        Raises LookupError for a token that is not valid (unknown, revoked, expired).
        """
        lookup = self.lookup(token)
        if lookup.grant is None:
            raise LookupError("the token is not valid for this emulator")
        expired = replace(lookup.grant, expires_at=self._clock.now())
        with self._lock:
            self._grants[token] = expired
        return expired

    def names_user(self, user_id: str) -> bool:
        """Whether a token given to the emulator (configured, added or issued by OAuth) is
        ``user_id``'s: a member of the workspace, whether or not it was used yet."""
        with self._lock:
            return any(grant.user_id == user_id for grant in self._grants.values())

    def lookup(self, token: str) -> TokenLookup:
        with self._lock:
            if token in self._revoked:
                return TokenLookup(None, TokenStatus.REVOKED)
            known = self._grants.get(token)
        if known is not None:
            if known.expires_at is not None and known.expires_at <= self._clock.now():
                return TokenLookup(None, TokenStatus.EXPIRED)
            return TokenLookup(known)
        kind = token_kind(token)
        if self._accept_any_user and kind == "user":
            return TokenLookup(TokenGrant(token, user_id_for_token(token), DEFAULT_USER_SCOPES))
        if self._accept_any_bot and kind == "bot":
            return TokenLookup(TokenGrant(token, user_id_for_token(token), DEFAULT_BOT_SCOPES))
        return TokenLookup(None, TokenStatus.UNKNOWN)

    def expires_in(self, grant: TokenGrant) -> int | None:
        """Whole seconds the grant has left (None: it never expires)."""
        if grant.expires_at is None:
            return None
        return max(0, int(grant.expires_at - self._clock.now()))
