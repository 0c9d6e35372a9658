"""Inspects the image from its header, checks it and the crop box, and re-encodes only if needed.

Slack takes PNG, JPEG and GIF, at least 512x512 pixels and at most 1024x1024.
The header tells format, size, orientation and frame count without decoding
pixels, so the common case (a PNG, JPEG or GIF already within limits) is sent
byte for byte, streamed from disk. Decoding happens only to convert another
format to PNG, to apply an EXIF rotation, or to scale down, and only after the
declared pixel count has been checked against the limits (decompression bombs).

Crop box and EXIF orientation: the crop box is read on the image as it is
displayed (orientation applied), since that is what a person or a model sees.
A JPEG with a rotating orientation tag is therefore rotated before it is sent,
so the box means the same thing to Slack whatever Slack does with EXIF.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, Final, Literal, cast

from ocp_users_photo.crop import CropBox
from ocp_users_photo.errors import Problem
from ocp_users_photo.sources import ImageSource

if TYPE_CHECKING:
    from PIL import Image

# Pillow is imported by the functions that use it: importing it costs more than the
# checks of a whole call, and a process that only lists or exports the tool never needs it.

Fit = Literal["downscale", "reject"]

PATH = "$.image"
CONTENT_TYPES: Final = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}
_EXTENSIONS: Final = {"PNG": "png", "JPEG": "jpg", "GIF": "gif"}
# Formats Slack takes as they are; MPO is a JPEG with extra pictures appended (many cameras).
_SENT_AS_IS: Final = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG", "GIF": "GIF"}
_SLACK_FORMATS: Final = ("PNG", "JPEG", "GIF")
_ORIENTATION_TAG: Final = 0x0112
_SWAPS_SIDES: Final = frozenset({5, 6, 7, 8})
_PNG_END: Final = b"IEND\xaeB`\x82"
_TAIL_BYTES: Final = 64 * 1024
_SAFE_STEM: Final = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ImageLimits:
    """Slack's documented sizes, and the caps that keep a hostile image from exhausting memory."""

    min_side: int = 512
    max_side: int = 1024
    max_declared_side: int = 65535
    max_declared_pixels: int = 50_000_000
    max_decoded_pixels: int = 250_000_000
    max_bytes: int = 32 * 1024 * 1024


DEFAULT_LIMITS: Final = ImageLimits()


@dataclass
class PreparedImage:
    """The image as it will be sent: its bytes or open file, what it is, and what was changed."""

    format: str
    width: int
    height: int
    frames: int
    byte_count: int
    filename: str
    crop_box: CropBox | None
    changes: tuple[str, ...]
    source: ImageSource

    _digesting: _DigestingFile | None = field(default=None, init=False, repr=False)
    _digest_wanted: bool = field(default=False, init=False, repr=False)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    def want_digest(self) -> None:
        """Hash the bytes as they are sent, so ``digest()`` needs no second read of the file."""
        self._digest_wanted = True

    def body(self) -> BinaryIO | bytes:
        """What the multipart part carries: the open file (streamed) or the bytes."""
        if self.source.data is not None:
            return self.source.data
        stream = self.source.stream()
        if not self._digest_wanted:
            return stream
        self._digesting = _DigestingFile(stream)
        return cast(BinaryIO, self._digesting)

    def digest(self) -> str:
        """The first 12 hex digits of the SHA-256 of the bytes sent (after ``want_digest``)."""
        if self.source.data is not None:
            return hashlib.sha256(self.source.data).hexdigest()[:12]
        if self._digesting is None:
            raise RuntimeError("digest() needs want_digest() before the image is sent")
        return self._digesting.hexdigest()[:12]

    def summary(self) -> dict[str, Any]:
        """A JSON-able description for logs and agent history: no pixels, no bytes."""
        described: dict[str, Any] = {
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "bytes": self.byte_count,
        }
        if self.frames > 1:
            described["frames"] = self.frames
        if self.changes:
            described["changes"] = list(self.changes)
        return described

    def close(self) -> None:
        self.source.close()


