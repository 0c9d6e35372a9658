"""Resources under sustained and hostile use: a process that serves many calls.

A cancelled call's conversion is not run for nobody (it held up every later one); base64
text near the cap is decoded without standing the event loop still; a call under way
when the tool is closed ends rather than setting the photo on a stack nobody closes.
"""

from __future__ import annotations

import asyncio
import base64
import io
import os
import time
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo import tool as tool_module
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.errors import TransportError, UsersPhotoError
from ocp_users_photo.worker_threads import in_conversion_thread

TOKEN = "xoxp-1234567890-1234567890123-0123456789abcdef0123456789abcdef"


def _webp(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (10, 20, 30)).save(buffer, "WEBP", lossless=True)
    return buffer.getvalue()


async def _prepare(tool: UsersSetPhoto, image: object) -> None:
    try:
        async with tool.prepare({"image": image}):
            pass
    except UsersPhotoError:
        pass


async def test_cancelled_calls_conversions_do_not_hold_up_later_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A call cancelled while its image waits for the one conversion thread still has
    that conversion run later (worker_threads._WorkerPool._serve runs abandoned jobs), so
    a few cancelled 2 KB calls make every later conversion in the process wait. Counted,
    not timed: the conversions the thread ran by the time a later call's is done."""
    ran: list[int] = []

    async def counted(function: Callable[..., Any], *args: Any) -> Any:
        def counting(*given: Any) -> Any:
            ran.append(len(ran))
            return function(*given)

        return await in_conversion_thread(counting, *args)

    monkeypatch.setattr(tool_module, "in_conversion_thread", counted)
    bomb = _webp(6000)  # 36 million pixels, under the 50 million cap; ~2 KB
    small = _webp(600)  # WEBP: converted too
    tool = UsersSetPhoto(TOKEN)
    await _prepare(tool, bomb)
    assert len(ran) == 1
    for _ in range(4):  # e.g. an MCP client cancelling calls that take too long
        task = asyncio.ensure_future(_prepare(tool, bomb))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    await _prepare(tool, small)
    await tool.aclose()
    # The first bomb, at most the cancelled one already under way, then the small image:
    # the four cancelled ones all running first made six.
    assert len(ran) <= 3, f"{len(ran)} conversions ran by the time the small image's was done"


async def test_base64_text_decoding_does_not_stall_the_event_loop() -> None:
    """The README says base64 is decoded in a worker thread so the loop goes on; the
    regex check and b64decode of a text near the cap hold the GIL in one C call each, so
    the loop stands still for hundreds of milliseconds per such call."""
    text = base64.b64encode(os.urandom(24 * 1024 * 1024)).decode()  # under the 32 MiB cap
    tool = UsersSetPhoto(TOKEN)
    lags: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - before - 0.005)

    prober = asyncio.ensure_future(probe())
    await asyncio.sleep(0.05)
    await _prepare(tool, text)
    done.set()
    await prober
    await tool.aclose()
    assert max(lags) < 0.1, f"the event loop stood still for {max(lags) * 1000:.0f} ms"


def _client_sockets_to(port: int) -> int:
    """Sockets of this process connected to ``port`` on loopback (client side)."""
    import contextlib
    import socket

    count = 0
    for descriptor in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError, ValueError):
            if not os.readlink(f"/proc/self/fd/{descriptor}").startswith("socket:"):
                continue
            probe = socket.socket(fileno=int(descriptor))
            try:
                peer = probe.getpeername()
            finally:
                probe.detach()
            count += isinstance(peer, tuple) and peer[1] == port
    return count


async def test_a_call_in_flight_at_aclose_opens_no_stack_that_is_never_closed(
    emulator: RunningEmulator,
) -> None:
    """aclose() while a call is still converting its image: the call goes on after the
    close, opens a new HTTP stack on the loop (slack/client.py _owned_stack), changes the
    photo, and that stack is never closed: its connection stays open (a ResourceWarning
    'unclosed transport' when collected). The README says aclose() under calls in flight
    ends them in TransportErrors."""
    from urllib.parse import urlsplit

    port = urlsplit(emulator.base_url).port
    assert port is not None
    tool = UsersSetPhoto(TOKEN, base_url=emulator.base_url)
    await tool.call({"image": _webp(600)})  # the loop's stack is open
    task = asyncio.ensure_future(tool.call({"image": _webp(6000)}))  # ~1 s converting
    await asyncio.sleep(0.3)
    await tool.aclose()
    outcome = await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0.2)
    left_open = _client_sockets_to(port)
    assert left_open == 0, f"{left_open} connection(s) to Slack left open after aclose()"
    assert isinstance(outcome[0], TransportError), "the call changed the photo after aclose()"
    assert "the tool was closed while" in str(outcome[0])
    assert len(emulator.requests.for_path("/api/users.setPhoto")) == 1  # the first call's


async def test_file_objects_that_never_give_their_bytes_leave_the_path_readers_free() -> None:
    """A caller's pipe that never writes nor ends holds the thread reading it past the
    call's deadline: read on the path readers' worker threads, six such calls held them
    all, and every later call from a path, in the whole process, ended at its deadline."""
    from ocp_users_photo.worker_threads import in_worker_thread

    pipes = [os.pipe() for _ in range(worker_threads_bound() + 2)]
    readers = [io.FileIO(reader) for reader, _ in pipes]  # unbuffered, as Popen(bufsize=0)
    tool = UsersSetPhoto(TOKEN, base_url="http://127.0.0.1:9/api", deadline=0.5)
    try:
        outcomes = await asyncio.gather(
            *(tool.call({"image": reader}) for reader in readers), return_exceptions=True
        )
        assert all(isinstance(outcome, TransportError) for outcome in outcomes), outcomes
        # A path reader's job: waits for a stalled read to end without the threads of its own.
        assert await asyncio.wait_for(in_worker_thread(lambda: "read"), 10) == "read"
    finally:
        for _, writer in pipes:
            os.close(writer)  # the stalled reads end: their threads serve again
        await tool.aclose()
        await asyncio.sleep(0.2)  # the reads see their ends before the files close
        for reader in readers:
            reader.close()


def worker_threads_bound() -> int:
    """How many path readers' threads the process has at most."""
    from ocp_users_photo import worker_threads

    return worker_threads._pool.most_threads
