"""Image inspection: sent as is when Slack takes it, converted or scaled only when it must be."""

from __future__ import annotations

import functools
import io
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFile, ImageOps, PngImagePlugin

from ocp_users_photo import InvalidArguments, PreparedUpload, UsersSetPhoto
from ocp_users_photo.crop import CropBox
from ocp_users_photo.images.header import short_reason
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.paths import READ_WHOLE_BYTES
from ocp_users_photo.images.policy import size_rule
from tests.conftest import CANARY_TOKEN, make_image, pixel_at


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


async def prepared(tool: UsersSetPhoto, image: Any, **crop: int) -> PreparedUpload:
    return await tool.prepare({"image": image, **crop})


async def refused(tool: UsersSetPhoto, image: Any, **crop: int) -> list[str]:
    with pytest.raises(InvalidArguments) as caught:
        await tool.prepare({"image": image, **crop})
    return [problem.message for problem in caught.value.problems]


def decoded(upload: PreparedUpload) -> Image.Image:
    body = upload.image.body()
    data = body if isinstance(body, bytes) else body.read()
    return Image.open(io.BytesIO(data))


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with a few bytes of data: never decodable."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + png_chunk(b"IEND", b"")
    )


def animated_gif(size: tuple[int, int], frames: int = 4) -> bytes:
    pictures = [
        Image.new("RGB", size, (60 * index, 30, 200 - 40 * index)) for index in range(frames)
    ]
    buffer = io.BytesIO()
    pictures[0].save(
        buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=70, loop=0
    )
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif")]
)
async def test_slacks_formats_within_limits_are_sent_byte_for_byte(
    checker: UsersSetPhoto, tmp_path: Path, fmt: str, content_type: str
) -> None:
    data = make_image((700, 640), fmt)
    path = tmp_path / f"me.{fmt.lower()}"
    path.write_bytes(data)
    upload = await prepared(checker, path)
    try:
        body = upload.image.body()
        # A small file is read whole when opened (images/paths.py), a large one streamed.
        assert isinstance(body, bytes) == (len(data) <= READ_WHOLE_BYTES)
        assert (body if isinstance(body, bytes) else body.read()) == data
        assert upload.image.content_type == content_type
        assert (upload.image.width, upload.image.height) == (700, 640)
        assert upload.image.changes == ()
    finally:
        upload.close()


async def test_the_content_type_comes_from_the_bytes_not_the_name(
    checker: UsersSetPhoto, tmp_path: Path
) -> None:
    path = tmp_path / "really-a-png.jpg"
    path.write_bytes(make_image((600, 600), "PNG"))
    upload = await prepared(checker, path)
    upload.close()
    assert upload.image.content_type == "image/png"
    assert upload.image.filename == "really-a-png.png"


async def test_filenames_are_made_safe(checker: UsersSetPhoto, tmp_path: Path) -> None:
    path = tmp_path / 'my "photo"\r\n; x=1.png'
    path.write_bytes(make_image((600, 600)))
    upload = await prepared(checker, path)
    upload.close()
    assert upload.image.filename == "my_photo_x_1.png"


@pytest.mark.parametrize("fmt", ["WEBP", "BMP", "TIFF"])
async def test_other_formats_pillow_reads_are_converted_to_png(
    checker: UsersSetPhoto, fmt: str
) -> None:
    upload = await prepared(checker, make_image((600, 520), fmt))
    picture = decoded(upload)
    assert upload.image.content_type == "image/png"
    assert picture.format == "PNG"
    assert picture.size == (600, 520)
    assert upload.image.changes == (f"converted from {fmt} to PNG",)
    assert pixel_at(picture, (590, 10))[:3] == (20, 40, 220)


async def test_an_animated_gif_stays_animated(checker: UsersSetPhoto) -> None:
    data = animated_gif((600, 600), frames=5)
    upload = await prepared(checker, data)
    assert upload.image.frames == 5
    assert upload.image.body() == data


