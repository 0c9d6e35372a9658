"""Review of the escaped-spelling redaction (diffreview9): what a hostile reply makes it cost."""

from __future__ import annotations

import json

from ocp_users_photo import safe_text
from ocp_users_photo.credentials import SlackToken, redactor
from tests.conftest import CANARY_TOKEN


def test_a_backslash_escape_is_matched_from_its_runs_first_backslash_only() -> None:
    """The \\u and \\x pattern tried a match from every backslash of a run, each try
    running to the run's end: quadratic in a hostile reply's run of them (about a second
    for 16,000, a quarter of an hour for 500,000, holding the GIL, which pytest-timeout
    cannot interrupt). A match may only start where the run does."""
    run = "\\" * 6 + "u0078"
    assert safe_text._BACKSLASH_ESCAPE.match(run, 0) is not None
    assert all(safe_text._BACKSLASH_ESCAPE.match(run, start) is None for start in range(1, 6))
    assert safe_text.read_back(run) == "x"


def test_a_reply_of_backslashes_reads_back_to_nothing_of_the_token() -> None:
    """A reply's string of many backslashes (with a % in the reply, so its strings are
    searched) is read back and let through: nothing in it is the token."""
    token = SlackToken(CANARY_TOKEN)
    raw = json.dumps({"ok": False, "error": "invalid_auth", "d": "%" + "\\" * 20_000}).encode()
    value = json.loads(raw)
    assert redactor(token.secret_texts(), raw)(value) == value
