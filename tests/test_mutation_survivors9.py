"""Tests that kill mutants of this session's new code which the suite let live.

Each test states the behaviour a mutant broke; see the module each one names.
"""

from __future__ import annotations

import io
import json
import logging
import re
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import mcp.types
import pydantic
import pytest
import trustme

from ocp_users_photo.credentials import SecretTexts, SlackToken, redactor
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import SlackApiError
from ocp_users_photo.mcp_unread import AnsweringReadStream
from ocp_users_photo.safe_text import REDACTED, redacted, spelled_otherwise, without_tokens
from ocp_users_photo.slack.client import SlackClient
from ocp_users_photo.slack.log_redaction import secret_in_flight
from ocp_users_photo.slack.retry import RetryPolicy
from ocp_users_photo.web_image import ImageUrlRefused, UrlPolicy, fetch_image
from ocp_users_photo.web_image.refusals import BadImageUrl, FetchTimedOut
from tests.conftest import CANARY_TOKEN, inject
from tests.loopback import LoopbackServer, drip, redirect
from tests.test_image_path_wrapping import QUOTES, refusal_of
from tests.test_log_redaction_malformed import written_by
from tests.test_mutation_survivors6b import _OneRefusal, _Sent
from tests.test_reply9 import every_text_of_a_call, spelled
from tests.test_secrets import holds_part_of_the_token
from tests.test_webimage9 import CHOSEN, SUFFIX, TableResolver, chosen_name_host

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
    fields: dict[str, str | SlackToken] = {
        "grant_type": "refresh_token",
        "refresh_token": SlackToken(REFRESH),
    }
    with pytest.raises(SlackApiError) as refused:
        await client.call("oauth.v2.access", token=None, fields=fields)
    for text in (repr(refused.value.reply), str(refused.value)):
        assert "refreshcanary0123456789" not in text


# slack/log_redaction: misfit records and the forms a secret is kept out in.


@pytest.fixture
def http11() -> Iterator[io.StringIO]:
    yield from written_by("httpcore.http11")


@pytest.fixture
def hpack() -> Iterator[io.StringIO]:
    yield from written_by("hpack.hpack")


