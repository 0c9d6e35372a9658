"""A file read whole asks the C library for what it holds: images/paths.py ``_read_up_to``
for a path, images/resolvers.py for a caller's open file object.

``os.read(fd, n)`` allocates ``n`` bytes before reading; asking for the 1.25 MiB limit for
a 1 MB file mapped a fresh block each time, its pages faulted in one by one (the read of
a 1 MB PNG from a path took ten times the copy). Each read asks for what the file holds
plus one byte, and past that (a file still being written, a pipe) in 64 KiB pieces.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo.images import paths
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.resolvers import FileObjectResolver, IntakeContext
from tests.conftest import make_image


def record_asks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes ``os.read`` is asked for from now on."""
    asks: list[int] = []
    real_read = os.read

    def read(descriptor: int, size: int) -> bytes:
        asks.append(size)
        return real_read(descriptor, size)

    monkeypatch.setattr(os, "read", read)
    return asks


def test_a_file_is_asked_for_its_size_and_one_byte_not_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(300_000)
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    descriptor = os.open(path, os.O_RDONLY)
    try:
        asks = record_asks(monkeypatch)
        assert paths._read_up_to(descriptor, paths.READ_WHOLE_BYTES + 1) == data
    finally:
        os.close(descriptor)
    assert asks[0] == len(data) + 1
    assert max(asks) == len(data) + 1
    assert len(asks) == 2, "the whole file, then its end"


def test_from_where_the_descriptor_stands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = os.urandom(10_000)
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.lseek(descriptor, 4_000, os.SEEK_SET)
        asks = record_asks(monkeypatch)
        assert paths._read_up_to(descriptor, 1_000_000) == data[4_000:]
    finally:
        os.close(descriptor)
    assert asks[0] == 6_001


def test_no_more_than_the_limit(tmp_path: Path) -> None:
    data = os.urandom(10_000)
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    descriptor = os.open(path, os.O_RDONLY)
    try:
        assert paths._read_up_to(descriptor, 2_500) == data[:2_500]
    finally:
        os.close(descriptor)


def test_a_file_grown_past_its_told_size_is_read_on_in_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bytes written after its size was told (the fstat inside) come in 64 KiB pieces."""
    first, more = os.urandom(1_000), os.urandom(200_000)
    path = tmp_path / "growing.png"
    path.write_bytes(first)
    real_fstat = os.fstat

    def fstat_then_grow(descriptor: int) -> os.stat_result:
        status = real_fstat(descriptor)
        with path.open("ab") as writer:
            writer.write(more)
        return status

    descriptor = os.open(path, os.O_RDONLY)
    try:
        monkeypatch.setattr(os, "fstat", fstat_then_grow)
        asks = record_asks(monkeypatch)
        assert paths._read_up_to(descriptor, 150_000) == (first + more)[:150_000]
    finally:
        os.close(descriptor)
    assert asks[0] == 1_001
    assert max(asks[1:]) == 64 * 1024


def test_a_pipe_which_tells_no_size_is_read_whole_in_pieces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = os.urandom(300_000)
    reader, writer = os.pipe()

    def feed() -> None:
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(data)

    feeding = threading.Thread(target=feed)
    feeding.start()
    try:
        asks = record_asks(monkeypatch)
        assert paths._read_up_to(reader, 1_000_000) == data
    finally:
        feeding.join()
        os.close(reader)
    assert max(asks) == 64 * 1024


# images/resolvers.py: a caller's open file object -----------------------------------------


class CountingReader(io.BufferedReader):
    """An open disk file that records the sizes its ``read`` is asked for."""

    asks: list[int]

    def read(self, size: int | None = -1, /) -> bytes:
        self.asks.append(-1 if size is None else size)
        return super().read(size)


def open_counting(path: Path) -> CountingReader:
    file = CountingReader(io.FileIO(path, "rb"))
    file.asks = []
    return file


def file_object_source(file: object) -> bytes:
    """The bytes the file-object resolver reads (and checks) from ``file``."""
    source, problems = FileObjectResolver().open_source(
        file, IntakeContext(image_roots=None, limits=ImageLimits())
    )
    assert problems == []
    assert source is not None
    assert source.data is not None
    return source.data


def test_an_open_file_is_asked_for_what_it_holds_from_where_it_stands(tmp_path: Path) -> None:
    png = make_image((600, 600))
    path = tmp_path / "me.png"
    path.write_bytes(b"junk" + png)
    with open_counting(path) as file:
        file.seek(4)
        assert file_object_source(file) == png
        assert file.asks == [len(png) + 1]


def test_an_open_file_that_grew_is_read_on_to_the_cap(tmp_path: Path) -> None:
    """Bytes written after its size was told are read too, as one read to the cap read them."""
    png = make_image((600, 600))
    path = tmp_path / "me.png"
    path.write_bytes(png[:1000])
    with open_counting(path) as file:
        real_read = file.read

        def read_then_grow(size: int | None = -1, /) -> bytes:
            # The writer finishes between the size told and the read.
            with path.open("ab") as writer:
                writer.write(png[1000:])
            file.read = real_read  # type: ignore[method-assign]
            return real_read(size)

        file.read = read_then_grow  # type: ignore[method-assign]
        assert file_object_source(file) == png
    assert file.asks[0] == 1001
    assert file.asks[1] == ImageLimits().max_bytes + 1 - 1001


def test_a_file_object_without_a_descriptor_is_read_as_before() -> None:
    png = make_image((600, 600))

    asks: list[int] = []

    class Counting(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            asks.append(-1 if size is None else size)
            return super().read(size)

    file = Counting(png)
    assert file_object_source(file) == png
    assert asks == [ImageLimits().max_bytes + 1]


def count_files_made(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The temporary files ``tempfile`` makes from now on (a SpooledTemporaryFile's rollover)."""
    made: list[dict[str, Any]] = []
    real_temporary_file = tempfile.TemporaryFile

    def temporary_file(*args: Any, **options: Any) -> Any:
        made.append(options)
        return real_temporary_file(*args, **options)

    monkeypatch.setattr(tempfile, "TemporaryFile", temporary_file)
    return made


