"""What to do about each Slack error code users.setPhoto can answer, in words a model can act on.

The codes are Slack's (its users.setPhoto error schema, plus the codes common to
every Web API method); the advice is ours. The README's error table is generated
from this mapping.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Final

# SLACK_ADDRESS: the setting a message asks to check (errors.py's messages name it too).
from ocp_users_photo.errors import READ_ONLY_METHODS, SLACK_ADDRESS, SLACK_FAILED_PARTWAY

_CHANGED_ON_THE_WAY = (
    "nothing changed. The tool writes this part right, so something on the way (a proxy or "
    "gateway, or an HTTP client given to the tool) changed the request: check that, or "
    "report it to ocp-users-photo."
)


def rate_limited_hint(method: str, wait: str) -> str:
    """A rate limit's advice with the wait in words (``"wait 30 s, as Slack asks"``): the
    number a result carries in its ``retry_after`` field, never the field's name."""
    tier = " (Tier 2, about 20 calls a minute)" if method == "users.setPhoto" else ""
    return f"Slack rate-limited this app{tier}: {wait}, then try again."


HINTS: MappingProxyType[str, str] = MappingProxyType(
    {
        # users.setPhoto's own codes
        "bad_image": "Slack could not process the image: send a valid JPEG, GIF or PNG file.",
        "too_large": "The image's dimensions are too large: send one of at most 1024x1024 pixels.",
        "too_many_frames": "The animated GIF has too many frames: send a still image or a "
        "shorter animation.",
        "not_found": "Slack could not find the user or the upload: check the token belongs to an "
        "active user, then try again.",
        # authentication and authorisation
        "not_authed": "No token reached Slack, though the tool sent one in the Authorization "
        "header: a proxy or gateway on the way may have removed it. Whoever runs the tool "
        f"checks the proxy settings and {SLACK_ADDRESS}; trying again unchanged will not help.",
        "invalid_auth": "The token is not valid (revoked, or not a current user token): whoever "
        "runs the tool configures a current user token (xoxp-...); in an app each person "
        "installs, that person installs the app again. If the token is current, the app may "
        "allow calls from listed IP addresses only.",
        "account_inactive": "The token's user or workspace is deactivated: use a token of an "
        "active user.",
        "token_revoked": "The token was revoked: create a new user token (xoxp-...) and set it; "
        "in an app each person installs, that person installs the app again.",
        "token_expired": "The token expired: refresh it (token rotation) and try again.",
        "no_permission": "The workspace does not let this person change their own photo (an "
        "admin's setting): ask a workspace admin.",
        "org_login_required": "The workspace is migrating to an Enterprise Grid org: try again "
        "once the migration is done.",
        "user_is_bot": "This method is not for bot users: use a person's user token (xoxp-...).",
        "missing_scope": "The token lacks a scope: add users.profile:write to the app's user "
        "token scopes and reinstall it.",
        "not_allowed_token_type": "This token type cannot set a photo: use a user token "
        "(xoxp-...), not a bot (xoxb-) or app-level (xapp-) token.",
        "team_added_to_org": "The workspace is being moved into an Enterprise Grid org and "
        "Slack is unavailable to it now and then until that is done: try again later.",
        "team_access_not_granted": "The token was not granted access to this workspace (an "
        "install on an Enterprise Grid org): an org admin adds the app to the workspace, or use "
        "a token installed on it.",
        "enterprise_is_restricted": "This method cannot be called with an Enterprise Grid org's "
        "token: use a token installed on the person's workspace.",
        "two_factor_setup_required": "The workspace requires two-factor authentication, which "
        "the token's user has not set up: they set it up in Slack, then try again.",
        "access_denied": "Slack denied access to the resource: check the token's user and "
        "workspace.",
        "accesslimited": "Slack limited access to this method here: try again later or from "
        "another network.",
        "ekm_access_denied": "Administrators suspended access (Enterprise Key Management): ask "
        "an admin.",
        "upgrade_required": "The workspace's plan or the app's token needs an upgrade for this "
        "method.",
        "method_deprecated": "Slack has retired this method at the address called: whoever "
        "runs the tool checks its base URL is Slack's Web API (https://slack.com/api) and "
        "upgrades ocp-users-photo.",
        "deprecated_endpoint": "Slack has retired this endpoint: whoever runs the tool checks "
        "its base URL is Slack's Web API (https://slack.com/api) and upgrades ocp-users-photo.",
        # Requests Slack could not read: the tool writes them right, so something on the way
        # (a proxy, a gateway, an HTTP client given to the tool) changed them. The person can
        # do nothing with "send multipart/form-data": they are told where to look.
        "invalid_arg_name": f"Slack rejected an argument name: {_CHANGED_ON_THE_WAY}",
        # Slack's own code, which the tool's refusal before sending shares: said as Slack's,
        # so a model does not rewrite arguments the tool's checks passed.
        "invalid_arguments": "Slack refused the request's arguments after the tool's own "
        f"checks passed them (rewriting them will not help): {_CHANGED_ON_THE_WAY}",
        "invalid_array_arg": f"Slack rejected an array argument: {_CHANGED_ON_THE_WAY}",
        "invalid_charset": f"Slack rejected the request's charset: {_CHANGED_ON_THE_WAY}",
        "invalid_form_data": f"Slack could not read the upload form: {_CHANGED_ON_THE_WAY}",
        "invalid_post_type": f"Slack rejected the request's content type: {_CHANGED_ON_THE_WAY}",
        "missing_post_type": f"Slack got no content type: {_CHANGED_ON_THE_WAY}",
        "invalid_json": f"Slack could not parse the request as JSON: {_CHANGED_ON_THE_WAY}",
        "json_not_object": f"Slack could not read the request as an object: {_CHANGED_ON_THE_WAY}",
        # Slack-side trouble
        "ratelimited": rate_limited_hint("users.setPhoto", "wait the time it asks for"),
        "request_timeout": "Slack timed out reading the request: try again, with a smaller "
        "image if it keeps happening.",
        "service_unavailable": "Slack is unavailable: try again in a few minutes.",
        "fatal_error": "Slack failed internally, and may have made the change before it did: "
        "check the photo before trying again in a few minutes.",
        "internal_error": "Slack failed internally, and may have made the change before it "
        "did: check the photo before trying again in a few minutes.",
    }
)

