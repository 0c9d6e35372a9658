"""Review of dd3b78b..6ace387 (byte budget, send observers): failing tests of defects found.

Each test states what a user would expect; they fail on 6ace387.
"""

from __future__ import annotations

import asyncio
import gc
import io
import sys
import threading
from types import FrameType

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images import byte_budget
from ocp_users_photo.images.byte_budget import ByteBudget
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import picture


def test_a_collected_unclosed_source_does_not_deadlock_the_budget() -> None:
    """An unclosed source in a reference cycle is given back by weakref.finalize when the
    collector runs: and the collector runs at any allocation, also the ones ``hold`` makes
    while it holds the budget's (non-reentrant) threading.Lock. ``_give_back`` then takes
    that lock again in the same thread: the thread, its event loop, and every other thread
    that touches the process's budget hang for good."""
    budget = ByteBudget(10**9)

    async def garbage() -> None:
        held = await budget.hold(10)
        source = ImageSource(label="x", filename_stem="x", byte_count=3, data=b"abc")
        source.keep_held(held)
        source.cycle = source  # type: ignore[attr-defined]  # as a traceback's frames make

    async def main() -> None:
        # Room for every garbage hold (5,000 of 10 bytes) however late the collector gives
        # them back, none for the waiting one: only the lock is under test, not the wait for
        # a collection (bytes of unclosed sources come back at the next one).
        blocker = await budget.hold(10**9 - 10**6)
        for index in range(5000):
            await garbage()
            gc.set_threshold(1 + index % 7)  # the collector at some allocation or other
            waiting = asyncio.ensure_future(budget.hold(2 * 10**6))  # waits: made under the lock
            await asyncio.sleep(0)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        blocker.release()

    thresholds = gc.get_threshold()
    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    try:
        thread.start()
        thread.join(30)
    finally:
        gc.set_threshold(*thresholds)  # (the hung thread's loop sets it no more)
    if thread.is_alive():
        frame: FrameType | None = sys._current_frames()[thread.ident]  # type: ignore[index]
        where = []
        while frame is not None:
            where.append(f"{frame.f_code.co_name}")
            frame = frame.f_back
        pytest.fail(f"deadlocked in the budget's lock: {' <- '.join(where[:6])}")


async def test_a_small_file_object_holds_about_its_size_not_the_cap() -> None:
    """A 2 KB file object held the whole 32 MiB cap until its upload was closed: eight such
    uploads (prepared, or being sent to a slow Slack) fill the 256 MiB budget and every
    other base64, data: URI, file object or URL call of the process waits."""
    image = picture((1, 2, 3))
    async with (
        UsersSetPhoto(
            CANARY_TOKEN, base_url="http://127.0.0.1:9/api", environ={}, keep_previous=False
        ) as tool,
        tool.prepare({"image": io.BytesIO(image)}),
    ):
        held = byte_budget.image_bytes.held
    assert held <= 16 * len(image) + 65536, f"{held} bytes held for a {len(image)}-byte image"


async def test_nine_small_uploads_prepared_before_sending_all_go() -> None:
    """Each of nine small file objects took the 32 MiB cap, so the ninth prepare waited for
    the budget that the caller, awaiting it, could never give back by sending the eight it
    held. Each now holds its own size: all nine go. (A prepare that does wait keeps to the
    tool's deadline: tests/test_byte_budget.py.)"""
    image = picture((4, 5, 6))
    uploads = []
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url="http://127.0.0.1:9/api",
        environ={},
        keep_previous=False,
        deadline=3,
    ) as tool:
        try:
            for _ in range(9):
                uploads.append(
                    await asyncio.wait_for(tool.prepare({"image": io.BytesIO(image)}), 15)
                )
            held = byte_budget.image_bytes.held
        finally:
            for upload in uploads:
                upload.close()
    assert len(uploads) == 9
    assert held == 9 * len(image)
    assert byte_budget.image_bytes.held == 0


class _Outcomes(CallObserver):
    def __init__(self) -> None:
        self.images: list[dict[str, object]] = []

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.images.append(dict(outcome.image or {}))


async def test_send_with_digest_tells_the_observers_the_fingerprint_as_call_does(
    emulator: RunningEmulator,
) -> None:
    """call_with_summary(digest=True) ends with the summary taken after the send (with its
    fingerprint); send(upload, digest=True) tells the observers the summary taken before
    it: an audit observer records a fingerprint for one door and not the other."""
    audit = _Outcomes()
    image = picture((7, 8, 9))
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        keep_previous=False,
        observers=[audit],
    ) as tool:
        await tool.call_with_summary({"image": image}, digest=True)
        upload = await tool.prepare({"image": image})
        await tool.send(upload, digest=True)
        sent = upload.summary()
    assert "fingerprint" in audit.images[0]
    assert "fingerprint" in sent
    assert audit.images[1].get("fingerprint") == sent["fingerprint"], audit.images[1]
