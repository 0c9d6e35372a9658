"""images/deferred_close.py: the event loop closes an image file while a worker thread
reads it, and does not wait for that read (issue 11); the file reads as the buffered
reader it replaces; a path the tool streams is opened as one."""

from __future__ import annotations

import asyncio
import io
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.images.deferred_close import DeferredCloseFile
from ocp_users_photo.images.paths import READ_WHOLE_BYTES
from ocp_users_photo.slack.form import FilePart, encode_form

WAIT = 10  # seconds a test waits for another thread before calling it stuck


class StalledRaw(io.RawIOBase):
    """A file system that stalls: each read waits until ``release`` is set."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.reading = threading.Event()
        self.release = threading.Event()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._data.seek(offset, whence)

    def tell(self) -> int:
        return self._data.tell()

    def readinto(self, buffer: Any) -> int:
        self.reading.set()
        self.release.wait(WAIT)
        return self._data.readinto(buffer)


def read_in_thread(file: io.BufferedReader) -> tuple[threading.Thread, list[bytes]]:
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(file.read(100)), daemon=True)
    reader.start()
    return reader, got


def close_in_thread(file: io.BufferedReader) -> threading.Event:
    closed = threading.Event()

    def close() -> None:
        file.close()
        closed.set()

    threading.Thread(target=close, daemon=True).start()
    return closed


def test_a_close_during_a_read_returns_at_once_and_the_read_closes_the_file() -> None:
    raw = StalledRaw(b"x" * 1000)
    file = DeferredCloseFile(raw)
    reader, got = read_in_thread(file)
    assert raw.reading.wait(WAIT)
    closed = close_in_thread(file)
    assert closed.wait(WAIT), "the close waited for the stalled read"
    assert not raw.closed, "closed under a read in progress"
    raw.release.set()
    reader.join(WAIT)
    assert got == [b"x" * 100], "the read in progress ends normally"
    assert raw.closed, "the last read closed the file"
    assert file.closed


def test_a_plain_buffered_reader_would_have_waited() -> None:
    # What the class is for, and proof that the test above can see a waiting close.
    raw = StalledRaw(b"x" * 1000)
    file = io.BufferedReader(raw)
    reader, _ = read_in_thread(file)
    assert raw.reading.wait(WAIT)
    closed = close_in_thread(file)
    assert not closed.wait(0.3), "a plain reader's close did not wait: the test shows nothing"
    raw.release.set()
    reader.join(WAIT)
    assert closed.wait(WAIT)


def test_a_read_after_the_close_fails_and_a_second_close_is_harmless() -> None:
    file = DeferredCloseFile(io.BytesIO(b"abc"))  # type: ignore[arg-type]
    assert file.read(1) == b"a"
    file.close()
    file.close()
    assert file.closed
    for read in (file.read, file.read1, file.peek, file.readline):
        with pytest.raises(ValueError, match="closed file"):
            read(1)
    with pytest.raises(ValueError, match="closed file"):
        file.readinto(bytearray(1))


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=3000),
    steps=st.lists(
        st.tuples(
            st.sampled_from(["read", "read1", "readinto", "readline", "peek", "seek", "tell"]),
            st.integers(min_value=-1, max_value=4000),
        ),
        max_size=12,
    ),
)
def test_it_reads_as_the_buffered_reader_it_replaces(
    data: bytes, steps: list[tuple[str, int]]
) -> None:
    ours = DeferredCloseFile(io.BytesIO(data), buffer_size=64)  # type: ignore[arg-type]
    plain = io.BufferedReader(io.BytesIO(data), buffer_size=64)  # type: ignore[arg-type]
    for name, size in steps:
        if name == "readinto":
            outcomes = []
            for file in (ours, plain):
                buffer = bytearray(max(size, 0))
                outcomes.append((file.readinto(buffer), bytes(buffer)))
            assert outcomes[0] == outcomes[1]
        elif name == "seek":
            assert ours.seek(max(size, 0)) == plain.seek(max(size, 0))
        elif name == "tell":
            assert ours.tell() == plain.tell()
        elif name == "peek":
            # peek may give more than asked, as the buffer holds: compare what it promises.
            assert ours.peek(size)[:1] == plain.peek(size)[:1]
        else:
            assert getattr(ours, name)(size) == getattr(plain, name)(size)
    ours.close()
    plain.close()


async def test_a_cancelled_upload_leaves_the_loop_free_to_close_its_file() -> None:
    raw = StalledRaw(b"y" * 300_000)
    file = DeferredCloseFile(raw)
    form = encode_form({"token": "t"}, {"image": FilePart("me.png", "image/png", file)})

    async def send() -> None:
        async for _ in form.content:
            pass

    sending = asyncio.create_task(send())
    assert await asyncio.to_thread(raw.reading.wait, WAIT), "the body's read began"
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    file.close()  # on the loop, as the tool does once the call has ended
    assert not raw.release.is_set(), "the close returned while the read was still stalled"
    assert not raw.closed
    raw.release.set()
    for _ in range(WAIT * 100):
        if raw.closed:
            break
        await asyncio.sleep(0.01)
    assert raw.closed, "the worker thread closed the file when its read ended"


async def test_a_path_the_tool_streams_is_opened_as_a_deferred_close_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "big.png"
    Image.effect_noise((700, 700), 60).convert("RGB").save(path)
    assert path.stat().st_size > READ_WHOLE_BYTES, "large enough to be streamed"
    async with UsersSetPhoto(
        "xoxp-1-deferred", base_url="http://127.0.0.1:9/api", image_roots=[tmp_path], environ={}
    ) as tool:
        async with tool.prepare({"image": str(path)}) as upload:
            file = upload.image.source.file
            assert isinstance(file, DeferredCloseFile)
            assert await asyncio.to_thread(file.read) == path.read_bytes()
        assert file.closed
