"""Hostile TIFF and APNG files that would cost far more time or memory than their size
suggests: more strips or tiles than the picture needs, endless chunks between an
animation's frames. Each builds a small file with struct and zlib, hands it to
``prepare`` and expects a fast refusal (images/structure.py)."""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import AsyncIterator

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from tests.conftest import CANARY_TOKEN

_SHORT, _LONG = 3, 4


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


async def outcome(tool: UsersSetPhoto, image: bytes) -> tuple[float, list[str] | None]:
    """Seconds taken, and the refusal's messages (None when accepted)."""
    started = time.perf_counter()
    try:
        upload = await tool.prepare({"image": image})
    except InvalidArguments as refused:
        return time.perf_counter() - started, [p.message for p in refused.problems]
    upload.close()
    return time.perf_counter() - started, None


def _tiff(entries: list[tuple[int, int, int, int]], after_ifd: bytes) -> bytes:
    """A little-endian TIFF: one IFD at offset 8 (entries: tag, type, count, value), then
    ``after_ifd``."""
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in sorted(entries):
        packed = struct.pack("<H" if kind == _SHORT and count == 1 else "<L", value)
        ifd += struct.pack("<HHL", tag, kind, count) + packed.ljust(4, b"\0")
    return b"II*\0" + struct.pack("<L", 8) + ifd + struct.pack("<L", 0) + after_ifd


def _gray_1024(compression: int = 1) -> list[tuple[int, int, int, int]]:
    return [
        (256, _LONG, 1, 1024),  # ImageWidth
        (257, _LONG, 1, 1024),  # ImageLength
        (258, _SHORT, 1, 8),  # BitsPerSample
        (259, _SHORT, 1, compression),
        (262, _SHORT, 1, 1),  # PhotometricInterpretation: black is zero
        (277, _SHORT, 1, 1),  # SamplesPerPixel
    ]


def tiff_with_strip_offsets(count: int) -> bytes:
    """An uncompressed 1024x1024 grey TIFF listing ``count`` strips (1,024 is right), all
    reading the same 1,024 bytes. Pillow makes a tile per offset, then decodes each."""
    entries = _gray_1024()
    data = 8 + 2 + 12 * (len(entries) + 3) + 4
    entries += [
        (273, _LONG, count, data),  # StripOffsets
        (278, _LONG, 1, 1),  # RowsPerStrip
        (279, _LONG, count, data + 4 * count),  # StripByteCounts
    ]
    return _tiff(entries, struct.pack("<L", 0) * count + struct.pack("<L", 1024) * count)


def tiff_with_tile_offsets(count: int) -> bytes:
    """An uncompressed 1024x1024 grey TIFF of 16x16 tiles listing ``count`` tiles (4,096 is
    right), all reading the same 256 bytes."""
    entries = _gray_1024()
    data = 8 + 2 + 12 * (len(entries) + 4) + 4
    entries += [
        (322, _LONG, 1, 16),  # TileWidth
        (323, _LONG, 1, 16),  # TileLength
        (324, _LONG, count, data),  # TileOffsets
        (325, _LONG, count, data + 4 * count),  # TileByteCounts
    ]
    return _tiff(entries, struct.pack("<L", 0) * count + struct.pack("<L", 256) * count)


# --- 1. A TIFF listing far more strips than its height holds: a Python step per strip.


async def test_a_tiff_listing_400_000_strips_is_refused_fast(checker: UsersSetPhoto) -> None:
    # 3.2 MB: 4.2 s, then accepted. At the 32 MB cap (4 million strips): 44 s and 1.4 GB.
    image = tiff_with_strip_offsets(400_000)
    assert len(image) < 3_300_000
    elapsed, messages = await outcome(checker, image)
    assert messages is not None, f"accepted after {elapsed:.1f} s"
    assert elapsed < 1.0


# --- 2. The same with tiles.


async def test_a_tiff_listing_300_000_tiles_is_refused_fast(checker: UsersSetPhoto) -> None:
    # 2.4 MB: ~3 s, then accepted. 16 MB (2 million tiles): 21 s and 700 MB.
    image = tiff_with_tile_offsets(300_000)
    elapsed, messages = await outcome(checker, image)
    assert messages is not None, f"accepted after {elapsed:.1f} s"
    assert elapsed < 1.0


# --- 3. An APNG with endless empty chunks between two frames: structure.py counts only
# the chunks before the first image data, png_metadata.py stops at the next frame, and
# Pillow's seek to the next frame reads every chunk in Python.


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def apng_with_chunks_between_frames(side: int, empty_chunks: int) -> bytes:
    """A 3-frame APNG of ``side`` x ``side`` with ``empty_chunks`` empty ancillary chunks
    after the second frame."""
    rows = b"".join(b"\0" + b"\x10\x20\x30" * side for _ in range(side))
    pixels = zlib.compress(rows, 9)
    out = b"\x89PNG\r\n\x1a\n"
    out += _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
    out += _png_chunk(b"acTL", struct.pack(">II", 3, 0))
    sequence = 0
    for frame in range(3):
        control = struct.pack(">IIIIIHHBB", sequence, side, side, 0, 0, 1, 10, 0, 0)
        out += _png_chunk(b"fcTL", control)
        sequence += 1
        if frame == 0:
            out += _png_chunk(b"IDAT", pixels)
        else:
            out += _png_chunk(b"fdAT", struct.pack(">I", sequence) + pixels)
            sequence += 1
        if frame == 1:
            out += _png_chunk(b"abCd", b"") * empty_chunks
    return out + _png_chunk(b"IEND", b"")


async def test_an_apng_of_endless_chunks_between_frames_is_refused_fast(
    checker: UsersSetPhoto,
) -> None:
    # 1100x1100, so it is scaled and every frame decoded. 6 MB: 3.3 s, then accepted
    # (0.3 s without the chunks). At the 32 MB cap (2.7 million chunks): 12.6 s, 434 MB.
    image = apng_with_chunks_between_frames(1100, 500_000)
    elapsed, messages = await outcome(checker, image)
    assert messages is not None, f"accepted after {elapsed:.1f} s"
    assert elapsed < 1.0