async def test_a_large_animated_gif_is_scaled_and_stays_animated(checker: UsersSetPhoto) -> None:
    upload = await prepared(checker, animated_gif((1500, 1200), frames=4))
    picture = decoded(upload)
    assert picture.format == "GIF"
    assert picture.size == (1024, 819)
    assert getattr(picture, "n_frames", 1) == 4
    assert picture.info.get("duration") == 70


async def test_an_animated_webp_becomes_an_animated_gif(checker: UsersSetPhoto) -> None:
    frames = [Image.new("RGB", (600, 600), (50 * index, 90, 90)) for index in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="WEBP", save_all=True, append_images=frames[1:], duration=50)
    upload = await prepared(checker, buffer.getvalue())
    picture = decoded(upload)
    assert picture.format == "GIF"
    assert getattr(picture, "n_frames", 1) == 3


@pytest.mark.parametrize("size", [(1, 1), (511, 800), (800, 511)])
async def test_under_512_on_a_side_is_refused(
    checker: UsersSetPhoto, size: tuple[int, int]
) -> None:
    (message,) = await refused(checker, make_image(size))
    assert f"{size[0]}x{size[1]} pixels; Slack needs at least 512x512" in message


async def test_exactly_512_is_fine(checker: UsersSetPhoto) -> None:
    upload = await prepared(checker, make_image((512, 512)))
    assert (upload.image.width, upload.image.height) == (512, 512)


async def test_over_1024_is_scaled_to_fit_keeping_the_aspect(checker: UsersSetPhoto) -> None:
    upload = await prepared(checker, make_image((2048, 1536), "JPEG"))
    picture = decoded(upload)
    assert picture.format == "JPEG"
    assert picture.size == (1024, 768)
    assert upload.image.changes == ("scaled down from 2048x1536 to 1024x768",)
    # The blue quarter is still the top right quarter.
    red, _, blue = pixel_at(picture, (1000, 20))
    assert blue > 180
    assert red < 60


async def test_a_crop_box_on_a_large_image_becomes_the_image(checker: UsersSetPhoto) -> None:
    upload = await prepared(
        checker, make_image((2048, 2048)), crop_x=1024, crop_y=1000, crop_w=1024
    )
    # The box's own 1024 square is cut: nothing to scale, the box is the whole image.
    assert (upload.image.width, upload.image.height) == (1024, 1024)
    assert upload.image.crop_box == CropBox(x=0, y=0, width=1024)
    assert "crop box moved to x=0 y=0 w=1024" in upload.image.changes


def test_a_scaled_crop_box_always_stays_inside() -> None:
    for size in range(1, 3000, 7):
        box = CropBox(x=3000 - size, y=3000 - size, width=size).scaled(1024 / 3000, 1024, 1024)
        assert box.width >= 1
        assert box.x + box.width <= 1024
        assert box.y + box.width <= 1024


async def test_a_wide_image_keeps_its_aspect(checker: UsersSetPhoto) -> None:
    upload = await prepared(checker, make_image((2048, 1024)))
    assert (upload.image.width, upload.image.height) == (1024, 512)
    upload.close()


@pytest.mark.parametrize(
    ("size", "example"),
    [((4000, 600), "1200x600"), ((600, 3000), "600x1200"), ((2051, 1024), "2048x1024")],
)
async def test_an_image_longer_than_two_to_one_is_not_scaled_under_slacks_minimum(
    checker: UsersSetPhoto, size: tuple[int, int], example: str
) -> None:
    """Scaled to 1024 pixels, its short side would be under Slack's 512: what Slack would
    refuse, and what the tool refuses when given directly (1024x154 is under 512)."""
    (message,) = await refused(checker, make_image(size))
    assert f"{size[0]}x{size[1]} pixels: scaled to Slack's 1024-pixel limit" in message
    assert f"cut it to at most 2:1 (for instance {example})" in message