def test_a_misfit_record_without_a_secret_is_printed_with_its_arguments(
    http11: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    with secret_in_flight(CANARY_TOKEN):
        logging.getLogger("httpcore.http11").debug("echo %s %s", "harmless-argument")
    assert "Logging error" not in capsys.readouterr().err
    assert http11.getvalue().startswith("echo %s %s (arguments not fitting the format: ")
    assert "harmless-argument" in http11.getvalue()


def test_an_empty_secret_in_flight_changes_nothing(hpack: io.StringIO) -> None:
    with secret_in_flight(""):
        logging.getLogger("hpack.hpack").debug("table size %d", 4096)
    assert hpack.getvalue() == "table size 4096\n"


# images/paths: which wrappings the refusal of a missing file advises on.


@pytest.mark.parametrize(
    ("typed", "advised"),
    [
        ("\u2018me.png\u2019", True),  # curly single quotes
        ('"a"', True),  # the shortest name wrapped
        ('" "', False),  # quotes around white space: no name to give without them
        ("'\t'", False),
    ],
)
async def test_quotes_advice_for_every_kind_and_length(
    tmp_path: Path, typed: str, advised: bool
) -> None:
    message = await refusal_of(tmp_path, typed)
    assert message.startswith("no file at")
    assert (QUOTES in message) is advised


# images/encoded_text: the refused media type is quoted bounded.


async def test_a_long_media_type_is_quoted_cut_short(tmp_path: Path) -> None:
    message = await refusal_of(tmp_path, f"data:text/{'a' * 300},AAAA")
    assert "not an image" in message
    assert "a" * 40 not in message


# web_image/fetch: how a refusal names a host a redirect chose.


@pytest.fixture
async def cdn(ca: trustme.CA) -> AsyncIterator[LoopbackServer]:
    async with chosen_name_host(ca) as running:
        yield running


async def _fetch_refused(
    cdn: LoopbackServer, client_tls: ssl.SSLContext, policy: UrlPolicy, table: dict[str, list[str]]
) -> ImageUrlRefused:
    resolver = TableResolver({f"img.{SUFFIX}": ["127.0.0.1"], **table})
    with pytest.raises(ImageUrlRefused) as caught:
        await fetch_image(
            cdn.url("/go", host=f"img.{SUFFIX}"), policy, resolver=resolver, ssl_context=client_tls
        )
    return caught.value


async def test_a_malformed_redirect_from_a_chosen_name_does_not_repeat_it(
    cdn: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    cdn.on("/go", redirect(f"https://{CHOSEN}.{SUFFIX}:{cdn.port}/x.png"))
    cdn.on("/x.png", redirect("https://[::1/y.png"))
    policy = UrlPolicy(allowed_hosts=[f".{SUFFIX}"], allow_loopback_for_tests=True)
    refused = await _fetch_refused(cdn, client_tls, policy, {f"{CHOSEN}.{SUFFIX}": ["127.0.0.1"]})
    assert isinstance(refused, BadImageUrl)
    assert "malformed" in refused.message
    assert "ignore-all-previous-instructions" not in refused.message
    assert f".{SUFFIX}" in refused.message


async def test_the_total_deadline_after_a_redirect_to_a_chosen_name_does_not_repeat_it(
    cdn: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    cdn.on("/go", redirect(f"https://{CHOSEN}.{SUFFIX}:{cdn.port}/x.png"))
    cdn.on("/x.png", drip(b"\x89PNG\r\n\x1a\n" * 8, 0.05))
    policy = UrlPolicy(
        allowed_hosts=[f".{SUFFIX}"],
        allow_loopback_for_tests=True,
        total_timeout=0.5,
        read_timeout=5.0,
    )
    refused = await _fetch_refused(cdn, client_tls, policy, {f"{CHOSEN}.{SUFFIX}": ["127.0.0.1"]})
    assert isinstance(refused, FetchTimedOut)
    assert "ignore-all-previous-instructions" not in refused.message
    # The hop it was fetching from when the deadline passed, not the caller's first host.
    assert "a redirect chose" in refused.message
    assert f"img.{SUFFIX}" not in refused.message
    assert f".{SUFFIX}" in refused.message


# mcp_unread: what the answer to an invalid request object says, and what is logged.


def _refusal_of_line(line: str) -> pydantic.ValidationError:
    """The error the SDK's reader gets for ``line``, parsed as it parses one."""
    with pytest.raises(pydantic.ValidationError) as refused:
        pydantic.TypeAdapter(mcp.types.JSONRPCMessage).validate_json(line)
    return refused.value


async def _answered(line: str) -> list[Any]:
    sent = _Sent()
    stream = AnsweringReadStream(_OneRefusal(_refusal_of_line(line)), sent, mcp.types)
    assert await stream.receive() == "next message"
    errors = []
    for answer in sent.messages:
        message = answer.message.root if hasattr(answer.message, "root") else answer.message
        errors.append((message.id, message.error))
    return errors


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('{"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": []}', "(params: "),
        ('{"id": 7, "method": "tools/list"}', "(jsonrpc: Field required)"),
        # Two members refused: the first is named.
        ('{"jsonrpc": "1.0", "id": 7, "method": 5}', "(jsonrpc: Input should be '2.0')"),
    ],
)
async def test_an_invalid_request_objects_answer_names_the_member_refused(
    line: str, said: str
) -> None:
    ((request_id, error),) = await _answered(line)
    assert request_id == 7
    assert error.code == -32600
    assert said in error.message


async def test_a_line_that_is_no_object_is_logged_with_the_parsers_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="ocp_users_photo.mcp_server"):
        # A number: "[1]" is a batch now (tests/test_mcp_batch.py), logged as one.
        assert await _answered("1") == []
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged.endswith("could not be read and was dropped: Input should be an object")


# A real defect: a reply's string spelling the token with Python's \\x escapes.

X_ESCAPED = spelled(lambda char: f"\\x{ord(char):02x}")
_X_ESCAPE = re.compile(r"\\+x([0-9a-fA-F]{2})")


@pytest.mark.parametrize("member", ["error", "detail", "warning"])
async def test_a_token_echoed_with_x_escapes_in_a_json_reply_reaches_no_output(
    emulator: RunningEmulator, http_stack: str, member: str, caplog: pytest.LogCaptureFixture
) -> None:
    """safe_text.read_back decodes \\x escapes (a server quoting a Python repr), but the
    redactor's first look at the raw reply (credentials.held_in) treated only \\u, % and &
    as escapes that may spell a secret: a string holding \\x78oxp-... was never walked, and
    reached the exception's text, run()'s result and the reply's repr as it came."""
    body = {"ok": member == "warning", "error": "invalid_auth", member: X_ESCAPED}
    inject(emulator, Fault.json(body), Fault.json(body))
    for text in await every_text_of_a_call(emulator, http_stack, caplog):
        read_back = _X_ESCAPE.sub(lambda found: chr(int(found.group(1), 16)), text)
        assert not holds_part_of_the_token(read_back), text[:400]
