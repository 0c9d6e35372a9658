"""The square Slack shows: the crop box cut out, or the whole image letterboxed to a square.

Slack documents that without a crop box the whole image is used and a
non-square image is letterboxed; the bar colour is our choice (white, or
transparent when the image has an alpha channel). The CLI's ``--preview`` and
the emulator's renditions both come from here, so they always agree.
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from PIL import Image

from ocp_users_photo.crop import CropBox
from ocp_users_photo.images.orientation import upright_as_shown
from ocp_users_photo.images.pixel_modes import (
    WIDE_GREY,
    cmyk_as_srgb,
    eight_bit_grey,
    grey_as_srgb,
    matching_profile,
    resampleable,
)
from ocp_users_photo.images.png_metadata import png_colour_chunks

if TYPE_CHECKING:
    from PIL import PngImagePlugin

LETTERBOX_COLOR: Final = (255, 255, 255)
# What says how the square's colours are shown, as Pillow reads it: the colour profile,
# else a PNG's own gamma, primaries and sRGB intent (gAMA, cHRM, sRGB).
_COLOUR_INFO: Final = ("icc_profile", "gamma", "chromaticity", "srgb")


def upright(picture: Image.Image) -> Image.Image:
    """The first frame as a viewer shows it: EXIF orientation applied, in RGB or RGBA."""
    picture.seek(0)
    turned = upright_as_shown(picture)
    if turned.mode in WIDE_GREY or turned.mode == "F":
        # Grey of more than 8 bits, scaled (convert('RGB') turns all over 255 white).
        wide = resampleable(turned)
        turned = eight_bit_grey(wide) if wide.mode in WIDE_GREY else wide
    if turned.mode == "CMYK":  # through its profile, as Slack shows it
        turned = cmyk_as_srgb(turned)
    has_alpha = turned.mode in ("RGBA", "LA", "PA") or "transparency" in turned.info
    with warnings.catch_warnings():
        # Pillow warns when a palette image with transparency becomes RGBA: that is the point.
        warnings.simplefilter("ignore", UserWarning)
        if turned.mode == "L" and has_alpha:
            turned = turned.convert("LA")  # its colour key as alpha, before the profile
        shown = grey_as_srgb(turned).convert("RGBA" if has_alpha else "RGB")
    # Only a profile of the pixels' own space goes along: a grey or CMYK one on RGB
    # pixels is one no viewer applies.
    profile = matching_profile(shown.info.pop("icc_profile", None), shown.mode)
    if profile is not None:
        shown.info["icc_profile"] = profile
    return shown


def slack_square(
    picture: Image.Image,
    crop_box: CropBox | None,
    letterbox_color: tuple[int, int, int] = LETTERBOX_COLOR,
) -> Image.Image:
    """The square photo: ``crop_box`` cut from the upright image, else the image letterboxed.

    The crop box must lie inside the upright image (ValueError otherwise).
    """
    image = upright(picture)
    width, height = image.size
    if crop_box is not None:
        if crop_box.problems_inside(width, height) or crop_box.width < 1:
            raise ValueError(f"crop box {crop_box} is not inside the {width}x{height} image")
        return image.crop(
            (crop_box.x, crop_box.y, crop_box.x + crop_box.width, crop_box.y + crop_box.width)
        )
    if width == height:
        return image
    side = max(width, height)
    fill = (*letterbox_color, 0) if image.mode == "RGBA" else letterbox_color
    canvas = Image.new(image.mode, (side, side), fill)
    # The bars are new pixels: what says how the colours are shown goes on with them.
    canvas.info.update({key: image.info[key] for key in _COLOUR_INFO if key in image.info})
    canvas.paste(image, ((side - width) // 2, (side - height) // 2))
    return canvas


def colour_chunks_from_info(info: Mapping[Any, Any]) -> PngImagePlugin.PngInfo | None:
    """The gAMA, cHRM and sRGB chunks a PNG of the square is written with, from the values
    Pillow read into its ``info``: without them, the renditions and the preview of a PNG of
    linear samples (gAMA 1.0) looked far darker than the photo. None with a profile (it
    says it all, as PNG readers take it) or none of them; values a PNG cannot hold are left
    out, as the re-encoder leaves them (``png_metadata.png_colour_chunks``)."""
    if info.get("icc_profile"):
        return None
    colour: dict[bytes, bytes] = {}
    gamma = info.get("gamma")
    if isinstance(gamma, float) and 0 < round(gamma * 100_000) < 2**32:
        colour[b"gAMA"] = struct.pack(">I", round(gamma * 100_000))
    chromaticity = info.get("chromaticity")
    if isinstance(chromaticity, tuple) and len(chromaticity) == 8:
        values = [round(value * 100_000) for value in chromaticity]
        if all(0 <= value < 2**32 for value in values):
            colour[b"cHRM"] = struct.pack(">8I", *values)
    intent = info.get("srgb")
    if isinstance(intent, int) and 0 <= intent <= 3:
        colour[b"sRGB"] = bytes([intent])
    return png_colour_chunks(colour)
