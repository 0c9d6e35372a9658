"""A hostile image host's framing against the event loop (review angle: a server's own pace).

Loopback https servers with trustme certificates, as in test_web_image_fetch.py; nothing
leaves 127.0.0.1. What the fetch does between two turns of another task is counted, not
timed: a count does not depend on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Sequence

import pytest
import trustme

from ocp_users_photo.bounded_body import BoundedBody
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.resolvers import IntakeContext
from ocp_users_photo.images.url_resolver import UrlResolver
from ocp_users_photo.web_image import UrlPolicy, fetch_image
from tests.conftest import make_image
from tests.loopback import LoopbackServer, drip, redirect, serve

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


class TableResolver:
    """Names from a table; any other name is not found (never real DNS)."""

    def __init__(self, table: dict[str, Sequence[str]]) -> None:
        self.table = table

    async def __call__(self, name: str, port: int) -> Sequence[str]:
        if name not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[name]


@pytest.mark.parametrize("case", ["slow body", "redirect to a name not found"])
async def test_a_host_that_answered_is_not_blamed_on_a_proxy(
    host: LoopbackServer, client_tls: ssl.SSLContext, case: str
) -> None:
    """The proxy note is for a fetch that reached no host (README: "a fetch that reaches no
    host says so"). Before, a host that answered and then dripped past the total deadline,
    or redirected to a name that does not resolve, was told as a web reachable only
    through a proxy, with "download the image" as the advice: the host was reached."""
    host.on("/slow.png", drip(PNG[:100], 0.05))
    host.on("/go", redirect("https://gone.images.test/x.png"))
    policy = UrlPolicy(
        allowed_hosts=["127.0.0.1", ".images.test"],
        allow_loopback_for_tests=True,
        total_timeout=0.5,
    )
    resolver = UrlResolver(policy, ssl_context=client_tls, resolver=TableResolver({}), proxied=True)
    path = "/slow.png" if case == "slow body" else "/go"
    context = IntakeContext(image_roots=None, limits=ImageLimits())
    resolved, problems = await resolver.resolve(host.url(path), context)
    assert resolved is None
    (problem,) = problems
    told = "took longer than 0.5 s" if case == "slow body" else "could not be found"
    assert told in problem.message
    assert "proxy" not in problem.message
