"""Review angle: a web image URL takes from the byte budget what its body will make.

A URL took the whole byte cap (32 MiB) from the process's budget before its fetch began
and held it for the whole fetch: eight slow fetches of small images from allowed hosts
held the 256 MiB budget, and every base64, data: URI or file-object call in the process
waited behind them. A URL now takes, once the host's answer headers are in, its
Content-Length when the body is sent as it is, else the cap; before that, nothing.

Image hosts are loopback https servers with trustme certificates. Each answer below
logs when its headers go out, and the budget logs each take, so the order is checked
without timing anything; a body held back until the test opens its gate is a slow host.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import ssl
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.images.byte_budget import ByteBudget, Held
from ocp_users_photo.images.limits import DEFAULT_LIMITS
from ocp_users_photo.images.resolvers import (
    ImageIntake,
    IntakeContext,
    Resolution,
    bytes_made,
    default_resolvers,
)
from ocp_users_photo.images.url_resolver import UrlResolver
from ocp_users_photo.web_image import UrlPolicy
from tests.conftest import CANARY_TOKEN, make_image
from tests.loopback import Answer, LoopbackServer, reply

PNG = make_image((512, 512))
TEXT = base64.b64encode(make_image((600, 600), color=(9, 99, 199))).decode()
CAP = DEFAULT_LIMITS.max_bytes
CONTEXT = IntakeContext(image_roots=None, limits=DEFAULT_LIMITS)
Log = list[object]


class WatchedBudget(ByteBudget):
    """A budget that logs each take (``("take", count)``) and whether it had to wait."""

    def __init__(self, capacity: int, log: Log) -> None:
        super().__init__(capacity)
        self.log = log
        self.waited: list[int] = []
        self.took = asyncio.Event()  # a take was granted
        self.must_wait = asyncio.Event()  # a take found no room and waits its turn
        self.on_wait: Callable[[], None] = lambda: None

    async def hold(self, count: int) -> Held:
        self.log.append(("take", count))
        if self.waiting or (self.held and self.held + count > self.capacity):
            self.waited.append(count)
            self.must_wait.set()
            self.on_wait()
        held = await super().hold(count)
        self.took.set()
        return held


def _head(headers: Sequence[tuple[str, str]], status: int = 200) -> bytes:
    lines = [f"HTTP/1.1 {status} Status", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join([*lines, "Connection: close"]) + "\r\n\r\n").encode("latin-1")


def held_back(
    body: bytes, headers: Sequence[tuple[str, str]], gate: asyncio.Event, log: Log
) -> Answer:
    """The headers at once, the body when ``gate`` opens (a slow host); chunked when the
    headers say so."""
    chunked = any(name.lower() == "transfer-encoding" for name, _ in headers)

    async def answer(writer: asyncio.StreamWriter) -> None:
        log.append("headers")
        writer.write(_head(headers))
        await writer.drain()
        await gate.wait()
        writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if chunked else body)
        await writer.drain()

    return answer


def logged(answer: Answer, log: Log, entry: str) -> Answer:
    async def logging_answer(writer: asyncio.StreamWriter) -> None:
        log.append(entry)
        await answer(writer)

    return logging_answer


def intake(client_tls: ssl.SSLContext, **policy: Any) -> ImageIntake:
    url_policy = UrlPolicy(allowed_hosts=("127.0.0.1",), allow_loopback_for_tests=True, **policy)
    resolvers = {**default_resolvers(), "url": UrlResolver(url_policy, ssl_context=client_tls)}
    return ImageIntake(resolvers=resolvers)


def watched(monkeypatch: pytest.MonkeyPatch, capacity: int, log: Log) -> WatchedBudget:
    budget = WatchedBudget(capacity, log)
    monkeypatch.setattr("ocp_users_photo.images.byte_budget.image_bytes", budget)
    return budget


def closed(*resolutions: Resolution) -> None:
    for resolved, _ in resolutions:
        if resolved is not None:
            resolved.close()


async def test_a_slow_url_with_a_small_length_does_not_make_base64_wait(
    monkeypatch: pytest.MonkeyPatch, host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    """A budget of 1 MiB: a URL whose host has sent its headers (a 512x512 PNG's length)
    and holds back its body leaves room for a base64 image; it took the 32 MiB cap, and
    the base64 call waited for the slow host."""
    log: Log = []
    gate = asyncio.Event()
    host.on("/slow.png", held_back(PNG, [("Content-Length", str(len(PNG)))], gate, log))
    budget = watched(monkeypatch, 1024 * 1024, log)
    budget.on_wait = gate.set  # the slow host lets go if the base64 call waits: no hang
    fetching = asyncio.create_task(intake(client_tls).resolve(host.url("/slow.png"), CONTEXT))
    await budget.took.wait()
    decoded = await intake(client_tls).resolve(TEXT, CONTEXT)
    gate.set()
    fetched = await fetching
    try:
        assert budget.waited == [], "the base64 call waited behind the slow URL"
        assert log == [
            "headers",
            ("take", len(PNG)),
            ("take", bytes_made("base64", TEXT, DEFAULT_LIMITS)),
        ]
        assert fetched[0] is not None, fetched
        assert fetched[0].source.byte_count == len(PNG)
        assert decoded[0] is not None, decoded
    finally:
        closed(fetched, decoded)
    assert budget.held == 0


def _framings() -> list[Any]:
    packed = gzip.compress(PNG)
    return [
        pytest.param([], PNG, id="no Content-Length (ends at close)"),
        pytest.param(
            [("Content-Encoding", "gzip"), ("Content-Length", str(len(packed)))],
            packed,
            id="compressed, with its Content-Length",
        ),
        pytest.param(
            [("Transfer-Encoding", "chunked"), ("Content-Length", "10")],
            PNG,
            id="chunked, with a Content-Length beside it",
        ),
    ]


@pytest.mark.parametrize(("headers", "body"), _framings())
async def test_a_body_of_no_known_size_holds_the_cap_from_its_headers(
    monkeypatch: pytest.MonkeyPatch,
    host: LoopbackServer,
    client_tls: ssl.SSLContext,
    headers: list[tuple[str, str]],
    body: bytes,
) -> None:
    """What such a body makes is known only at its end (a gzip decodes to more, chunks are
    read in place of any Content-Length): it takes the cap, once its headers are in, and
    keeps what it made."""
    log: Log = []
    gate = asyncio.Event()
    host.on("/photo.png", held_back(body, headers, gate, log))
    budget = watched(monkeypatch, 1024 * 1024, log)
    fetching = asyncio.create_task(intake(client_tls).resolve(host.url("/photo.png"), CONTEXT))
    await budget.took.wait()
    assert log == ["headers", ("take", CAP)]
    gate.set()
    fetched = await fetching
    try:
        assert fetched[0] is not None, fetched
        assert fetched[0].source.byte_count == len(PNG)
        assert budget.held == len(PNG)  # the rest given back once made
    finally:
        closed(fetched)
    assert budget.held == 0


async def test_a_redirect_hop_holds_nothing(
    monkeypatch: pytest.MonkeyPatch, host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    log: Log = []
    gate = asyncio.Event()
    gate.set()
    host.on("/hop", logged(reply(302, b"", [("Location", "/photo.png")]), log, "redirect"))
    host.on("/photo.png", held_back(PNG, [("Content-Length", str(len(PNG)))], gate, log))
    budget = watched(monkeypatch, 1024 * 1024, log)
    fetched = await intake(client_tls).resolve(host.url("/hop"), CONTEXT)
    try:
        assert fetched[0] is not None, fetched
        assert log == ["redirect", "headers", ("take", len(PNG))]
    finally:
        closed(fetched)
    assert budget.held == 0


async def test_a_length_over_the_cap_is_refused_on_its_headers_taking_nothing(
    monkeypatch: pytest.MonkeyPatch, host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    log: Log = []
    host.on("/big.png", logged(reply(200, PNG, [("Content-Length", str(CAP + 1))]), log, "headers"))
    budget = watched(monkeypatch, 1024 * 1024, log)
    resolved, problems = await intake(client_tls).resolve(host.url("/big.png"), CONTEXT)
    assert resolved is None
    assert "over the 32 MiB limit" in problems[0].message
    assert log == ["headers"]
    assert budget.held == 0


async def test_a_body_longer_than_its_length_makes_no_more_than_it_took(
    emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    host: LoopbackServer,
    client_tls: ssl.SSLContext,
) -> None:
    """The host sends more than its Content-Length says: the fetch reads only that many
    bytes (what the URL took), and the image, cut short, is refused as before."""
    log: Log = []
    short = len(PNG) - 50
    host.on("/long.png", logged(reply(200, PNG, [("Content-Length", str(short))]), log, "headers"))
    budget = watched(monkeypatch, 1024 * 1024, log)
    fetched = await intake(client_tls).resolve(host.url("/long.png"), CONTEXT)
    try:
        assert log == ["headers", ("take", short)]
        assert fetched[0] is None or fetched[0].source.byte_count == short
    finally:
        closed(fetched)
    assert budget.held == 0
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        keep_previous=False,
        image_resolvers=intake(client_tls).resolvers,
    ) as tool:
        result = await tool.run({"image": host.url("/long.png")})
    assert result["ok"] is False, result
    assert budget.held == 0


async def test_refusals_after_the_headers_give_the_budget_back(
    monkeypatch: pytest.MonkeyPatch, host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    log: Log = []
    page = b"<!doctype html><p>hi" * 100
    host.on("/page.html", reply(200, page, []))
    host.on("/gone.png", reply(404, b"no such image", []))
    host.on("/cut.png", reply(200, PNG[:100], [("Content-Length", str(len(PNG)))]))
    budget = watched(monkeypatch, 1024 * 1024, log)
    for path, told in [
        ("/page.html", "not an image"),
        ("/gone.png", "HTTP 404"),
        ("/cut.png", "broke off"),
    ]:
        resolved, problems = await intake(client_tls).resolve(host.url(path), CONTEXT)
        assert resolved is None
        assert told in problems[0].message, problems
        assert budget.held == 0, path
    assert ("take", len(page)) in log  # the page took its length, then gave it back
    assert ("take", len(PNG)) in log


async def test_a_cancelled_fetch_gives_back_what_it_took_or_waited_for(
    monkeypatch: pytest.MonkeyPatch, host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    log: Log = []
    gate = asyncio.Event()
    host.on("/slow.png", held_back(PNG, [("Content-Length", str(len(PNG)))], gate, log))
    budget = watched(monkeypatch, len(PNG), log)
    # Cancelled while its body is held back, its bytes taken.
    fetching = asyncio.create_task(intake(client_tls).resolve(host.url("/slow.png"), CONTEXT))
    await budget.took.wait()
    assert budget.held == len(PNG)
    fetching.cancel()
    with pytest.raises(asyncio.CancelledError):
        await fetching
    assert budget.held == 0
    # Cancelled while waiting for bytes another call holds, after the headers came.
    others = await budget.hold(len(PNG))
    waiting = asyncio.create_task(intake(client_tls).resolve(host.url("/slow.png"), CONTEXT))
    await budget.must_wait.wait()
    assert budget.waiting == 1
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert budget.waiting == 0
    others.release()
    assert budget.held == 0
    gate.set()  # the host's answers end


async def test_waiting_for_the_budget_is_not_the_host_being_slow(
    monkeypatch: pytest.MonkeyPatch, host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    """The fetch's total deadline covers the host's time, not a wait for memory other calls
    hold: a wait longer than it, once the headers are in, still gets the image. (Time has
    to pass here for the deadline to be passed; no event stands for it.)"""
    log: Log = []
    host.on("/photo.png", logged(reply(200, PNG, []), log, "headers"))
    budget = watched(monkeypatch, len(PNG), log)
    others = await budget.hold(len(PNG))
    fetching = asyncio.create_task(
        intake(client_tls, total_timeout=1.5).resolve(host.url("/photo.png"), CONTEXT)
    )
    await budget.must_wait.wait()
    await asyncio.sleep(2.0)  # longer than the fetch's whole deadline
    others.release()
    fetched = await fetching
    try:
        assert fetched[0] is not None, fetched
        assert log[-2:] == ["headers", ("take", len(PNG))]
    finally:
        closed(fetched)
    assert budget.held == 0


async def test_a_call_whose_deadline_ends_waiting_after_the_headers_is_told_so(
    monkeypatch: pytest.MonkeyPatch, host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    """The call's deadline passes while the URL waits for memory others hold: the model is
    told that, not that the image host was slow."""
    log: Log = []
    host.on(
        "/photo.png", logged(reply(200, PNG, [("Content-Length", str(len(PNG)))]), log, "headers")
    )
    budget = watched(monkeypatch, 1000, log)
    others = await budget.hold(1000)
    try:
        async with UsersSetPhoto(
            CANARY_TOKEN,
            base_url="http://127.0.0.1:9/api",
            environ={},
            deadline=0.5,
            image_resolvers=intake(client_tls).resolvers,
        ) as tool:
            result = await tool.run({"image": host.url("/photo.png")})
        assert result["ok"] is False, result
        assert "waiting for memory other calls' images hold" in result["message"], result
        assert "took longer" not in result["message"]
        assert budget.waiting == 0
    finally:
        others.release()
    assert budget.held == 0


async def test_the_hosts_deadline_runs_again_once_the_memory_is_taken(
    monkeypatch: pytest.MonkeyPatch, host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    """The fetch's total deadline stands still while it waits for memory, and runs again
    once it has it: a host that then stalls its body is still told slow at that deadline
    (left stopped, the fetch waited on to the read timeout, or for good)."""
    log: Log = []
    never = asyncio.Event()  # the body never comes
    host.on("/stall.png", held_back(PNG, [("Content-Length", str(len(PNG)))], never, log))
    budget = watched(monkeypatch, len(PNG), log)
    others = await budget.hold(len(PNG))
    fetching = asyncio.create_task(
        intake(client_tls, total_timeout=1.0).resolve(host.url("/stall.png"), CONTEXT)
    )
    await budget.must_wait.wait()
    others.release()
    try:
        resolved, problems = await asyncio.wait_for(fetching, 8)
    finally:
        never.set()  # the host's answer ends
    assert resolved is None
    assert "took longer than 1 s" in problems[0].message, problems
    assert budget.held == 0
