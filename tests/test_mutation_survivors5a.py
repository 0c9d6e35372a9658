"""Tests that kill mutants the suite let live (hand mutation testing, round 5a: the Slack
client, its form, how Slack's reply is read, and the modules around them).

Each test names the mutation it kills: a small change to the package that broke a promise
of the README or a docstring while the tests that exercise the module still passed.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from ocp_users_photo.credentials import ClientCredentials, SlackToken
from ocp_users_photo.errors import SlackApiError, TransportError
from ocp_users_photo.slack.client import SlackClient
from ocp_users_photo.slack.replies import MAX_JSON_DEPTH, HttpReply, decode_reply
from ocp_users_photo.slack.retry import RetryPolicy

TOKEN = SlackToken("xoxp-5a-5a-5a-notarealtoken")


def _reply(body: Any, status: int = 200, **headers: str) -> HttpReply:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpReply(status_code=status, headers=httpx.Headers(headers), body=raw, attempts=1)


def _same(value: Any) -> Any:
    return value


# --- slack/replies.py decode_reply: HTTP 413 -----------------------------------------------------


def test_a_413_from_a_front_server_says_nothing_reached_slack() -> None:
    """Mutant: the 413 branch's ``reached=False`` -> ``reached=True``. A front server's
    refusal of the body's size comes before Slack's API saw the request: the error must say
    nothing changed (``reached`` False), so a caller may send a smaller image at once rather
    than being told to check whether the change was made."""
    with pytest.raises(TransportError) as raised:
        decode_reply(
            _reply(b"<html>Request Entity Too Large</html>", 413),
            method="users.setPhoto",
            redact=_same,
        )
    assert raised.value.reached is False
    assert raised.value.status_code == 413


def test_an_ok_reply_with_http_300_is_no_success() -> None:
    """Mutant: ``if not 200 <= status < 300`` -> ``<= 300``. Only a 2xx answer is Slack's
    success: a 300 (a redirect the client never follows) carrying ``{"ok": true}`` is no
    Slack reply, and the photo must not be reported set."""
    with pytest.raises(TransportError) as raised:
        decode_reply(_reply({"ok": True}, 300), method="users.setPhoto", redact=_same)
    assert raised.value.status_code == 300
    # The first 2xx and the last are still answers.
    for status in (200, 299):
        assert decode_reply(_reply({"ok": True}, status), method="users.setPhoto", redact=_same)


# --- slack/client.py: what comes back through a caller's client ---------------------------------

BASE = "https://slack.test/api"


def _answering(*answers: httpx.Response) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    """A caller's client whose transport gives ``answers`` in turn and keeps each request."""
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return httpx.AsyncClient(transport=httpx.MockTransport(handler)), seen


def _client(http_client: httpx.AsyncClient, **options: Any) -> SlackClient:
    return SlackClient(
        base_url=BASE,
        user_agent="tests",
        http_client=http_client,
        retry=RetryPolicy(max_retries=2, backoff=0.001),
        **options,
    )


async def test_a_reply_declaring_exactly_the_cap_is_read() -> None:
    """Mutant: ``int(declared) > self._max_reply_bytes`` -> ``>=``. ``max_reply_bytes`` is how
    far a reply is read: one that declares exactly that many bytes fits, and is Slack's answer."""
    body = json.dumps({"ok": True, "user_id": "U1"}).encode()
    http_client, _ = _answering(httpx.Response(200, content=body))
    async with http_client:
        reply = await _client(http_client, max_reply_bytes=len(body)).call("auth.test", token=TOKEN)
    assert reply.body["user_id"] == "U1"


async def test_a_retry_after_of_exactly_max_retry_wait_is_waited_and_sent_again() -> None:
    """Mutant: ``if wait > policy.max_retry_wait`` -> ``>=``. A rate limit is retried after its
    Retry-After "unless that is longer than max_retry_wait": a wait of exactly that is waited."""
    limited = httpx.Response(429, headers={"Retry-After": "0.05"}, json={"ok": False})
    http_client, seen = _answering(limited, httpx.Response(200, json={"ok": True}))
    async with http_client:
        client = SlackClient(
            base_url=BASE,
            user_agent="tests",
            http_client=http_client,
            retry=RetryPolicy(max_retries=1, max_retry_wait=0.05, backoff=0.001),
        )
        reply = await client.call("auth.test", token=TOKEN)
    assert reply.attempts == 2
    assert len(seen) == 2


