"""Mutation testing of session 12's new product lines (git diff 07d1ccc..HEAD): each test
here kills a mutant the existing tests let live (seen failing with it, passing without).
"""

from __future__ import annotations

import asyncio
import errno
import gc
import io
import struct
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images import byte_budget, paths
from ocp_users_photo.images.byte_budget import ByteBudget
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.resolvers import (
    ImageIntake,
    IntakeContext,
    Resolution,
    Take,
    default_resolvers,
    inspect_in_memory,
    open_image_source,
)
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.prepared import PreparedUpload
from ocp_users_photo.undo.entries import HistoryOwner
from ocp_users_photo.undo.errors import HistoryUnavailable, KeptPhotoUnusable
from ocp_users_photo.undo.store import PhotoHistory
from tests.conftest import CANARY_TOKEN, make_image
from tests.hostile_images import exif_with_orientation, png_chunk
from tests.test_cli11 import replace_kept_bytes
from tests.test_session12 import Recorder, grows_as_it_is_read
from tests.test_undo_crashes_and_locks import red_green_then_a_killed_set
from tests.undo_fixtures import GREEN, RED, history_tool

# images/paths.py: a path's file read whole -------------------------------------------------


@pytest.fixture
def budget(monkeypatch: pytest.MonkeyPatch) -> ByteBudget:
    """The process's byte budget, replaced by one this test alone takes from."""
    own = ByteBudget(64 * 1024 * 1024)
    monkeypatch.setattr(byte_budget, "image_bytes", own)
    return own


def test_a_file_that_grows_past_read_whole_under_a_large_cap_streams_as_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: ByteBudget
) -> None:
    """Under the default 32 MiB cap, a file read whole that grew past READ_WHOLE_BYTES
    since its size was checked is read no further than READ_WHOLE_BYTES: it streams, no
    more than the size checked, and holds nothing of the budget (mutant: read up to the
    cap, taking the grown file whole while holding only the checked size)."""
    png = make_image((600, 600))
    path = tmp_path / "growing.png"
    path.write_bytes(png)
    grows_as_it_is_read(monkeypatch, path, paths.READ_WHOLE_BYTES)
    source, problems = open_image_source(path, image_roots=None, limits=ImageLimits())
    assert problems == []
    assert source is not None
    try:
        assert source.data is None
        assert source.byte_count == len(png)
        assert budget.held == 0
    finally:
        source.close()
    assert budget.held == 0


def test_a_read_whole_that_fails_gives_its_bytes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: ByteBudget
) -> None:
    """A read error (EIO) is told as the path that cannot be read, and the size taken for
    the read is given back (mutant: the release on OSError dropped)."""
    path = tmp_path / "me.png"
    path.write_bytes(make_image((600, 600)))

    def failing(descriptor: int, limit: int) -> bytes:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(paths, "_read_up_to", failing)
    source, problems = open_image_source(path, image_roots=None, limits=ImageLimits())
    assert source is None
    assert "cannot be read" in problems[0].message
    assert budget.held == 0


def test_a_read_whole_interrupted_gives_its_bytes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: ByteBudget
) -> None:
    """Any other exception out of the read (Ctrl-C in the worker thread, a bug) goes on
    up, the size taken given back (mutant: the release on BaseException dropped)."""
    path = tmp_path / "me.png"
    path.write_bytes(make_image((600, 600)))

    class Interrupted(BaseException):
        pass

    def interrupted(descriptor: int, limit: int) -> bytes:
        raise Interrupted

    monkeypatch.setattr(paths, "_read_up_to", interrupted)
    with pytest.raises(Interrupted):
        open_image_source(path, image_roots=None, limits=ImageLimits())
    assert budget.held == 0


# images/byte_budget.py: try_hold ---------------------------------------------------------


def test_try_hold_counts_bytes_given_back_by_a_collected_holder() -> None:
    """Bytes a collected holder gave back (through the queue, without the lock) count as
    free for ``try_hold`` as for ``hold`` (mutant: try_hold no longer drains that queue,
    and a path's file streamed though the budget had room)."""
    own = ByteBudget(100)
    taken = own.try_hold(80)
    assert taken is not None
    taken.release_when_collected()
    again = own.try_hold(50)
    assert again is not None
    assert own.held == 50
    again.release()
    assert own.held == 0


def test_try_hold_of_a_negative_count_takes_nothing() -> None:
    """A negative count takes nothing, as ``hold``'s does (mutant: it lowered the count)."""
    own = ByteBudget(100)
    taken = own.try_hold(-5)
    assert taken is not None
    assert taken.count == 0
    assert own.held == 0
    taken.release()
    assert own.held == 0


async def test_try_hold_does_not_pass_a_call_waiting_for_bytes() -> None:
    """First come, first served: while a call waits for bytes, ``try_hold`` takes none,
    even a count that fits beside what is held (mutant: the waiting line ignored, a path's
    reads starving a base64 image that waits its turn)."""
    own = ByteBudget(100)
    first = await own.hold(80)
    waiting = asyncio.ensure_future(own.hold(50))
    await asyncio.sleep(0)  # one step of the loop: the task queues for its bytes
    assert own.waiting == 1
    try:
        assert own.try_hold(10) is None
        assert own.held == 80
    finally:
        first.release()
        (await waiting).release()
    assert own.held == 0


