"""The one place that reads the environment: the token and Slack's base URL."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit

TOKEN_VARIABLES: Final = ("SLACK_USER_TOKEN", "SLACK_TOKEN")
BASE_URL_VARIABLE: Final = "SLACK_API_URL"
DEFAULT_BASE_URL: Final = "https://slack.com/api"


def token_from_environment(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The first token variable that is set, as (variable name, value); None if none is."""
    for name in TOKEN_VARIABLES:
        value = environ.get(name)
        if value:
            return name, value
    return None


def base_url_from(explicit: str | None, environ: Mapping[str, str]) -> str:
    """The API base URL: explicit, else SLACK_API_URL, else Slack's; checked and normalised.

    The token travels to this URL, so plain http is allowed only to a loopback host
    (a local emulator), never across a network.
    """
    if explicit is not None:
        raw, origin = explicit, "base_url"
    elif environ.get(BASE_URL_VARIABLE):
        raw, origin = environ[BASE_URL_VARIABLE], BASE_URL_VARIABLE
    else:
        raw, origin = DEFAULT_BASE_URL, "the default"
    return check_base_url(raw, origin=origin)


def check_base_url(raw: str, *, origin: str) -> str:
    """The base URL without a trailing slash, or ValueError saying how to fix it."""
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{origin} must be an http(s) URL such as https://slack.com/api, got {raw!r}"
        )
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{origin} must not carry a user name or password; remove them")
    if parts.query or parts.fragment:
        raise ValueError(f"{origin} must not have a query or fragment, got {raw!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(
            f"{origin} uses plain http to {parts.hostname}, which would send the token "
            "unencrypted: use https, or a loopback address (127.0.0.1) for a local emulator"
        )
    return raw.strip().rstrip("/")


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