def test_a_spooled_file_held_in_memory_is_not_written_out_to_disk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A SpooledTemporaryFile's fileno() writes what it holds in memory to a file on disk
    (Starlette's UploadFile.file is one): asking it for its descriptor changed the caller's
    upload and wrote the photo out, the cost the first ask spares."""
    png = make_image((600, 600))
    made = count_files_made(monkeypatch)
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as file:
        file.write(png)
        file.seek(0)
        assert file_object_source(file) == png
    assert made == [], "the caller's in-memory file was rolled over to disk"


def test_a_wrapper_of_a_spooled_file_is_not_asked_for_a_descriptor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An upload wrapper that hands every attribute on to its stream (Werkzeug's FileStorage
    over a SpooledTemporaryFile): its fileno() rolls that file over to disk as well."""
    png = make_image((600, 600))

    class Upload:
        def __init__(self, stream: Any) -> None:
            self.stream = stream

        def __getattr__(self, name: str) -> Any:
            return getattr(self.stream, name)

    made = count_files_made(monkeypatch)
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as file:
        file.write(png)
        file.seek(0)
        assert file_object_source(Upload(file)) == png
    assert made == [], "the caller's in-memory file was rolled over to disk"


def test_an_open_file_that_grew_and_reads_into_a_bytearray_is_read_on_too(
    tmp_path: Path,
) -> None:
    """A file object whose read() gives a bytearray (taken as bytes are) that grew since its
    size was told: it was read no further than that size plus one byte, a cut image."""
    png = make_image((600, 600))
    path = tmp_path / "me.png"
    path.write_bytes(png[:1000])

    class ArrayReader(io.BufferedReader):
        grown = False

        def read(self, size: int | None = -1, /) -> bytes:
            if not self.grown:  # the writer finishes between the size told and the read
                self.grown = True
                with path.open("ab") as writer:
                    writer.write(png[1000:])
            return bytearray(super().read(size))  # type: ignore[return-value]

    with ArrayReader(io.FileIO(path, "rb")) as file:
        assert file_object_source(file) == png
