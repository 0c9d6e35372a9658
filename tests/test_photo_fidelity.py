"""The photo a person sees, pixel by pixel: colours, frames, timing and detail of what is sent.

Each test builds a real-looking input with Pillow, runs the tool's own checks and
conversion (nothing is sent) and decodes what would go to Slack, against a reference
built the way a colour-managed viewer honouring EXIF would show the original.
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import AsyncIterator

import pytest
from PIL import Image, ImageDraw, JpegImagePlugin, PngImagePlugin

from ocp_users_photo import UsersSetPhoto
from tests.conftest import CANARY_TOKEN

ORIENTATION = 0x0112


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


async def sent_bytes(tool: UsersSetPhoto, image: bytes, **crop: int) -> tuple[bytes, object]:
    upload = await tool.prepare({"image": image, **crop})
    try:
        body = upload.image.body()
        data = body if isinstance(body, bytes) else body.read()
        return data, upload.image
    finally:
        upload.close()


def encoded(picture: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


# --- A wide-gamut profile, written out here: an ICC v2 matrix/TRC display profile.


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def _padded(body: bytes) -> bytes:
    return body + b"\0" * (-len(body) % 4)


def display_p3_like_profile() -> bytes:
    """Display P3's primaries (D50-adapted) with a 2.2 gamma: far from sRGB's greens and reds."""
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    return _display_profile(
        b"RGB ",
        b"P3-like test profile\0",
        [
            (b"rXYZ", _xyz(0.515102, 0.241182, -0.001050)),
            (b"gXYZ", _xyz(0.291965, 0.692236, 0.041882)),
            (b"bXYZ", _xyz(0.157153, 0.066582, 0.784378)),
            (b"rTRC", curve),
            (b"gTRC", curve),
            (b"bTRC", curve),
        ],
    )


def linear_grey_profile() -> bytes:
    """A grey display profile of gamma 1.0: its mid-grey 128 is shown as sRGB's 188."""
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 256) + b"\0\0"
    return _display_profile(b"GRAY", b"Linear grey test profile\0", [(b"kTRC", curve)])


