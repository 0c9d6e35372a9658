"""Aggregate bounds: many calls at once, a stalled Slack, a queue of conversions.

Single-call bounds are tested elsewhere; these look at what many calls together, or a
call that ended, leave behind: a socket (and the image bytes buffered on it) after a
stalled upload, calls that end long past their ``deadline=`` because the work before
the request (conversions taking turns, base64 decoding shared by every call under way)
is not bounded by it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import io
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.errors import TransportError, UsersPhotoError
from tests.conftest import CANARY_TOKEN
from tests.http_stacks import stack_environ, stack_of
from tests.test_tool import padded_png


def _client_sockets_to(port: int) -> int:
    """This process's TCP sockets whose far end is 127.0.0.1:``port`` (the client's side)."""
    inodes = set()
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{name}")
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    count = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            remote_port = int(fields[2].split(":")[1], 16)
            if remote_port == port and fields[9] in inodes:
                count += 1
    return count


@contextlib.asynccontextmanager
async def _stalled_slack() -> AsyncIterator[int]:
    """A Slack that takes the connection and the request's head, then never reads the body
    nor answers (a hung server or middlebox): the client's send buffer fills and stays
    full. Its port; its connections stay open until the block ends."""
    held: list[asyncio.StreamWriter] = []
    release = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        with contextlib.suppress(Exception):
            await reader.readuntil(b"\r\n\r\n")
            await release.wait()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        release.set()
        for writer in held:
            writer.transport.abort()
        server.close()
        await server.wait_closed()


async def test_a_stalled_upload_leaves_no_connection_open_once_the_call_ended(
    http_stack: str, tmp_path: Path
) -> None:
    """README (Reliability): every fault case ends 'in time, nothing left open'. With the
    aiohttp stack, an attempt that times out while the body is still going out closes its
    connection gracefully (asyncio's transport.close() waits to flush the buffer), so
    against a server that stopped reading, the socket and the unsent part of the image in
    its write buffer outlive the call and tool.aclose(), for as long as the peer holds the
    connection. Measured: 10 such calls of 25 MB base64 kept 10 sockets and ~210 MiB
    after aclose(); httpx's stack closes them."""
    path = tmp_path / "big.png"
    path.write_bytes(padded_png(16 * 1024 * 1024))
    image = path.read_bytes()  # sent from memory, as base64 and bytes arguments are
    async with _stalled_slack() as port:
        async with UsersSetPhoto(
            CANARY_TOKEN,
            base_url=f"http://127.0.0.1:{port}/api",
            environ=stack_environ(http_stack),
            timeout=1,
            max_retries=0,
        ) as tool:
            assert stack_of(tool) == http_stack
            with pytest.raises(TransportError, match="within the 1 s"):
                await tool.call({"image": image})
        gc.collect()
        await asyncio.sleep(0.5)
        left = _client_sockets_to(port)
    assert left == 0, f"{left} connection(s) to the stalled server still open after aclose()"


def _webp(side: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (10, 20, 30)).save(buffer, "WEBP", lossless=True)
    return base64.b64encode(buffer.getvalue()).decode()


async def _ended_after(tool: UsersSetPhoto, image: str, started: float) -> float:
    with contextlib.suppress(UsersPhotoError):
        await tool.call({"image": image})
    return time.monotonic() - started


async def test_queued_conversions_do_not_run_calls_past_their_deadline(
    emulator: RunningEmulator,
) -> None:
    """Conversions take turns in one thread (README, Security), and a call's deadline= is
    'the whole call'. A conversion whose call's deadline has passed while it waited is
    still run (abandoned jobs are skipped only on cancellation), so a handful of 1.4 KB
    WEBPs keep calls running to several times their deadline, and a small image behind
    them waits for conversions nobody can use. Measured (deadline 5 s, ten 6000x6000
    lossless WEBPs): calls ended at up to 10.0 s, and a 600x600 WEBP sent 0.2 s later
    ended at 10.0 s with 'no time was left of the call's 5 s deadline'."""
    bomb = _webp(6000)  # 36 million pixels: under the 50 million cap, ~1.4 KB
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as probe:
        await _ended_after(probe, bomb, time.monotonic())  # first imports out of the way
        one = await _ended_after(probe, bomb, time.monotonic())
    deadline = max(1.0, 2.5 * one)
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, deadline=deadline
    ) as tool:
        started = time.monotonic()
        ended = await asyncio.gather(*(_ended_after(tool, bomb, started) for _ in range(8)))
    # Allowed: the deadline, plus the one conversion under way when it passed.
    assert max(ended) < deadline + 1.5 * one, (
        f"one conversion {one:.1f} s, deadline {deadline:.1f} s; calls ended after "
        + ", ".join(f"{seconds:.1f}" for seconds in sorted(ended))
    )


