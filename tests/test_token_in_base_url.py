"""A Slack token in the base URL's host or path is refused, as one in its query is: it
went out in every request line, and into every text naming the address (the tool's
repr, a TransportError's message, the DEBUG record of each attempt)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from ocp_users_photo import UsersSetPhoto
from tests.conftest import CANARY_TOKEN
from tests.test_secrets import CANARY_SECRET, assert_no_canary, texts_of_error


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param(f"http://127.0.0.1:9/{CANARY_TOKEN}/api", id="path"),
        pytest.param(f"https://gateway.example/slack/{CANARY_TOKEN.upper()}/api", id="upper"),
        pytest.param(f"https://gateway.example/{quote(CANARY_TOKEN, safe='')}/api", id="pct"),
        pytest.param(f"https://gateway.example/{CANARY_TOKEN.replace('-', '%2D')}", id="dashes"),
        pytest.param(f"https://{CANARY_TOKEN}/api", id="host"),
        pytest.param(f"http://127.0.0.1:9/xoxb-{CANARY_SECRET}/api", id="bot token"),
    ],
)
def test_a_token_in_the_base_url_is_refused_unquoted(base_url: str) -> None:
    with pytest.raises(ValueError, match="looks like a Slack token") as refused:
        UsersSetPhoto(CANARY_TOKEN, base_url=base_url, environ={})
    assert_no_canary(texts_of_error(refused.value))


def test_the_variable_holding_a_token_is_refused_too() -> None:
    environ = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": f"https://x.example/{CANARY_TOKEN}",
    }
    with pytest.raises(ValueError, match="SLACK_API_URL holds what looks like a Slack token"):
        UsersSetPhoto(environ=environ)


@pytest.mark.parametrize(
    "base_url",
    ["https://slack.com/api", "http://127.0.0.1:9/api", "https://gw.example/xoxo-party/api"],
)
def test_an_address_without_a_token_is_taken(base_url: str) -> None:
    assert UsersSetPhoto(CANARY_TOKEN, base_url=base_url, environ={}).base_url == base_url


@pytest.mark.parametrize(
    ("base_url", "refusal"),
    [
        pytest.param(f"ftp://me:{CANARY_SECRET}@gw.example/api", "user name", id="password"),
        pytest.param(f"http://me:{CANARY_SECRET}@/api", "user name", id="password, no host"),
        # Not escaped, the "/", "?" or "#" ended the parsed host ("me:<secret's start>"), and
        # the port's refusal quoted it: the whole password, or its part before that character.
        pytest.param(
            f"https://me:{CANARY_SECRET}/x@gw.example/api", "user name", id="/ in password"
        ),
        pytest.param(
            f"https://me:{CANARY_SECRET}?x@gw.example/api", "user name", id="? in password"
        ),
        pytest.param(
            f"https://me:{CANARY_SECRET}#x@gw.example/api", "user name", id="# in password"
        ),
        pytest.param(f"https:me:{CANARY_SECRET}?x@gw.example/api", "user name", id="no slashes"),
        pytest.param(f"https://gw.example/api?token={CANARY_SECRET}", "query", id="query"),
        pytest.param(f"https://gw.example/api#{CANARY_SECRET}", "query", id="fragment"),
        pytest.param(f"https://gw.example:0/api?t={CANARY_SECRET}", "port", id="port"),
        pytest.param(f"ftp://gw.example/api?t={CANARY_SECRET}", "http", id="scheme"),
    ],
)
def test_a_refused_base_url_is_quoted_without_its_password_query_or_fragment(
    base_url: str, refusal: str
) -> None:
    """The token's part after its prefix (or any secret) in what a refusal quoted back went
    to the MCP host's log: only a whole token was masked there."""
    with pytest.raises(ValueError, match=refusal) as refused:
        UsersSetPhoto(CANARY_TOKEN, base_url=base_url, environ={})
    assert_no_canary([str(refused.value)])
