"""Review of the escaped-spelling redaction (diffreview9): what its gates and its reading
back miss, and what a hostile reply makes it cost."""

from __future__ import annotations

import json
import logging
import re

import pytest

from ocp_users_photo import UsersPhotoError
from ocp_users_photo.credentials import SlackToken, redactor
from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.conftest import CANARY_TOKEN, inject, make_image
from tests.test_reply9 import holds_the_token_in_any_spelling, spelled
from tests.test_secrets import texts_of_error
from tests.test_slack_client_hardening import quick_tool

IMAGE = make_image((600, 600))

# Python's \x escape, which safe_text.read_back reads back as it does JSON's \u.
X_ESCAPED = spelled(lambda char: f"\\x{ord(char):02x}")
_X_ESCAPE = re.compile(r"\\+x([0-9a-fA-F]{2})")


def holds_the_token_x_escaped_too(text: str) -> bool:
    unescaped = _X_ESCAPE.sub(lambda found: chr(int(found.group(1), 16)), text)
    return holds_the_token_in_any_spelling(text) or holds_the_token_in_any_spelling(unescaped)


def test_the_x_spelling_reads_back_to_the_token() -> None:
    """The check below can fail: the spelling hides the token from the plain searches."""
    assert not holds_the_token_in_any_spelling(X_ESCAPED)
    assert holds_the_token_x_escaped_too(X_ESCAPED)


async def test_a_token_echoed_x_escaped_in_a_json_reply_reaches_no_output(
    emulator: RunningEmulator, http_stack: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A reply whose string holds the token written with \\x escapes (raw JSON: "\\\\x78"):
    the gate that decides whether a reply's strings are searched at all looked for \\u, %
    and & only, so the strings were handed on as they came."""
    caplog.set_level(logging.DEBUG)
    fault = Fault.json({"ok": False, "error": "invalid_auth", "detail": X_ESCAPED})
    inject(emulator, fault, fault)
    texts: list[str] = []
    async with quick_tool(emulator, http_stack, max_retries=0) as tool:
        try:
            texts.append(json.dumps(await tool.call({"image": IMAGE})))
        except UsersPhotoError as error:
            texts.extend(texts_of_error(error))
        texts.append(json.dumps(await tool.run({"image": IMAGE})))
    texts.extend(record.getMessage() for record in caplog.records)
    for text in texts:
        assert not holds_the_token_x_escaped_too(text), text[:400]


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
