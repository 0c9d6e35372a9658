"""Who is calling: the token from the request, checked against the registry and a scope."""

from __future__ import annotations

from starlette.datastructures import Headers

from ocp_users_photo.emulator.config import TokenGrant
from ocp_users_photo.emulator.incoming import Incoming
from ocp_users_photo.emulator.replies import SlackFailure, naming_scopes
from ocp_users_photo.emulator.tokens import TokenRegistry


def bearer_token(headers: Headers) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; other schemes are ignored."""
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def request_token(headers: Headers, incoming: Incoming, *, query_allowed: bool) -> str | None:
    """The header's token, else a form field's, else (where allowed) the query string's.

    The header wins when both are given. A JSON body's `token` is ignored: Slack
    requires the header for JSON posts.
    """
    from_header = bearer_token(headers)
    if from_header:
        return from_header
    if incoming.body_kind == "form":
        for key, value in incoming.body_fields:
            if key == "token" and value:
                return value
    if query_allowed:
        for key, value in incoming.query:
            if key == "token" and value:
                return value
    return None


def authenticate(
    tokens: TokenRegistry, token: str | None, *, needed_scope: str | None, bots_allowed: bool
) -> TokenGrant:
    """The caller's grant; raises SlackFailure the way Slack orders these checks.

    not_authed, then token_revoked / token_expired / invalid_auth, then
    not_allowed_token_type, then missing_scope (none needed when `needed_scope` is None).
    """
    if token is None:
        raise SlackFailure("not_authed")
    lookup = tokens.lookup(token)
    if lookup.grant is None:
        assert lookup.status is not None
        raise SlackFailure(lookup.status.value)
    grant = lookup.grant
    with naming_scopes(grant.scopes, needed_scope):
        if grant.is_bot and not bots_allowed:
            raise SlackFailure("not_allowed_token_type")
        if needed_scope is not None and needed_scope not in grant.scopes:
            raise SlackFailure(
                "missing_scope",
                extra={"needed": needed_scope, "provided": ",".join(grant.scopes)},
            )
    return grant
