"""EXIF orientation, one rule for every format: the turn a viewer applies is the turn we apply.

The rule is Pillow's ``ImageOps.exif_transpose`` on the decoded picture, which is
also what the emulator and the CLI's ``--preview`` show (``ocp_users_photo.square``):
the EXIF Orientation tag wherever the format keeps EXIF (JPEG, WebP, AVIF, whose
container rotation Pillow turns into that tag, PNG's ``eXIf`` chunk before or after
the pixels, ImageMagick's raw profile in a PNG text chunk, TIFF's own tag), else
XMP's ``tiff:Orientation``. Here it is read from the header and metadata alone.

Pillow's TIFF reader applies the tag itself as it decodes (and reports the turned
size), so a TIFF needs no further turn: ``pending_turn`` says what is left to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ocp_users_photo.images.png_metadata import metadata_after_pixels
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.images.tiff_structure import exif_problem

if TYPE_CHECKING:
    from collections.abc import Callable

    from PIL import Image

TAG: Final = 0x0112
SWAPS_SIDES: Final = frozenset({5, 6, 7, 8})
TURNED_BY_DECODER: Final = frozenset({"TIFF"})
# Where Pillow keeps metadata that may hold an orientation, once a file is open.
_CARRIERS: Final = ("exif", "xmp", "XML:com.adobe.xmp", "Raw profile type exif")


class UnboundedExif(ValueError):
    """The EXIF block lists more entries or numbers than any camera writes (Pillow would make
    an object of each before the orientation is read): not read."""


def read_orientation(picture: Image.Image, source: ImageSource) -> int:
    """The EXIF orientation (1 to 8) a viewer applies to this picture; 1 when there is none.

    For a PNG, the metadata chunks after the image data are read first (never the
    pixels), so the answer is the one Pillow gives once it has decoded the file.
    Raises what ``metadata_after_pixels`` raises for a PNG it cannot walk, and
    UnboundedExif for an EXIF block no camera writes.
    """
    from PIL import Image, ImageFile

    if picture.format == "PNG" and isinstance(picture, ImageFile.ImageFile):
        picture.info.update(metadata_after_pixels(picture, source))
    if picture.format not in TURNED_BY_DECODER and not any(
        key in picture.info for key in _CARRIERS
    ):
        return 1  # nothing that could turn it: spare the EXIF parse
    problem = exif_problem(_exif_pillow_reads(picture.info))
    if problem is not None:
        raise UnboundedExif(problem)
    # The base class's reader: a PNG's own would decode the pixels to look for eXIf.
    return _orientation_read(lambda: Image.Image.getexif(picture))


def _orientation_read(read_exif: Callable[[], Image.Exif]) -> int:
    """The orientation the block ``read_exif()`` gives holds (1 to 8); 1 where it holds
    none, a value that is no integer from 1 to 8, or cannot be read: a viewer turns nothing
    then either (a browser reads the standard's SHORT; Pillow's exif_transpose alone would
    turn a FLOAT 6.0)."""
    try:
        value = read_exif().get(TAG, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _exif_pillow_reads(info: dict[Any, Any]) -> bytes:
    """The EXIF block ``getexif`` reads: ``exif``'s bytes, else ImageMagick's raw profile in
    a PNG text chunk, hex after three lines of header, decoded as Pillow decodes it (one
    of 2.1 million fractions passed the cap unchecked: 5.9 s and 630 MB)."""
    exif = info.get("exif")
    if exif is not None:
        return exif if isinstance(exif, bytes) else b""
    raw = info.get("Raw profile type exif")
    if not isinstance(raw, str):
        return b""
    try:
        return bytes.fromhex("".join(raw.split("\n")[3:]))
    except ValueError:
        return b""  # not hex: Pillow's read fails, and the orientation is taken as 1


def pending_turn(picture_format: str, orientation: int) -> int:
    """The orientation still to apply to the pixels Pillow decodes (1: none)."""
    return 1 if picture_format in TURNED_BY_DECODER else orientation


def upright_as_shown(picture: Image.Image) -> Image.Image:
    """``picture`` turned as a viewer shows it, by the orientation its EXIF holds, as
    ``ImageOps.exif_transpose`` turns it, but without writing the EXIF out again:
    Pillow's writing raises ``struct.error`` for a tag stored with another type than the
    standard's (cameras write such tags), where a viewer shows the picture all the same.
    Decoded first, as Pillow's is: a PNG's metadata after its pixels (an XMP orientation
    beside an eXIf chunk before them) is read only then. An orientation that is no whole
    number from 1 to 8 (a fraction, 6/1) turns nothing, as ``read_orientation`` says, by
    which the crop box was checked; Pillow's turns by 6/1."""

    def decoded_exif() -> Image.Exif:
        picture.load()
        return picture.getexif()

    orientation = _orientation_read(decoded_exif)
    return turned_upright(picture, pending_turn(picture.format or "", orientation))


def turned_upright(picture: Image.Image, orientation: int) -> Image.Image:
    """``picture`` turned and mirrored as orientation ``orientation`` says (decodes it)."""
    from PIL import Image

    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    return picture if method is None else picture.transpose(method)


def stored_square(
    x: int, y: int, side: int, display_size: tuple[int, int], orientation: int
) -> tuple[int, int]:
    """The top-left corner, in the pixels as decoded, of the ``side`` square a viewer shows
    at (x, y) once ``orientation`` has turned them (a square stays a square)."""
    width, height = display_size
    far_x, far_y = width - x - side, height - y - side
    return {
        2: (far_x, y),
        3: (far_x, far_y),
        4: (x, far_y),
        5: (y, x),
        6: (y, far_x),
        7: (far_y, far_x),
        8: (far_y, x),
    }.get(orientation, (x, y))