class _DigestingFile:
    """A file reader that hashes what is read; rewinding to 0 starts the hash again (retries)."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        self._hash.update(chunk)
        return chunk

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = self._file.seek(offset, whence)
        if position == 0:
            self._hash = hashlib.sha256()
        return position

    def tell(self) -> int:
        return self._file.tell()

    def fileno(self) -> int:
        return self._file.fileno()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


@dataclass
class ReencodePlan:
    """What the header said and what must be done; carried from inspection to re-encoding."""

    picture: Image.Image
    stored_format: str
    display_size: tuple[int, int]
    orientation: int
    frames: int
    crop_box: CropBox | None
    output_format: str
    scale: float
    changes: list[str] = field(default_factory=list)


def inspect_image(
    source: ImageSource,
    crop_box: CropBox | None,
    *,
    fit: Fit,
    limits: ImageLimits = DEFAULT_LIMITS,
) -> tuple[PreparedImage | ReencodePlan | None, list[Problem]]:
    """Check the image from its header.

    Returns a ready ``PreparedImage`` when the file can be sent as it is, a plan for
    ``reencode`` when it must be converted, rotated or scaled, or the problems.
    """
    from PIL import Image, UnidentifiedImageError

    stream = source.stream()
    try:
        try:
            # Slack's three formats first: fewer of Pillow's format probes on the common path.
            picture = Image.open(stream, formats=_SLACK_FORMATS)
        except UnidentifiedImageError:
            picture = Image.open(source.stream())
    except Image.DecompressionBombError:
        return None, [_too_many_pixels(limits)]
    except UnidentifiedImageError:
        return None, [_not_an_image("Pillow does not recognise the bytes as an image")]
    except Exception as error:
        return None, [_not_an_image(_short(error))]

    stored_format = picture.format or "unknown"
    stored_width, stored_height = picture.size
    if (
        stored_width * stored_height > limits.max_declared_pixels
        or max(stored_width, stored_height) > limits.max_declared_side
    ):
        return None, [
            Problem(
                PATH,
                f"the image declares {stored_width}x{stored_height} pixels, more than this tool "
                f"decodes ({limits.max_declared_pixels} pixels, {limits.max_declared_side} on a "
                "side): send an image of at most 1024x1024 pixels",
            )
        ]

    orientation = _orientation(picture) if _SENT_AS_IS.get(stored_format) == "JPEG" else 1
    if orientation in _SWAPS_SIDES:
        display_width, display_height = stored_height, stored_width
    else:
        display_width, display_height = stored_width, stored_height
    try:
        frames = int(getattr(picture, "n_frames", 1))
    except Exception as error:
        return None, [_not_an_image(_short(error))]

    problems: list[Problem] = []
    if display_width < limits.min_side or display_height < limits.min_side:
        problems.append(
            Problem(
                PATH,
                f"the image is {display_width}x{display_height} pixels; Slack needs at least "
                f"{limits.min_side}x{limits.min_side}: send a larger image",
            )
        )
    if crop_box is not None:
        problems.extend(crop_box.problems_inside(display_width, display_height))
    longest = max(display_width, display_height)
    if longest > limits.max_side and fit == "reject":
        problems.append(
            Problem(
                PATH,
                f"the image is {display_width}x{display_height} pixels; Slack takes at most "
                f"{limits.max_side}x{limits.max_side}: send a smaller image (or let the tool scale "
                "it down with fit='downscale')",
            )
        )
    if problems:
        return None, problems

    output_format = _SENT_AS_IS.get(stored_format)
    scale = limits.max_side / longest if longest > limits.max_side else 1.0
    if output_format is not None and orientation == 1 and scale == 1.0:
        incomplete = _incomplete(source, output_format)
        if incomplete is not None:
            return None, [_not_an_image(incomplete)]
        return PreparedImage(
            format=output_format,
            width=display_width,
            height=display_height,
            frames=frames,
            byte_count=source.byte_count,
            filename=_filename(source.filename_stem, output_format),
            crop_box=crop_box,
            changes=(),
            source=source,
        ), []

    if display_width * display_height * frames > limits.max_decoded_pixels:
        return None, [
            Problem(
                PATH,
                f"the image has {frames} frames of {display_width}x{display_height} pixels, too "
                "many to convert safely: send a PNG, JPEG or GIF of at most 1024x1024 pixels",
            )
        ]
    if output_format is None:
        # Another format Pillow reads: PNG keeps every pixel; an animation becomes a GIF.
        output_format = "GIF" if frames > 1 else "PNG"
    plan = ReencodePlan(
        picture=picture,
        stored_format=stored_format,
        display_size=(display_width, display_height),
        orientation=orientation,
        frames=frames,
        crop_box=crop_box,
        output_format=output_format,
        scale=scale,
    )
    return plan, []


def reencode(plan: ReencodePlan, source: ImageSource) -> tuple[PreparedImage | None, list[Problem]]:
    """Decode, rotate, scale and encode as planned. CPU-bound: run it off the event loop."""
    display_width, display_height = plan.display_size
    width = max(1, round(display_width * plan.scale))
    height = max(1, round(display_height * plan.scale))
    changes: list[str] = []
    if plan.output_format != _SENT_AS_IS.get(plan.stored_format):
        changes.append(f"converted from {plan.stored_format} to {plan.output_format}")
    if plan.orientation != 1:
        changes.append(f"rotated upright (EXIF orientation {plan.orientation})")
    if plan.scale != 1.0:
        changes.append(f"scaled down from {display_width}x{display_height} to {width}x{height}")
    try:
        encoded = _encode(plan, (width, height))
    except Exception as error:
        return None, [_not_an_image(_short(error))]
    crop_box = plan.crop_box
    if crop_box is not None and plan.scale != 1.0:
        crop_box = crop_box.scaled(plan.scale, width, height)
        changes.append(f"crop box scaled to {crop_box}")
    source.close()
    prepared = PreparedImage(
        format=plan.output_format,
        width=width,
        height=height,
        frames=plan.frames,
        byte_count=len(encoded),
        filename=_filename(source.filename_stem, plan.output_format),
        crop_box=crop_box,
        changes=tuple(changes),
        source=ImageSource(
            label=source.label,
            filename_stem=source.filename_stem,
            byte_count=len(encoded),
            data=encoded,
        ),
    )
    return prepared, []


def _encode(plan: ReencodePlan, size: tuple[int, int]) -> bytes:
    from PIL import Image, ImageOps

    picture = plan.picture
    if plan.frames > 1:
        return _encode_animation(plan, size)
    if plan.scale < 0.5 and _SENT_AS_IS.get(plan.stored_format) == "JPEG":
        # JPEG can decode at 1/2, 1/4 or 1/8 scale: far less memory and time for big photos.
        stored = size if plan.orientation not in _SWAPS_SIDES else (size[1], size[0])
        picture.draft(picture.mode, stored)
    frame = ImageOps.exif_transpose(picture) if plan.orientation != 1 else picture
    frame = _resampleable(frame)
    if frame.size != size:
        frame = frame.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return _save([frame], plan.output_format, picture.info)


def _encode_animation(plan: ReencodePlan, size: tuple[int, int]) -> bytes:
    from PIL import Image, ImageSequence

    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(plan.picture):
        durations.append(int(frame.info.get("duration", 100)))
        still = _resampleable(frame.copy())
        if still.size != size:
            still = still.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        frames.append(still)
    return _save(frames, plan.output_format, plan.picture.info, durations=durations)


def _resampleable(picture: Image.Image) -> Image.Image:
    """A mode that resizes smoothly and that PNG, JPEG and GIF can all write."""
    if picture.mode in ("RGB", "RGBA", "L", "LA", "I;16"):
        return picture
    if picture.mode == "CMYK":
        return picture.convert("RGB")
    has_alpha = "A" in picture.getbands() or "transparency" in picture.info
    return picture.convert("RGBA" if has_alpha else "RGB")


def _save(
    frames: list[Image.Image],
    output_format: str,
    info: Mapping[Any, Any],
    *,
    durations: list[int] | None = None,
) -> bytes:
    first = frames[0]
    options: dict[str, Any] = {}
    if output_format == "JPEG":
        if first.mode not in ("RGB", "L", "CMYK"):
            first = first.convert("RGB")
        options.update(quality=90, optimize=True)
    if output_format == "GIF" and first.mode == "I;16":
        first = first.convert("L")
    if info.get("icc_profile") and output_format in ("PNG", "JPEG"):
        options["icc_profile"] = info["icc_profile"]
    if len(frames) > 1:
        options.update(
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            loop=int(info.get("loop", 0)),
            disposal=2,
        )
    buffer = io.BytesIO()
    first.save(buffer, format=output_format, **options)
    return buffer.getvalue()


def _orientation(picture: Image.Image) -> int:
    if "exif" not in picture.info and "xmp" not in picture.info:
        return 1  # no metadata that could rotate it: spare the EXIF parse
    try:
        value = picture.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _incomplete(source: ImageSource, output_format: str) -> str | None:
    """Why a file to be sent as it is looks cut short, from its last bytes; None if it looks whole.

    Cheap (one small read at the end), so truncated uploads are caught without decoding.
    """
    if output_format == "PNG" and _PNG_END not in _tail(source, 4096):
        return "the PNG file is cut short (no IEND end marker): send the complete file"
    if output_format == "GIF" and b";" not in _tail(source, 16):
        return "the GIF file is cut short (no trailer): send the complete file"
    # A JPEG usually ends with its end-of-image marker; some cameras append data after it.
    if (
        output_format == "JPEG"
        and b"\xff\xd9" not in _tail(source, 64)
        and b"\xff\xd9" not in _tail(source, _TAIL_BYTES)
    ):
        return "the JPEG file is cut short (no end-of-image marker): send the complete file"
    return None


def _tail(source: ImageSource, length: int) -> bytes:
    """The last ``length`` bytes of the image, the stream left at its start."""
    if source.data is not None:
        return source.data[-length:]
    stream = source.stream()
    stream.seek(max(0, source.byte_count - length))
    tail = stream.read(length)
    stream.seek(0)
    return tail


def _filename(stem: str, output_format: str) -> str:
    safe = _SAFE_STEM.sub("_", stem).strip("._")[:64] or "image"
    return f"{safe}.{_EXTENSIONS[output_format]}"


def _not_an_image(reason: str) -> Problem:
    return Problem(
        PATH,
        f"the image cannot be read ({reason}): send a PNG, JPEG or GIF file",
    )


def _too_many_pixels(limits: ImageLimits) -> Problem:
    return Problem(
        PATH,
        f"the image declares far more than {limits.max_declared_pixels} pixels (a decompression "
        "bomb, or a huge picture): send an image of at most 1024x1024 pixels",
    )


def _short(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."
