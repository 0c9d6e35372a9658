"""Protocol fidelity: what the client says about a failed users.setPhoto, when it sends a
request again (never a change Slack may be making, never a refresh grant), and how a
rate limit's wait is told.

The tests from the protocol review failed before the fixes they name.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any, TypeVar

import httpx
import pytest

from ocp_users_photo import TransportError, UsersSetPhoto
from ocp_users_photo.credentials import ClientCredentials
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import RateLimited, SlackApiError, may_have_taken_effect
from ocp_users_photo.hints import hint_for
from ocp_users_photo.observers import CallOutcome
from ocp_users_photo.slack.client import SlackClient
from ocp_users_photo.slack.retry import RetryPolicy
from ocp_users_photo.undo.keeper import _status_after
from tests import loopback
from tests.http_stacks import stack_environ, stack_params
from tests.installation_helpers import portrait


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    with loopback.unanswered_port() as port:
        yield port


# --- Whether the request reached Slack: whether any of it went out, whatever timer fired ---


@pytest.mark.parametrize("stack", stack_params())
async def test_a_deadline_spent_connecting_says_nothing_was_sent(
    unanswered_port: int, stack: str
) -> None:
    tool = UsersSetPhoto(
        "xoxp-1-review",
        base_url=f"http://127.0.0.1:{unanswered_port}/api",
        environ=stack_environ(stack),
        timeout=5,
        deadline=1,
        max_retries=0,
    )
    async with tool:
        with pytest.raises(TransportError) as raised:
            await tool.call({"image": portrait()})
    assert raised.value.reached is False, str(raised.value)
    assert "Nothing was sent" in str(raised.value)


async def test_a_callers_client_that_cannot_connect_says_nothing_was_sent(
    unanswered_port: int,
) -> None:
    async with httpx.AsyncClient() as client:
        tool = UsersSetPhoto(
            "xoxp-1-review",
            base_url=f"http://127.0.0.1:{unanswered_port}/api",
            client=client,
            environ={},
            timeout=1,
            max_retries=0,
        )
        with pytest.raises(TransportError) as raised:
            await tool.call({"image": portrait()})
    assert raised.value.reached is False, str(raised.value)


# --- A change Slack had whole, or had begun to answer, is not uploaded again ---------------


@pytest.mark.parametrize("stack", stack_params())
async def test_the_photo_is_not_uploaded_again_once_slack_began_to_answer(stack: str) -> None:
    dripping = loopback.drip(b'{"ok":', 0.3)
    _, sent = await photo_call_against(
        dripping, TransportError, environ=stack_environ(stack), timeout=1
    )
    assert sent == 1


@pytest.mark.parametrize("stack", stack_params())
async def test_a_slow_slack_sets_the_photo_once_not_three_times(
    emulator: RunningEmulator, stack: str
) -> None:
    """The emulator's delay fault keeps the effect (assumptions: "a call whose client gave up
    during the delay still sets the photo"): each retried upload is another set."""
    emulator.faults.inject(Fault.delay(1.5), path="users.setPhoto", times=3)
    tool = UsersSetPhoto(
        "xoxp-1-review",
        base_url=emulator.base_url,
        environ=stack_environ(stack),
        timeout=1,
        retry_backoff=0.01,
    )
    async with tool:
        with pytest.raises(TransportError) as raised:
            await tool.call({"image": portrait()})
    assert len(emulator.requests.for_path("users.setPhoto")) == 1
    # The small body goes to aiohttp whole (slack/aiohttp_payload.py): still "reached".
    assert raised.value.reached is True
    assert "may have taken effect" in str(raised.value)


# --- Slack-side failures that may have set the photo say so --------------------------------


@pytest.mark.parametrize("code", ["internal_error", "fatal_error"])
def test_slack_internal_errors_are_not_advised_as_nothing_happened(code: str) -> None:
    assert "may" in hint_for(code, "users.setPhoto"), hint_for(code, "users.setPhoto")
    refused = SlackApiError(code, hint="", reply={"ok": False, "error": code})
    assert _status_after(CallOutcome(error=refused)) == "unknown"


# --- A rate limit's wait: never quoted as Slack's when Slack sent none --------------------


async def test_a_429_without_retry_after_does_not_quote_a_wait_slack_never_asked_for() -> None:
    limited = loopback.reply(429, b'{"ok":false,"error":"ratelimited"}')
    refused, _ = await photo_call_against(limited, SlackApiError)
    assert "as Slack asks" not in str(refused), str(refused)
    assert "wait about 60 s (Slack gave no usable Retry-After), then try again" in str(refused)
    assert "retry_after" not in str(refused), "the advice names a time, not a field"