async def test_a_redirect_from_slack_is_not_followed_through_a_callers_client() -> None:
    """Mutant: ``client.send(..., follow_redirects=False)`` -> ``True``. "Redirects are never
    followed, whatever client is passed": a redirected POST is no answer, and the request
    (the photo, the token's call) must not go on to another address."""
    moved = httpx.Response(307, headers={"Location": "https://elsewhere.test/api/auth.test"})
    http_client, seen = _answering(moved, httpx.Response(200, json={"ok": True}))
    async with http_client:
        with pytest.raises(TransportError) as raised:
            await _client(http_client).call("auth.test", token=TOKEN)
    assert [request.url.host for request in seen] == ["slack.test"]
    assert raised.value.status_code == 307


async def test_a_refusal_after_a_server_error_says_the_change_may_have_been_made() -> None:
    """Mutant: ``if reached and reply.status_code < 500:`` -> ``if False:`` (the final reply never
    carries ``earlier_attempt_reached``). A 503 answered a change Slack had: when the attempt
    sent again is refused, the error must still say an earlier attempt may have made it."""
    http_client, seen = _answering(
        httpx.Response(503, json={"ok": False, "error": "service_unavailable"}),
        httpx.Response(200, json={"ok": False, "error": "invalid_auth"}),
    )
    async with http_client:
        with pytest.raises(SlackApiError) as raised:
            await _client(http_client).call("users.deletePhoto", token=TOKEN)
    assert len(seen) == 2
    assert raised.value.error == "invalid_auth"
    assert raised.value.earlier_attempt_reached is True


class _FailsAfterTakingTheBody(httpx.AsyncBaseTransport):
    """Takes the whole request body, then fails with OpenSSL's words for a certificate."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(await request.aread())
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")


async def test_a_failure_after_the_body_went_out_is_never_called_a_setup_failure() -> None:
    """Mutant: ``_setup_failure``'s ``if progress.body_started: return None`` removed. A
    certificate (or proxy) refusal is "nothing was sent" only before the body began to go
    out; once it had, the change may have reached Slack and must be said so (reached)."""
    transport = _FailsAfterTakingTheBody()
    async with httpx.AsyncClient(transport=transport) as http_client:
        with pytest.raises(TransportError) as raised:
            await _client(http_client).call("users.deletePhoto", token=TOKEN)
    assert len(transport.bodies) >= 1
    assert raised.value.reached is True
    assert "Nothing was sent" not in str(raised.value)


async def test_a_retry_after_of_zero_still_waits_the_backoff(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Mutant: ``pause = max(wait, policy.backoff_delay(...))`` -> ``pause = wait``. A
    Retry-After of 0 (or a date in the past) must not have the retries follow each other
    within milliseconds: the pause is never less than the backoff (here at least 0.5 x 4 s).
    The sleeps are recorded, not slept."""
    pauses: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded(delay: float, result: Any = None) -> Any:
        pauses.append(delay)
        return await real_sleep(0, result)

    monkeypatch.setattr(asyncio, "sleep", recorded)  # the asyncio module the client calls
    limited = httpx.Response(429, headers={"Retry-After": "0"}, json={"ok": False})
    http_client, seen = _answering(limited, httpx.Response(200, json={"ok": True}))
    async with http_client:
        client = SlackClient(
            base_url=BASE,
            user_agent="tests",
            http_client=http_client,
            retry=RetryPolicy(max_retries=1, backoff=4.0),
        )
        reply = await client.call("auth.test", token=TOKEN)
    assert reply.attempts == 2
    assert len(seen) == 2
    assert pauses
    assert min(pauses) >= 2.0


