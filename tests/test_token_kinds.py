"""token_kind: one classification of Slack token strings for the package and the emulator."""

from __future__ import annotations

import pytest

from ocp_users_photo.token_kinds import token_kind


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("xoxp-1234-5678-abcdef", "user"),
        ("xoxe.xoxp-1-Mi0yLTEyMzQ", "user"),
        ("xoxb-1234-5678-abcdef", "bot"),
        ("xoxe.xoxb-1-Mi0yLTEyMzQ", "bot"),
        ("xapp-1-A0123-4567-abcdef", "app"),
        ("xoxe-1-My0xLTEyMzQ", "refresh"),
        # An expiring token of a kind that does not rotate is no known kind.
        ("xoxe.xapp-1-abc", "other"),
        ("xoxe.xoxe-1-abc", "other"),
        ("xoxe.", "other"),
        ("xoxe", "other"),
        ("xoxa-2-legacy", "other"),
        ("xoxc-browser", "other"),
        ("XOXP-upper-case", "other"),
        (" xoxp-leading-space", "other"),
        ("", "other"),
        ("plain-configured-token", "other"),
    ],
)
def test_token_kind(value: str, kind: str) -> None:
    assert token_kind(value) == kind
