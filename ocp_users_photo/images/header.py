"""What an image's header says, read by Pillow without decoding pixels.

Format (only those ``formats.py`` allows), stored and displayed size (EXIF
orientation applied, ``orientation.py``), frame count (``frames.py``, capped), and
whether a file that could be sent as it is holds its whole picture (``file_end.py``).
Blocking work (the file, Pillow's parsing): call it from a worker thread unless the
bytes are small and in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ocp_users_photo.errors import IMAGE_PATH, Problem
from ocp_users_photo.images.file_end import missing_end
from ocp_users_photo.images.formats import accepted_formats_text, open_decodable
from ocp_users_photo.images.frames import count_frames
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.orientation import (
    SWAPS_SIDES,
    TAG,
    UnboundedExif,
    pending_turn,
    read_orientation,
)
from ocp_users_photo.images.pillow_logs import pillow_records_bounded
from ocp_users_photo.images.png_metadata import TooManyChunks
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.images.structure import structure_problem
from ocp_users_photo.safe_text import shown
from ocp_users_photo.sizes import pixel_count
from ocp_users_photo.web_image.sniff import SNIFF_BYTES, sniff_image_type

if TYPE_CHECKING:
    from PIL import Image

# Pillow is imported by the functions that use it: importing it costs more than the
# checks of a whole call, and a process that only lists or exports the tool never needs it.

# Formats Slack takes as they are; MPO is a JPEG with extra pictures appended (many cameras).
SENT_AS_IS: Final = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG", "GIF": "GIF"}


@dataclass
class HeaderFacts:
    """What the header says; ``picture`` is Pillow's lazily decoding image, for re-encoding.

    ``stored_size`` is the size of the pixels as Pillow decodes them; ``orientation``
    the EXIF orientation a viewer applies (1: none), of which ``pending_turn`` is what
    is left to do to those pixels (Pillow turns a TIFF itself).
    """

    picture: Image.Image
    stored_format: str
    stored_size: tuple[int, int]
    orientation: int
    frames: int
    incomplete: str | None = None

    @property
    def pending_turn(self) -> int:
        return pending_turn(self.stored_format, self.orientation)

    @property
    def display_size(self) -> tuple[int, int]:
        """The size as a person sees it: sides swapped when EXIF orientation turns it."""
        width, height = self.stored_size
        return (height, width) if self.pending_turn in SWAPS_SIDES else (width, height)

    @property
    def slack_format(self) -> str | None:
        """The format Slack would take this file as, unchanged; None when it must be converted."""
        return SENT_AS_IS.get(self.stored_format)


@pillow_records_bounded
def read_header(
    source: ImageSource, limits: ImageLimits
) -> tuple[HeaderFacts | None, list[Problem]]:
    """The header's facts, or why the bytes are not an image this tool will decode."""
    from PIL import Image, UnidentifiedImageError

    unbounded = structure_problem(source, limits.max_frames)
    if unbounded is not None:
        return None, [unreadable_as_said(unbounded)]
    try:
        picture = open_decodable(source)
    except Image.DecompressionBombError:
        return None, [too_many_pixels(limits)]
    except UnidentifiedImageError:
        return None, [not_a_decoded_format(source.read_at(0, SNIFF_BYTES))]
    except Exception as error:
        return None, [not_an_image(short_reason(error))]

    stored_format = picture.format or "unknown"
    width, height = picture.size
    if width * height > limits.max_declared_pixels or max(width, height) > limits.max_declared_side:
        return None, [
            Problem(
                IMAGE_PATH,
                f"the image declares {width}x{height} pixels, more than this tool decodes "
                f"({_pixel_caps(limits)}): {_SCALE_FIRST}",
            )
        ]
    try:
        frame_count = count_frames(picture, limits.max_frames)
        orientation = read_orientation(picture, source)
    except (TooManyChunks, UnboundedExif) as error:
        return None, [unreadable_as_said(f"{error}: save it again with an image editor")]
    except Exception as error:
        return None, [not_an_image(short_reason(error))]
    if frame_count.over(limits.max_frames):
        return None, [
            Problem(
                IMAGE_PATH,
                f"the image has {frame_count.describe()}; this tool sends at most "
                f"{limits.max_frames} (Slack answers too_many_frames to longer animations): "
                "send a still image or a shorter animation",
            )
        ]
    if stored_format == "TIFF" and orientation in SWAPS_SIDES and not _turned_at_open(picture):
        # Pillow turns a TIFF as it decodes it by the orientation getexif() reads, XMP's
        # where IFD0 has none, but swaps the size it reports at open for IFD0's tag only.
        width, height = height, width
    slack_format = SENT_AS_IS.get(stored_format)
    facts = HeaderFacts(
        picture=picture,
        stored_format=stored_format,
        stored_size=(width, height),
        orientation=orientation,
        frames=frame_count.frames,
        incomplete=missing_end(source, slack_format) if slack_format else None,
    )
    return facts, []


