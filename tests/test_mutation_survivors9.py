"""Tests that kill mutants of this session's new code which the suite let live.

Each test states the behaviour a mutant broke; see the module each one names.
"""

from __future__ import annotations

import json

import pytest

from ocp_users_photo.credentials import SecretTexts, SlackToken, redactor
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import SlackApiError
from ocp_users_photo.safe_text import REDACTED, redacted, spelled_otherwise, without_tokens
from ocp_users_photo.slack.client import SlackClient
from ocp_users_photo.slack.retry import RetryPolicy
from tests.conftest import CANARY_TOKEN, inject

# A rotating token's shape: its secret has upper-case letters, as Slack's do.
MIXED_CASE_TOKEN = "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAtQWJjRGVmR2hpSktMbW5v"


def _percent_encoded(text: str) -> str:
    """``text`` with every character percent-encoded (a URL's quoting leaves - and . be)."""
    return _escaped_each(text, "%{:02X}")


def _escaped_each(text: str, escape: str) -> str:
    """Every character of ``text`` spelled with ``escape`` (a format of its code point)."""
    return "".join(escape.format(ord(ch)) for ch in text)


# safe_text: the glued-token alternative and read_back's escapes.


def test_a_glued_prefix_with_no_digits_before_its_dash_is_no_token() -> None:
    # Glued to a letter, only the prefix followed by digits and a dash is a token.
    for text in ("fooxoxb--bar", "Bearerxoxp--not-a-token"):
        assert without_tokens(text) == text


def test_a_glued_token_percent_encoded_in_its_tail_is_masked_whole() -> None:
    prefix, secret = CANARY_TOKEN.rsplit("-", 1)
    glued = f"\x1b[2J{prefix}-{_percent_encoded(secret)}"
    assert without_tokens(glued) == f"\x1b[2J{REDACTED}"


def test_a_json_escape_with_its_backslash_escaped_again_is_read_back() -> None:
    # JSON quoted inside a JSON string: each \u is written \\u.
    doubled = _escaped_each(CANARY_TOKEN, "\\\\u{:04x}")
    assert spelled_otherwise(doubled, [CANARY_TOKEN])
    assert redacted(f"error: {doubled}", [CANARY_TOKEN]) == REDACTED


def test_a_json_escape_in_upper_case_hex_is_read_back() -> None:
    upper_hex = _escaped_each(CANARY_TOKEN, "\\u{:04X}")
    assert any(ch in "ABCDEF" for ch in upper_hex)
    assert spelled_otherwise(upper_hex, [CANARY_TOKEN])


def test_a_python_x_escape_is_read_back() -> None:
    x_escaped = _escaped_each(CANARY_TOKEN, "\\x{:02x}")
    assert spelled_otherwise(x_escaped, [CANARY_TOKEN])
    assert redacted(f"b'{x_escaped}'", [CANARY_TOKEN]) == REDACTED


def test_escapes_three_layers_deep_are_read_back() -> None:
    deep = _percent_encoded(_percent_encoded(_percent_encoded(CANARY_TOKEN)))
    assert spelled_otherwise(deep, [CANARY_TOKEN])
    assert redacted(deep, [CANARY_TOKEN]) == REDACTED


def test_a_text_with_the_token_plain_and_escaped_goes_whole() -> None:
    # The plain echo is cut out; the escaped one left behind still makes it whole.
    text = f"got {CANARY_TOKEN} and {_percent_encoded(CANARY_TOKEN)}"
    assert redacted(text, [CANARY_TOKEN]) == REDACTED


def test_an_escaped_echo_in_another_case_is_found() -> None:
    upper_escaped = _percent_encoded(CANARY_TOKEN.upper())
    assert spelled_otherwise(upper_escaped, [CANARY_TOKEN])


def test_an_escaped_echo_of_a_mixed_case_secret_is_found() -> None:
    escaped = _percent_encoded(MIXED_CASE_TOKEN)
    assert spelled_otherwise(escaped, [MIXED_CASE_TOKEN])


def test_an_escaped_echo_of_one_secret_among_several_is_found() -> None:
    other = "a-client-secret-0123456789abcdef"
    escaped = _percent_encoded(CANARY_TOKEN)
    assert spelled_otherwise(escaped, [other, CANARY_TOKEN])
    assert spelled_otherwise(escaped, [CANARY_TOKEN, other])


# credentials: SecretTexts and the redactor's search.


def test_a_secret_whose_only_escapable_character_is_a_quote_is_looked_for() -> None:
    secret = 'pass"word-0123456789abcdef'
    raw = json.dumps({"error": f"bad {secret}"}).encode()  # written with \"
    assert secret.encode() not in raw
    assert b"\\u" not in raw
    shown = redactor(SecretTexts([secret]), raw)(json.loads(raw))
    assert secret not in shown["error"]


def test_a_mixed_case_token_echoed_as_it_is_is_found_in_a_reply() -> None:
    token = SlackToken(MIXED_CASE_TOKEN)
    raw = json.dumps({"ok": False, "error": f"bad {MIXED_CASE_TOKEN}"}).encode()
    shown = redactor(token.secret_texts(), raw)(json.loads(raw))
    assert "QWJjRGVm" not in shown["error"]


def test_secret_texts_added_hold_the_texts_of_both() -> None:
    first, second = "first-secret-0123456789", "second-secret-0123456789"
    both = SecretTexts([first]) + SecretTexts([second])
    assert set(both.texts()) == {first, second}
    raw = json.dumps({"a": first, "b": second}).encode()
    assert redactor(both, raw)(json.loads(raw)) == {"a": REDACTED, "b": REDACTED}


def test_the_redactor_takes_several_secrets_as_a_sequence() -> None:
    first, second = "first-secret-0123456789", "second-secret-0123456789"
    raw = json.dumps({"a": first, "b": second}).encode()
    for secrets in ([first, second], (first, second)):
        assert redactor(secrets, raw)(json.loads(raw)) == {"a": REDACTED, "b": REDACTED}


# slack/client: a refresh token given as a SlackToken (refresh_grant's way) is kept out.

REFRESH = "xoxe-1-refreshcanary0123456789abcdef"


async def test_a_refresh_token_field_held_as_a_slack_token_is_redacted(
    emulator: RunningEmulator,
) -> None:
    inject(
        emulator,
        Fault.json({"ok": False, "error": "invalid_refresh_token", "echo": REFRESH}),
        method="oauth.v2.access",
    )
    client = SlackClient(
        base_url=emulator.base_url, user_agent="test", retry=RetryPolicy(max_retries=0)
    )
    fields = {"grant_type": "refresh_token", "refresh_token": SlackToken(REFRESH)}
    with pytest.raises(SlackApiError) as refused:
        await client.call("oauth.v2.access", token=None, fields=fields)
    for text in (repr(refused.value.reply), str(refused.value)):
        assert "refreshcanary0123456789" not in text
