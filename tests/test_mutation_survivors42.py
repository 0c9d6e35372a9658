"""What a hand-made mutation run of the core modules (slack/, arguments, safe_text,
credentials, tokens) on 2026-12-07 found untested: an input each that tells the code from
its mutant."""

from __future__ import annotations

import argparse
import base64
import contextvars
import random
import socket
import time

import httpx
import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.arguments import (
    CREDENTIAL_ARGUMENT_ADVICE,
    MAX_UNKNOWN_REPORTED,
    describe_value,
    parse_arguments,
)
from ocp_users_photo.command_line import refuse_a_pasted_token
from ocp_users_photo.credentials import SlackToken, check_token_text, token_secret_forms
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import RateLimited, SlackApiError, TransportError
from ocp_users_photo.safe_text import REDACTED, redacted
from ocp_users_photo.slack.client import SlackClient
from ocp_users_photo.slack.deadlines import call_deadline, call_ends, call_seconds, check_seconds
from ocp_users_photo.slack.replies import (
    MOST_REPLY_VALUES,
    HttpReply,
    decode_reply,
    is_rate_limited,
)
from ocp_users_photo.slack.retry import RetryPolicy, may_send_again, retry_after_seconds
from ocp_users_photo.tokens import ActingPerson, ids_refusal, install_page
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests

# slack/retry.py ---------------------------------------------------------------------------


def test_the_first_retry_waits_at_most_the_backoff_the_policy_names() -> None:
    """README: retries back off from ``retry_backoff`` (0.5 s): the first waits 0.25-0.5 s,
    the second 0.5-1 s, never past the cap."""
    policy = RetryPolicy()
    jitter = random.Random(7)
    for _ in range(50):
        assert 0.25 <= policy.backoff_delay(1, jitter) <= 0.5
        assert 0.5 <= policy.backoff_delay(2, jitter) <= 1.0
        assert policy.backoff_delay(10, jitter) <= policy.backoff_cap


def test_a_retry_after_date_already_past_is_no_wait_and_never_a_negative_one() -> None:
    headers = httpx.Headers({"Retry-After": "Sun, 06 Nov 1994 08:49:37 GMT"})
    assert retry_after_seconds(headers) == 0.0
    reply = HttpReply(status_code=429, headers=headers, body=b"", attempts=1)
    with pytest.raises(RateLimited) as raised:
        decode_reply(reply, method="users.setPhoto", redact=lambda value: value)
    assert raised.value.retry_after == 0.0
    assert "wait -" not in str(raised.value.terminal_message)


def test_a_photo_whose_answer_had_begun_is_never_sent_again_when_the_connection_drops() -> None:
    """Slack had the whole upload and began to answer: a second sending is a second change."""
    assert not may_send_again("users.setPhoto", body_started=True, answer_began=True, dropped=True)
    assert may_send_again("users.setPhoto", body_started=True, answer_began=False, dropped=True)


# slack/deadlines.py -----------------------------------------------------------------------


def test_a_call_inside_another_keeps_to_the_earlier_end() -> None:
    with call_deadline(1.0), call_deadline(100.0):
        assert call_ends(time.monotonic() + 1000) <= time.monotonic() + 1.0
        seconds = call_seconds()
        assert seconds is not None
        assert seconds <= 1.0


def test_a_task_the_call_started_keeps_to_no_deadline_once_the_call_ended() -> None:
    """An observer's later work, in a context copied within the call, is free of its end."""
    with call_deadline(0.5):
        inside = contextvars.copy_context()
    assert inside.run(call_ends, 1e9) == 1e9


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_is_no_number_of_seconds(value: bool) -> None:
    with pytest.raises(ValueError, match="must be a number of seconds"):
        check_seconds("timeout", value)


# slack/replies.py -------------------------------------------------------------------------


def test_slacks_ratelimited_error_in_a_200_of_some_hundred_bytes_is_a_rate_limit() -> None:
    """As Slack words it, with its envelope: retried after Retry-After as a 429 is."""
    body = (
        b'{"ok":false,"error":"ratelimited","warning":"superfluous_charset",'
        b'"response_metadata":{"warnings":["superfluous_charset"],'
        b'"messages":["[ERROR] rate limited: slow down"]}}'
    )
    reply = HttpReply(
        status_code=200, headers=httpx.Headers({"Retry-After": "1"}), body=body, attempts=1
    )
    assert is_rate_limited(reply)


