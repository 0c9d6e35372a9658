"""deferred_close.py: the event loop closes an image file while a worker thread's job reads
it, and does not wait for that read (issue 11); the upload body's reads and the re-encode
are such jobs; a path the tool streams is opened as such a file."""

from __future__ import annotations

import asyncio
import io
import threading
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.deferred_close import DeferredCloseFile, file_in_use
from ocp_users_photo.images import upload as upload_module
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


def read_in_thread(file: io.BufferedIOBase) -> tuple[threading.Thread, list[bytes]]:
    """A worker thread's job: reads inside ``file_in_use``, as the tool's jobs do."""
    got: list[bytes] = []

    def job() -> None:
        with file_in_use(file):
            got.append(file.read(100))

    reader = threading.Thread(target=job, daemon=True)
    reader.start()
    return reader, got


def close_in_thread(file: io.BufferedIOBase) -> threading.Event:
    closed = threading.Event()

    def close() -> None:
        file.close()
        closed.set()

    threading.Thread(target=close, daemon=True).start()
    return closed


def test_a_close_during_a_job_returns_at_once_and_the_jobs_end_closes_the_file() -> None:
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
    assert raw.closed, "the job's end closed the file"
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


def test_a_job_after_the_close_fails_and_a_second_close_is_harmless() -> None:
    file = DeferredCloseFile(io.BytesIO(b"abc"))  # type: ignore[arg-type]
    with file_in_use(file):
        assert file.read(1) == b"a"
    file.close()
    file.close()
    assert file.closed
    with pytest.raises(ValueError, match="closed file"), file_in_use(file):
        pass
    with pytest.raises(ValueError, match="closed file"):
        file.read(1)


def test_files_without_the_guard_are_read_unguarded() -> None:
    # A caller's own file object, bytes in memory (no file), or a plain reader.
    plain = io.BytesIO(b"abc")
    for file in (plain, None):
        with file_in_use(file):
            pass
    assert not plain.closed, "a caller's file is the caller's to close"


@pytest.mark.parametrize("fingerprinted", [False, True])
async def test_a_cancelled_upload_leaves_the_loop_free_to_close_its_file(
    fingerprinted: bool,
) -> None:
    raw = StalledRaw(b"y" * 300_000)
    file = DeferredCloseFile(raw)
    # With a fingerprint wanted, the body reads through the sampler, which passes the guard on.
    sent: Any = upload_module._SamplingFile(file, 300_000) if fingerprinted else file
    form = encode_form({"token": "t"}, {"image": FilePart("me.png", "image/png", sent)})

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
    Image.effect_noise((1000, 1000), 60).convert("RGB").save(path)
    assert path.stat().st_size > READ_WHOLE_BYTES, "large enough to be streamed"
    async with UsersSetPhoto(
        "xoxp-1-deferred", base_url="http://127.0.0.1:9/api", image_roots=[tmp_path], environ={}
    ) as tool:
        async with tool.prepare({"image": str(path)}) as upload:
            file = upload.image.source.file
            assert isinstance(file, DeferredCloseFile)
            assert await asyncio.to_thread(file.read) == path.read_bytes()
        assert file.closed


async def test_the_re_encode_reads_a_path_inside_the_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocp_users_photo.images import paths

    guarded: list[bool] = []

    class Recording(DeferredCloseFile):
        def read(self, size: int | None = -1) -> bytes:
            guarded.append(self._users > 0)
            return super().read(size)

    monkeypatch.setattr(paths, "DeferredCloseFile", Recording)
    path = tmp_path / "big.png"
    Image.effect_noise((1500, 1500), 60).convert("RGB").save(path)  # scaled: re-encoded
    assert path.stat().st_size > READ_WHOLE_BYTES
    async with (
        UsersSetPhoto(
            "xoxp-1-deferred", base_url="http://127.0.0.1:9/api", image_roots=[tmp_path], environ={}
        ) as tool,
        tool.prepare({"image": str(path)}) as upload,
    ):
        assert upload.image.changes, "re-encoded"
    assert False in guarded, "the header is read before anyone else holds the file"
    assert True in guarded, "the re-encode's reads run inside the guard"


class StalledFile(io.FileIO):
    """A real file on a file system that stalls: each read waits until ``release`` is set."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "rb")
        self.reading = threading.Event()
        self.release = threading.Event()

    def readinto(self, buffer: Any) -> int | None:
        self.reading.set()
        self.release.wait(3 * WAIT)
        return super().readinto(buffer)


def body_of_pieces(pieces: list[bytes], data: bytes) -> bytes:
    """The file's part of a multipart body made of ``pieces``."""
    body = b"".join(pieces)
    start = body.index(b"\r\n\r\n") + 4
    return body[start : start + len(data)]


async def test_a_retried_upload_neither_waits_on_the_loop_nor_mixes_its_reads(
    tmp_path: Path,
) -> None:
    # An attempt times out while its read stalls (the client then retries): the next
    # attempt measures and rewinds the file while the abandoned read still holds it.
    data = bytes(range(256)) * 1200
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    raw = StalledFile(path)
    file = DeferredCloseFile(raw)
    parts = {"image": FilePart("me.png", "image/png", file)}

    async def send(form: Any, into: list[bytes]) -> None:
        async for piece in form.content:
            into.append(piece)

    first = asyncio.create_task(send(encode_form({}, parts), []))
    sending: asyncio.Task[None] | None = None
    try:
        assert await asyncio.to_thread(raw.reading.wait, WAIT), "the first attempt's read began"
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        encoded: list[Any] = []
        done = threading.Event()

        def encode() -> None:  # what the loop does for the next attempt
            encoded.append(encode_form({}, parts))
            done.set()

        threading.Thread(target=encode, daemon=True).start()
        assert done.wait(WAIT), "the next attempt waited on the loop for the stalled read"
        assert not raw.release.is_set()
        second: list[bytes] = []
        sending = asyncio.create_task(send(encoded[0], second))
        await asyncio.sleep(0)
    finally:
        raw.release.set()
    assert sending is not None
    await sending
    assert body_of_pieces(second, data) == data, "the retried attempt sent the file as it is"
    file.close()
    assert raw.closed


def test_two_jobs_on_one_file_take_turns() -> None:
    # A cancelled caller's job may still read when the next one starts: each moves the one
    # position, so they must not interleave.
    raw = StalledRaw(b"z" * 1000)
    file = DeferredCloseFile(raw)
    events: list[str] = []
    second_in = threading.Event()

    def first() -> None:
        with file_in_use(file):
            events.append("first in")
            file.read(10)
            events.append("first out")

    def second() -> None:
        with file_in_use(file):
            events.append("second in")
            second_in.set()

    one = threading.Thread(target=first, daemon=True)
    one.start()
    assert raw.reading.wait(WAIT)
    two = threading.Thread(target=second, daemon=True)
    two.start()
    second_in.wait(0.5)  # long enough for an interleaving second job to show itself
    raw.release.set()
    one.join(WAIT)
    two.join(WAIT)
    assert events == ["first in", "first out", "second in"]
    file.close()
    assert raw.closed
