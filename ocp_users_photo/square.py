"""The square Slack shows: the crop box cut out, or the whole image letterboxed to a square.

Slack documents that without a crop box the whole image is used and a
non-square image is letterboxed; the bar colour is our choice (white, or
transparent when the image has an alpha channel). The CLI's ``--preview`` and
the emulator's renditions both come from here, so they always agree.
"""

from __future__ import annotations

import warnings
from typing import Final

from PIL import Image

from ocp_users_photo.crop import CropBox
from ocp_users_photo.images.orientation import upright_as_shown
from ocp_users_photo.images.pixel_modes import (
    WIDE_GREY,
    cmyk_as_srgb,
    eight_bit_grey,
    resampleable,
)

LETTERBOX_COLOR: Final = (255, 255, 255)


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
        return turned.convert("RGBA" if has_alpha else "RGB")


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
    canvas.paste(image, ((side - width) // 2, (side - height) // 2))
    return canvas
