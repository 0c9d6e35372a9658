"""A hostile image host's framing against the event loop (review angle: a server's own pace).

Loopback https servers with trustme certificates, as in test_web_image_fetch.py; nothing
leaves 127.0.0.1. What the fetch does between two turns of another task is counted, not
timed: a count does not depend on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import pytest
import trustme

from ocp_users_photo.bounded_body import BoundedBody
from ocp_users_photo.web_image import UrlPolicy, fetch_image
from tests.conftest import make_image
from tests.loopback import LoopbackServer, serve

PNG = make_image((8, 8), "PNG")
PIECES = 100_000


@pytest.fixture
async def host(ca: trustme.CA) -> AsyncIterator[LoopbackServer]:
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    async with serve(server_tls) as running:
        yield running


async def one_byte_chunks(writer: asyncio.StreamWriter) -> None:
    """A PNG's start, then ``PIECES`` chunks of one byte each, all sent at once."""
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    writer.write(b"%x\r\n%s\r\n" % (len(PNG), PNG))
    writer.write(b"1\r\n\x00\r\n" * PIECES + b"0\r\n\r\n")
    await writer.drain()


async def test_a_body_in_one_byte_chunks_leaves_other_tasks_their_turns(
    host: LoopbackServer, client_tls: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Observed before: up to 11,000 chunks (one 64 KiB read) taken in one go, 0.1-0.5 s
    # with the loop standing still, again and again until the 30 s deadline (a body of
    # 1 MiB took 12 s): every other call of an MCP server waited.
    host.on("/x.png", one_byte_chunks)
    fed = 0
    most_between_turns = 0
    feed = BoundedBody.feed

    def counted_feed(self: BoundedBody, raw: bytes) -> None:
        nonlocal fed
        fed += 1
        feed(self, raw)

    monkeypatch.setattr(BoundedBody, "feed", counted_feed)

    async def other_task() -> None:
        nonlocal fed, most_between_turns
        while True:
            await asyncio.sleep(0)
            most_between_turns = max(most_between_turns, fed)
            fed = 0

    other = asyncio.create_task(other_task())
    try:
        policy = UrlPolicy(allowed_hosts=["127.0.0.1"], allow_loopback_for_tests=True)
        image = await fetch_image(host.url("/x.png"), policy, ssl_context=client_tls)
    finally:
        other.cancel()
    assert image.byte_count == len(PNG) + PIECES
    assert most_between_turns <= 1024