# undo/store.py: a read of a history that may not exist ------------------------------------


async def test_a_history_path_that_cannot_be_looked_at_is_told_not_taken_for_none(
    tmp_path: Path,
) -> None:
    """Only a history that is not there (FileNotFoundError) is read as an empty one; any
    other failure to look (a part of the path is a file) is left to the opening, which says
    what it is (mutant: every failure to look answered as an empty history)."""
    (tmp_path / "afile").write_text("not a folder")
    history = PhotoHistory(tmp_path / "afile" / "history.sqlite3")
    try:
        with pytest.raises(HistoryUnavailable, match="a part of the path is a file"):
            await history.entries(HistoryOwner("T0001", "U0001"))
    finally:
        await history.aclose()


async def test_a_file_read_whole_and_collected_unclosed_wakes_a_call_waiting_for_bytes(
    tmp_path: Path, budget: ByteBudget
) -> None:
    """A path's file read whole takes its bytes in a worker thread, with no event loop; a
    source of it dropped unclosed gives them back when collected, and a call waiting for
    bytes that now fit is woken then, as one behind any other kind of image is. It was not:
    the budget held nothing and the call went on waiting, until its deadline or another
    image's close."""
    path = tmp_path / "me.png"
    data = make_image((600, 600))
    await asyncio.to_thread(path.write_bytes, data)
    budget.capacity = len(data) + 10
    sources: list[ImageSource] = []

    def opened() -> None:  # in a worker thread, as the intake opens a path
        source, _ = open_image_source(path, image_roots=None, limits=ImageLimits())
        assert source is not None
        assert source.data is not None
        sources.append(source)

    await asyncio.to_thread(opened)
    assert budget.held == len(data)
    waiting = asyncio.ensure_future(budget.hold(20))
    await asyncio.sleep(0)  # one step of the loop: the task queues for its bytes
    assert budget.waiting == 1
    sources.clear()  # dropped unclosed
    gc.collect()
    assert budget.held == 0
    held = await asyncio.wait_for(waiting, 10)  # a guard against hanging, never reached
    held.release()
    assert budget.held == 0


# undo/restore.py: which calls the observers hear end ---------------------------------------


async def test_an_undo_refused_at_its_first_choice_is_not_heard_to_end(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A first choice refused before it is sent (its kept photo fails the image checks) was
    never announced: the observers hear neither a start nor an end (mutant: the end told
    of every call, a call they never heard start)."""
    history = tmp_path / "history.sqlite3"
    async with history_tool(emulator, tmp_path / "unused.sqlite3", keep_previous=False) as tool:
        await tool.call({"image": RED})
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": GREEN})  # #1 keeps red
    replace_kept_bytes(history, 1, b"not an image at all" * 10)
    recorder = Recorder()
    async with history_tool(emulator, history, keep_previous=True, observers=[recorder]) as tool:
        with pytest.raises(KeptPhotoUnusable):
            await tool.undo()
    assert recorder.events == []


async def test_an_undo_past_a_stale_entry_that_then_fails_unexpectedly_is_abandoned(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An undo that chose again (its first choice dropped, the call announced) and then
    failed on something not the tool's own refusal (a bug, a cancellation) is heard
    abandoned (mutants: such an end not caught, or told as a refusal)."""
    history, _ = await red_green_then_a_killed_set(emulator, tmp_path)  # #3 never changed
    recorder = Recorder()
    async with history_tool(emulator, history, keep_previous=True, observers=[recorder]) as tool:
        prepare = tool._prepare
        prepared: list[int] = []

        async def second_fails(*args: Any, **kwargs: Any) -> Any:
            prepared.append(1)
            if len(prepared) == 2:
                raise RuntimeError("a bug in the second choice's preparation")
            return await prepare(*args, **kwargs)

        monkeypatch.setattr(tool, "_prepare", second_fails)
        with pytest.raises(RuntimeError, match="second choice"):
            await tool.undo()
    assert len(prepared) == 2
    assert recorder.events == [
        ("started", "usersRestorePhoto"),
        ("abandoned", "usersRestorePhoto"),
    ]


async def test_an_undo_closes_the_upload_of_a_choice_it_dropped(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upload prepared for a first choice that was dropped (StaleUndoEntry, never sent,
    so never closed by the sending) is closed before the undo chooses again, its bytes
    given back then, not when collected (mutant: the close after apply_change dropped)."""
    history, _ = await red_green_then_a_killed_set(emulator, tmp_path)  # #3 never changed
    closed: list[PreparedUpload] = []
    close = PreparedUpload.close

    def counted(upload: PreparedUpload) -> None:
        closed.append(upload)
        close(upload)

    monkeypatch.setattr(PreparedUpload, "close", counted)
    async with history_tool(emulator, history, keep_previous=True) as tool:
        prepare = tool._prepare
        prepared: list[PreparedUpload] = []

        async def recorded(*args: Any, **kwargs: Any) -> PreparedUpload:
            upload = await prepare(*args, **kwargs)
            prepared.append(upload)
            return upload

        monkeypatch.setattr(tool, "_prepare", recorded)
        await tool.undo()
        assert len(prepared) == 2
        assert [any(done is upload for done in closed) for upload in prepared] == [True, True]


# images/png_metadata.py: where the walk after the pixels stops ----------------------------


def _late_exif_png(*, animated: bool) -> bytes:
    """A 640x560 PNG whose eXIf (a quarter turn) comes after an fcTL past its pixels: a
    second frame's control in an animated one, a stray chunk in a still one."""
    frames = [Image.new("RGB", (640, 560), color) for color in ((200, 0, 0), (0, 200, 0))]
    buffer = io.BytesIO()
    if animated:
        frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:])
    else:
        frames[0].save(buffer, format="PNG")
    png = buffer.getvalue()
    end = png.rindex(b"IEND") - 4
    stray = b""
    if not animated:
        control = struct.pack(">IIIIIHHBB", 0, 640, 560, 0, 0, 1, 1, 0, 0)
        stray = png_chunk(b"fcTL", control)
    late = png_chunk(b"eXIf", exif_with_orientation(6)[6:])  # without "Exif\0\0"
    png = png[:end] + stray + late + png[end:]
    assert png.index(b"eXIf") > png.rindex(b"fcTL") > png.index(b"IDAT")
    return png


