"""One Slack address however it is spelled (slack/addresses.py), at every place the tool
compares two: its token source's, and an agent's register_api('slack', base_url=...)."""

from __future__ import annotations

import pytest

from ocp_users_photo.slack.addresses import one_address, same_slack


@pytest.mark.parametrize(
    "spelled",
    [
        "https://slack.com/api",
        "https://slack.com/api/",
        "https://SLACK.com/api",
        "HTTPS://slack.com/api",
        "https://slack.com:443/api",
    ],
)
def test_the_same_slack_spelled_otherwise_is_one_address(spelled: str) -> None:
    assert same_slack(spelled, "https://slack.com/api")
    assert one_address(spelled) == "https://slack.com/api"


@pytest.mark.parametrize(
    "other",
    [
        "http://slack.com/api",  # plain http is another address (and never sent a token)
        "https://slack.com:8443/api",
        "https://slack-gov.com/api",
        "https://slack.com/api/v2",
        "https://slack.com/API",  # a path is case-sensitive
        "",
    ],
)
def test_another_address_is_not_the_same_slack(other: str) -> None:
    assert not same_slack(other, "https://slack.com/api")


def test_an_address_httpx_cannot_read_is_compared_as_written() -> None:
    assert one_address("http://[::1") == "http://[::1"
    assert not same_slack("http://[::1", "https://slack.com/api")


def test_register_api_takes_the_tools_own_slack_spelled_otherwise() -> None:
    """register_api('slack', base_url=...) refused the tool's own Slack given with its
    default port or an upper-case host ("does not move usersSetPhoto"): it compared text."""
    from ocp_users_photo.agents.route import SlackPhotoRoute
    from ocp_users_photo.tool import UsersSetPhoto

    route = SlackPhotoRoute(UsersSetPhoto("xoxp-1-test", environ={}))
    for spelled in ("https://slack.com:443/api", "https://Slack.COM/api/"):
        assert route.base_url_refusal(spelled) is None
    refusal = route.base_url_refusal("https://slack.com:8443/api")
    assert refusal is not None
    assert "does not move usersSetPhoto" in refusal


def test_discovery_gets_the_registered_headers_at_the_tools_slack() -> None:
    """Both agent doors ask the route what a spec_url discovery runs with: headers
    registered before go only with the tool's own address (never the spec's host)."""
    from ocp_users_photo.agents.route import SlackPhotoRoute
    from ocp_users_photo.tool import UsersSetPhoto

    route = SlackPhotoRoute(
        UsersSetPhoto("xoxp-1-test", environ={}, base_url="http://127.0.0.1:9/api")
    )
    assert route.discovery_arguments(None, None) == (None, None)  # nothing registered
    route.remember_headers({"Authorization": "Bearer xoxp-1-registered", "X-Trace": "1"})
    assert route.discovery_arguments(None, None) == (
        "http://127.0.0.1:9/api",
        {"Authorization": "Bearer xoxp-1-registered", "X-Trace": "1"},
    )
    # A discovery given its own headers runs with them, at the address it was given.
    assert route.discovery_arguments(None, {"X-Own": "1"}) == (None, {"X-Own": "1"})
    assert route.discovery_arguments("http://127.0.0.1:9/api", None)[0] == "http://127.0.0.1:9/api"
