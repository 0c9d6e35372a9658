"""Whether a square original is what Slack shows of it, uncut.

Slack's ``image_original`` is the upload as it came; the crop box it is shown with is
in no reply. A square upload set by another client (or by a change here with keeping
off) may have been zoomed into. Kept whole, an undo would give back the uncut image; kept
as the square Slack shows, an uncut one would lose its own bytes and size. So the two
are compared, each made a small thumbnail the same way: alike, the original is kept.

Blocking (Pillow), for the conversion thread; both images were checked against the tool's
limits before (``shown_photo._checked_image``).
"""

from __future__ import annotations

import io
from typing import Final

from PIL import Image, ImageChops, ImageStat

from ocp_users_photo.images.pillow_logs import pillow_records_bounded
from ocp_users_photo.square import upright

__all__ = ["shown_whole"]

# Each image is compared as a thumbnail this many pixels a side.
_THUMBNAIL: Final = 32
# The mean difference (0-255, over the thumbnails' pixels and channels) under which the
# two are one picture: re-encoding and scaling move it a point or two; a zoom into a
# photo, tens.
_ALIKE: Final = 10.0


def shown_whole(original: bytes, shown_square: bytes) -> bool:
    """Whether ``original`` (square), scaled, is ``shown_square``: no part was cut away."""
    try:
        first = _thumbnail(original)
        second = _thumbnail(shown_square)
    # One does not decode after all, or declares more pixels than Pillow decodes: not alike.
    # Any error of Pillow's on a hostile download (a struct.error from its EXIF, before
    # 0004efe) says the same: a likeness that cannot be told never ends the change.
    except Exception:
        return False
    difference = ImageStat.Stat(ImageChops.difference(first, second)).mean
    return sum(difference) / len(difference) < _ALIKE


@pillow_records_bounded
def _thumbnail(data: bytes) -> Image.Image:
    """``data`` upright, in 8-bit colour, shrunk with its transparency weighed (what a
    transparent pixel hides counts for nothing), then laid on one grey: the same picture
    gives the same thumbnail however it was stored (16 bits, RGBA, a palette, grey or CMYK
    with a profile, which the renditions are shown through)."""
    with Image.open(io.BytesIO(data)) as picture:
        picture.draft("RGB", (_THUMBNAIL * 4, _THUMBNAIL * 4))  # JPEG: decoded small
        # As Slack's renditions show it (ocp_users_photo.square): upright, 16-bit grey scaled
        # to 8, CMYK and grey through their profiles (a linear grey's 128 is shown as 188).
        shown_photo = upright(picture)
        small = shown_photo.convert("RGBA").resize((_THUMBNAIL, _THUMBNAIL), Image.Resampling.BOX)
        grey = Image.new("RGBA", small.size, (128, 128, 128, 255))
        return Image.alpha_composite(grey, small).convert("RGB")
