"""EmulatorState: everything a running emulator holds in memory, changeable at run time."""

from __future__ import annotations

from collections.abc import Iterable

from ocp_users_photo.emulator.clock import EmulatorClock
from ocp_users_photo.emulator.config import (
    EmulatorConfig,
    SetPhotoReply,
    TokenGrant,
    UserRecord,
    check_set_photo_reply,
)
from ocp_users_photo.emulator.directory import Directory, Person
from ocp_users_photo.emulator.faults import FaultQueue
from ocp_users_photo.emulator.installations import OAuthGrants
from ocp_users_photo.emulator.ratelimit import SlidingWindowLimiter
from ocp_users_photo.emulator.requestlog import RequestLog
from ocp_users_photo.emulator.tokens import TokenRegistry


class EmulatorState:
    """Tokens, people and photos, OAuth, the clock, the request log, rate limits and faults.

    One per emulator; every part is thread-safe, so tests may change it from
    another thread while the server runs (e.g. `emulator.state.revoke(token)`).
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.clock = EmulatorClock()
        self.tokens = TokenRegistry(self.config, self.clock)
        self.oauth = OAuthGrants(self.config, self.tokens, self.clock)
        self.directory = Directory(self.config)
        self.requests = RequestLog(self.config.max_recorded_requests)
        self.rate_limiter = SlidingWindowLimiter(self.config.rate_limit_per_minute)
        self.faults = FaultQueue()
        self._set_photo_reply: SetPhotoReply = self.config.set_photo_reply

    def add_token(
        self,
        token: str,
        *,
        user_id: str | None = None,
        scopes: str | Iterable[str] | None = None,
        expires_in: float | None = None,
    ) -> TokenGrant:
        """Accept `token` from now on, for `user_id` (derived if None) with `scopes`.

        With `expires_in` (seconds on the emulator's clock) it answers token_expired
        after that.
        """
        return self.tokens.grant(token, user_id=user_id, scopes=scopes, expires_in=expires_in)

    def add_user(self, record: UserRecord) -> Person:
        """Add a user or replace one's profile fields (name, title, email); the photo stays."""
        return self.directory.put(record)

    def revoke(self, token: str) -> None:
        """Answer `token` with token_revoked from now on."""
        self.tokens.revoke(token)

    def expire(self, token: str) -> None:
        """Answer a valid `token` with token_expired from now on (LookupError if not valid)."""
        self.tokens.expire(token)

    def advance_clock(self, seconds: float) -> float:
        """Move the emulator's clock forward (tokens and codes expire by it); the new time."""
        return self.clock.advance(seconds)

    def set_rate_limit(self, calls_per_minute: int | None) -> None:
        """Change the limit of users.setPhoto and users.deletePhoto (None: off): calls a
        minute per app and per method, all the app's tokens together."""
        self.rate_limiter.set_limit(calls_per_minute)

    @property
    def set_photo_reply(self) -> SetPhotoReply:
        """How users.setPhoto answers a success now: "profile" or "bare" ({"ok": true})."""
        return self._set_photo_reply

    def use_set_photo_reply(self, reply: SetPhotoReply) -> None:
        """Answer users.setPhoto's successes from now on with `reply`: "profile" ({ok,
        profile}) or "bare" ({"ok": true} alone); ValueError for anything else."""
        self._set_photo_reply = check_set_photo_reply(reply)

    def person(self, user_id: str) -> Person | None:
        """A user's profile record and current photo, if the emulator has seen them."""
        return self.directory.get(user_id)

    def person_for_token(self, token: str) -> Person:
        """The profile of the token's owner (raises LookupError for an invalid token)."""
        lookup = self.tokens.lookup(token)
        if lookup.grant is None:
            raise LookupError("the token is not valid for this emulator")
        return self.directory.ensure(lookup.grant.user_id)
