"""One Slack API address however it is spelled.

The tool, its token source and an agent's ``register_api('slack', base_url=...)`` each
name a Slack; they must name the same one (a token or refresh token given to another
Slack is a leak). ``https://SLACK.com:443/api/`` and ``https://slack.com/api`` are one.
"""

from __future__ import annotations

import httpx

__all__ = ["one_address", "same_slack"]


def one_address(url: str) -> str:
    """``url`` as one address: scheme and host in lower case, no default port, no trailing
    slash (as written when httpx cannot read it)."""
    try:
        return str(httpx.URL(url)).rstrip("/")
    except (httpx.InvalidURL, TypeError, ValueError):
        return url.rstrip("/")


def same_slack(first: str, second: str) -> bool:
    """Whether ``first`` and ``second`` name the same Slack API address."""
    return one_address(first) == one_address(second)
