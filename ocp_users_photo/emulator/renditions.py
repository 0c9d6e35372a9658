"""Pillow work for users.setPhoto: check an upload, crop or letterbox it, render the sizes."""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from ocp_users_photo.crop import CropBox
from ocp_users_photo.images.formats import SLACK_FORMATS
from ocp_users_photo.images.frames import count_frames
from ocp_users_photo.images.pixel_modes import matching_profile
from ocp_users_photo.sizes import byte_size
from ocp_users_photo.square import colour_chunks_from_info, slack_square

# The sizes of Slack's image_24 ... image_1024 profile fields.
RENDITION_SIZES: tuple[int, ...] = (24, 32, 48, 72, 192, 512, 1024)

# Slack's own hint for bad_image is "try JPEG, GIF or PNG": other formats are refused.
# An MPO (a camera's JPEG with more pictures after it) is a JPEG to any JPEG decoder.
ACCEPTED_FORMATS: Mapping[str, tuple[str, str]] = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),
    "GIF": ("image/gif", "gif"),
}


@dataclass(frozen=True)
class EncodedImage:
    """Bytes ready to serve, with the content type and the file extension they go with."""

    data: bytes
    content_type: str
    extension: str

    def __repr__(self) -> str:
        # The bytes by their size: a Person's repr (its photo, every rendition) was tens of
        # kilobytes of escapes for a small PNG, megabytes for a photo, in a failed assert.
        return (
            f"EncodedImage(data=<{byte_size(len(self.data))}>, "
            f"content_type={self.content_type!r}, extension={self.extension!r})"
        )


@dataclass(frozen=True)
class RenderedPhoto:
    """The original upload plus one square rendition per size (empty when not rendered)."""

    original: EncodedImage
    renditions: Mapping[int, EncodedImage]


class ImageRejected(Exception):
    """The upload cannot become a photo; `code` is the Slack error to answer with."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def avatar_hash(image_bytes: bytes, crop: CropBox | None) -> str:
    """12 lower-case hex characters naming this content cut this way.

    The same bytes with another crop give another photo, so the crop is hashed too.
    """
    digest = hashlib.sha256(image_bytes)
    crop_text = "none" if crop is None else f"{crop.x},{crop.y},{crop.width}"
    digest.update(b"\0crop=" + crop_text.encode("ascii"))
    return digest.hexdigest()[:12]


def render_photo(
    image_bytes: bytes,
    crop: CropBox | None,
    *,
    max_side: int,
    max_frames: int,
    letterbox_color: tuple[int, int, int],
) -> RenderedPhoto:
    """Check the upload against the limits and render every size; raises ImageRejected."""
    if not image_bytes:
        raise ImageRejected("bad_image", "the image part is empty")
    with _open(image_bytes) as image:
        mime_and_extension = ACCEPTED_FORMATS.get(image.format or "")
        if mime_and_extension is None:
            raise ImageRejected("bad_image", f"format {image.format} is not PNG, JPEG or GIF")
        # Checked from the header, before any pixel is decoded.
        if max(image.size) > max_side:
            raise ImageRejected("too_large", f"{image.size[0]}x{image.size[1]} exceeds {max_side}")
        # Counted without decoding, and not past the cap: a GIF may hold millions of frames.
        # A GIF's only: Slack documents too_many_frames for an animated GIF (an animated
        # PNG is shown by its first frame, as any PNG).
        if image.format == "GIF":
            try:
                frames = count_frames(image, max_frames)
            except (IndexError, struct.error, OSError, ValueError, SyntaxError) as error:
                # Pillow's reading of a frame cut short (a truncated GIF): Slack's bad_image.
                raise ImageRejected("bad_image", f"the image data is damaged: {error}") from error
            if frames.over(max_frames):
                raise ImageRejected("too_many_frames", f"more than {max_frames} frames")
        try:
            # Slack's clients show a photo the way a viewer does, EXIF rotation applied;
            # the square is the one the tool's --preview shows (ocp_users_photo.square).
            square = slack_square(image, crop, letterbox_color)
        except ValueError as error:
            raise ImageRejected("bad_image", str(error)) from error
        except (OSError, SyntaxError) as error:
            raise ImageRejected("bad_image", f"the image data is damaged: {error}") from error
        original_type, original_extension = mime_and_extension
    # A JPEG stays a JPEG (a photo); anything else becomes PNG, keeping transparency.
    as_jpeg = original_type == "image/jpeg"
    renditions = {size: _encode(square, size, as_jpeg=as_jpeg) for size in RENDITION_SIZES}
    original = EncodedImage(image_bytes, original_type, original_extension)
    return RenderedPhoto(original=original, renditions=renditions)


def render_square(square: Image.Image, *, as_jpeg: bool = False) -> dict[int, EncodedImage]:
    """Every rendition size of an already square image (used for the default avatar)."""
    return {size: _encode(square, size, as_jpeg=as_jpeg) for size in RENDITION_SIZES}


def _open(image_bytes: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow only warns for large-but-allowed pixel counts; max_side decides here.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # Only the formats Slack takes reach a decoder: never EPS (Ghostscript) or the rest.
            return Image.open(io.BytesIO(image_bytes), formats=SLACK_FORMATS)
    except Image.DecompressionBombError as error:
        raise ImageRejected("too_large", str(error)) from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise ImageRejected("bad_image", "the bytes are not a readable image") from error


def _encode(square: Image.Image, size: int, *, as_jpeg: bool) -> EncodedImage:
    resized = square.resize((size, size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if as_jpeg:
        # The profile goes along (Pillow's JPEG writer takes it only when told): without
        # it a wide-gamut photo's renditions are read as sRGB, their colours washed out.
        profile = matching_profile(resized.info.get("icc_profile"), "RGB")
        extra = {} if profile is None else {"icc_profile": profile}
        resized.convert("RGB").save(buffer, format="JPEG", quality=90, **extra)
        return EncodedImage(buffer.getvalue(), "image/jpeg", "jpg")
    chunks = colour_chunks_from_info(resized.info)
    resized.save(buffer, format="PNG", **({} if chunks is None else {"pnginfo": chunks}))
    return EncodedImage(buffer.getvalue(), "image/png", "png")
