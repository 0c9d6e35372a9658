"""Slack's size rules and the crop box against the header's facts: send as is, convert, or refuse.

Slack takes PNG, JPEG and GIF, at least 512x512 pixels and at most 1024x1024. A
file already within that is sent byte for byte; another format, an EXIF rotation
or a larger size makes a plan for ``reencode``. A larger image with a crop box is cut
to a square around the box first (the box itself, or 512 pixels where it is smaller),
and only that square is scaled: Slack shows the box at up to 1024 pixels, and a face
of 900 pixels in a 4032-pixel photo scaled whole would keep 229 of them. The crop box is
read on the image as it is displayed (orientation applied), since that is what a person
or a model sees; so an image that must turn is turned before it is sent, and the box
means the same thing to Slack whatever Slack does with EXIF. Pure: no I/O, no decoding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from ocp_users_photo.crop import CropBox
from ocp_users_photo.errors import IMAGE_PATH, Problem
from ocp_users_photo.images.header import HeaderFacts, unreadable_as_said
from ocp_users_photo.images.limits import DEFAULT_LIMITS, ImageLimits
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.images.upload import EXTENSIONS, PreparedImage
from ocp_users_photo.sizes import pixel_count

Fit = Literal["downscale", "reject"]

_SAFE_STEM: Final = re.compile(r"[^A-Za-z0-9._-]+")
# Said of an image too long for Slack's sides; the command line says its flags instead.
CROP_BOX_ADVICE: Final = "give a crop box (crop_x, crop_y, crop_w: its square is sent)"


@dataclass
class ReencodePlan:
    """What the header said and what must be done; carried from the checks to re-encoding."""

    facts: HeaderFacts
    crop_box: CropBox | None
    output_format: str
    scale: float
    # The square (display pixels) cut from the image before scaling, when one is: the
    # image sent is that square, ``scale`` is the square's.
    region: CropBox | None = None
    # What is written is refused past this (ImageLimits.max_bytes): a converted file can
    # be larger than its original (a WebP animation's GIF: 2.5 times).
    max_bytes: int = DEFAULT_LIMITS.max_bytes


def plan_upload(
    facts: HeaderFacts,
    source: ImageSource,
    crop_box: CropBox | None,
    *,
    fit: Fit,
    limits: ImageLimits,
) -> tuple[PreparedImage | ReencodePlan | None, list[Problem]]:
    """A ready ``PreparedImage`` when the file can go as it is, a plan, or the problems."""
    problems = size_problems(facts, crop_box, fit=fit, limits=limits)
    if problems:
        return None, problems

    display_width, display_height = facts.display_size
    longest = max(display_width, display_height)
    output_format = facts.slack_format
    scale = downscale(longest, limits)
    if output_format is not None and facts.orientation == 1 and scale == 1.0:
        if facts.incomplete is not None:
            return None, [unreadable_as_said(facts.incomplete)]
        return PreparedImage(
            format=output_format,
            width=display_width,
            height=display_height,
            frames=facts.frames,
            byte_count=source.byte_count,
            filename=upload_filename(source.filename_stem, output_format),
            crop_box=crop_box,
            changes=(),
            source=source,
            upright_size=facts.display_size,
        ), []

    if display_width * display_height * facts.frames > limits.max_decoded_pixels:
        frames = f"{facts.frames} frame" + ("" if facts.frames == 1 else "s")
        return None, [
            Problem(
                IMAGE_PATH,
                f"the image has {frames} of {display_width}x{display_height} pixels, more than "
                f"this tool decodes ({pixel_count(limits.max_decoded_pixels)} over all frames) to "
                "convert it: send fewer or smaller frames, or a PNG, JPEG or GIF of at most "
                "1024x1024 pixels",
            )
        ]
    if output_format is None:
        # Another format Pillow reads: PNG keeps every pixel; an animation becomes a GIF.
        output_format = "GIF" if facts.frames > 1 else "PNG"
    region = None
    if crop_box is not None and scale < 1.0:
        region = region_around(crop_box, display_width, display_height, limits)
        scale = downscale(region.width, limits)
    return ReencodePlan(
        facts=facts,
        crop_box=crop_box,
        output_format=output_format,
        scale=scale,
        region=region,
        max_bytes=limits.max_bytes,
    ), []


def region_around(box: CropBox, width: int, height: int, limits: ImageLimits) -> CropBox:
    """The square sent in place of an image too large to send whole: the crop box, or a
    square of Slack's least side centred on a smaller box (moved in to stay inside)."""
    side = min(max(box.width, limits.min_side), width, height)
    centre_x, centre_y = box.x + box.width // 2, box.y + box.width // 2
    x = min(max(0, centre_x - side // 2), width - side)
    y = min(max(0, centre_y - side // 2), height - side)
    return CropBox(x=x, y=y, width=side)


def downscale(longest: int, limits: ImageLimits) -> float:
    """The factor an image is scaled by to fit ``limits.max_side`` (1.0: it fits)."""
    return limits.max_side / longest if longest > limits.max_side else 1.0


def scaled_side(side: int, scale: float) -> int:
    """A side as the scaler makes it: rounded, never under one pixel."""
    return max(1, round(side * scale))


def size_problems(
    facts: HeaderFacts, crop_box: CropBox | None, *, fit: Fit, limits: ImageLimits
) -> list[Problem]:
    """What is wrong with the image's size, and with the crop box inside it (all at once)."""
    display_width, display_height = facts.display_size
    problems: list[Problem] = []
    if display_width < limits.min_side or display_height < limits.min_side:
        problems.append(
            Problem(
                IMAGE_PATH,
                f"the image is {display_width}x{display_height} pixels; Slack needs at least "
                f"{limits.min_side}x{limits.min_side}: send a larger image",
            )
        )
    if crop_box is not None:
        problems.extend(crop_box.problems_inside(display_width, display_height))
    longest = max(display_width, display_height)
    shortest = min(display_width, display_height)
    # Computed as the scaler computes: 2050x1024 makes 1024x512, which Slack takes.
    scale = downscale(longest, limits)
    if (
        fit == "downscale"
        and crop_box is None  # with one, the box's square is sent: any shape has one
        and scale < 1.0
        and shortest >= limits.min_side
        and scaled_side(shortest, scale) < limits.min_side
    ):
        # Longer than 2:1: no size both within Slack's most and at least its least.
        cut = min(longest, shortest * limits.max_side // limits.min_side)
        example = f"{cut}x{shortest}" if display_width >= display_height else f"{shortest}x{cut}"
        problems.append(
            Problem(
                IMAGE_PATH,
                f"the image is {display_width}x{display_height} pixels: scaled to Slack's "
                f"{limits.max_side}-pixel limit its short side would be "
                f"{scaled_side(shortest, scale)}, under Slack's {limits.min_side}-pixel "
                f"minimum: {CROP_BOX_ADVICE}, or "
                f"cut it to at most {longest_ratio(limits)}:1 (for instance "
                f"{example}) first",
            )
        )
    if longest > limits.max_side and fit == "reject":
        problems.append(
            Problem(
                IMAGE_PATH,
                f"the image is {display_width}x{display_height} pixels; Slack takes at most "
                f"{limits.max_side}x{limits.max_side}: send a smaller image (or let the tool scale "
                "it down: fit='downscale' in Python, --fit downscale on the command line)",
            )
        )
    return problems


def upload_filename(stem: str, output_format: str) -> str:
    """A file name Slack and every proxy take: the caller's stem, made safe, and the extension."""
    safe = _SAFE_STEM.sub("_", stem).strip("._")[:64] or "image"
    return f"{safe}.{EXTENSIONS[output_format]}"


def size_rule(fit: Fit, limits: ImageLimits = DEFAULT_LIMITS) -> str:
    """The sentence of a tool's description that says which images it takes, for its ``fit``
    and ``limits`` (the manifest's is the default tool's: a catalog reads it as is)."""
    least, most = limits.min_side, limits.max_side
    # The three Slack takes, then those converted wherever Pillow is (AVIF is not said: it
    # depends on the Pillow installed, and the manifest is read before the tool runs).
    start = (
        f"Give `image` as a PNG, JPEG or GIF (WEBP, BMP and TIFF are converted) of at least "
        f"{least}x{least} pixels"
    )
    if fit == "reject":
        return f"{start} and at most {most}x{most} (a larger one is refused)."
    return (
        f"{start}; larger than {most} pixels on a side is scaled down (one longer than "
        f"{longest_ratio(limits)}:1 needs the crop box)."
    )


def longest_ratio(limits: ImageLimits) -> str:
    """How many times its short side an image's long side may be, said as "2" or "1.56":
    scaled to fit ``max_side``, one longer ends under ``min_side`` (size_problems). Whole
    division said 1:1 for 800 and 512, beside an example of 1093x700 that it allowed.
    Rounded down: 1024 and 600 said 1.71, and a 1709x1000 image within it was refused."""
    hundredths = limits.max_side * 100 // limits.min_side
    return f"{hundredths // 100}.{hundredths % 100:02d}".rstrip("0").rstrip(".")


def _least_size(limits: ImageLimits) -> str:
    return f"At least {limits.min_side}x{limits.min_side} pixels."


def described_for(description: str, fit: Fit, limits: ImageLimits) -> str:
    """``description`` (the manifest's, or its image argument's) with its size sentences
    said for ``fit`` and ``limits``."""
    said = description.replace(size_rule("downscale"), size_rule(fit, limits))
    return said.replace(_least_size(DEFAULT_LIMITS), _least_size(limits))
