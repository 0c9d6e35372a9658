"""A hostile image host's framing against the event loop (review angle: a server's own pace).

Loopback https servers with trustme certificates, as in test_web_image_fetch.py; nothing
leaves 127.0.0.1. What the fetch does between two turns of another task is counted, not
timed: a count does not depend on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.bounded_body import BoundedBody
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.resolvers import IntakeContext
from ocp_users_photo.images.url_resolver import UrlResolver
from ocp_users_photo.web_image import UrlPolicy, fetch_image
from tests.conftest import CANARY_TOKEN, make_image
from tests.http_stacks import stack_environ
from tests.loopback import LoopbackServer, drip, redirect, serve
from tests.test_webimage9 import TableResolver

PNG = make_image((8, 8), "PNG")
PHOTO = make_image((512, 512), "PNG")
PIECES = 100_000


async def one_byte_chunks(writer: asyncio.StreamWriter) -> None:
    """A PNG's start, then ``PIECES`` chunks of one byte each, all sent at once."""
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    writer.write(b"%x\r\n%s\r\n" % (len(PNG), PNG))
    writer.write(b"1\r\n\x00\r\n" * PIECES + b"0\r\n\r\n")
    await writer.drain()


@contextlib.asynccontextmanager
async def pieces_between_turns(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[int]]:
    """Counts the body pieces fed (``BoundedBody.feed``, which every reader of a body
    calls) between two turns of another task; yields a list holding the most, once done."""
    fed = 0
    most = [0]
    feed = BoundedBody.feed

    def counted_feed(self: BoundedBody, raw: bytes) -> None:
        nonlocal fed
        fed += 1
        feed(self, raw)

    monkeypatch.setattr(BoundedBody, "feed", counted_feed)

    async def other_task() -> None:
        nonlocal fed
        while True:
            await asyncio.sleep(0)
            most[0] = max(most[0], fed)
            fed = 0

    other = asyncio.create_task(other_task())
    try:
        yield most
    finally:
        other.cancel()


async def test_a_body_in_one_byte_chunks_leaves_other_tasks_their_turns(
    host: LoopbackServer, client_tls: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Observed before: up to 11,000 chunks (one 64 KiB read) taken in one go, 0.1-0.5 s
    # with the loop standing still, again and again until the 30 s deadline (a body of
    # 1 MiB took 12 s): every other call of an MCP server waited.
    host.on("/x.png", one_byte_chunks)
    async with pieces_between_turns(monkeypatch) as most:
        policy = UrlPolicy(allowed_hosts=["127.0.0.1"], allow_loopback_for_tests=True)
        image = await fetch_image(host.url("/x.png"), policy, ssl_context=client_tls)
    assert image.byte_count == len(PNG) + PIECES
    assert most[0] <= 1024


async def slack_reply_in_one_byte_chunks(writer: asyncio.StreamWriter) -> None:
    """Slack's ok reply, then ``PIECES`` spaces (JSON allows them) one byte a chunk."""
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    writer.write(b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    writer.write(b'b\r\n{"ok":true}\r\n' + b"1\r\n \r\n" * PIECES + b"0\r\n\r\n")
    await writer.drain()


async def test_a_slack_reply_in_one_byte_chunks_leaves_other_tasks_their_turns(
    http_stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Slack client's reply reader took every piece of a read without a turn, as the
    # image fetch did: a reply of 100,000 one-byte chunks held the loop between reads.
    async with serve() as slack:
        slack.on("/api/users.setPhoto", slack_reply_in_one_byte_chunks)
        async with (
            UsersSetPhoto(
                CANARY_TOKEN,
                base_url=slack.base_url(),
                environ=stack_environ(http_stack),
                keep_previous=False,
                max_retries=0,
            ) as tool,
            pieces_between_turns(monkeypatch) as most,
        ):
            reply = await tool.call({"image": PHOTO})
    assert reply["ok"] is True
    assert most[0] <= 1024


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
