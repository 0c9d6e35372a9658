"""A reply the server sends while a kept-alive connection is idle is no call's answer.

After a good users.setPhoto reply, the server sends a second whole reply nobody asked
for, then answers the next request on that connection with invalid_auth. On aiohttp's
stack the pooled connection kept the unasked reply and handed it to the next call as its
answer: that call said the photo was set, with a profile from before it was sent, while
the server had refused it (a review of 2026-12-05). A load balancer that answers an idle
connection, or a server's bug, does this; the connection is dropped instead.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocp_users_photo import SlackApiError, UsersSetPhoto
from ocp_users_photo.slack import stacks
from tests.conftest import CANARY_TOKEN, company_ca, make_image
from tests.http_stacks import stack_environ


def _reply(body: dict[str, Any]) -> bytes:
    data = json.dumps(body).encode()
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        % len(data)
        + data
    )


def _set(avatar_hash: str) -> bytes:
    sizes = (24, 32, 48, 72, 192, 512, 1024)
    images = {f"image_{n}": f"https://avatars.example.com/{avatar_hash}_{n}.png" for n in sizes}
    return _reply(
        {
            "ok": True,
            "profile": {
                **images,
                "image_original": "https://avatars.example.com/o.png",
                "avatar_hash": avatar_hash,
            },
        }
    )


class UnaskedReplies:
    """A server that, after its first good reply, sends a second one unasked, then refuses
    every later request on that connection; what it answered is kept. ``same_write``: the
    unasked reply goes in the same write as the first, so the client reads both at once."""

    def __init__(self, *, same_write: bool) -> None:
        self.answered: list[str] = []
        self.same_write = same_write

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                await reader.readexactly(length)
                served += 1
                if served == 1 and self.same_write:
                    self.answered.append("set")
                    writer.write(_set("aaaaaaaaaaaa") + _set("bbbbbbbbbbbb"))
                elif served == 1:
                    self.answered.append("set")
                    writer.write(_set("aaaaaaaaaaaa"))
                    await writer.drain()
                    await asyncio.sleep(0.3)  # the connection is idle in the pool now
                    writer.write(_set("bbbbbbbbbbbb"))  # asked by no one
                else:
                    self.answered.append("invalid_auth")
                    writer.write(_reply({"ok": False, "error": "invalid_auth"}))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


def _tool(port: int, stack: str) -> UsersSetPhoto:
    """The tool on ``stack`` against the server at ``port``: no retries, nothing kept."""
    return UsersSetPhoto(
        CANARY_TOKEN,
        base_url=f"http://127.0.0.1:{port}/api",
        keep_previous=False,
        max_retries=0,
        environ={"OCP_USERS_PHOTO_HTTP_STACK": stack},
    )


async def _answered(tool: UsersSetPhoto) -> str:
    """The photo a call says was set, or the error Slack refused it with."""
    try:
        return str((await tool.call({"image": make_image()}))["profile"]["avatar_hash"])
    except SlackApiError as refused:
        return refused.error


@pytest.mark.parametrize("same_write", [False, True], ids=["while-idle", "with-the-reply"])
@pytest.mark.parametrize("stack", ["httpx", "aiohttp"])
async def test_a_reply_sent_to_an_idle_connection_is_not_the_next_calls_answer(
    stack: str, same_write: bool
) -> None:
    """Sent while the connection is idle, or in the same write as the reply before it (a
    review of 2026-12-07: httpx's pool kept those bytes in h11's buffer, not the socket)."""
    server_side = UnaskedReplies(same_write=same_write)
    server = await asyncio.start_server(server_side.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    outcomes: list[str] = []
    try:
        async with _tool(port, stack) as tool:
            for _ in range(2):
                outcomes.append(await _answered(tool))
                await asyncio.sleep(0.6)
    finally:
        server.close()
    assert outcomes[0] == "aaaaaaaaaaaa"
    assert "bbbbbbbbbbbb" not in outcomes, f"an unasked reply was taken as an answer: {outcomes}"
    # The second call got what the server answered it: a set on a connection of its own,
    # or the refusal on the connection it shared.
    assert server_side.answered in (["set", "set"], ["set", "invalid_auth"])
    assert outcomes[1] == ("aaaaaaaaaaaa" if server_side.answered[1] == "set" else "invalid_auth")


async def test_a_call_waiting_for_a_connection_is_not_handed_one_holding_an_unasked_reply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """httpx's pool hands a connection to a request waiting for one as the answer before is
    let go, without a new request reaching the pool: the connection was not looked at there,
    and the second call took the unasked reply as its answer (a review of 2026-12-07). One
    connection at most, so the second call waits."""
    monkeypatch.setattr(stacks, "LIMITS", httpx.Limits(max_connections=1))
    server_side = UnaskedReplies(same_write=True)
    server = await asyncio.start_server(server_side.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with _tool(port, "httpx") as tool:
            outcomes = await asyncio.gather(_answered(tool), _answered(tool))
    finally:
        server.close()
    assert "bbbbbbbbbbbb" not in outcomes, f"an unasked reply was taken as an answer: {outcomes}"
    assert list(outcomes) == ["aaaaaaaaaaaa", "aaaaaaaaaaaa"]  # each on a connection of its own
    assert server_side.answered == ["set", "set"]


def _callers_client(transport: str) -> httpx.AsyncClient:
    if transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport  # the test extras install it

        return httpx.AsyncClient(transport=AiohttpTransport())
    return httpx.AsyncClient()


@pytest.mark.parametrize("same_write", [False, True], ids=["while-idle", "with-the-reply"])
@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_callers_client_takes_no_unasked_reply_as_the_next_calls_answer(
    transport: str, same_write: bool
) -> None:
    """A caller's ``httpx.AsyncClient`` (httpx's transport, or httpx-aiohttp's) got neither
    stack's guard: on httpx's, a reply sent with the first was the second call's answer
    ("set" while the server refused it); on httpx-aiohttp's, one sent while the connection
    was idle (a review of 2026-12-07)."""
    server_side = UnaskedReplies(same_write=same_write)
    server = await asyncio.start_server(server_side.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    outcomes: list[str] = []
    try:
        async with _callers_client(transport) as client:
            tool = UsersSetPhoto(
                CANARY_TOKEN,
                base_url=f"http://127.0.0.1:{port}/api",
                keep_previous=False,
                max_retries=0,
                client=client,
            )
            async with tool:
                for _ in range(2):
                    outcomes.append(await _answered(tool))
                    await asyncio.sleep(0.6)
    finally:
        server.close()
    assert "bbbbbbbbbbbb" not in outcomes, f"an unasked reply was taken as an answer: {outcomes}"
    assert server_side.answered in (["set", "set"], ["set", "invalid_auth"])
    assert outcomes[1] == ("aaaaaaaaaaaa" if server_side.answered[1] == "set" else "invalid_auth")


class UnaskedRecord(UnaskedReplies):
    """Over TLS: the unasked reply in a TLS record of its own (a write of its own, in the
    same tick), so that both records come in one read from the socket."""

    def __init__(self) -> None:
        super().__init__(same_write=True)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        write = writer.write

        def each_reply_a_record(data: bytes) -> None:
            for reply in data.split(b"HTTP/1.1 ")[1:]:
                write(b"HTTP/1.1 " + reply)

        writer.write = each_reply_a_record  # type: ignore[method-assign,assignment]
        await super().handle(reader, writer)


@pytest.mark.parametrize("stack", ["httpx", "aiohttp", "client"])
async def test_an_unasked_reply_in_a_tls_record_of_its_own_is_not_the_next_calls_answer(
    stack: str, tmp_path: Path
) -> None:
    """Over https, a second reply in a TLS record of its own came in the same read from the
    socket as the first: httpx's TLS layer (anyio's) kept it, still encrypted, where neither
    h11's buffer nor the pool's poll of the socket saw it, and the next call said the photo
    was set while the server had refused it (a review of 2026-12-07)."""
    server_tls, bundle = company_ca(tmp_path)
    server_side = UnaskedRecord()
    server = await asyncio.start_server(server_side.handle, "127.0.0.1", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    client = None
    if stack == "client":
        client = httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(bundle)))
    outcomes: list[str] = []
    try:
        tool = UsersSetPhoto(
            CANARY_TOKEN,
            base_url=f"https://127.0.0.1:{port}/api",
            keep_previous=False,
            max_retries=0,
            client=client,
            environ={} if client else stack_environ(stack, SSL_CERT_FILE=str(bundle)),
        )
        async with tool:
            for _ in range(2):
                outcomes.append(await _answered(tool))
                await asyncio.sleep(0.3)
    finally:
        if client is not None:
            await client.aclose()
        server.close()
    assert "bbbbbbbbbbbb" not in outcomes, f"an unasked reply was taken as an answer: {outcomes}"
    assert outcomes[1] == ("aaaaaaaaaaaa" if server_side.answered[1] == "set" else "invalid_auth")


async def test_a_callers_transport_whose_client_cannot_be_read_still_serves_the_call() -> None:
    """A custom transport with a ``client`` property of its own that raises: the unasked
    replies' guard runs no code of the caller's transport (it raised out of every call)."""
    body = _set("aaaaaaaaaaaa").split(b"\r\n\r\n", 1)[1]

    class Wrapping(httpx.AsyncBaseTransport):
        @property
        def client(self) -> Any:
            raise RuntimeError("not opened yet")

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    async with httpx.AsyncClient(transport=Wrapping()) as client:
        stacks.expire_unasked_replies_of(client)
        tool = UsersSetPhoto(
            CANARY_TOKEN,
            base_url="http://127.0.0.1:9/api",
            keep_previous=False,
            max_retries=0,
            client=client,
        )
        async with tool:
            assert await _answered(tool) == "aaaaaaaaaaaa"
