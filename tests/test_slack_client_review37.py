"""Three promises of the Slack client that a reading of slack/client.py found broken, each
shown on a real server on loopback (the review of 2026-12-06):

- ``oauth.v2.access`` is never sent again after a 5xx (Slack may have spent the refresh
  token it was given), even when the 5xx says ``ratelimited`` with a Retry-After: the rate
  limit's branch came first and sent it three times;
- a call that began before ``aclose()`` opens no stack after it: on a client's first call
  the check ran before the stack was loaded in a worker thread, and a close during that
  load let the call open a new stack, change the photo and leave the stack open;
- a proxy that refuses the password is not asked again with it: a SOCKS5 proxy's refusal
  (not a 407) was taken for a passing failure and the same password sent three times.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from ocp_users_photo.credentials import ClientCredentials, SlackToken
from ocp_users_photo.errors import TransportError
from ocp_users_photo.slack.client import SlackClient
from ocp_users_photo.slack.deadlines import call_deadline
from ocp_users_photo.slack.retry import RetryPolicy
from ocp_users_photo.slack.stacks import StackName
from tests.conftest import CANARY_TOKEN
from tests.http_stacks import stack_params

_RATELIMITED = b'{"ok":false,"error":"ratelimited"}'


async def _read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)


@asynccontextmanager
async def _server(answer: bytes, requests: list[None]) -> AsyncIterator[str]:
    """A keep-alive HTTP/1.1 server that answers every request with ``answer``."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await _read_request(reader)
                requests.append(None)
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/api"
    finally:
        server.close()


# A 503 whose body says ratelimited, with a Retry-After: the server had the request.
_503_RATELIMITED = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\n"
    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
    % (len(_RATELIMITED), _RATELIMITED)
)


async def _answered_503_ratelimited(
    stack: StackName, method: str, **call: Any
) -> tuple[int, TransportError]:
    """``method`` called with two retries allowed, every answer a 503 saying ratelimited:
    how many requests the server got, and the call's error."""
    requests: list[None] = []
    async with _server(_503_RATELIMITED, requests) as base_url:
        client = SlackClient(
            base_url=base_url,
            user_agent="test",
            http_stack=stack,
            retry=RetryPolicy(max_retries=2, backoff=0.01),
        )
        try:
            with pytest.raises(TransportError) as failed:
                await client.call(method, **call)
        finally:
            await client.aclose()
    return len(requests), failed.value


@pytest.mark.parametrize("stack", stack_params())
async def test_a_refresh_grant_answered_503_ratelimited_is_sent_once(stack: StackName) -> None:
    sent, error = await _answered_503_ratelimited(
        stack,
        "oauth.v2.access",
        token=None,
        client_auth=ClientCredentials("1234.5678", "app-secret-review37"),
        fields={"grant_type": "refresh_token", "refresh_token": "xoxe-1-spent-once"},
    )
    assert sent == 1
    assert error.status_code == 503
    assert error.reached is True


@pytest.mark.parametrize("stack", stack_params())
async def test_users_set_photo_answered_503_ratelimited_is_sent_again(stack: StackName) -> None:
    # The rate limit's wait still applies where a second sending is allowed.
    sent, _ = await _answered_503_ratelimited(
        stack, "users.setPhoto", token=SlackToken(CANARY_TOKEN)
    )
    assert sent == 3


@pytest.mark.parametrize("stack", stack_params())
async def test_a_close_while_the_first_call_loads_its_stack_ends_it(stack: StackName) -> None:
    ok = b'{"ok":true}'
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    answer = head % len(ok) + ok
    requests: list[None] = []
    async with _server(answer, requests) as base_url:
        client = SlackClient(base_url=base_url, user_agent="test", http_stack=stack)

        async def first_call() -> None:
            with call_deadline(10):
                await client.call("users.setPhoto", token=SlackToken(CANARY_TOKEN))

        call = asyncio.create_task(first_call())
        await asyncio.sleep(0)  # the call starts, and waits on its stack's load in a thread
        assert not call.done()
        assert client._owned.get(asyncio.get_running_loop()) is None
        await client.aclose()
        with pytest.raises(TransportError) as failed:
            await call
        stack_left = client._owned.get(asyncio.get_running_loop())
    assert failed.value.reached is False
    assert "closed while users.setPhoto was under way" in str(failed.value)
    assert requests == []
    assert stack_left is None


ProxyHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _refused_through(proxy_handler: ProxyHandler) -> TransportError:
    """A users.setPhoto call through a SOCKS5 proxy on loopback that ``proxy_handler``
    serves, its URL with a user name and password, two retries allowed: its error."""

    async def serving(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await proxy_handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    proxy = await asyncio.start_server(serving, "127.0.0.1", 0)
    port = proxy.sockets[0].getsockname()[1]
    client = SlackClient(
        base_url="https://slack.example/api",
        user_agent="test",
        proxy=f"socks5://alice:horse-battery-staple@127.0.0.1:{port}",
        retry=RetryPolicy(max_retries=2, backoff=0.01),
    )
    try:
        with pytest.raises(TransportError) as failed:
            await client.call("users.setPhoto", token=SlackToken(CANARY_TOKEN))
    finally:
        await client.aclose()
        proxy.close()
    assert "horse-battery-staple" not in str(failed.value)
    return failed.value


async def test_a_socks5_proxy_refusing_the_password_is_not_asked_again() -> None:
    sign_ins: list[bytes] = []

    async def refuses(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, methods = await reader.readexactly(2)
        await reader.readexactly(methods)
        writer.write(b"\x05\x02")  # user name and password, please
        _, name_length = await reader.readexactly(2)
        name = await reader.readexactly(name_length)
        password = await reader.readexactly((await reader.readexactly(1))[0])
        sign_ins.append(name + b":" + password)
        writer.write(b"\x01\x01")  # refused
        await writer.drain()

    error = await _refused_through(refuses)
    assert sign_ins == [b"alice:horse-battery-staple"]
    assert error.reached is False
    assert error.setting_at_fault is True
    assert "SOCKS5 sign-in refused (Invalid username/password)" in str(error)
    assert "check the user name and password" in str(error)


async def test_a_socks5_proxy_wanting_no_password_is_told_as_a_setting_once() -> None:
    greetings: list[bytes] = []

    async def wants_none(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, methods = await reader.readexactly(2)
        greetings.append(await reader.readexactly(methods))
        writer.write(b"\x05\x00")  # no sign-in, where the URL gives a password
        await writer.drain()
        await reader.read(1)

    error = await _refused_through(wants_none)
    assert len(greetings) == 1
    assert error.setting_at_fault is True
    assert "its way of signing in is not the proxy URL's (Requested USERNAME/PASSWORD" in str(error)
