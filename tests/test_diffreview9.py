"""Review of the escaped-spelling redaction (diffreview9): what its gates and its reading
back miss, and what a hostile reply makes it cost."""

from __future__ import annotations

import json

from ocp_users_photo.credentials import SlackToken, redactor
from tests.conftest import CANARY_TOKEN


def test_a_reply_of_backslashes_is_read_back_in_one_pass_over_them() -> None:
    """A hostile reply's string of half a million backslashes (JSON "\\\\\\\\..." with a % in
    the reply, so its strings are searched): the \\u and \\x pattern tried a match from every
    backslash of the run, each running to its end, which is quadratic (about a second for
    16,000 of them, a quarter of an hour for these). The answer is the same either way:
    nothing in it is the token."""
    token = SlackToken(CANARY_TOKEN)
    raw = json.dumps({"ok": False, "error": "invalid_auth", "d": "%" + "\\" * 500_000}).encode()
    value = json.loads(raw)
    assert redactor(token.secret_texts(), raw)(value) == value
