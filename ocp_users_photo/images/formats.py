"""The image formats this tool decodes: an allow-list, each format told by the bytes alone.

Pillow parses dozens of formats. Some run an external program to decode (EPS hands
the file to Ghostscript), and many are parsers seldom exercised on hostile input
(PSD, FITS, ICNS, DDS, ...). Only the formats below are ever given to Pillow, whatever
the file's name or a ``data:`` URI's label says: Slack's own three first (the common
case probes the fewest plugins), then the few others photos are saved in. AVIF (and
HEIF files whose pictures are AV1) only where the installed Pillow decodes it with
its own libavif; a HEIF/HEIC plugin from another package (pillow-heif) is never used.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Final

from ocp_users_photo.images.source import ImageSource

if TYPE_CHECKING:
    from PIL import Image

# Pillow's JPEG opener also returns MPO (a JPEG with more pictures after it, from cameras).
SLACK_FORMATS: Final = ("PNG", "JPEG", "GIF")
OTHER_FORMATS: Final = ("WEBP", "BMP", "TIFF")


@cache
def pillow_decodes_avif() -> bool:
    """True when this Pillow was built with its own AVIF decoder (Pillow 11.2 and later)."""
    from PIL import features

    try:
        return bool(features.check_module("avif"))
    except ValueError:  # a Pillow without the AVIF plugin does not know the name
        return False


def other_formats() -> tuple[str, ...]:
    """The formats beyond Slack's three that are decoded and converted, in the order tried."""
    return OTHER_FORMATS + (("AVIF",) if pillow_decodes_avif() else ())


def decoded_formats() -> tuple[str, ...]:
    """Every format Pillow may open here, as ``Image.format`` names them."""
    return (*SLACK_FORMATS, "MPO", *other_formats())


def accepted_formats_text() -> str:
    """The accepted formats for a message: 'PNG, JPEG, GIF, WEBP, BMP, TIFF or AVIF'."""
    names = (*SLACK_FORMATS, *other_formats())
    return f"{', '.join(names[:-1])} or {names[-1]}"


def open_decodable(source: ImageSource) -> Image.Image:
    """Pillow's lazily decoding image, if the bytes are in an accepted format.

    One ``Image.open``: Pillow tries the formats in the order given, so Slack's three
    are probed first and the other plugins are loaded only for a file none of them
    takes. Raises ``PIL.UnidentifiedImageError`` when no accepted format takes the
    bytes, before any other format's plugin has looked at them; Pillow's other errors
    (a damaged header, a decompression bomb) propagate.
    """
    from PIL import Image

    return Image.open(source.stream(), formats=(*SLACK_FORMATS, *other_formats()))
