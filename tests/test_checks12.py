"""The image checks made cheaper (issue 17's checks_us) still find what they found.

A PNG's metadata after its pixels is walked chunk by chunk (png_metadata.py): a file in
libpng's 8 KiB data chunks, its eXIf chunk last, turns the photo whether its bytes are
in memory (bytes, or a path's file read whole) or streamed from a larger file.
"""

from __future__ import annotations

import io
import random
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.images.paths import READ_WHOLE_BYTES
from tests.conftest import CANARY_TOKEN
from tests.hostile_images import exif_with_orientation, png_chunk


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


def in_small_chunks(png: bytes) -> bytes:
    """``png`` with its image data in 8 KiB IDAT chunks, as libpng writes them."""
    chunks: list[bytes] = []
    data = b""
    position = 8
    while position < len(png):
        length, kind = struct.unpack_from(">I4s", png, position)
        whole = png[position : position + 12 + length]
        if kind == b"IDAT":
            data += whole[8:-4]
        else:
            if data:
                chunks += [
                    png_chunk(b"IDAT", data[at : at + 8192]) for at in range(0, len(data), 8192)
                ]
                data = b""
            chunks.append(whole)
        position += 12 + length
    return png[:8] + b"".join(chunks)


def late_exif_png(size: tuple[int, int] = (768, 540)) -> bytes:
    """Noise (~1.2 MB at 768x540: many data chunks), turned a quarter by a late eXIf."""
    width, height = size
    noise = Image.frombytes("RGB", size, random.Random(17).randbytes(width * height * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    plain = buffer.getvalue()
    end = plain.rindex(b"IEND") - 4
    late = png_chunk(b"eXIf", exif_with_orientation(6)[6:])  # without "Exif\0\0"
    png = in_small_chunks(plain[:end] + late + plain[end:])
    assert png.count(b"IDAT") > 100
    assert png.index(b"eXIf") > png.rindex(b"IDAT")
    return png


def sent_size(body: object) -> tuple[int, int]:
    data = body if isinstance(body, bytes) else body.read()  # type: ignore[attr-defined]
    return Image.open(io.BytesIO(data)).size


async def test_a_late_exif_after_many_data_chunks_turns_the_photo_from_bytes(
    checker: UsersSetPhoto,
) -> None:
    async with checker.prepare({"image": late_exif_png()}) as upload:
        assert (upload.image.width, upload.image.height) == (540, 768)
        assert sent_size(upload.image.body()) == (540, 768)


@pytest.mark.parametrize("streamed", [False, True], ids=["read whole", "streamed"])
async def test_a_late_exif_after_many_data_chunks_turns_the_photo_from_a_path(
    checker: UsersSetPhoto, tmp_path: Path, streamed: bool
) -> None:
    image = tmp_path / "late.png"
    size = (800, 600) if streamed else (768, 540)
    image.write_bytes(late_exif_png(size))
    assert (image.stat().st_size > READ_WHOLE_BYTES) == streamed
    async with checker.prepare({"image": str(image)}) as upload:
        assert (upload.image.width, upload.image.height) == size[::-1]
        assert sent_size(upload.image.body()) == size[::-1]
