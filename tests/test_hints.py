"""hints.py: the advice for an error names what the method that failed needs."""

from __future__ import annotations

import pytest

from ocp_users_photo.credentials import SlackToken
from ocp_users_photo.emulator import EmulatorConfig, TokenGrant, run_emulator
from ocp_users_photo.errors import SlackApiError
from ocp_users_photo.hints import HINTS, UNKNOWN_CODE_HINT, hint_for
from ocp_users_photo.slack.client import SlackClient


@pytest.mark.parametrize(
    ("method", "scope"),
    [
        ("users.setPhoto", "users.profile:write"),
        ("users.deletePhoto", "users.profile:write"),
        ("users.profile.get", "users.profile:read"),
    ],
)
def test_missing_scope_names_the_scope_of_the_method_that_failed(method: str, scope: str) -> None:
    hint = hint_for("missing_scope", method)
    assert f"add {scope} " in hint
    other = {"users.profile:write", "users.profile:read"} - {scope}
    assert not any(name in hint for name in other)


def test_a_method_without_a_known_scope_points_to_its_page() -> None:
    assert "https://api.slack.com/methods/auth.test" in hint_for("missing_scope", "auth.test")


def test_set_photo_advice_stays_with_set_photo() -> None:
    assert hint_for("bad_image") == HINTS["bad_image"]
    assert hint_for("too_large") == HINTS["too_large"]
    assert "Tier 2" in hint_for("ratelimited")
    # users.profile.get has no image and another rate tier: no advice about either.
    assert "image" not in hint_for("bad_image", "users.profile.get")
    assert "users.profile.get" in hint_for("bad_image", "users.profile.get")
    assert "Tier" not in hint_for("ratelimited", "users.profile.get")
    assert "wait the time it asks for" in hint_for("ratelimited", "users.profile.get")
    # Codes every method shares keep their advice.
    assert hint_for("invalid_auth", "users.profile.get") == HINTS["invalid_auth"]
    assert hint_for("no_such_code") == UNKNOWN_CODE_HINT


async def test_a_reader_without_the_read_scope_is_told_the_read_scope() -> None:
    config = EmulatorConfig(
        tokens=(TokenGrant("xoxp-writer", "UWRITER0001", ("users.profile:write",)),)
    )
    async with run_emulator(config) as emulator:
        slack = SlackClient(base_url=emulator.base_url, user_agent="test")
        try:
            with pytest.raises(SlackApiError) as raised:
                await slack.call("users.profile.get", token=SlackToken("xoxp-writer"))
        finally:
            await slack.aclose()
    assert raised.value.error == "missing_scope"
    assert "users.profile:read" in str(raised.value)
    assert "users.profile:write" not in str(raised.value)


# Codes that mean the request Slack got was not the one the tool writes: the person can
# not "send the image as a multipart file part"; they are told nothing changed, and what
# to check or report.
REQUEST_CHANGED_CODES = (
    "invalid_arg_name",
    "invalid_array_arg",
    "invalid_charset",
    "invalid_form_data",
    "invalid_post_type",
    "missing_post_type",
    "invalid_json",
    "json_not_object",
)


@pytest.mark.parametrize("code", REQUEST_CHANGED_CODES)
def test_a_request_slack_could_not_read_is_advice_for_the_person_not_a_developer(
    code: str,
) -> None:
    hint = hint_for(code)
    assert "nothing changed" in hint, hint
    assert "a proxy" in hint, hint
    assert "report it" in hint, hint
    assert not hint.lower().startswith("send"), hint
    assert "send multipart" not in hint, hint
    assert "multipart file part" not in hint, hint
