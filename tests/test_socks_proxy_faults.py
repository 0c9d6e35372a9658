"""A SOCKS proxy that breaks the handshake ends the call as a TransportError.

Found while running the suite on Python 3.13 (review of the dependency floors): there,
tests/test_log_records.py's SOCKS5 test proxy closes each connection at once (an
asyncio StreamWriter dropped unreferenced is closed on 3.13), and the call raised
socksio.exceptions.ProtocolError("Malformed reply") instead of TransportError. The same
happens on every Python with a proxy that closes the connection or answers garbage:
httpcore does not map socksio's errors, and slack/client.py re-raises what httpx_error_of
does not know ("not a fault of the HTTP exchange"). tool.run(), the model's door, raises
it too, and the CLI prints a traceback (exit 1).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from ocp_users_photo import TransportError, UsersSetPhoto
from tests.conftest import CANARY_TOKEN, make_image

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _closes_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


async def _answers_garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(3)  # the client's greeting
    writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    await writer.drain()
    writer.close()


@asynccontextmanager
async def _socks_tool(handler: Handler) -> AsyncIterator[UsersSetPhoto]:
    proxy = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = proxy.sockets[0].getsockname()[1]
    tool = UsersSetPhoto(
        CANARY_TOKEN,
        base_url="https://slack.example/api",
        environ={"HTTPS_PROXY": f"socks5://127.0.0.1:{port}"},
        timeout=5.0,
        max_retries=0,
    )
    try:
        yield tool
    finally:
        await tool.aclose()
        proxy.close()


@pytest.mark.parametrize("handler", [_closes_at_once, _answers_garbage])
async def test_a_broken_socks_handshake_is_a_transport_error(handler: Handler) -> None:
    async with _socks_tool(handler) as tool:
        with pytest.raises(TransportError):
            await tool.whoami()


@pytest.mark.parametrize("handler", [_closes_at_once, _answers_garbage])
async def test_run_answers_a_broken_socks_handshake_with_a_result(handler: Handler) -> None:
    async with _socks_tool(handler) as tool:
        result = await tool.run({"image": make_image((600, 600), "PNG")})
    assert result["ok"] is False
    assert result["error"] == "transport_error"