def _display_profile(space: bytes, name: bytes, colour_tags: list[tuple[bytes, bytes]]) -> bytes:
    """An ICC v2 display profile of colour space ``space`` with ``colour_tags``."""
    tags = [
        (b"desc", b"desc\0\0\0\0" + struct.pack(">I", len(name)) + name + b"\0" * 78),
        (b"cprt", b"text\0\0\0\0none\0"),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        *colour_tags,
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body = _padded(body)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (
        struct.pack(">I", offset + len(data))
        + b"lcms"
        + struct.pack(">I", 0x02100000)
        + b"mntr"
        + space
        + b"XYZ "
        + b"\0" * 12
        + b"acspAPPL"
        + b"\0" * 24
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def as_srgb(picture: Image.Image) -> Image.Image:
    """The colours a colour-managed viewer shows, in sRGB (the profile applied, if any)."""
    from PIL import ImageCms

    rgb = picture.convert("RGB")
    profile = picture.info.get("icc_profile")
    if not profile:
        return rgb
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    converted = ImageCms.profileToProfile(rgb, source, srgb, outputMode="RGB")
    assert converted is not None  # None only for a conversion in place (inPlace=True)
    return converted


def mean_delta(a: Image.Image, b: Image.Image) -> float:
    from PIL import ImageChops, ImageStat

    means = ImageStat.Stat(ImageChops.difference(a, b)).mean
    return sum(means) / len(means)


def red_and_green(size: tuple[int, int] = (800, 600)) -> Image.Image:
    picture = Image.new("RGB", size, (0, 200, 40))
    picture.paste((220, 30, 30), (0, 0, size[0] // 2, size[1]))
    return picture


# --- 1. A still converted at its own size keeps its colour profile.


@pytest.mark.parametrize("fmt", ["WEBP", "TIFF"])
async def test_a_still_converted_at_its_own_size_keeps_its_rgb_profile(
    checker: UsersSetPhoto, fmt: str
) -> None:
    """README: 'a converted or scaled image carries no metadata but a colour profile of its
    pixels' own space'. Scaled or turned, it does; converted alone (no scale, no turn),
    Before, _writable emptied the info of the very picture _save then read the profile
    from, and an image neither scaled nor turned went out without it."""
    profile = display_p3_like_profile()
    options: dict[str, object] = {"lossless": True} if fmt == "WEBP" else {}
    original = encoded(red_and_green(), fmt, icc_profile=profile, **options)
    data, _ = await sent_bytes(checker, original)
    sent = Image.open(io.BytesIO(data))
    assert sent.format == "PNG"
    assert sent.info.get("icc_profile") == profile, "the P3 profile was dropped"
    reference = as_srgb(Image.open(io.BytesIO(original)))
    assert mean_delta(as_srgb(sent), reference) < 1.0


# --- 2. An animation converted to GIF: its wide-gamut colours converted to sRGB.


async def test_an_animation_converted_to_gif_shows_its_colours(checker: UsersSetPhoto) -> None:
    """GIF carries no profile here, so the pixels must be converted to sRGB first. Before,
    they were written as they were and every colour shifted (mean 21 levels here)."""
    profile = display_p3_like_profile()
    first = red_and_green()
    frames = [first, first.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    original = encoded(
        frames[0],
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        lossless=True,
        duration=100,
        icc_profile=profile,
    )
    data, _ = await sent_bytes(checker, original)
    sent = Image.open(io.BytesIO(data))
    assert sent.format == "GIF"
    reference = as_srgb(Image.open(io.BytesIO(original)))
    assert mean_delta(as_srgb(sent), reference) < 3.0


# --- 3. A GIF that plays once, scaled, still plays once.


async def test_a_scaled_gif_that_plays_once_still_plays_once(checker: UsersSetPhoto) -> None:
    """No NETSCAPE loop extension: viewers play it once, and so after scaling (loop=0,
    forever, was written before)."""
    frames = [Image.new("RGB", (1400, 1400), colour) for colour in ((200, 0, 0), (0, 0, 200))]
    original = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=200)
    assert "loop" not in Image.open(io.BytesIO(original)).info
    data, _ = await sent_bytes(checker, original)
    sent = Image.open(io.BytesIO(data))
    assert sent.size == (1024, 1024)
    assert sent.info.get("loop") is None, f"plays once before, loop={sent.info.get('loop')} now"


# --- 4. An APNG's default image (not part of the animation) stays out of it.


async def test_a_scaled_apng_keeps_its_default_image_out_of_the_animation(
    checker: UsersSetPhoto,
) -> None:
    frames = [Image.new("RGB", (1400, 1400), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    original = encoded(
        frames[0], "PNG", save_all=True, append_images=frames[1:], default_image=True, duration=500
    )
    data, _ = await sent_bytes(checker, original)
    sent = Image.open(io.BytesIO(data))
    assert isinstance(sent, PngImagePlugin.PngImageFile)
    shown = []
    for index in range(sent.n_frames):
        sent.seek(index)
        if index == 0 and sent.info.get("default_image"):
            continue
        shown.append(sent.convert("RGB").getpixel((5, 5)))
    assert (255, 0, 0) not in shown, f"the still-only red image is animated now: {shown}"


# --- 5. A JPEG re-encoded keeps its chroma subsampling.


async def test_a_turned_full_chroma_jpeg_keeps_its_colour_detail(checker: UsersSetPhoto) -> None:
    """A 4:4:4 JPEG with EXIF orientation 6 must be re-encoded to turn it, and stays 4:4:4.
    Before, 4:2:0 was always written, smearing saturated detail: 23.3 dB against the
    upright original, where 4:4:4 at the same quality gives 37 dB."""
    picture = Image.new("RGB", (1000, 800), (90, 110, 130))
    draw = ImageDraw.Draw(picture)
    for x in range(0, 1000, 25):
        draw.line([(x, 0), (x, 800)], fill=(230, 0, 0), width=2)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    original = encoded(picture, "JPEG", quality=98, subsampling=0, exif=exif.tobytes())
    data, _ = await sent_bytes(checker, original)
    sent = Image.open(io.BytesIO(data))
    assert isinstance(sent, JpegImagePlugin.JpegImageFile)
    assert JpegImagePlugin.get_sampling(sent) == 0, "4:4:4 original sent as 4:2:0"


@pytest.mark.parametrize("change", ["scaled", "turned"])
async def test_a_full_chroma_mpo_keeps_its_colour_detail(
    checker: UsersSetPhoto, change: str
) -> None:
    """A phone's MPO (a JPEG with more pictures after it, sent as JPEG) that is scaled down
    or turned upright stays 4:4:4 as a plain JPEG does: Pillow names its format "MPO",
    and its subsampling was not looked up (4:2:0 was written)."""
    size = (2000, 1600) if change == "scaled" else (1000, 800)
    picture = Image.new("RGB", size, (90, 110, 130))
    draw = ImageDraw.Draw(picture)
    for x in range(0, size[0], 25):
        draw.line([(x, 0), (x, size[1])], fill=(230, 0, 0), width=2)
    exif = Image.Exif()
    exif[ORIENTATION] = 6 if change == "turned" else 1
    second = picture.resize((200, 160))
    original = encoded(
        picture,
        "MPO",
        quality=98,
        subsampling=0,
        exif=exif.tobytes(),
        save_all=True,
        append_images=[second],
    )
    assert Image.open(io.BytesIO(original)).format == "MPO"
    data, _ = await sent_bytes(checker, original)
    sent = Image.open(io.BytesIO(data))
    assert isinstance(sent, JpegImagePlugin.JpegImageFile)
    assert sent.size == ((1024, 819) if change == "scaled" else (800, 1000))
    assert JpegImagePlugin.get_sampling(sent) == 0, "4:4:4 original sent as 4:2:0"


def _photo_like(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Texture a quantization table shows on: noise in each channel."""
    channels = [Image.effect_noise(size, 40 + 10 * index) for index in range(3)]
    picture = Image.merge("RGB", channels)
    return picture.convert(mode)


@pytest.mark.parametrize(
    ("quality", "mode", "size", "orientation"),
    [
        (95, "RGB", (1000, 800), 6),  # turned: lost detail to quality 90
        (50, "RGB", (1000, 800), 8),  # turned: grew for nothing at quality 90
        (95, "RGB", (2000, 1600), 1),  # scaled
        (60, "L", (1000, 800), 3),  # grey: its one table
    ],
)
async def test_a_reencoded_jpeg_keeps_its_originals_quantization_tables(
    checker: UsersSetPhoto, quality: int, mode: str, size: tuple[int, int], orientation: int
) -> None:
    """The original's quality, not a fixed 90: a phone's quality-95 photo only turned
    upright lost detail, and a quality-50 one came out larger than it was."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    original = encoded(_photo_like(size, mode), "JPEG", quality=quality, exif=exif.tobytes())
    data, image = await sent_bytes(checker, original)
    assert getattr(image, "changes", ()), "re-encoded, not sent as it was"
    sent = Image.open(io.BytesIO(data))
    assert isinstance(sent, JpegImagePlugin.JpegImageFile)
    before = Image.open(io.BytesIO(original))
    assert isinstance(before, JpegImagePlugin.JpegImageFile)
    assert sent.quantization == before.quantization
    assert sent.mode == mode


def _tables_swapped(jpeg: bytes) -> bytes:
    """``jpeg`` (baseline, two 8-bit tables) with its table ids 0 and 1 swapped in DQT and in
    the frame header: the same pixels, its luminance table now table 1."""
    out, position = bytearray(jpeg[:2]), 2
    while jpeg[position : position + 2] != b"\xff\xda":
        marker = jpeg[position : position + 2]
        (length,) = struct.unpack(">H", jpeg[position + 2 : position + 4])
        segment = bytearray(jpeg[position : position + 2 + length])
        if marker == b"\xff\xdb":
            for at in range(4, len(segment), 65):
                segment[at] ^= 1
        elif marker == b"\xff\xc0":
            for component in range(segment[9]):
                segment[10 + 3 * component + 2] ^= 1
        out += segment
        position += 2 + length
    return bytes(out + jpeg[position:])


async def test_a_reencoded_jpeg_keeps_the_table_each_component_names(
    checker: UsersSetPhoto,
) -> None:
    """Y on table 1 and Cb, Cr on table 0: the lowest id first wrote the luminance with the
    coarser chrominance table (a grey-noise photo at quality 75: 25.8 dB against 28.5)."""
    original = _tables_swapped(encoded(_photo_like((2000, 1600)), "JPEG", quality=75))
    before = Image.open(io.BytesIO(original))
    assert isinstance(before, JpegImagePlugin.JpegImageFile)
    assert before.layer[0][3] == 1, "Y names table 1"
    data, _ = await sent_bytes(checker, original)
    sent = Image.open(io.BytesIO(data))
    assert isinstance(sent, JpegImagePlugin.JpegImageFile)
    assert sent.quantization[0] == before.quantization[1]
    assert sent.quantization[1] == before.quantization[0]


async def test_a_cmyk_jpeg_written_as_rgb_gets_quality_90_not_its_ink_tables(
    checker: UsersSetPhoto,
) -> None:
    """A CMYK JPEG's tables were made for ink channels: an RGB one written from it gets the
    usual quality 90 (Pillow's tables for it), not those."""
    original = encoded(_photo_like((2000, 1600)).convert("CMYK"), "JPEG", quality=40)
    data, _ = await sent_bytes(checker, original)
    sent = Image.open(io.BytesIO(data))
    assert isinstance(sent, JpegImagePlugin.JpegImageFile)
    assert sent.mode == "RGB"
    at_90 = Image.open(io.BytesIO(encoded(Image.new("RGB", (8, 8)), "JPEG", quality=90)))
    assert isinstance(at_90, JpegImagePlugin.JpegImageFile)
    assert sent.quantization == at_90.quantization


def test_reference_profile_is_a_real_profile() -> None:
    """The hand-written profile is one LittleCMS accepts, and a wide-gamut one: its green
    shown in sRGB is another colour (the tests above rely on both)."""
    green = Image.new("RGB", (1, 1), (0, 200, 40))
    green.info["icc_profile"] = display_p3_like_profile()
    shown = as_srgb(green).getpixel((0, 0))
    assert isinstance(shown, tuple)
    assert max(abs(a - b) for a, b in zip(shown, (0, 200, 40), strict=True)) > 10, shown


# --- 6. A crop box on a large photo keeps the box's own pixels.


async def test_a_large_crop_box_keeps_enough_pixels_for_slacks_512_rendition(
    checker: UsersSetPhoto,
) -> None:
    """A 900-pixel box on a 4032x3024 photo: the 900x900 square is cut and sent as it is,
    the box now the whole image. Before, the whole photo was scaled to 1024 first and the
    box came out as 229 pixels, which Slack had to upscale for image_512 and image_1024
    (26 dB against a 512 rendition made from the original box)."""
    picture = Image.effect_noise((4032, 3024), 60).convert("RGB")
    original = encoded(picture, "JPEG", quality=92)
    data, image = await sent_bytes(checker, original, crop_x=1500, crop_y=900, crop_w=900)
    box = image.crop_box  # type: ignore[attr-defined]
    assert (box.x, box.y, box.width) == (0, 0, 900)
    sent = Image.open(io.BytesIO(data)).convert("RGB")
    assert sent.size == (900, 900)
    reference = Image.open(io.BytesIO(original)).convert("RGB").crop((1500, 900, 2400, 1800))
    assert psnr(sent, reference) >= 35.0


def psnr(a: Image.Image, b: Image.Image) -> float:
    from PIL import ImageChops, ImageStat

    squared = ImageStat.Stat(ImageChops.difference(a, b)).rms
    mse = sum(value * value for value in squared) / len(squared)
    return 99.0 if mse == 0 else 10 * math.log10(255 * 255 / mse)