def _turned_at_open(picture: Image.Image) -> bool:
    """Whether Pillow reported this TIFF's size turned already: its IFD0 holds the tag."""
    tags = getattr(picture, "tag_v2", None)
    return tags is not None and TAG in tags


# How a refusal of bytes that are no image this tool reads begins (is_unreadable).
_UNREADABLE: Final = "the image cannot be read"


def not_an_image(reason: str) -> Problem:
    """The image cannot be read, for ``reason`` (Pillow's, short): send another."""
    return Problem(IMAGE_PATH, f"{_UNREADABLE} ({reason}): send a PNG, JPEG or GIF file")


def unreadable_as_said(reason_and_advice: str) -> Problem:
    """The image cannot be read, for a reason that says what to do itself ("...: send the
    complete file", "...: save it again with an image editor"): told once."""
    return Problem(IMAGE_PATH, f"{_UNREADABLE}: {reason_and_advice}")


def not_a_decoded_format(head: bytes = b"") -> Problem:
    """Bytes in no format this tool decodes; ``head``, their start, may name a format
    people send often (an iPhone's HEIC photo), with the way to one that works."""
    if sniff_image_type(head) in ("image/heic", "image/heif"):
        found = (
            f"{_UNREADABLE}: it is a HEIC/HEIF photo (the format iPhones take photos in), "
            "which neither this tool nor Slack reads"
        )
        return Problem(
            IMAGE_PATH,
            f"{found}: convert it to JPEG first (on a Mac, open it in Preview and use File > "
            "Export; an iPhone takes photos as JPEG with Settings > Camera > Formats > Most "
            "Compatible)",
            model_message=f"{found}: ask the person for the photo as a JPEG or PNG file",
        )
    return Problem(
        IMAGE_PATH,
        f"{_UNREADABLE}: it is not an image in a format this tool decodes "
        f"({accepted_formats_text()}, told by its bytes, not its name): send a PNG, JPEG or "
        "GIF file",
    )


def is_unreadable(found: Problem) -> bool:
    """Whether ``found`` says the bytes are no image this tool reads (``not_an_image``,
    ``not_a_decoded_format``), not an image it refuses for its size or frames."""
    return found.message.startswith(_UNREADABLE)


# Not "at most 1024x1024": a larger photo within the caps is read (and scaled down, unless
# fit="reject"); one over them is refused before a pixel is decoded.
_SCALE_FIRST = (
    "send a smaller copy of it (Slack shows photos at most 1024x1024 pixels, so a copy of "
    "that size loses nothing)"
)


def _pixel_caps(limits: ImageLimits) -> str:
    return (
        f"{pixel_count(limits.max_declared_pixels)}, {limits.max_declared_side:,} pixels on a side"
    )


def too_many_pixels(limits: ImageLimits) -> Problem:
    return Problem(
        IMAGE_PATH,
        f"the image declares far more than {pixel_count(limits.max_declared_pixels)} (a "
        f"decompression bomb, or a huge picture): {_SCALE_FIRST}",
    )


def short_reason(error: BaseException) -> str:
    """A decoder's error text for a message: a file's bytes or name may be in it, so it is
    bounded and printable, with anything shaped like a token masked."""
    return shown(str(error).strip() or type(error).__name__, 120)
