"""oauth.v2.access with grant_type=refresh_token, through the package's own SlackClient.

The answer becomes a copy of the installation with the new user token, refresh token
and expiry, as Bolt's rotation makes it (so the same store serves a Bolt app and this
package alike). Slack spends the used refresh token: the copy must be saved.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.oauth.installation_store import Installation

from ocp_users_photo.credentials import (
    MAX_TOKEN_CHARS,
    ClientCredentials,
    SecretTexts,
    SlackToken,
    check_token_text,
    secret_runs,
    token_secret_forms,
)
from ocp_users_photo.errors import RateLimited, SlackApiError, TransportError, raise_alone
from ocp_users_photo.installations.errors import TokenRefreshFailed
from ocp_users_photo.slack.client import SlackClient, SlackReply
from ocp_users_photo.token_kinds import LONGEST_TOKEN_LIFETIME, token_kind
from ocp_users_photo.tokens import ActingPerson

logger = logging.getLogger("ocp_users_photo")

REFRESH_METHOD = "oauth.v2.access"
# Slack's codes are short snake_case words; anything else from a server is not quoted.
_MAX_CODE_CHARS = 64
# The longest token lifetime taken as given (a week; Slack's are 12 hours).
MAX_LIFETIME = LONGEST_TOKEN_LIFETIME
# The fields of Slack's answer that hold the new tokens: read as Slack sent them (their
# runs shared with the spent refresh token are the person's numbers, not an echo).
ISSUED = ("access_token", "refresh_token")
# A run this long shared with a secret makes an "error code" an echo of it, not a code.
_SECRET_RUN_CHARS = 8


@dataclass(frozen=True)
class Refreshed:
    """A refresh's new installation, and why whose its token is was not confirmed, if it was
    not (``unconfirmed``): then the installation is due at once (its expiry is the
    refresh's time), to be saved, since Slack spent the refresh token it replaces, but
    never used as it is: whatever reads it next refreshes it, and asks again whose it is."""

    installation: Installation = field(repr=False)
    unconfirmed: str | None = None


async def refresh_user_token(
    slack: SlackClient,
    credentials: ClientCredentials,
    installation: Installation,
    person: ActingPerson,
    *,
    now: float,
    install_url: str | None = None,
) -> Refreshed:
    """The installation with a new user token; ``TokenRefreshFailed`` if Slack says no."""
    assert installation.user_refresh_token, "callers check for a refresh token first"
    # In a SlackToken until the body is encoded: this frame's locals never show it as text.
    spent = SlackToken(installation.user_refresh_token)
    fields: dict[str, str | SlackToken] = {"grant_type": "refresh_token", "refresh_token": spent}
    try:
        reply = await slack.call(
            REFRESH_METHOD, token=None, fields=fields, client_auth=credentials, issued=ISSUED
        )
    except RateLimited:
        raise  # a wait, not a refusal: the refresh token is still good
    except TransportError as lost:
        # No usable answer: said as the refresh's failure, not as a change that "may have
        # taken effect" (the photo's call comes after, or was refused token_expired).
        failure = TokenRefreshFailed(
            person,
            slack_error=None,
            unanswered=lost.message,
            install_url=install_url,
            # Named only where trying again meets it again: a proxy's 502 or a proxy down
            # for a moment may pass, and "try again in a few minutes" stays right for it.
            to_check=lost.to_check if lost.setting_at_fault else None,
        )
    except SlackApiError as refused:
        code = _code_of(refused.error, (spent.reveal(), *credentials.secrets()))
        failure = TokenRefreshFailed(person, slack_error=code, install_url=install_url)
    else:
        refreshed = _refreshed(installation, reply, person, now=now, install_url=install_url)
        unconfirmed = await _confirm_whose(
            slack, refreshed, person, credentials, install_url=install_url
        )
        if unconfirmed is not None:
            refreshed.user_token_expires_at = int(now)
        return Refreshed(refreshed, unconfirmed)
    # Raised outside the except block: the SlackApiError holds Slack's whole reply.
    raise_alone(failure)


def companions_of(refresh_token: str | None, credentials: ClientCredentials) -> SecretTexts:
    """The secrets Slack holds beside an installation's user token (its refresh token, the
    app's client secret), redacted wherever that token is (``SlackToken(companions=)``)."""
    return SecretTexts(
        token_secret_forms(refresh_token) if refresh_token else (), credentials.secrets()
    )


async def _confirm_whose(
    slack: SlackClient,
    refreshed: Installation,
    person: ActingPerson,
    credentials: ClientCredentials,
    *,
    install_url: str | None,
) -> str | None:
    """auth.test with the new token: ``TokenRefreshFailed`` when Slack says it is another
    user's. Slack's refresh answer names no user, so an answer meant for another person (a
    mixed-up cache or proxy, a server's bug) passed every check of the answer itself, and,
    saved as this person's, set the other person's photo on every call from then on.

    None when auth.test names this person; else why it did not (unanswered, refused, no
    user named). The tokens were then kept and used as this person's: with a mixed-up
    answer and an auth.test lost, a call for one person set another's photo, and so did
    every later call. The caller saves them due at once (``Refreshed``)."""
    assert refreshed.user_token, "_refreshed sets it"
    # The secrets Slack holds beside the new token are redacted from its answer too, as
    # from every answer to an installation's token (source.InstallationTokenSource).
    refresh_token = refreshed.user_refresh_token or ""
    token = SlackToken(refreshed.user_token, companions=companions_of(refresh_token, credentials))
    try:
        identity = await slack.call("auth.test", token=token)
    except RateLimited:
        return "auth.test was rate limited"
    except SlackApiError as refused:
        secrets = (refreshed.user_token, refresh_token, *credentials.secrets())
        return f"auth.test answered {_code_of(refused.error, secrets)}"
    except TransportError:
        return "auth.test got no usable answer"
    user = identity.body.get("user_id")
    if not isinstance(user, str) or not user:
        return "auth.test named no user"
    if user != refreshed.user_id:
        raise TokenRefreshFailed(
            person, slack_error=None, detail="it is for another user", install_url=install_url
        )
    return None


def _refreshed(
    installation: Installation,
    reply: SlackReply,
    person: ActingPerson,
    *,
    now: float,
    install_url: str | None,
) -> Installation:
    # The reply (its repr leaves the body out) and SlackTokens, never the body as a dict:
    # this frame is in the traceback of the refusals raised here.
    tokens = _new_tokens(reply.body)
    if {"access_token", "refresh_token"} & reply.withheld:
        # The client left a "new token" redacted: it held a whole credential the refresh
        # sent (the spent refresh token, the client secret), so Slack issued no token there,
        # and saved, the next call or refresh would send "[redacted]" to Slack. Said first:
        # "xoxe.xoxp-1-[redacted]" also fails the token's own checks, which would tell less.
        tokens = "it echoes a credential the refresh sent, not new tokens"
    if isinstance(tokens, str):
        raise TokenRefreshFailed(person, slack_error=None, detail=tokens, install_url=install_url)
    other = _someone_else(reply.body, installation)
    if other:
        # Whose tokens these are, the reply says: saved as this person's, they would set
        # another person's photo (a mixed-up cache or proxy, a server's bug).
        raise TokenRefreshFailed(
            person, slack_error=None, detail=f"it is for another {other}", install_url=install_url
        )
    access_token, refresh_token, expires_in = tokens
    refreshed = Installation(**installation.to_dict_for_copying())
    # The copy turns empty scope lists into None, which slack_sdk's stores cannot save
    # (they join them with commas): an installation without a bot is the usual case here.
    refreshed.bot_scopes = list(installation.bot_scopes or [])
    refreshed.user_token = access_token.reveal()
    refreshed.user_refresh_token = refresh_token.reveal()
    refreshed.user_token_expires_at = int(now) + expires_in
    scope = reply.body.get("scope")
    if isinstance(scope, str) and scope:
        refreshed.user_scopes = scope.split(",")
    return refreshed


def _new_tokens(body: Mapping[str, Any]) -> tuple[SlackToken, SlackToken, int] | str:
    """(access token, refresh token, lifetime), or what is wrong with the reply."""
    access_token = body.get("access_token")
    refresh_token = body.get("refresh_token")
    if body.get("token_type") != "user":
        return "it is not a user token"
    if not isinstance(access_token, str) or token_kind(access_token) != "user":
        return "no user access token in it"
    if len(access_token) > MAX_TOKEN_CHARS:
        # Refused as every door refuses it; said as what it is, not as characters it lacks.
        return f"its access token is {len(access_token)} characters long, longer than any token"
    if check_token_text(access_token, origin="the refresh")[1]:
        # Spaces, control characters, quotes, punctuation after it: no token Slack issues.
        return "its access token is not shaped as a Slack token"
    if not isinstance(refresh_token, str) or not refresh_token:
        return "no new refresh token in it"
    if not (refresh_token.isascii() and refresh_token.isprintable()) or " " in refresh_token:
        return "its refresh token holds spaces, control or non-ASCII characters"
    return SlackToken(access_token), SlackToken(refresh_token), _lifetime(body.get("expires_in"))


def _lifetime(expires_in: object) -> int:
    """The token's lifetime in seconds, at most MAX_LIFETIME; 0 (refreshed again at the next
    call) when the reply gives none that can be read.

    Never a reason to refuse the reply: Slack spent the old refresh token when it answered,
    so the new tokens must be saved whatever their stated lifetime. Slack's are 43200, as a
    number; a number in text or a float is read as one.
    """
    seconds: float | None = None
    if isinstance(expires_in, int) and not isinstance(expires_in, bool):
        # Within a float's reach both ways: 10**400 and -(10**400) are no float.
        seconds = float(max(min(expires_in, MAX_LIFETIME), -1))
    elif isinstance(expires_in, float):
        seconds = expires_in
    elif isinstance(expires_in, str) and expires_in.strip().isdecimal() and len(expires_in) < 12:
        # Decimal digits, which float() reads (any script's); isdigit() would let "²" through.
        seconds = float(expires_in.strip())
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        logger.warning(
            "oauth.v2.access gave no usable lifetime (expires_in): the new token is saved, "
            "and refreshed again at the next call"
        )
        return 0
    # Slack's are 12 hours. A longer one is taken as a week: 10**400 seconds would go into
    # the store as given.
    return int(min(seconds, MAX_LIFETIME))


def _someone_else(body: Mapping[str, Any], installation: Installation) -> str:
    """What the reply says the tokens belong to, where that is not ``installation``'s: "user",
    "workspace" or "organization"; "" when nothing in it says otherwise."""
    authed_user = body.get("authed_user")
    users = [body.get("user_id"), authed_user.get("id") if isinstance(authed_user, dict) else None]
    if any(isinstance(user, str) and user != installation.user_id for user in users):
        return "user"
    if not installation.is_enterprise_install and _id_in(body, "team") not in (
        None,
        installation.team_id,
    ):
        return "workspace"
    if _id_in(body, "enterprise") not in (None, installation.enterprise_id):
        return "organization"
    return ""


def _id_in(body: Mapping[str, Any], name: str) -> str | None:
    """``body[name]["id"]`` when it is text (Slack gives ``team`` and ``enterprise`` so)."""
    found = body.get(name)
    identifier = found.get("id") if isinstance(found, dict) else None
    return identifier if isinstance(identifier, str) else None


def _code_of(error: str, secrets: Sequence[str]) -> str:
    """Slack's error code when it looks like one and echoes no part of a secret, else
    "unknown_error" (a server that echoes a refresh token's or a secret's middle)."""
    if not (len(error) <= _MAX_CODE_CHARS and error.replace("_", "").isalnum() and error.isascii()):
        return "unknown_error"
    folded = error.lower()  # ASCII, checked above: an echo in another case is one too
    for secret in secrets:
        if any(run.lower() in folded for run in secret_runs(secret, _SECRET_RUN_CHARS)):
            return "unknown_error"
    return error