async def test_a_too_long_image_under_other_limits_is_told_their_own_ratio() -> None:
    """Under 800 and 512 the longest image is 1.56:1 (the description says so): whole
    division told "at most 1:1" beside its own example of 1093x700."""
    limits = ImageLimits(max_side=800)
    async with UsersSetPhoto(CANARY_TOKEN, environ={}, limits=limits) as tool:
        (message,) = await refused(tool, make_image((1500, 700)))
    assert "cut it to at most 1.56:1 (for instance 1093x700)" in message


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"max_side": 0}, "ImageLimits max_side must be a whole number of 1 or more, got 0"),
        ({"min_side": 600, "max_side": 500}, "give a max_side of at least min_side"),
        ({"max_declared_side": 300}, "refuse every image of min_side 512: give at least 512"),
        ({"max_declared_pixels": 1000}, "give at least 512 and 262144"),
    ],
)
def test_limits_no_image_can_meet_are_refused_when_made(fields: dict[str, int], said: str) -> None:
    """Taken, a max_side of 0 prepared a 1x1 image to send, and 600 over 500 a 500x500
    square for a box: no word said either was not what was asked."""
    with pytest.raises(ValueError, match=said):
        ImageLimits(**fields)


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"max_side": 10**400}, "ImageLimits max_side is a 1329-bit integer, past any image"),
        ({"max_bytes": -(10**5000)}, "max_bytes must be a whole number of 1 or more, got a "),
        ({"max_frames": 2**53}, "give at most 9007199254740991"),
    ],
)
def test_limits_past_any_image_are_refused_naming_the_field(
    fields: dict[str, int], said: str
) -> None:
    """Taken, a max_side of 10**400 broke the tool's description (OverflowError); a number
    of 5,000 digits raised Python's int-to-text error, which names no field."""
    with pytest.raises(ValueError, match=said) as refused:
        ImageLimits(**fields)
    assert len(str(refused.value)) < 200


def test_limits_every_field_at_its_bound_are_refused_asking_for_what_can_be_given() -> None:
    """Every field at 2**53-1 was refused asking for a max_declared_pixels of min_side's
    square, 32 digits, which the bound itself refuses: no value given could answer it."""
    bound = 2**53 - 1
    fields = {name: bound for name in vars(ImageLimits())}
    with pytest.raises(ValueError, match=r"give a min_side of at most 94906265 ") as refused:
        ImageLimits(**fields)
    assert "81129638414606663681390495662081" not in str(refused.value)
    ImageLimits(**{**fields, "min_side": 94906265})  # its square within the bound: taken


@pytest.mark.parametrize(
    "fields",
    [
        {"min_side": 512, "max_side": 512},
        {"max_declared_side": 512, "max_declared_pixels": 512 * 512},
        {"max_bytes": 2**53 - 1},
    ],
    ids=["a square of one size", "declared caps at the least image", "the largest field"],
)
def test_limits_at_their_bounds_are_taken(fields: dict[str, int]) -> None:
    """Each refusal is of limits no image can meet; those an image meets exactly are
    a host's to give (one size of square, caps that let the least image through)."""
    assert ImageLimits(**fields) is not None


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"min_side": 513, "max_side": 512}, "give a max_side of at least min_side"),
        ({"max_declared_side": 511}, "give at least 512 and 262144"),
        ({"max_declared_pixels": 512 * 512 - 1}, "give at least 512 and 262144"),
        ({"max_frames": True}, "max_frames must be a whole number of 1 or more, got True"),
    ],
    ids=["min_side one over", "declared side one under", "declared pixels one under", "True"],
)
def test_limits_one_past_their_bounds_are_refused(fields: dict[str, int], said: str) -> None:
    """One past a bound is as unmeetable as far past it; True is no count of frames."""
    with pytest.raises(ValueError, match=said):
        ImageLimits(**fields)


def test_a_ratio_under_one_and_a_tenth_keeps_its_leading_zero() -> None:
    """1024 over 1000 is 1.02:1; said without its zero, "1.2:1" allowed images refused."""
    assert "one longer than 1.02:1 needs the crop box" in size_rule(
        "downscale", ImageLimits(min_side=1000, max_side=1024)
    )


