"""A proxy that fails the tunnel itself is named as the thing to check, never Slack.

With HTTPS_PROXY set, a proxy that closed the connection on its CONNECT, or answered it
with what is not HTTP, was told as "the connection closed before Slack answered" or
"Slack's answer broke HTTP's rules", and one that never answered as "no connection to
Slack"; each advised "check the network and the Slack address", not the proxy. Slack had
not been reached (its name is resolved by the proxy): the proxy is what to check.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocp_users_photo import UsersSetPhoto
from tests import loopback
from tests.conftest import CANARY_TOKEN, company_ca, make_image
from tests.http_stacks import stack_environ
from tests.test_review_transport21 import _slack_ok, connect_proxy

IMAGE = make_image((600, 600))
PROXY_TO_CHECK = "check the proxy (HTTPS_PROXY or ALL_PROXY, NO_PROXY)"
PASSWORD = "pr0xy-s3cret"


def http_proxy_only(monkeypatch: pytest.MonkeyPatch, proxy: str) -> None:
    """HTTP_PROXY set to ``proxy``, no lower-case spelling deciding over it, no NO_PROXY."""
    monkeypatch.setenv("HTTP_PROXY", proxy)
    for name in ("http_proxy", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)


async def set_photo_with(client: httpx.AsyncClient, base_url: str) -> dict[str, Any]:
    """users.setPhoto of IMAGE through the caller's ``client`` (refused as the tool is made,
    or the result)."""
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=base_url, client=client, keep_previous=False, max_retries=0
    ) as tool:
        return await tool.run({"image": IMAGE})


@contextlib.asynccontextmanager
async def failing_proxy(answer: bytes | None) -> AsyncIterator[int]:
    """A proxy that reads each CONNECT and then writes ``answer`` and closes, or, for None,
    says nothing until the client leaves; yields its port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            if answer is None:
                await reader.read()  # until the client gives up
            else:
                writer.write(answer)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def message_through(http_stack: str, port: int, attempt_seconds: float = 30.0) -> str:
    """What users.setPhoto says through the proxy at ``port`` (with a password)."""
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url="https://slack.invalid/api",
        environ=stack_environ(http_stack, HTTPS_PROXY=f"http://me:{PASSWORD}@127.0.0.1:{port}"),
        keep_previous=False,
        max_retries=0,
        timeout=attempt_seconds,
    ) as tool:
        result = await tool.run({"image": IMAGE})
    assert result["ok"] is False, result
    message = str(result["message"])
    assert PASSWORD not in message
    return message


@pytest.mark.parametrize(
    "answer",
    [b"", b"SSH-2.0-OpenSSH_9.6\r\n\r\n"],
    ids=["closes", "not-http"],
)
async def test_a_proxy_that_breaks_off_its_tunnel_is_the_thing_to_check(
    http_stack: str, answer: bytes
) -> None:
    async with failing_proxy(answer) as port:
        message = await message_through(http_stack, port)
    assert f"the connection through the proxy 127.0.0.1:{port} failed" in message
    assert PROXY_TO_CHECK in message
    assert "Slack answered" not in message
    assert "Slack's answer" not in message


async def test_a_proxy_that_never_opens_its_tunnel_is_the_thing_to_check(
    http_stack: str,
) -> None:
    async with failing_proxy(None) as port:
        message = await message_through(http_stack, port, attempt_seconds=0.5)
    assert f"no connection to Slack through the proxy 127.0.0.1:{port}" in message
    assert PROXY_TO_CHECK in message