async def test_a_429_tells_its_wait_once_in_seconds() -> None:
    limited = loopback.reply(429, b'{"ok":false,"error":"ratelimited"}', [("Retry-After", "30")])
    # No retry: two waits of the 30 s asked (60 s of the suite's time) would change no word.
    refused, sent = await photo_call_against(limited, SlackApiError, max_retries=0)
    assert sent == 1
    assert isinstance(refused, RateLimited)
    assert refused.retry_after == 30
    assert str(refused).endswith(
        "Slack rate-limited this app (Tier 2, about 20 calls a minute): wait 30 s, as Slack "
        "asks, then try again."
    ), str(refused)
    assert "retry_after" not in str(refused)


# --- What is sent again after a dropped connection depends on the method -------------------


def hang_up() -> loopback.Answer:
    """Read the whole request, then close without a word (a keep-alive connection the server
    had already closed looks like this to the client)."""

    async def answer(writer: object) -> None:
        return None

    return answer


@pytest.mark.parametrize("http_stack", stack_params())
async def test_a_dropped_connection_is_told_in_plain_words(http_stack: str) -> None:
    # Was "...: RemoteProtocolError: Server disconnected without sending a response.. The
    # request ...": a library's class name first, and two full stops.
    failed, _ = await photo_call_against(
        hang_up(), TransportError, max_retries=0, environ=stack_environ(http_stack)
    )
    said = str(failed)
    assert ": the connection closed before Slack answered (" in said, said
    assert ".." not in said, said


def test_a_servers_words_never_choose_the_plain_words_and_a_cut_text_stays_marked() -> None:
    from ocp_users_photo.credentials import SecretTexts
    from ocp_users_photo.slack.client import _describe

    secrets = SecretTexts()
    # h11 quotes a malformed header line: the server's text, which says "not closed".
    hostile = httpx.RemoteProtocolError("illegal header line: bytearray(b'not closed properly')")
    said = _describe(hostile, secrets)
    assert said.startswith("Slack's answer broke HTTP's rules ("), said
    closed = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    assert _describe(closed, secrets).startswith("the connection closed before Slack answered")
    long = _describe(httpx.ConnectError("x" * 300), secrets)
    assert long.endswith("...)"), long


async def test_nothing_listening_is_told_in_plain_words() -> None:
    async with UsersSetPhoto(
        "xoxp-1-review", base_url="http://127.0.0.1:9/api", environ={}, max_retries=0
    ) as tool:
        with pytest.raises(TransportError) as caught:
            await tool.call({"image": portrait()})
    said = str(caught.value)
    assert "on the only attempt: the connection could not be made (" in said, said
    assert ".." not in said, said


async def test_a_photo_change_whose_connection_dropped_before_any_answer_is_sent_again() -> None:
    failed, sent = await photo_call_against(hang_up(), TransportError)
    assert sent == 3
    assert failed.reached is True


async def test_a_refresh_grant_is_never_sent_twice() -> None:
    """Slack spends the refresh token it is sent: a second sending of one grant would fail,
    and the new tokens of the first answer would be lost."""
    async with loopback.serve(None) as server:
        server.on("/api/oauth.v2.access", hang_up())
        raised = await refused_refresh_grant(server.base_url())
        assert len(server.requests) == 1
    assert raised.reached is True
    assert "may have taken effect" in str(raised)


async def test_a_retry_after_of_zero_still_backs_off() -> None:
    limited = loopback.reply(429, b'{"ok":false,"error":"ratelimited"}', [("Retry-After", "0")])
    started = time.monotonic()
    _, sent = await photo_call_against(limited, SlackApiError, retry_backoff=0.2)
    elapsed = time.monotonic() - started
    assert sent == 3
    # Two backoffs, each at least half of 0.2 s and 0.4 s (jittered): not milliseconds.
    assert elapsed >= 0.3, elapsed


@pytest.mark.parametrize("stack", stack_params())
async def test_closing_the_tool_under_calls_ends_them_as_transport_errors(
    emulator: RunningEmulator, stack: str
) -> None:
    """aclose() while changes wait for Slack's answer: each ends in a TransportError that says
    the change may have been made, never in the HTTP stack's own error (aiohttp's
    RuntimeError('Session is closed') on the retry of a dropped connection)."""
    for _ in range(4):
        emulator.faults.inject(Fault.delay(0.5), path="users.setPhoto")
    tool = UsersSetPhoto("xoxp-1-review", base_url=emulator.base_url, environ=stack_environ(stack))
    calls = [asyncio.create_task(tool.call({"image": portrait()})) for _ in range(4)]
    for _ in range(500):
        if len(emulator.requests.for_path("users.setPhoto")) == 4:
            break
        await asyncio.sleep(0.01)
    await tool.aclose()
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert any(isinstance(outcome, TransportError) for outcome in outcomes), outcomes
    for outcome in outcomes:
        assert isinstance(outcome, (TransportError, dict)), repr(outcome)
        if isinstance(outcome, TransportError):
            assert outcome.reached is True, str(outcome)
            assert "may have taken effect" in str(outcome), str(outcome)
            assert outcome.__context__ is None, "the stack's own error stays out of reach"


