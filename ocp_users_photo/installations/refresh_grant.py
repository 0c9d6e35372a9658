"""oauth.v2.access with grant_type=refresh_token, through the package's own SlackClient.

The answer becomes a copy of the installation with the new user token, refresh token
and expiry, as Bolt's rotation makes it (so the same store serves a Bolt app and this
package alike). Slack spends the used refresh token: the copy must be saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.oauth.installation_store import Installation

from ocp_users_photo.credentials import ClientCredentials
from ocp_users_photo.errors import RateLimited, SlackApiError
from ocp_users_photo.installations.errors import TokenRefreshFailed
from ocp_users_photo.slack.client import SlackClient
from ocp_users_photo.token_kinds import token_kind
from ocp_users_photo.tokens import ActingPerson

REFRESH_METHOD = "oauth.v2.access"
# Slack's codes are short snake_case words; anything else from a server is not quoted.
_MAX_CODE_CHARS = 64
# The longest token lifetime taken as given (a week; Slack's are 12 hours).
MAX_LIFETIME = 7 * 24 * 3600


async def refresh_user_token(
    slack: SlackClient,
    credentials: ClientCredentials,
    installation: Installation,
    person: ActingPerson,
    *,
    now: float,
    install_url: str | None = None,
) -> Installation:
    """The installation with a new user token; ``TokenRefreshFailed`` if Slack says no."""
    refresh_token = installation.user_refresh_token
    assert refresh_token is not None, "callers check for a refresh token first"
    fields = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    try:
        reply = await slack.call(REFRESH_METHOD, token=None, fields=fields, client_auth=credentials)
    except RateLimited:
        raise  # a wait, not a refusal: the refresh token is still good
    except SlackApiError as refused:
        failure = TokenRefreshFailed(
            person, slack_error=_code_of(refused.error), install_url=install_url
        )
    else:
        return _refreshed(installation, reply.body, person, now=now, install_url=install_url)
    # Raised outside the except block: the SlackApiError holds Slack's whole reply.
    raise failure


def _refreshed(
    installation: Installation,
    body: Mapping[str, Any],
    person: ActingPerson,
    *,
    now: float,
    install_url: str | None,
) -> Installation:
    tokens = _new_tokens(body)
    if isinstance(tokens, str):
        raise TokenRefreshFailed(person, slack_error=None, detail=tokens, install_url=install_url)
    access_token, refresh_token, expires_in = tokens
    refreshed = Installation(**installation.to_dict_for_copying())
    # The copy turns empty scope lists into None, which slack_sdk's stores cannot save
    # (they join them with commas): an installation without a bot is the usual case here.
    refreshed.bot_scopes = list(installation.bot_scopes or [])
    refreshed.user_token = access_token
    refreshed.user_refresh_token = refresh_token
    refreshed.user_token_expires_at = int(now) + expires_in
    scope = body.get("scope")
    if isinstance(scope, str) and scope:
        refreshed.user_scopes = scope.split(",")
    return refreshed


def _new_tokens(body: Mapping[str, Any]) -> tuple[str, str, int] | str:
    """(access token, refresh token, lifetime), or what is wrong with the reply."""
    access_token = body.get("access_token")
    refresh_token = body.get("refresh_token")
    expires_in = body.get("expires_in")
    if body.get("token_type") != "user":
        return "it is not a user token"
    if not isinstance(access_token, str) or token_kind(access_token) != "user":
        return "no user access token in it"
    if not isinstance(refresh_token, str) or not refresh_token:
        return "no new refresh token in it"
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
        return "no lifetime (expires_in) in it"
    # Slack's are 12 hours. A longer one is taken as a week, not refused: Slack has spent the
    # old refresh token by now, and 10**400 seconds would go into the store as given.
    return access_token, refresh_token, min(expires_in, MAX_LIFETIME)


def _code_of(error: str) -> str:
    if len(error) <= _MAX_CODE_CHARS and error.replace("_", "").isalnum() and error.isascii():
        return error
    return "unknown_error"