def test_a_server_error_after_two_attempts_says_so() -> None:
    reply = HttpReply(status_code=503, headers=httpx.Headers(), body=b"", attempts=2)
    with pytest.raises(TransportError) as raised:
        decode_reply(reply, method="users.setPhoto", redact=lambda value: value)
    assert "with HTTP 503 after 2 attempts" in str(raised.value)


def test_a_400_with_ok_false_and_no_code_is_told_as_refused_on_the_way() -> None:
    reply = HttpReply(status_code=400, headers=httpx.Headers(), body=b'{"ok":false}', attempts=1)
    with pytest.raises(SlackApiError) as raised:
        decode_reply(reply, method="users.setPhoto", redact=lambda value: value)
    assert "HTTP 400 came with no Slack error code" in str(raised.value.hint)


def test_an_ok_reply_with_an_informational_status_is_no_success() -> None:
    """Only a 2xx answer is Slack's success (a 1xx is never a final answer)."""
    reply = HttpReply(status_code=199, headers=httpx.Headers(), body=b'{"ok":true}', attempts=1)
    with pytest.raises(TransportError, match="HTTP 199"):
        decode_reply(reply, method="users.setPhoto", redact=lambda value: value)


def test_a_wait_of_a_few_seconds_is_said_to_the_tenth() -> None:
    """A wait under ten seconds is said to a tenth of one: "wait 2.5 s", not "wait 3 s"."""
    reply = HttpReply(
        status_code=429, headers=httpx.Headers({"Retry-After": "2.5"}), body=b"", attempts=1
    )
    with pytest.raises(RateLimited) as raised:
        decode_reply(reply, method="users.setPhoto", redact=lambda value: value)
    assert "wait 2.5 s, as Slack asks" in str(raised.value.terminal_message)


def test_a_405_without_a_slack_code_says_no_api_answers_there() -> None:
    reply = HttpReply(status_code=405, headers=httpx.Headers(), body=b"", attempts=1)
    with pytest.raises(TransportError) as raised:
        decode_reply(reply, method="users.setPhoto", redact=lambda value: value)
    assert "no Slack Web API method answers at that address" in str(raised.value)


def test_a_page_in_utf16_is_quoted_as_its_text() -> None:
    """UTF-16 reads as its text with a NUL between characters: quoted without them."""
    page = "<html>Gateway says no</html>".encode("utf-16-le")
    reply = HttpReply(status_code=200, headers=httpx.Headers(), body=page, attempts=1)
    with pytest.raises(TransportError) as raised:
        decode_reply(reply, method="users.setPhoto", redact=lambda value: value)
    assert "<html>Gateway says no</html>" in str(raised.value)


def test_a_server_errors_code_is_quoted_bounded_and_printable() -> None:
    body = b'{"ok":false,"error":"\\u001b[2J' + b"x" * 5000 + b'"}'
    reply = HttpReply(status_code=500, headers=httpx.Headers(), body=body, attempts=1)
    with pytest.raises(TransportError) as raised:
        decode_reply(reply, method="users.setPhoto", redact=lambda value: value)
    said = str(raised.value)
    assert "\x1b" not in said
    assert len(said) < 600


def test_a_page_that_is_no_json_is_quoted_with_token_shapes_masked() -> None:
    """Another token than the call's (a bot's, echoed by a gateway) is masked all the same."""
    page = b"<html>denied for xoxb-1234-5678-abcdefabcdef</html>"
    reply = HttpReply(status_code=200, headers=httpx.Headers(), body=page, attempts=1)
    with pytest.raises(TransportError) as raised:
        decode_reply(reply, method="users.setPhoto", redact=lambda value: value)
    assert "abcdefabcdef" not in str(raised.value)
    assert "[redacted]" in str(raised.value)