def _closed_port() -> int:
    """A loopback port nothing listens on: a request there is refused at once."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_concurrent_base64_calls_end_by_their_deadline() -> None:
    """No cap on calls under way: every base64 call decodes at once on the worker threads,
    sharing the CPU, so with enough of them each call's decoding alone outlasts its
    deadline: all end late, none in time to be sent. Measured with 25 MB images (1.3 s
    for one call against a loopback Slack): 10 at once with deadline=5 all failed at
    6.6 s, 20 at once at 10.7 s, none sent; one after another, three or four would have
    been set within the 5 s. Here Slack's port is closed, so a call ends as soon as its
    image is ready (refused, or 'no time was left of the call's deadline')."""
    text = base64.b64encode(padded_png(12 * 1024 * 1024)).decode()
    base_url = f"http://127.0.0.1:{_closed_port()}/api"
    async with UsersSetPhoto(CANARY_TOKEN, base_url=base_url, environ={}, max_retries=0) as probe:
        await _ended_after(probe, text, time.monotonic())  # first imports out of the way
        one = await _ended_after(probe, text, time.monotonic())
    deadline = max(1.0, 3 * one)
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=base_url, environ={}, deadline=deadline, max_retries=0
    ) as tool:
        started = time.monotonic()
        ended = await asyncio.gather(*(_ended_after(tool, text, started) for _ in range(24)))
    assert max(ended) < 1.5 * deadline + 0.5, (
        f"one call {one:.2f} s, deadline {deadline:.1f} s; calls ended after "
        + ", ".join(f"{seconds:.1f}" for seconds in sorted(ended))
    )


async def _sent_after(tool: UsersSetPhoto, image: str, started: float) -> float | None:
    """Seconds from ``started`` until the call's image was sent (and refused: Slack's port
    is closed), or None when the call ended without sending it."""
    try:
        await tool.call({"image": image})
    except TransportError as error:
        if not str(error).startswith("could not reach Slack"):
            return None
    return time.monotonic() - started


async def test_long_base64_texts_take_turns_so_the_first_is_sent_at_once() -> None:
    """Each worker thread decoded its call's base64 at once, and the decodings (C code
    holding the interpreter's lock) shared the CPU: of 24 calls of 16 MB of base64, the
    first image was ready after 0.8 s, 11 times one call's time, and the event loop stood
    still up to 0.8 s at a time, waiting for the lock after each socket call. Decoded one
    after another (worker_threads.in_decoding_thread), the first is sent after about
    twice one call's time, and those whose turn comes too late end at the deadline,
    never decoded."""
    text = base64.b64encode(padded_png(12 * 1024 * 1024)).decode()
    base_url = f"http://127.0.0.1:{_closed_port()}/api"
    async with UsersSetPhoto(CANARY_TOKEN, base_url=base_url, environ={}, max_retries=0) as probe:
        await _ended_after(probe, text, time.monotonic())  # first imports out of the way
        one = await _ended_after(probe, text, time.monotonic())
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=base_url, environ={}, deadline=max(1.0, 3 * one), max_retries=0
    ) as tool:
        started = time.monotonic()
        sent = await asyncio.gather(*(_sent_after(tool, text, started) for _ in range(24)))
    times = sorted(seconds for seconds in sent if seconds is not None)
    assert times, f"one call {one:.2f} s: no image was sent"
    # Taking turns: about 2x one call's time. All at once: about 11x.
    assert times[0] < 6 * one, f"one call {one:.2f} s; the first was sent after {times[0]:.2f} s"
    assert len(times) < len(sent), "every image was sent: the test no longer loads the decoding"
