"""SlackSession: Slack's read methods for one acting person, the token held inside, never shown.

The tool makes one per change, from the token that change will use, and hands it to
its observers in ``ChangeInfo.session``. An observer (the undo history) can then ask
Slack what it needs first, ``await session.call("users.profile.get")``, through the
tool's own HTTP stack (``slack/client.py``: deadlines, retries, redaction, no
redirects) without ever holding the token: the session has no attribute, method or
repr that gives it out, and only the read methods in ``READ_METHODS`` may be called.

``whoami()`` is ``auth.test`` for the token, answered from the tool's
``IdentityCache`` after the first time: a token belongs to one person for its whole
life, so the answer cannot go stale. The cache is keyed by an HMAC of the token
under a key made for that cache, so not even the cache holds something that could be
turned back into it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import ssl
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, NoReturn

from ocp_users_photo.credentials import Renew, appears_in
from ocp_users_photo.fork_safe_lock import ForkSafeLock
from ocp_users_photo.slack.client import SlackClient, SlackReply

if TYPE_CHECKING:
    from ocp_users_photo.credentials import SlackToken
    from ocp_users_photo.whoami import TokenIdentity

__all__ = ["READ_METHODS", "IdentityCache", "SlackSession"]

READ_METHODS: Final = frozenset({"auth.test", "users.profile.get"})


class IdentityCache:
    """auth.test's answers by token, bounded; keys are HMACs, never tokens.

    A tool acting for a workspace's people asks auth.test whose each installation's token
    is before its first change (``UsersSetPhoto._token_is_bound_persons``): with only 256
    answers kept, every call from its 257th person onwards was asked again. 4,096 answers
    take under 8 MB (measured with long names and 20 scopes each)."""

    def __init__(self, max_tokens: int = 4096) -> None:
        self._key = secrets.token_bytes(32)
        self._max = max_tokens
        # Each answer with when it came (time.monotonic()).
        self._known: OrderedDict[bytes, tuple[TokenIdentity, float]] = OrderedDict()
        # call_sync may use the tool from several threads; a forked child's is free.
        self._lock = ForkSafeLock()

    def key_for(self, token: SlackToken) -> bytes:
        return hmac.new(self._key, token.reveal().encode(), hashlib.sha256).digest()

    def get(self, key: bytes) -> TokenIdentity | None:
        found = self.get_with_age(key)
        return None if found is None else found[0]

    def get_with_age(self, key: bytes) -> tuple[TokenIdentity, float] | None:
        """The answer remembered for ``key`` and how many seconds ago it came."""
        with self._lock:
            found = self._known.get(key)
            if found is None:
                return None
            self._known.move_to_end(key)
            identity, answered_at = found
            return identity, time.monotonic() - answered_at

    def put(self, key: bytes, identity: TokenIdentity) -> None:
        with self._lock:
            self._known[key] = (identity, time.monotonic())
            self._known.move_to_end(key)
            while len(self._known) > self._max:
                self._known.popitem(last=False)

    def __repr__(self) -> str:
        return f"IdentityCache({len(self._known)} tokens)"


class SlackSession:
    """Calls Slack's read methods with one person's token; the token never leaves it."""

    __slots__ = ("_client", "_identities", "_renew", "_token")

    def __init__(
        self,
        client: SlackClient,
        token: SlackToken,
        *,
        renew: Renew | None = None,
        identities: IdentityCache | None = None,
    ) -> None:
        self._client = client
        self._token = token
        self._renew = renew
        self._identities = identities if identities is not None else IdentityCache(max_tokens=1)

    @property
    def base_url(self) -> str:
        """Slack's API base URL, as the tool was configured (the emulator's, in tests)."""
        return self._client.base_url

    async def image_tls_context(self) -> ssl.SSLContext | None:
        """The TLS context for Slack's image hosts (SlackClient.image_tls_context)."""
        return await self._client.image_tls_context()

    async def call(self, method: str, fields: Mapping[str, str] | None = None) -> SlackReply:
        """Slack's ok reply to ``method`` (one of ``READ_METHODS``), or a typed error.

        The reply's body has the token redacted, like every reply of ``SlackClient``.
        """
        if method not in READ_METHODS:
            allowed = ", ".join(sorted(READ_METHODS))
            raise ValueError(f"a SlackSession calls only Slack's read methods ({allowed})")
        renew = self._renew_and_keep if self._renew is not None else None
        return await self._client.call(method, token=self._token, fields=fields, renew=renew)

    async def _renew_and_keep(self, expired: SlackToken) -> SlackToken | None:
        """Renew, and call with the fresh token from now on (not renew again on every read)."""
        if self._renew is None:
            return None
        fresh = await self._renew(expired)
        if fresh is not None:
            self._token = fresh
        return fresh

    def echoed_in(self, data: bytes) -> bool:
        """Whether ``data`` (a downloaded image) holds this session's token or a part of it,
        in any case: a server that wrote it there would have it stored with the photo, and
        sent again. Blocking for large data: for a worker thread."""
        return appears_in(data, self._token.secret_texts())

    def remembered_identity(self) -> tuple[TokenIdentity, float] | None:
        """auth.test's remembered answer for this session's token and its age in seconds,
        without asking."""
        return self._identities.get_with_age(self._identities.key_for(self._token))

    async def whoami(self, *, fresh: bool = False) -> TokenIdentity:
        """auth.test for this session's token (asked once per token, then remembered;
        ``fresh`` asks again: a scope added to the app keeps the token's text)."""
        from ocp_users_photo.whoami import identity_from

        known = None if fresh else self._identities.get(self._identities.key_for(self._token))
        if known is not None:
            return known
        reply = await self.call("auth.test")
        # Keyed by the token that answered: one Slack said token_expired for is renewed
        # by the call, and the fresh token is the one asked again (once, not twice).
        identity = identity_from(reply.body, reply.headers, self._token.kind)
        if identity.user_id:  # Slack's always names one: an odd reply is not kept for good
            self._identities.put(self._identities.key_for(self._token), identity)
        return identity

    def __repr__(self) -> str:
        return f"SlackSession({self._client.base_url!r}, token=[redacted])"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a SlackSession cannot be pickled: it would write the token out")