@pytest.mark.parametrize("size", [(2049, 1024), (2050, 1024), (1024, 2050)])
async def test_an_image_that_scales_to_512_is_sent_scaled(
    checker: UsersSetPhoto, size: tuple[int, int]
) -> None:
    """The rule rounds as the scaler does: 2050x1024 scales to 1024x512, which Slack takes."""
    upload = await prepared(checker, make_image(size))
    assert sorted((upload.image.width, upload.image.height)) == [512, 1024]
    upload.close()


async def test_fit_reject_refuses_instead_of_scaling() -> None:
    async with UsersSetPhoto(CANARY_TOKEN, fit="reject", environ={}) as tool:
        (message,) = await refused(tool, make_image((1500, 900)))
    assert "1500x900 pixels; Slack takes at most 1024x1024" in message


async def test_the_crop_box_must_lie_inside_the_image(checker: UsersSetPhoto) -> None:
    messages = await refused(checker, make_image((800, 600)), crop_x=500, crop_y=100, crop_w=512)
    assert len(messages) == 2
    assert "right edge (crop_x 500 + crop_w 512 > width 800)" in messages[0]
    assert "bottom edge (crop_y 100 + crop_w 512 > height 600)" in messages[1]


async def test_a_crop_box_touching_the_edges_is_inside(checker: UsersSetPhoto) -> None:
    upload = await prepared(checker, make_image((800, 600)), crop_x=200, crop_y=0, crop_w=600)
    assert upload.image.crop_box == CropBox(200, 0, 600)
    upload.close()


async def test_a_cmyk_jpeg_is_sent_as_it_is(checker: UsersSetPhoto) -> None:
    data = make_image((600, 600), "JPEG", mode="CMYK", color=(0, 200, 200, 0))
    upload = await prepared(checker, data)
    assert upload.image.body() == data
    assert upload.image.content_type == "image/jpeg"


async def test_a_large_cmyk_jpeg_is_scaled(checker: UsersSetPhoto) -> None:
    data = make_image((1400, 1400), "JPEG", mode="CMYK", color=(0, 200, 200, 0))
    picture = decoded(await prepared(checker, data))
    assert picture.format == "JPEG"
    assert picture.size == (1024, 1024)


async def test_a_16_bit_png_is_sent_as_it_is_and_scaled_when_large(checker: UsersSetPhoto) -> None:
    small = make_image((600, 600), "PNG", mode="I;16", color=40000)
    upload = await prepared(checker, small)
    assert upload.image.body() == small
    large = decoded(
        await prepared(checker, make_image((1200, 1200), "PNG", mode="I;16", color=40000))
    )
    assert large.size == (1024, 1024)
    assert large.mode == "I;16"
    assert large.getpixel((500, 500)) == pytest.approx(40000, abs=2)


def exif_rotated_jpeg() -> bytes:
    """800x600 stored, orientation 6 (shown turned 90 degrees clockwise, so 600x800)."""
    picture = Image.open(io.BytesIO(make_image((800, 600))))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", exif=exif.tobytes(), quality=95)
    return buffer.getvalue()


async def test_an_exif_rotated_jpeg_is_sent_upright(checker: UsersSetPhoto) -> None:
    data = exif_rotated_jpeg()
    upload = await prepared(checker, data)
    picture = decoded(upload)
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    assert picture.size == (600, 800) == expected.size
    assert picture.getexif().get(0x0112, 1) == 1
    for point in [(10, 10), (590, 10), (10, 790), (590, 790), (300, 200)]:
        got, want = pixel_at(picture, point), pixel_at(expected, point)
        assert all(abs(a - b) < 12 for a, b in zip(got, want, strict=True)), point
    assert upload.image.changes == ("rotated upright (EXIF orientation 6)",)


