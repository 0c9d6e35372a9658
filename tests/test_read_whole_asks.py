"""images/paths.py ``_read_up_to``: a file read whole asks the C library for what it holds.

``os.read(fd, n)`` allocates ``n`` bytes before reading; asking for the 1.25 MiB limit for
a 1 MB file mapped a fresh block each time, its pages faulted in one by one (the read of
a 1 MB PNG from a path took ten times the copy). Each read asks for what the file holds
plus one byte, and past that (a file still being written, a pipe) in 64 KiB pieces.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ocp_users_photo.images import paths


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