@pytest.mark.parametrize("animated", [True, False], ids=["animated", "still"])
async def test_an_fctl_after_the_pixels_stops_the_walk_only_in_an_animated_png(
    animated: bool,
) -> None:
    """The first frame's metadata ends at the next frame's control (fcTL): an eXIf past it
    belongs to no photo shown and turns nothing; in a still PNG an fcTL means nothing, and
    the eXIf past it turns the photo (mutants: fcTL no longer noted; noted in still PNGs)."""
    async with (
        UsersSetPhoto(CANARY_TOKEN, environ={}) as tool,
        tool.prepare({"image": _late_exif_png(animated=animated)}) as upload,
    ):
        turned = (upload.image.width, upload.image.height) == (560, 640)
    assert turned == (not animated)


async def test_an_exif_past_iend_turns_nothing() -> None:
    """Bytes after IEND are no part of the PNG: an eXIf there turns nothing (mutant: IEND
    no longer noted, the walk read on past it)."""
    png = make_image((640, 560))
    late = png_chunk(b"eXIf", exif_with_orientation(6)[6:])
    async with (
        UsersSetPhoto(CANARY_TOKEN, environ={}) as tool,
        tool.prepare({"image": png + late}) as upload,
    ):
        assert (upload.image.width, upload.image.height) == (640, 560)


# images/resolvers.py: a resolver that takes from the budget when it knows -------------------


class _Taker:
    """A URL resolver that takes ``counts`` from the budget, then makes ``png``."""

    def __init__(self, png: bytes, counts: list[int]) -> None:
        self.png = png
        self.counts = counts

    async def resolve(self, value: Any, context: IntakeContext) -> Resolution:
        raise AssertionError("a resolver that takes when it knows is resolved taking")

    async def resolve_taking(self, value: Any, context: IntakeContext, take: Take) -> Resolution:
        for count in self.counts:
            await take(count)
        source = ImageSource(
            label="web", filename_stem="web", byte_count=len(self.png), data=self.png
        )
        return await inspect_in_memory(source, [], context.limits)


def _intake_with(taker: _Taker) -> ImageIntake:
    return ImageIntake(resolvers={**default_resolvers(), "url": taker})


async def test_a_resolver_that_took_nothing_gives_a_source_holding_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: ByteBudget
) -> None:
    """A resolution that never took (nothing learnt to take) leaves its source holding
    nothing (mutant: the intake handed its source a hold it never had)."""
    monkeypatch.setattr(byte_budget, "image_bytes", budget)
    intake = _intake_with(_Taker(make_image((600, 600)), []))
    context = IntakeContext((tmp_path,), ImageLimits())
    resolved, problems = await intake.resolve("https://images.example/me.png", context)
    assert problems == []
    assert resolved is not None
    assert resolved.source.held is None
    resolved.close()
    assert budget.held == 0


async def test_a_resolution_takes_from_the_budget_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: ByteBudget
) -> None:
    """A second take is refused, and what the first took is given back (mutant: a second
    take allowed, the first's bytes held for good)."""
    monkeypatch.setattr(byte_budget, "image_bytes", budget)
    intake = _intake_with(_Taker(make_image((600, 600)), [100, 200]))
    context = IntakeContext((tmp_path,), ImageLimits())
    with pytest.raises(RuntimeError, match="once"):
        await intake.resolve("https://images.example/me.png", context)
    assert budget.held == 0