async def test_a_refresh_grant_answered_with_a_server_error_is_not_sent_again() -> None:
    """Mutant: ``elif reply.status_code >= 500 and may_resend_after_server_error(method):`` ->
    ``elif reply.status_code >= 500:``. ``oauth.v2.access`` is never sent twice: Slack spends
    the refresh token it is given, so a second sending after a 5xx would fail and the first
    answer's new tokens would be lost."""
    http_client, seen = _answering(
        httpx.Response(503, json={"ok": False, "error": "service_unavailable"}),
        httpx.Response(200, json={"ok": True, "access_token": "xoxe.xoxp-1-new"}),
    )
    async with http_client:
        with pytest.raises(TransportError) as raised:
            await _client(http_client).call(
                "oauth.v2.access",
                token=None,
                client_auth=ClientCredentials("1234.5678", "app-secret-5a"),
                fields={"grant_type": "refresh_token", "refresh_token": "xoxe-1-spent-once"},
            )
    assert len(seen) == 1
    assert raised.value.status_code == 503


async def test_a_token_echoed_in_a_reply_header_is_redacted_from_the_reply() -> None:
    """Mutant: ``_headers_without`` returns the headers as they came (no redaction). The reply
    carries its headers on (whoami reads X-OAuth-Scopes), and "nothing derived from a response
    keeps the token": a server echoing it in a header, in any case, must not hand it on."""
    secret = TOKEN.reveal()
    echoing = httpx.Response(
        200,
        headers={"X-Echo": f"Bearer {secret.upper()}", "X-OAuth-Scopes": "users.profile:write"},
        json={"ok": True},
    )
    http_client, _ = _answering(echoing)
    async with http_client:
        reply = await _client(http_client).call("auth.test", token=TOKEN)
    assert secret.lower() not in reply.headers["x-echo"].lower()
    assert reply.headers["x-oauth-scopes"] == "users.profile:write"


def test_a_reply_nested_exactly_max_json_depth_is_read_and_one_more_is_not() -> None:
    """Mutant: ``_deeper_than``'s ``if depth > limit`` -> ``>=``. Slack's reply is refused only
    when it nests *more* than MAX_JSON_DEPTH levels: a reply of exactly that depth is read."""
    inner: Any = []
    for _ in range(MAX_JSON_DEPTH - 2):  # the object is level 1, the outer list level 2
        inner = [inner]
    at_the_limit = {"ok": True, "deep": inner, "more": [[]]}
    assert decode_reply(_reply(at_the_limit), method="auth.test", redact=_same)["ok"] is True
    with pytest.raises(TransportError):
        decode_reply(
            _reply({"ok": True, "deep": [inner], "more": [[]]}), method="auth.test", redact=_same
        )


def test_an_http_500_carrying_slacks_error_is_a_failure_that_may_have_taken_effect() -> None:
    """Mutant: ``if status >= 500`` -> ``> 500``. Slack's own ``internal_error`` comes as HTTP
    500 and "some aspect of the operation" may have succeeded: it must be the TransportError
    that says the change may have been made (``reached``), not a plain refusal by Slack."""
    with pytest.raises(TransportError) as raised:
        decode_reply(
            _reply({"ok": False, "error": "internal_error"}, 500),
            method="users.setPhoto",
            redact=_same,
        )
    assert raised.value.reached is True
    assert raised.value.status_code == 500
    assert "may have taken effect" in str(raised.value)


async def test_a_refresh_token_echoed_in_a_refusal_is_redacted() -> None:
    """Mutant: ``refresh_token`` left out of ``CREDENTIAL_FIELDS``. A refresh sends the
    refresh token as a form field; a server quoting it back in its refusal must not hand it
    on in the error a host logs or a model reads."""
    refresh_token = "xoxe-1-My0xLTEyMzQ1Njc4OTAtcmVmcmVzaC10b2tlbi1zZWNyZXQ"
    refusal = httpx.Response(
        200, json={"ok": False, "error": "invalid_refresh_token", "got": refresh_token}
    )
    http_client, _ = _answering(refusal)
    async with http_client:
        with pytest.raises(SlackApiError) as raised:
            await _client(http_client).call(
                "oauth.v2.access",
                token=None,
                fields={"grant_type": "refresh_token", "refresh_token": refresh_token},
                client_auth=ClientCredentials("1234.5678", "app-secret-5a"),
            )
    shown = f"{raised.value} {raised.value!r} {json.dumps(raised.value.reply)}"
    assert raised.value.error == "invalid_refresh_token"
    assert refresh_token not in shown
    assert refresh_token[10:40] not in shown
