"""A token variable still holding the documentation's placeholder is refused at home.

README.md and docs/mcp.md show ``"SLACK_USER_TOKEN": "xoxp-your-user-token"`` and write a
token as ``xoxp-...``: copied as they are, they went to Slack, which answered
invalid_auth for a mistake nothing on the wire is needed to see.
"""

from __future__ import annotations

import pytest

from ocp_users_photo.credentials import check_token, check_token_text


@pytest.mark.parametrize(
    "placeholder",
    ["xoxp-...", "xoxp-your-user-token", "xoxp-YOUR-TOKEN", "xoxp-1-...", "xoxp-xxxxxxxxxxxx"],
)
def test_a_placeholder_is_refused_saying_to_put_the_real_token_in(placeholder: str) -> None:
    token, (problem,) = check_token(placeholder, origin="SLACK_USER_TOKEN")
    assert token is None
    assert problem.path == "$.token"
    assert "SLACK_USER_TOKEN holds a placeholder" in problem.message
    assert "replace it with the person's user token" in problem.message
    assert placeholder not in problem.message


@pytest.mark.parametrize(
    "token",
    [
        "xoxp-1234567890-1234567890-1234567890-0123456789abcdef0123456789abcdef",
        "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MA",
        "xoxp-tool-on-emulator",
        "xoxb-9-9-9-bot",
    ],
)
def test_a_real_looking_token_is_not_called_a_placeholder(token: str) -> None:
    taken, problems = check_token_text(token, origin="SLACK_USER_TOKEN")
    assert problems == []
    assert taken is not None


def test_the_documentations_own_placeholders_are_the_ones_refused() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    shown = (root / "README.md").read_text() + (root / "docs" / "mcp.md").read_text()
    assert '"SLACK_USER_TOKEN": "xoxp-your-user-token"' in shown
    _, (problem,) = check_token_text("xoxp-your-user-token", origin="SLACK_USER_TOKEN")
    assert "placeholder" in problem.message


def test_a_placeholder_with_a_typographic_ellipsis_is_called_a_placeholder() -> None:
    """'xoxp-…' (an editor's or a chat's ellipsis) was called "non-ASCII: copy it again"."""
    _, (problem,) = check_token_text("xoxp-\u2026", origin="SLACK_USER_TOKEN")
    assert "SLACK_USER_TOKEN holds a placeholder" in problem.message


def test_a_stored_token_no_request_can_use_is_not_said_to_hold_spaces() -> None:
    """The damaged-installation message named one reason ("spaces, control or non-ASCII
    characters") for every token check the store's token fails, a placeholder's too."""
    from ocp_users_photo.installations import UserTokenMissing
    from ocp_users_photo.tokens import ActingPerson

    error = UserTokenMissing(ActingPerson("T0123456789", "UALICE0001"), damaged=True)
    assert "a placeholder" in str(error)
    assert "install the app again" in str(error)


def test_a_token_is_refused_as_too_long_only_past_4096_characters() -> None:
    """The cap sits far past any Slack token: one at it is checked as any other token, one
    character more is told by its length, before any other word on its shape."""
    at_cap = "xoxp-" + "1" * (4096 - 5)
    taken, problems = check_token_text(at_cap, origin="SLACK_USER_TOKEN")
    assert problems == []
    assert taken is not None
    taken, (problem,) = check_token_text(at_cap + "1", origin="SLACK_USER_TOKEN")
    assert taken is None
    assert "is 4097 characters long, longer than any Slack token" in problem.message