def test_a_long_content_type_is_quoted_bounded() -> None:
    headers = httpx.Headers({"Content-Type": "text/html; x=" + "y" * 5000})
    reply = HttpReply(status_code=200, headers=headers, body=b"<html></html>", attempts=1)
    with pytest.raises(TransportError) as raised:
        decode_reply(reply, method="users.setPhoto", redact=lambda value: value)
    assert len(str(raised.value)) < 800


def test_a_reply_of_more_values_than_any_slack_reply_is_not_read() -> None:
    body = b'{"ok":true,"many":[' + b"0," * MOST_REPLY_VALUES + b"0]}"
    reply = HttpReply(status_code=200, headers=httpx.Headers(), body=body, attempts=1)
    with pytest.raises(TransportError, match=r"values \(commas, arrays and objects counted"):
        decode_reply(reply, method="users.setPhoto", redact=lambda value: value)


# slack/client.py --------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_retry_whose_backoff_would_pass_the_deadline_is_not_waited_for() -> None:
    """The call's deadline holds: a backoff ending past it ends the call at once."""
    client = SlackClient(
        base_url=f"http://127.0.0.1:{_closed_port()}/api",
        user_agent="tests",
        deadline=1.0,
        retry=RetryPolicy(max_retries=2, backoff=4.0),
    )
    try:
        started = time.monotonic()
        with pytest.raises(TransportError):
            await client.call("auth.test", token=SlackToken("xoxp-1-2-3-" + "a" * 20))
        assert time.monotonic() - started < 1.0
    finally:
        await client.aclose()


IMAGE = make_image((600, 600))


def _tool(emulator: RunningEmulator, **options: object) -> UsersSetPhoto:
    settings: dict[str, object] = {"retry_backoff": 0.01, "environ": {}, **options}
    return UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, **settings)  # type: ignore[arg-type]


async def test_a_rate_limit_whose_wait_would_pass_the_deadline_ends_the_call_at_once(
    emulator: RunningEmulator,
) -> None:
    inject(emulator, Fault.rate_limited(retry_after=3))
    async with _tool(emulator, deadline=2.0) as tool:
        started = time.monotonic()
        with pytest.raises(RateLimited):
            await tool.call({"image": IMAGE})
        assert time.monotonic() - started < 2.0
    assert len(photo_requests(emulator)) == 1


async def test_a_photo_whose_connection_dropped_before_any_answer_is_sent_again(
    emulator: RunningEmulator,
) -> None:
    """A keep-alive connection the server had closed: no answer began, so it is sent again."""
    inject(emulator, Fault.drop())
    async with _tool(emulator) as tool:
        assert (await tool.call({"image": IMAGE}))["ok"] is True
    assert len(photo_requests(emulator)) == 2


async def test_a_failure_after_two_attempts_says_so(emulator: RunningEmulator) -> None:
    inject(emulator, Fault.drop(), Fault.drop())
    async with _tool(emulator, max_retries=1) as tool:
        with pytest.raises(TransportError) as raised:
            await tool.call({"image": IMAGE})
    assert "after 2 attempts" in str(raised.value)


# arguments.py -----------------------------------------------------------------------------


def test_one_unknown_name_past_those_reported_is_counted() -> None:
    arguments: dict[str, object] = {"image": "me.png"}
    arguments.update({f"extra{index}": 1 for index in range(MAX_UNKNOWN_REPORTED + 1)})
    _, problems = parse_arguments(
        arguments, configured_token=SlackToken(CANARY_TOKEN), configured_token_problems=[]
    )
    assert len(problems) == MAX_UNKNOWN_REPORTED + 1
    assert problems[-1].message.startswith("1 more unknown arguments")


def test_a_models_token_argument_is_never_the_token_used() -> None:
    """Refused as unknown, and not taken either: a model never chooses the credentials."""
    configured = SlackToken(CANARY_TOKEN)
    parsed, problems = parse_arguments(
        {"image": "me.png", "token": "xoxp-9-9-9-" + "b" * 20},
        configured_token=configured,
        configured_token_problems=[],
        model_facing=True,
    )
    assert parsed.token == configured
    assert [problem.path for problem in problems] == ["$.token"]
    assert problems[0].message.endswith(CREDENTIAL_ARGUMENT_ADVICE)