async def test_slacks_own_broken_answer_through_the_tunnel_is_still_slacks(
    http_stack: str, tmp_path: Path
) -> None:
    server_tls, bundle = company_ca(tmp_path)

    async def not_http(writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()

    async with loopback.serve(server_tls) as slack, connect_proxy(None) as seen:
        port = int(seen[0])
        slack.on("/api/users.setPhoto", not_http)
        async with UsersSetPhoto(
            CANARY_TOKEN,
            base_url=slack.base_url(),
            environ=stack_environ(
                http_stack, HTTPS_PROXY=f"http://127.0.0.1:{port}", SSL_CERT_FILE=str(bundle)
            ),
            keep_previous=False,
            max_retries=0,
        ) as tool:
            result = await tool.run({"image": IMAGE})
    assert [request.target for request in slack.requests] == ["/api/users.setPhoto"]
    message = str(result["message"])
    assert "Slack's answer broke HTTP's rules" in message, message
    assert "through the proxy" not in message


@contextlib.asynccontextmanager
async def recording_proxy() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A proxy that records each request head it is sent and answers 502; yields its port
    and the heads."""
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            heads.append(await reader.readuntil(b"\r\n\r\n"))
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], heads
    finally:
        server.close()


@pytest.mark.parametrize(
    "proxied_by",
    ["transport-proxy", "session-trust-env", "session-proxy", "session-factory-trust-env"],
)
async def test_a_callers_httpx_aiohttp_client_that_would_proxy_plain_http_is_refused(
    proxied_by: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # check_callers_client looked only for httpcore's proxy pools: a client on httpx-aiohttp's
    # transport (which the README says the tool serves) given proxy=, or whose aiohttp
    # session reads HTTP_PROXY (trust_env=True), sent a plain-http (loopback emulator) call
    # through that proxy, Authorization header and all. An aiohttp session given proxy=, and
    # a session factory's (made as the first request went) reading HTTP_PROXY, still did.
    import aiohttp
    from httpx_aiohttp import AiohttpTransport  # the test extras install it

    async with recording_proxy() as (port, heads), loopback.serve() as slack:
        slack.on("/api/users.setPhoto", _slack_ok())
        proxy = f"http://127.0.0.1:{port}"
        session = None
        if proxied_by == "transport-proxy":
            transport = AiohttpTransport(proxy=httpx.Proxy(proxy))
        elif proxied_by == "session-proxy":  # aiohttp's own default proxy for the session
            session = aiohttp.ClientSession(proxy=proxy)
            transport = AiohttpTransport(client=session)
        elif proxied_by == "session-factory-trust-env":  # a session made when first sent
            http_proxy_only(monkeypatch, proxy)

            def factory() -> aiohttp.ClientSession:
                return aiohttp.ClientSession(trust_env=True)

            transport = AiohttpTransport(client=factory)
        else:
            http_proxy_only(monkeypatch, proxy)
            session = aiohttp.ClientSession(trust_env=True)
            transport = AiohttpTransport(client=session)
        async with httpx.AsyncClient(transport=transport) as client:
            with pytest.raises(ValueError, match="through a proxy") as refused:
                await set_photo_with(client, slack.base_url())
        if session is not None:
            await session.close()
    assert heads == [], "the proxy was sent the call"
    assert slack.requests == []
    assert CANARY_TOKEN not in str(refused.value)


async def test_a_callers_httpx_aiohttp_client_that_goes_direct_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import aiohttp
    from httpx_aiohttp import AiohttpTransport  # the test extras install it

    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    async with loopback.serve() as slack, aiohttp.ClientSession(trust_env=True) as session:
        slack.on("/api/users.setPhoto", _slack_ok())
        async with (
            httpx.AsyncClient(transport=AiohttpTransport(client=session)) as client,
        ):
            result = await set_photo_with(client, slack.base_url())
    assert result["ok"] is True, result
    assert [request.target for request in slack.requests] == ["/api/users.setPhoto"]


async def test_a_session_factory_is_refused_with_advice_that_can_be_followed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A factory's session is made as the first request goes, so its trust_env cannot be
    read and HTTP_PROXY refuses it (f94a828); the refusal said the client would send the
    call through a proxy and told to give it trust_env=False, which this caller had done
    (on the session and on the httpx client): the advice to give the session itself."""
    import aiohttp
    from httpx_aiohttp import AiohttpTransport  # the test extras install it

    http_proxy_only(monkeypatch, "http://127.0.0.1:9")

    def factory() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(trust_env=False)  # goes direct, whatever HTTP_PROXY says

    async with loopback.serve() as slack:
        slack.on("/api/users.setPhoto", _slack_ok())
        transport = AiohttpTransport(client=factory)
        async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
            with pytest.raises(ValueError, match="through a proxy") as refused:
                await set_photo_with(client, slack.base_url())
        said = str(refused.value)
        assert "give that client trust_env=False" not in said, said
        assert "factory" in said
        assert "ClientSession made with trust_env=False" in said
        assert CANARY_TOKEN not in said
        # Followed, the advice works: the same session given, not its factory.
        async with (
            aiohttp.ClientSession(trust_env=False) as session,
            httpx.AsyncClient(transport=AiohttpTransport(client=session)) as client,
        ):
            result = await set_photo_with(client, slack.base_url())
    assert result["ok"] is True, result
    assert [request.target for request in slack.requests] == ["/api/users.setPhoto"]


@pytest.mark.parametrize("proxied_by", ["session-trust-env", "session-proxy"])
async def test_a_callers_aiohttp_session_that_would_proxy_is_told_of_the_session(
    proxied_by: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A made aiohttp session that reads HTTP_PROXY (trust_env=True) or was given proxy=
    was refused with the httpx client's advice: "give that client trust_env=False", which
    this caller had done (it does not reach the session), or NO_PROXY, which a session's
    own proxy= does not heed. The refusal names the session and what to give it instead."""
    import aiohttp
    from httpx_aiohttp import AiohttpTransport  # the test extras install it

    http_proxy_only(monkeypatch, "http://127.0.0.1:9")
    async with loopback.serve() as slack:
        slack.on("/api/users.setPhoto", _slack_ok())
        if proxied_by == "session-proxy":
            session = aiohttp.ClientSession(proxy="http://127.0.0.1:9")
        else:
            session = aiohttp.ClientSession(trust_env=True)
        transport = AiohttpTransport(client=session)
        async with session, httpx.AsyncClient(transport=transport, trust_env=False) as client:
            with pytest.raises(ValueError, match="through a proxy") as refused:
                await set_photo_with(client, slack.base_url())
        said = str(refused.value)
        assert "give that client trust_env=False" not in said, said
        assert "aiohttp session" in said, said
        assert CANARY_TOKEN not in said
        if proxied_by == "session-proxy":
            assert "without proxy=" in said, said
            assert "NO_PROXY and trust_env=False change nothing" in said, said
        else:
            assert "ClientSession made with trust_env=False" in said, said
        # Followed, the advice works: a session that goes direct.
        async with (
            aiohttp.ClientSession(trust_env=False) as direct,
            httpx.AsyncClient(transport=AiohttpTransport(client=direct)) as client,
        ):
            result = await set_photo_with(client, slack.base_url())
    assert result["ok"] is True, result
    assert [request.target for request in slack.requests] == ["/api/users.setPhoto"]