async def test_a_front_servers_413_page_says_the_upload_was_too_large() -> None:
    """An HTML 413 from a front server: the body's size was refused before Slack's API saw
    it, so nothing changed (not "no Slack reply: check base_url")."""
    page = b"<html><body>413 Request Entity Too Large</body></html>"
    failed, sent = await photo_call_against(loopback.reply(413, page), TransportError)
    assert sent == 1
    assert "too large (HTTP 413)" in str(failed)
    assert "nothing changed" in str(failed)
    assert failed.reached is False


# --- After an HTTP 5xx ---------------------------------------------------------------------


async def test_a_photo_change_answered_5xx_is_retried_and_said_to_maybe_have_happened() -> None:
    """A 5xx is a quick failure: a photo change is sent again (the second sending sets what
    the first may have set), and the final error says it may have taken effect."""
    failing = loopback.reply(500, b'{"ok":false,"error":"internal_error"}')
    failed, sent = await photo_call_against(failing, TransportError)
    assert sent == 3
    assert failed.reached is True
    assert may_have_taken_effect(failed)
    assert "so it may have taken effect" in str(failed), str(failed)


async def test_a_refresh_grant_answered_5xx_is_not_sent_again() -> None:
    """A 502/503 after Slack may have spent the refresh token: a second sending of the same
    grant would fail, and the first answer's new tokens are lost either way."""
    async with loopback.serve(None) as server:
        server.on("/api/oauth.v2.access", loopback.reply(503, b"busy"))
        raised = await refused_refresh_grant(server.base_url())
        assert len(server.requests) == 1
    assert raised.status_code == 503


async def test_a_5xx_then_no_connection_does_not_say_nothing_was_sent() -> None:
    """Attempt 1 is answered HTTP 503 (the change may have been made); attempts 2 and 3
    cannot connect: the call still says the change may have been made."""
    sent: list[int] = []

    class Transport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(1)
            if len(sent) == 1:
                await request.aread()
                return httpx.Response(503, json={"ok": False, "error": "internal_error"})
            raise httpx.ConnectError("refused", request=request)  # the body never read

    async with httpx.AsyncClient(transport=Transport()) as client:
        tool = UsersSetPhoto(
            "xoxp-1-review",
            base_url="http://127.0.0.1:9/api",
            client=client,
            environ={},
            retry_backoff=0.01,
        )
        with pytest.raises(TransportError) as raised:
            await tool.call({"image": portrait()})
    assert len(sent) == 3
    assert raised.value.reached is True, str(raised.value)
    assert may_have_taken_effect(raised.value), str(raised.value)


async def refused_refresh_grant(base_url: str) -> TransportError:
    """The TransportError a refresh grant sent to ``base_url`` (two retries allowed) ends in."""
    slack = SlackClient(
        base_url=base_url, user_agent="test", retry=RetryPolicy(max_retries=2, backoff=0.01)
    )
    try:
        with pytest.raises(TransportError) as raised:
            await slack.call(
                "oauth.v2.access",
                token=None,
                fields={"grant_type": "refresh_token", "refresh_token": "xoxe-1-abc"},
                client_auth=ClientCredentials("1111.2222", "s3cret-client-value"),
            )
    finally:
        await slack.aclose()
    return raised.value


E = TypeVar("E", bound=Exception)


async def photo_call_against(
    answer: loopback.Answer, refused: type[E], **options: Any
) -> tuple[E, int]:
    """The error a users.setPhoto call ends in against a loopback Slack giving ``answer``
    every time, and how many requests it sent (retries 0.01 s apart unless ``options``
    say otherwise)."""
    options = {"environ": {}, "retry_backoff": 0.01, **options}
    async with loopback.serve(None) as server:
        server.on("/api/users.setPhoto", answer)
        async with UsersSetPhoto("xoxp-1-review", base_url=server.base_url(), **options) as tool:
            with pytest.raises(refused) as raised:
                await tool.call({"image": portrait()})
        return raised.value, len(server.requests)
