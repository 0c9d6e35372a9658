"""Photos people have, as Slack shows them once prepared (images/pixel_modes.py): a CMYK
photo with its own profile keeps its colours when it is scaled, turned or converted."""

from __future__ import annotations

import io
import itertools
import struct
from collections.abc import AsyncIterator

import pytest
from PIL import GifImagePlugin, Image, ImageCms

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.square import slack_square
from tests.conftest import CANARY_TOKEN


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


def encoded(picture: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


async def sent_bytes(tool: UsersSetPhoto, image: bytes) -> bytes:
    async with tool.prepare({"image": image}) as upload:
        body = upload.image.body()
        return body if isinstance(body, bytes) else body.read()


# --- An animation written as GIF from a profile littlecms cannot use: taken, pixels as they are.


def unusable_rgb_profile() -> bytes:
    """An RGB profile's header with no tags: littlecms opens it but builds no transform
    from it (Pillow raises its PyCMSError, which is no OSError)."""
    profile = bytearray(132)
    struct.pack_into(">I", profile, 0, 132)
    profile[12:16], profile[16:20], profile[20:24], profile[36:40] = (
        b"mntr",
        b"RGB ",
        b"XYZ ",
        b"acsp",
    )
    return bytes(profile)


async def test_an_animation_with_an_unusable_profile_is_converted(checker: UsersSetPhoto) -> None:
    frames = [Image.new("RGB", (1400, 1400), (200, 100, 50 + 100 * i)) for i in range(2)]
    original = encoded(
        frames[0],
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        icc_profile=unusable_rgb_profile(),
        lossless=True,
    )
    picture = Image.open(io.BytesIO(await sent_bytes(checker, original)))
    assert isinstance(picture, GifImagePlugin.GifImageFile)
    assert (picture.format, picture.size, picture.n_frames) == ("GIF", (1024, 1024), 2)
    red, green, blue = picture.convert("RGB").getpixel((512, 512))  # type: ignore[misc]
    assert abs(red - 200) + abs(green - 100) + abs(blue - 50) <= 12


# --- A CMYK photo, converted through its own profile.

# Process inks as sRGB (a press profile's cyan is no (0, 255, 255)), and paper white.
_INKS = ((0, 174, 240), (236, 0, 140), (255, 242, 0), (35, 31, 32))


def _fixed(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _lab(rgb: list[float]) -> bytes:
    """Linear sRGB (D50-adapted) as 8-bit ICC Lab."""
    red, green, blue = rgb
    xyz = (
        (0.4361 * red + 0.3851 * green + 0.1431 * blue) / 0.9642,
        0.2225 * red + 0.7169 * green + 0.0606 * blue,
        (0.0139 * red + 0.0971 * green + 0.7141 * blue) / 0.8249,
    )
    fx, fy, fz = (t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz)
    lab = ((116 * fy - 16) * 2.55, 500 * (fx - fy) + 128, 200 * (fy - fz) + 128)
    return bytes(max(0, min(255, round(v))) for v in lab)


def press_profile() -> bytes:
    """A real (if coarse) CMYK printer profile: a 2-point lut8 A2B0 of the inks above."""
    table = b""
    for amounts in itertools.product((0, 1), repeat=4):
        rgb = [1.0, 1.0, 1.0]
        for amount, ink in zip(amounts, _INKS, strict=True):
            rgb = [part * (1 - amount * (1 - _linear(c))) for part, c in zip(rgb, ink, strict=True)]
        table += _lab(rgb)
    identity = bytes(range(256))
    matrix = b"".join(_fixed(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
    lut = b"mft1" + bytes(4) + bytes([4, 3, 2, 0]) + matrix + identity * 4 + table + identity * 3
    white = b"XYZ " + bytes(4) + _fixed(0.9642) + _fixed(1.0) + _fixed(0.8249)
    text = b"press test\0"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(8 + 3 + 67)
    tags = [(b"desc", desc + bytes(-len(desc) % 4)), (b"wtpt", white), (b"A2B0", lut)]
    offset = 128 + 4 + 12 * len(tags)
    directory, data = b"", b""
    for signature, body in tags:
        directory += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (
        struct.pack(">I", offset + len(data))
        + b"lcms"
        + bytes([2, 0x10, 0, 0])
        + b"prtrCMYKLab "
        + bytes(12)
        + b"acsp"
        + bytes(28)
        + _fixed(0.9642)
        + _fixed(1.0)
        + _fixed(0.8249)
        + bytes(48)
    )
    return header + struct.pack(">I", len(tags)) + directory + data


def cmyk_photo(size: tuple[int, int]) -> Image.Image:
    """Cyan on the right half, magenta on the top left, half black on the bottom left."""
    width, height = size
    picture = Image.new("CMYK", size, (255, 0, 0, 0))
    picture.paste((0, 255, 0, 0), (0, 0, width // 2, height // 2))
    picture.paste((0, 0, 0, 128), (0, height // 2, width // 2, height))
    return picture


def as_seen(picture: Image.Image) -> Image.Image:
    """What a colour-managed viewer shows: sRGB through the picture's own profile."""
    profile = picture.info.get("icc_profile")
    if picture.mode != "CMYK" or profile is None:
        return picture.convert("RGB")
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    srgb = ImageCms.createProfile("sRGB")
    converted = ImageCms.profileToProfile(picture, source, srgb, outputMode="RGB")
    assert converted is not None
    return converted


def patches(picture: Image.Image) -> list[tuple[int, ...]]:
    width, height = picture.size
    points = (
        (3 * width // 4, height // 2),
        (width // 4, height // 4),
        (width // 4, 3 * height // 4),
    )
    return [tuple(picture.getpixel(point)) for point in points]  # type: ignore[arg-type]


def near(got: list[tuple[int, ...]], wanted: list[tuple[int, ...]], within: int = 6) -> bool:
    pairs = zip(got, wanted, strict=True)
    return all(
        abs(a - b) <= within for one, other in pairs for a, b in zip(one, other, strict=True)
    )


def with_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


@pytest.mark.parametrize(
    ("fmt", "size", "options"),
    [
        ("JPEG", (1600, 1200), {"quality": 95}),  # scaled
        ("JPEG", (800, 600), {"quality": 95, "exif": with_orientation(6)}),  # turned
        ("JPEG", (4032, 3024), {"quality": 95}),  # decoded at a quarter (draft)
        ("TIFF", (800, 600), {}),  # converted
    ],
)
async def test_a_cmyk_photo_keeps_the_colours_its_profile_gives(
    checker: UsersSetPhoto, fmt: str, size: tuple[int, int], options: dict[str, object]
) -> None:
    profile = press_profile()
    stored = cmyk_photo(size)
    if "exif" in options:  # stored a quarter turn back: orientation 6 turns it upright
        stored = stored.transpose(Image.Transpose.ROTATE_90)
    original = encoded(stored, fmt, icc_profile=profile, **options)
    # Sent as it is, a colour-managed viewer (and Slack) shows the profile's colours.
    wanted = patches(
        as_seen(
            Image.open(
                io.BytesIO(encoded(cmyk_photo((800, 600)), "JPEG", icc_profile=profile, quality=95))
            )
        )
    )
    assert near(wanted, [(0, 174, 240), (236, 4, 140), (136, 133, 134)], within=16)
    picture = Image.open(io.BytesIO(await sent_bytes(checker, original)))
    assert picture.mode == "RGB"
    assert picture.info.get("icc_profile") is None  # sRGB
    assert near(patches(picture), wanted), (patches(picture), wanted)


def test_a_cmyk_jpeg_without_a_profile_is_converted_as_before() -> None:
    picture = Image.open(io.BytesIO(encoded(cmyk_photo((800, 600)), "JPEG", quality=95)))
    shown = slack_square(picture, None)
    assert near(
        patches(shown.crop((0, 100, 800, 700))), [(0, 255, 255), (255, 0, 255), (127, 127, 127)]
    )


def test_the_preview_of_a_cmyk_photo_shows_its_profile_colours() -> None:
    original = encoded(cmyk_photo((800, 600)), "JPEG", icc_profile=press_profile(), quality=95)
    shown = slack_square(Image.open(io.BytesIO(original)), None)
    # Letterboxed: 800x800 with the photo from y=100.
    wanted = patches(as_seen(Image.open(io.BytesIO(original))))
    assert near(patches(shown.crop((0, 100, 800, 700))), wanted)