# safe_text.py -----------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["'xoxp-123-456-abcdef'", '"xoxp-123-456-abcdef"'])
def test_a_token_pasted_with_its_quotes_as_a_word_is_refused(
    word: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A shell that keeps the quotes (cmd.exe keeps single ones) passes them along."""
    parser = argparse.ArgumentParser(prog="ocp-users-photo")
    with pytest.raises(SystemExit):
        refuse_a_pasted_token(parser, [word])
    assert "a Slack token was given as an argument" in capsys.readouterr().err


def test_a_secret_wrapped_at_bare_carriage_returns_is_redacted_whole() -> None:
    """Base64 of the header wrapped with CR alone (an old Mac's or a terminal's line end)."""
    token = "xoxp-1111111111-2222222222-3333333333-0c4a7e9f1b2d3c4e5f60718293a4b5c6"
    encoded = base64.b64encode(f"Authorization: Bearer {token}".encode()).decode()
    wrapped = "\r".join(encoded[start : start + 20] for start in range(0, len(encoded), 20))
    assert redacted(wrapped, token_secret_forms(token)) == REDACTED


# credentials.py ---------------------------------------------------------------------------


def test_a_placeholder_in_angle_brackets_is_told_as_one() -> None:
    token, problems = check_token_text("xoxp-<your-user-token>", origin="SLACK_USER_TOKEN")
    assert token is None
    assert "holds a placeholder, not a token" in problems[0].message


@pytest.mark.parametrize("pasted", ["bearer xoxp-1-2-3-abc", "BEARER xoxp-1-2-3-abc"])
def test_a_token_copied_with_bearer_in_any_case_is_told_to_drop_it(pasted: str) -> None:
    token, problems = check_token_text(pasted, origin="the token argument")
    assert token is None
    assert "starts with 'Bearer '" in problems[0].message


async def test_the_photo_request_asks_for_json(emulator: RunningEmulator) -> None:
    async with _tool(emulator) as tool:
        assert (await tool.call({"image": IMAGE}))["ok"] is True
    assert photo_requests(emulator)[0].header("accept") == "application/json"


@pytest.mark.parametrize("typed", ["XOXP-12-34-abcd", "Xapp-1-A0-bcd"])
def test_a_short_token_typed_with_caps_lock_is_never_quoted(typed: str) -> None:
    assert typed not in describe_value(typed)


def test_a_token_read_from_a_file_with_its_line_end_is_told_to_strip_it() -> None:
    token, problems = check_token_text("xoxp-1-2-3-abc\n", origin="SLACK_USER_TOKEN")
    assert token is None
    assert "has spaces or a line end around it" in problems[0].message


# tokens.py --------------------------------------------------------------------------------


def test_a_token_given_as_a_persons_id_is_refused_and_not_quoted() -> None:
    pasted = "xoxp-123-456-abcdef"
    with pytest.raises(ValueError, match="user_id must be a Slack id") as raised:
        ActingPerson(team_id="T0123ABCD", user_id=pasted)
    assert "abcdef" not in str(raised.value)


def test_a_long_id_that_is_none_is_quoted_short() -> None:
    refusal = ids_refusal("T0123ABCD", "U" * 100 + "|", None)
    assert refusal is not None
    assert "U" * 30 not in refusal


@pytest.mark.parametrize("user_id", ["U0123|T0456", "U0123 T0456", "U0123:T0456"])
def test_an_id_holding_a_separator_is_refused(user_id: str) -> None:
    """A person's ids key their token, lock and history: "|" in one could join two keys."""
    assert ids_refusal("T0123ABCD", user_id, None) is not None


@pytest.mark.parametrize(
    "url", ["https://example.com/slack/install here", "javascript:alert(1)", "/slack/install"]
)
def test_an_install_page_that_is_no_web_uri_is_never_passed_on(url: str) -> None:
    """A model is given it where the output schema says format: uri."""
    assert install_page(url) is None
    assert install_page("https://example.com/slack/install") is not None


def test_a_person_without_a_user_id_is_refused() -> None:
    with pytest.raises(ValueError, match="user_id must be a Slack id"):
        ActingPerson(team_id="T0123ABCD", user_id=None)  # type: ignore[arg-type]
