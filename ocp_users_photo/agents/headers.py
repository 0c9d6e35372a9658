"""Credentials the ocp-agent way: a Slack token in an ``Authorization: Bearer`` header.

ocp-agent users give an API its credentials as headers, to ``register_api(name,
headers=...)`` or to one ``call_tool(..., headers=...)``. For usersSetPhoto the
token is taken from there (a call's headers first, then the registration's), and
checked when the tool is called, not at registration: the same headers may serve
other Slack tools, for which a bot token is right. A header that is no Slack
bearer token is refused without its value ever being repeated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from ocp_users_photo.credentials import AuthorizationHeader
from ocp_users_photo.errors import TOKEN_PATH, Problem
from ocp_users_photo.prepared import TokenOverride

# The scheme's name compares case-insensitively (RFC 9110, section 11.1): "bearer" too.
_BEARER: Final = re.compile(r"(?i:Bearer) ([^\s]+)")


def is_authorization(name: object) -> bool:
    """Whether a header's name is Authorization's: case-insensitively, white space around it
    set aside. One rule for reading the header and for replacing it (route.py)."""
    return isinstance(name, str) and name.strip().lower() == "authorization"


def authorization_of(headers: Mapping[str, str] | None) -> str | None:
    """The Authorization header's value (names compare as ``is_authorization``); None if absent."""
    if not headers:
        return None
    for name, value in headers.items():
        if is_authorization(name):
            return value if isinstance(value, str) else ""
    return None


def held_authorization(headers: Mapping[str, str] | None) -> AuthorizationHeader | None:
    """A call's Authorization header, held so that the coroutine that runs the call keeps
    no mapping of headers in its locals (an error reporter would send the token in it)."""
    value = authorization_of(headers)
    return None if value is None else AuthorizationHeader(value)


def token_override(authorization: str | None, *, origin: str) -> TokenOverride | None:
    """The token a ``Bearer xox...`` header gives, or a refusal; None when there is no header."""
    if authorization is None:
        return None
    found = _BEARER.fullmatch(authorization.strip())
    if found is None or not found.group(1).startswith(("xox", "xapp-")):
        return TokenOverride(
            value="",
            origin=origin,
            problem=Problem(
                TOKEN_PATH,
                f"the Authorization header of {origin} is not a Slack token in the form "
                "'Bearer xoxp-...': give headers={'Authorization': 'Bearer xoxp-...'} with "
                "the user token of the person whose photo is set",
            ),
        )
    return TokenOverride(value=found.group(1), origin=f"the Authorization header of {origin}")
