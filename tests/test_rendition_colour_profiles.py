"""A photo with a colour profile as Slack shows it: the emulator's renditions and the CLI's
--preview (both ocp_users_photo.square) show the colours a colour-managed viewer shows of
the original, whether the photo is letterboxed or square, colour or grey."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageCms, PngImagePlugin

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from tests.test_cli import dry_run_preview
from tests.test_photo_fidelity import (
    as_srgb,
    display_p3_like_profile,
    encoded,
    linear_grey_profile,
    red_and_green,
)

TOKEN = "xoxp-rendition-colour-profiles"
# 700x600 letterboxed on a 700 square, shown at 512: the picture's rows 0-600 are the
# square's 50-650. The centre of its red left half and of its green right half.
LEFT, RIGHT = (175, 300), (525, 300)


def at_512(point: tuple[int, int]) -> tuple[int, int]:
    x, y = point
    return round(x * 512 / 700), round((y + 50) * 512 / 700)


def near(actual: object, expected: object, tolerance: int = 6) -> bool:
    assert isinstance(actual, tuple), actual
    assert isinstance(expected, tuple), expected
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


async def rendition_512(
    emulator: RunningEmulator, client: httpx.AsyncClient, image: bytes
) -> Image.Image:
    """The 512 rendition Slack (the emulator) shows of ``image`` set through the tool."""
    async with UsersSetPhoto(TOKEN, base_url=emulator.base_url, environ={}) as tool:
        reply = await tool.call({"image": image})
    served = await client.get(reply["profile"]["image_512"])
    assert served.status_code == 200
    return Image.open(io.BytesIO(served.content))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
async def test_a_letterboxed_wide_gamut_photo_keeps_its_colours(
    emulator: RunningEmulator, client: httpx.AsyncClient, fmt: str
) -> None:
    """A 700x600 Display P3 photo is letterboxed: the bars are new pixels, and the square
    lost the profile with them (a square photo, or one cut by a crop box, kept it), so its
    renditions' red and green were read as sRGB, their saturation gone."""
    profile = display_p3_like_profile()
    original = red_and_green((700, 600))
    upload = encoded(original, fmt, icc_profile=profile, quality=95)
    original.info["icc_profile"] = profile
    seen = as_srgb(original)
    with await rendition_512(emulator, client, upload) as rendition:
        assert rendition.info.get("icc_profile") == profile
        shown = as_srgb(rendition)
    for point in (LEFT, RIGHT):
        assert near(shown.getpixel(at_512(point)), seen.getpixel(point)), point
    assert near(shown.getpixel((256, 10)), (255, 255, 255))  # the bars stay white


def grey_as_a_viewer_shows(picture: Image.Image, profile: bytes) -> Image.Image:
    """The sRGB a colour-managed viewer shows of grey ``picture`` through its grey profile."""
    srgb = ImageCms.createProfile("sRGB")
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    shown = ImageCms.profileToProfile(picture.convert("L"), source, srgb, outputMode="RGB")
    assert shown is not None  # None only for a conversion in place (inPlace=True)
    return shown


@pytest.mark.parametrize(("mode", "fmt"), [("L", "PNG"), ("L", "JPEG"), ("LA", "PNG")])
async def test_a_grey_photo_with_a_grey_profile_keeps_its_tones(
    emulator: RunningEmulator, client: httpx.AsyncClient, mode: str, fmt: str
) -> None:
    """Grey pixels with a linear grey profile: a viewer shows the mid-grey 128 as 188.
    Made RGB for the renditions, the PNG ones carried the grey profile on RGB pixels
    (which PNG forbids and no viewer applies) and the JPEG ones none: 128 on screen."""
    profile = linear_grey_profile()
    original = Image.new(mode, (600, 600), 128 if mode == "L" else (128, 255))
    seen = grey_as_a_viewer_shows(original, profile).getpixel((300, 300))
    assert near(seen, (188, 188, 188), 2)  # the profile is one a viewer applies
    upload = encoded(original, fmt, icc_profile=profile, quality=95)
    with await rendition_512(emulator, client, upload) as rendition:
        carried = rendition.info.get("icc_profile")
        # None (sRGB assumed) or a profile of the RGB pixels it goes with.
        assert carried is None or carried[16:20] == b"RGB ", carried[16:20]
        shown = as_srgb(rendition).getpixel((256, 256))
        if mode == "LA":
            assert rendition.getchannel("A").getpixel((256, 256)) == 255
    assert near(shown, seen), (shown, seen)


def test_the_cli_preview_of_a_letterboxed_wide_gamut_photo_keeps_its_colours(
    tmp_path: Path,
) -> None:
    profile = display_p3_like_profile()
    original = red_and_green((700, 600))
    image = tmp_path / "wide.png"
    image.write_bytes(encoded(original, "PNG", icc_profile=profile))
    original.info["icc_profile"] = profile
    seen = as_srgb(original)
    preview = tmp_path / "preview.png"
    dry_run_preview(image, preview)
    with Image.open(preview) as square:
        assert square.size == (700, 700)
        assert square.info.get("icc_profile") == profile
        shown = as_srgb(square)
    for x, y in (LEFT, RIGHT):
        assert near(shown.getpixel((x, y + 50)), seen.getpixel((x, y)), 1), (x, y)


def linear_png(size: tuple[int, int]) -> bytes:
    """Mid-grey samples of gamma 1.0 (gAMA 100000): a viewer shows them as sRGB's 186."""
    chunks = PngImagePlugin.PngInfo()
    chunks.add(b"gAMA", (100_000).to_bytes(4, "big"))
    return encoded(Image.new("RGB", size, (128, 128, 128)), "PNG", pnginfo=chunks)


@pytest.mark.parametrize("size", [(600, 600), (700, 600)])
async def test_a_png_of_linear_samples_keeps_its_gamma(
    emulator: RunningEmulator, client: httpx.AsyncClient, size: tuple[int, int]
) -> None:
    """The tool keeps a PNG's gAMA when it scales or turns one (reencode.py), and sends
    one of Slack's size as it is; Slack's renditions of it were written without it, so
    a viewer showed its mid-grey as 128 where the photo shows 186."""
    with await rendition_512(emulator, client, linear_png(size)) as rendition:
        assert rendition.info.get("gamma") == 1.0
        assert rendition.getpixel((256, 256)) == (128, 128, 128)  # the samples as they were


def test_the_cli_preview_of_a_png_of_linear_samples_keeps_its_gamma(tmp_path: Path) -> None:
    image = tmp_path / "linear.png"
    image.write_bytes(linear_png((700, 600)))
    preview = tmp_path / "preview.png"
    dry_run_preview(image, preview)
    with Image.open(preview) as square:
        assert square.info.get("gamma") == 1.0
