"""A base URL copied with a method's name on its end (from Slack's method page): refused
at once, saying to give the API's base, rather than every call going to .../method/method."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto


@pytest.mark.parametrize(
    "url",
    [
        "https://slack.com/api/users.setPhoto",
        "https://slack.com/api/users.setPhoto/",
        "http://127.0.0.1:8765/api/auth.test",
        "https://acme.enterprise.slack.com/api/users.profile.get",
    ],
)
def test_a_base_url_ending_with_a_method_is_refused_saying_what_to_give(url: str) -> None:
    with pytest.raises(ValueError, match=r"ends with the method .*give the API's base URL"):
        UsersSetPhoto("xoxp-1-2-3-base", base_url=url)


def test_the_environments_base_url_is_told_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_API_URL", "https://slack.com/api/users.setPhoto")
    with pytest.raises(ValueError, match=r"SLACK_API_URL ends with the method users\.setPhoto"):
        UsersSetPhoto("xoxp-1-2-3-base")


@pytest.mark.parametrize(
    "url",
    ["https://slack.com/api", "https://gateway.corp.example/slack.api", "http://127.0.0.1:9/api/"],
)
def test_a_base_url_ending_otherwise_is_taken(url: str) -> None:
    tool = UsersSetPhoto("xoxp-1-2-3-base", base_url=url)
    assert tool.endpoint == url.rstrip("/") + "/users.setPhoto"


@pytest.mark.parametrize("given", [b"https://slack.com/api", Path("https://slack.com/api")])
def test_a_base_url_that_is_not_text_is_told_by_its_type(given: object) -> None:
    """bytes or a Path were refused with "must be an http(s) URL such as
    https://slack.com/api" while holding that very URL (a review of 2026-12-05)."""
    with pytest.raises(TypeError, match=rf"must be text \(str\), not {type(given).__name__}"):
        UsersSetPhoto("xoxp-1-2-3-base", base_url=given)  # type: ignore[arg-type]


async def test_a_token_argument_of_none_says_to_leave_it_out() -> None:
    """It said "must be text, not NoneType", with the tool's own token there to use."""
    async with UsersSetPhoto(
        "xoxp-1-2-3-base", base_url="http://127.0.0.1:9/api", environ={}
    ) as tool:
        with pytest.raises(InvalidArguments, match="leave token out to use the tool's own"):
            await tool.prepare({"image": "me.png", "token": None})