async def test_the_crop_box_is_read_on_the_upright_image(checker: UsersSetPhoto) -> None:
    data = exif_rotated_jpeg()
    # Inside the upright 600x800 picture, though not inside the stored 800x600 pixels.
    upload = await prepared(checker, data, crop_x=0, crop_y=200, crop_w=600)
    assert upload.image.crop_box == CropBox(0, 200, 600)
    messages = await refused(checker, data, crop_x=200, crop_y=0, crop_w=600)
    assert "right edge (crop_x 200 + crop_w 600 > width 600)" in messages[0]


async def test_a_truncated_png_is_refused_without_decoding(
    checker: UsersSetPhoto, tmp_path: Path
) -> None:
    path = tmp_path / "cut.png"
    path.write_bytes(make_image((600, 600))[:-30])
    (message,) = await refused(checker, path)
    assert "the PNG file is cut short" in message


async def test_a_truncated_jpeg_and_gif_are_refused(checker: UsersSetPhoto) -> None:
    jpeg = make_image((600, 600), "JPEG")
    (message,) = await refused(checker, jpeg[: len(jpeg) // 2])
    assert "the JPEG file is cut short" in message
    gif = animated_gif((600, 600))
    (message,) = await refused(checker, gif[:-200])
    assert "the GIF file is cut short" in message


async def test_a_truncated_image_that_needs_decoding_is_refused(checker: UsersSetPhoto) -> None:
    data = make_image((1500, 1500), "PNG", color=(1, 2, 3))
    messages = await refused(checker, data[: len(data) // 3])
    assert "cannot be read" in messages[0]


@pytest.mark.parametrize(
    "data",
    [
        b"hello, this is not a picture" * 20,
        b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
        b"GIF89a" + b"\xff" * 50,
    ],
)
async def test_bytes_that_are_not_an_image(checker: UsersSetPhoto, data: bytes) -> None:
    (message,) = await refused(checker, data)
    assert "cannot be read" in message
    assert "send a PNG, JPEG or GIF file" in message


async def test_a_header_declaring_100000_squared_pixels_is_refused_without_decoding(
    checker: UsersSetPhoto, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("decoded a decompression bomb")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    (message,) = await refused(checker, png_declaring(100_000, 100_000))
    assert "decompression bomb" in message


async def test_a_header_over_the_pixel_cap_is_refused_without_decoding(
    checker: UsersSetPhoto, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("decoded an image over the pixel cap")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    (message,) = await refused(checker, png_declaring(8000, 8000))
    assert "declares 8000x8000 pixels, more than this tool decodes" in message
    assert "(50 megapixels, 65,535 pixels on a side): send a smaller copy" in message, message


# --- What a re-encode keeps: the colour profile, the loop count, the frames' disposal.


# sRGB's white point and primaries, as Pillow reads a cHRM chunk back.
_SRGB_PRIMARIES = (0.3127, 0.329, 0.64, 0.33, 0.3, 0.6, 0.15, 0.06)


@functools.cache
def _icc_profile() -> bytes:
    """One profile per run: lcms stamps each new one with the second it was made, so two
    made a second apart differ (a CI run of 12e7a23 compared two such)."""
    from PIL import ImageCms

    profile: bytes = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return profile


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
async def test_a_scaled_photo_keeps_its_colour_profile(
    checker: UsersSetPhoto, image_format: str
) -> None:
    profile = _icc_profile()
    buffer = io.BytesIO()
    Image.new("RGB", (2000, 2000), (200, 120, 40)).save(
        buffer, format=image_format, icc_profile=profile
    )
    async with await prepared(checker, buffer.getvalue()) as upload:
        assert upload.image.width == 1024  # re-encoded, not sent as it was
        with decoded(upload) as picture:
            assert picture.format == image_format
            assert picture.info.get("icc_profile") == profile


def _png_with_colour_chunks(size: int, *, orientation: int = 1) -> bytes:
    """A PNG of linear samples (gAMA 1.0), its primaries (cHRM) and an sRGB intent given:
    the PNG's own colour description when it carries no profile."""
    chunks = PngImagePlugin.PngInfo()
    chunks.add(b"gAMA", struct.pack(">I", 100_000))
    primaries = (31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000)
    chunks.add(b"cHRM", struct.pack(">8I", *primaries))
    chunks.add(b"sRGB", bytes([1]))
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (60, 60, 60)).save(
        buffer, format="PNG", pnginfo=chunks, exif=exif
    )
    return buffer.getvalue()


@pytest.mark.parametrize(("size", "orientation"), [(1500, 1), (600, 3)], ids=["scaled", "turned"])
async def test_a_converted_png_keeps_its_gamma_primaries_and_srgb_intent(
    checker: UsersSetPhoto, size: int, orientation: int
) -> None:
    """Dropped, a picture of linear samples (gAMA 1.0) looked far darker scaled or turned
    than the same file sent as it is (a review of 2026-12-07)."""
    async with await prepared(checker, _png_with_colour_chunks(size, orientation=orientation)) as (
        upload
    ):
        assert upload.image.changes, "re-encoded, not sent as it was"
        with decoded(upload) as picture:
            assert picture.format == "PNG"
            assert picture.info.get("gamma") == 1.0
            assert picture.info.get("chromaticity") == _SRGB_PRIMARIES
            assert picture.info.get("srgb") == 1
            assert "icc_profile" not in picture.info


async def test_a_png_with_a_profile_keeps_the_profile_alone(checker: UsersSetPhoto) -> None:
    """With iCCP, gAMA and cHRM are overruled (the PNG specification): not written again."""
    chunks = PngImagePlugin.PngInfo()
    chunks.add(b"gAMA", struct.pack(">I", 100_000))
    buffer = io.BytesIO()
    Image.new("RGB", (1500, 1500), (60, 60, 60)).save(
        buffer, format="PNG", pnginfo=chunks, icc_profile=_icc_profile()
    )
    async with await prepared(checker, buffer.getvalue()) as upload:
        with decoded(upload) as picture:
            assert picture.info.get("icc_profile") == _icc_profile()
            assert "gamma" not in picture.info


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        chunks.append((kind, data[position + 8 : position + 8 + length]))
        position += length + 12
    return chunks


def _png_with(picture: Image.Image, added: list[tuple[bytes, bytes]], *, before: bytes) -> bytes:
    """``picture`` as a PNG with the ``added`` chunks put before its first ``before`` chunk."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    chunks = _png_chunks(buffer.getvalue())
    at = [kind for kind, _ in chunks].index(before)
    chunks[at:at] = added
    return b"\x89PNG\r\n\x1a\n" + b"".join(png_chunk(kind, data) for kind, data in chunks)


_LINEAR = (b"gAMA", struct.pack(">I", 100_000))
_PRIMARIES = (b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000))
_GREY = Image.new("RGB", (1500, 1500), (60, 60, 60))


@pytest.mark.parametrize(
    "original",
    [
        _png_with(_GREY, [_LINEAR], before=b"IEND"),  # after the pixels: out of place
        _png_with(_GREY.convert("P"), [_LINEAR], before=b"IDAT"),  # after the palette
        _png_with(_GREY, [_LINEAR, (b"gAMA", struct.pack(">I", 45455))], before=b"IDAT"),
        _png_with(_GREY, [_LINEAR, (b"sRGB", bytes([255]))], before=b"IDAT"),
        _png_with(_GREY, [(b"gAMA", struct.pack(">I", 0)), _PRIMARIES], before=b"IDAT"),
        _png_with(
            _GREY.convert("L"),
            [(b"iCCP", b"sRGB\0\0" + zlib.compress(_icc_profile())), _LINEAR],
            before=b"IDAT",
        ),
    ],
    ids=["after-idat", "after-plte", "twice", "srgb-intent-255", "gamma-0", "grey-rgb-profile"],
)
async def test_colour_chunks_png_readers_ignore_are_not_written_before_the_pixels(
    checker: UsersSetPhoto, original: bytes
) -> None:
    """libpng ignores a gAMA after PLTE or IDAT, and voids gAMA, cHRM and sRGB for a second
    one, a gamma out of range, an unknown sRGB intent or a profile of the wrong kind; Pillow
    keeps the last it met. Written before the re-encoded pixels, a gAMA 1.0 brightened a
    picture whose original a viewer showed as it is (a review of 2026-12-07)."""
    async with await prepared(checker, original) as upload:
        assert upload.image.changes, "re-encoded, not sent as it was"
        body = upload.image.body()
        data = body if isinstance(body, bytes) else body.read()
    kinds = {kind for kind, _ in _png_chunks(data)}
    assert not kinds & {b"gAMA", b"cHRM", b"sRGB", b"iCCP"}


# A cHRM holding a value over 2**31 - 1, which libpng ignores as if it were absent.
_UNREADABLE_PRIMARIES = (
    b"cHRM",
    struct.pack(">8I", 2**31, *struct.unpack(">7I", _PRIMARIES[1][4:])),
)


@pytest.mark.parametrize(
    "original",
    [
        _png_with(_GREY.convert("P"), [_LINEAR, _PRIMARIES], before=b"PLTE"),
        _png_with(_GREY, [_UNREADABLE_PRIMARIES, _LINEAR, _PRIMARIES], before=b"IDAT"),
    ],
    ids=["before-the-palette", "after-a-chrm-libpng-ignores"],
)
async def test_colour_chunks_png_readers_apply_are_written_again(
    checker: UsersSetPhoto, original: bytes
) -> None:
    """A palette PNG's gAMA and cHRM before its palette apply; so do a gAMA and a second cHRM
    after one libpng ignores as absent ("invalid values"): that one is no duplicate, and
    taken for one it voided the picture's gamma (a review of 2026-12-07)."""
    async with await prepared(checker, original) as upload:
        assert upload.image.changes, "re-encoded, not sent as it was"
        with decoded(upload) as picture:
            assert picture.info.get("gamma") == 1.0
            assert picture.info.get("chromaticity") == _SRGB_PRIMARIES


async def test_a_scaled_animation_keeps_its_loop_count_timing_and_clears_each_frame(
    checker: UsersSetPhoto,
) -> None:
    """Loop twice; frame 2 is transparent where frame 1 was red, so a frame drawn over the
    last one (no disposal) would show red through it."""
    first = Image.new("RGBA", (1500, 1500), (255, 0, 0, 255))
    second = Image.new("RGBA", (1500, 1500), (0, 0, 255, 255))
    second.paste((0, 0, 0, 0), (0, 0, 750, 1500))
    buffer = io.BytesIO()
    first.save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=[second],
        loop=2,
        duration=[120, 340],
        disposal=2,
    )
    async with await prepared(checker, buffer.getvalue()) as upload:
        assert upload.image.frames == 2
        assert upload.image.width == 1024
        with decoded(upload) as picture:
            assert picture.info.get("loop") == 2
            durations = []
            for index in range(2):
                picture.seek(index)
                durations.append(picture.info.get("duration"))
                shown = picture.convert("RGBA")
                if index == 1:
                    left = pixel_at(shown, (200, 512))
                    assert left[3] == 0, left  # the background, not frame 1's red
                    assert pixel_at(shown, (900, 512))[:3] == (0, 0, 255)
            assert durations == [120, 340]


def test_a_decoders_error_text_goes_on_bounded_printable_and_without_a_token() -> None:
    # A decoder's message may quote the file's bytes or its name: it reaches a model as a
    # problem's text, so it is cut, its escapes made harmless and token shapes masked.
    error = ValueError("bad chunk \x1b]52;c;QUFB\x07 " + CANARY_TOKEN[:40] + " " + "x" * 500)
    reason = short_reason(error)
    assert len(reason) <= 120
    assert reason.isprintable()
    assert "\x1b" not in reason
    assert CANARY_TOKEN[:40] not in reason
    assert reason.startswith("bad chunk ")
    assert short_reason(ValueError("")) == "ValueError"
