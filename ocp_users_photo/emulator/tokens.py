"""Which tokens the emulator accepts, whose they are, their scopes, and revocations."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from ocp_users_photo.emulator.config import (
    DEFAULT_BOT_SCOPES,
    DEFAULT_USER_SCOPES,
    EmulatorConfig,
    TokenGrant,
    default_scopes,
    split_scopes,
    user_id_for_token,
)
from ocp_users_photo.token_kinds import token_kind


class TokenStatus(Enum):
    """What the registry knows about a token that is not a valid grant."""

    UNKNOWN = "invalid_auth"
    REVOKED = "token_revoked"


@dataclass(frozen=True)
class TokenLookup:
    """The answer for one token: a grant, or why there is none."""

    grant: TokenGrant | None
    status: TokenStatus | None = None


class TokenRegistry:
    """Known tokens and revocations; safe to change from any thread while serving."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._lock = threading.Lock()
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
    ) -> TokenGrant:
        """Make the token valid (again): un-revokes it and replaces any earlier grant."""
        if not token:
            raise ValueError("a token must not be empty")
        resolved_scopes = default_scopes(token) if scopes is None else split_scopes(scopes)
        grant = TokenGrant(
            token=token, user_id=user_id or user_id_for_token(token), scopes=resolved_scopes
        )
        with self._lock:
            self._grants[token] = grant
            self._revoked.discard(token)
        return grant

    def revoke(self, token: str) -> None:
        """From now on the token is answered with token_revoked."""
        with self._lock:
            self._revoked.add(token)

    def lookup(self, token: str) -> TokenLookup:
        with self._lock:
            if token in self._revoked:
                return TokenLookup(None, TokenStatus.REVOKED)
            known = self._grants.get(token)
        if known is not None:
            return TokenLookup(known)
        kind = token_kind(token)
        if self._accept_any_user and kind == "user":
            return TokenLookup(TokenGrant(token, user_id_for_token(token), DEFAULT_USER_SCOPES))
        if self._accept_any_bot and kind == "bot":
            return TokenLookup(TokenGrant(token, user_id_for_token(token), DEFAULT_BOT_SCOPES))
        return TokenLookup(None, TokenStatus.UNKNOWN)
