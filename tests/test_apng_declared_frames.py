"""An animated PNG that ends before the frames it declares (found by a mutation fuzzer of
the image intake) is refused from its chunks.

With an IEND between its second frame's fcTL and fdAT, Pillow counts the 2 frames acTL
declares but finds only the first: sent as it is, it went to Slack said to have 2 frames
("no more images in APNG file" for a viewer); converted (over 1024 pixels), it became a
still PNG of one frame, the upload saying 2.
"""

from __future__ import annotations

import io
import struct
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from tests.conftest import CANARY_TOKEN


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


def apng(size: tuple[int, int], *, default_image: bool = False) -> list[bytes]:
    """A 2-frame APNG's chunks, its signature first."""
    frames = [Image.new("RGB", size, c) for c in ((200, 0, 0), (0, 0, 200), (0, 200, 0))]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        "PNG",
        save_all=True,
        append_images=frames[1:] if default_image else frames[1:2],
        default_image=default_image,
        duration=50,
    )
    data = buffer.getvalue()
    chunks, position = [data[:8]], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        chunks.append(data[position : position + 12 + length])
        position += 12 + length
    return chunks


@pytest.mark.parametrize("size", [(600, 600), (1100, 1050)], ids=["as it is", "converted"])
async def test_an_apng_ending_before_its_second_frames_data_is_refused(
    checker: UsersSetPhoto, size: tuple[int, int]
) -> None:
    chunks = apng(size)
    assert [chunk[4:8] for chunk in chunks[1:]] == [
        b"IHDR", b"acTL", b"fcTL", b"IDAT", b"fcTL", b"fdAT", b"IEND"
    ]  # fmt: skip
    cut = b"".join(chunks[:6] + chunks[7:8] + chunks[6:])  # IEND before the 2nd frame's data
    with pytest.raises(InvalidArguments) as caught:
        await checker.prepare({"image": cut})
    (problem,) = caught.value.problems
    assert problem.path == "$.image"
    assert "ends after 1 of the 2 frames it declares" in problem.message


async def test_an_apng_whose_default_image_is_no_frame_is_taken(
    checker: UsersSetPhoto,
) -> None:
    """Its picture before the first frame control is no frame of the 2 its acTL declares:
    those are counted from the fdAT chunks after its frame controls, and all are there."""
    upload = await checker.prepare({"image": b"".join(apng((600, 600), default_image=True))})
    try:
        assert upload.image.format == "PNG"
        assert upload.image.frames > 1
    finally:
        upload.close()