# Slack's refusals of a token that the person mends by installing the app again: a host
# whose token source has an install page gives it with them (model_result.error_result).
REINSTALL_CODES: frozenset[str] = frozenset({"invalid_auth", "token_revoked", "missing_scope"})

UNKNOWN_CODE_HINT = "Slack gave no more detail: see https://api.slack.com/methods/users.setPhoto."


# The user scope each method this package calls needs (Slack's method pages).
SCOPE_BY_METHOD: MappingProxyType[str, str] = MappingProxyType(
    {
        "users.setPhoto": "users.profile:write",
        "users.deletePhoto": "users.profile:write",
        "users.profile.get": "users.profile:read",
    }
)
# Advice that is only true of users.setPhoto (its image, its arguments); its rate tier's
# advice is hint_for's own case.
_SET_PHOTO_ONLY = frozenset(
    {
        "bad_image",
        "too_large",
        "too_many_frames",
        "invalid_arg_name",
        "invalid_form_data",
        "invalid_post_type",
        "missing_post_type",
        "request_timeout",  # "with a smaller image": a read sends none
        "no_permission",  # "change their own photo": a read changes nothing
    }
)
# The same codes from a method that only reads (auth.test, users.profile.get), said for it.
_READ_HINTS: MappingProxyType[str, str] = MappingProxyType(
    {"request_timeout": "Slack timed out on the request, which only reads: try again."}
)


def hint_for(
    code: str,
    method: str = "users.setPhoto",
    *,
    explained: bool = False,
    needed: str | None = None,
) -> str:
    """The advice for a Slack error code from ``method``; unknown codes still get a pointer
    to the method's docs. A scope named is the one that method needs. ``explained``: Slack
    gave its own explanation (``response_metadata.messages``), so it did give more detail."""
    docs = f"https://api.slack.com/methods/{method}"
    if code == "missing_scope":
        # The scope Slack named (its reply's "needed"), else the one the method's page names.
        scope = needed if needed and _SCOPE_NAME.fullmatch(needed) else SCOPE_BY_METHOD.get(method)
        if scope is None:
            return f"The token lacks a scope {method} needs (see {docs}): add it and reinstall."
        return (
            f"The token lacks a scope: add {scope} to the app's user token scopes and reinstall it."
        )
    if code == "ratelimited" and method != "users.setPhoto":
        return rate_limited_hint(method, "wait the time it asks for")
    if code in SLACK_FAILED_PARTWAY and method in READ_ONLY_METHODS:
        # Slack's "some aspect of the operation may have succeeded" is about a change: a read
        # failing so, before any change was sent, changed nothing.
        return (
            f"Slack failed internally; {method} only reads, so nothing changed: try again in "
            "a few minutes."
        )
    hint = HINTS.get(code)
    if hint is not None and (method == "users.setPhoto" or code not in _SET_PHOTO_ONLY):
        return hint
    if code in _READ_HINTS and method != "users.setPhoto":
        return _READ_HINTS[code]
    if explained:
        return f"See {docs} for what the code means."
    if method == "users.setPhoto":
        return UNKNOWN_CODE_HINT
    return f"Slack gave no more detail: see {docs}."


# A scope as Slack names them ("users.profile:write"), so a server's text is not repeated.
_ONE_SCOPE: Final = r"[a-z][a-z.]{0,40}:[a-z_]{1,20}"
_SCOPE_NAME: Final = re.compile(f"{_ONE_SCOPE}(?:,{_ONE_SCOPE}){{0,4}}")
