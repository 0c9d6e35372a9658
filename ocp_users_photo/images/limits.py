"""The sizes Slack documents, and the caps that keep a hostile image from exhausting memory."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from ocp_users_photo.arguments import describe_value

# The largest value of a field: far past any image or file, yet a float's exact integer
# (the description divides max_side by min_side) and said in 16 digits.
MAX_LIMIT: Final = 2**53 - 1


@dataclass(frozen=True)
class ImageLimits:
    """Slack's documented sizes, and the caps that keep a hostile image from exhausting memory.

    - ``min_side``, ``max_side``: Slack's 512 and 1024 pixels; larger is scaled down.
    - ``max_declared_side``, ``max_declared_pixels``: a header declaring more is refused
      before anything else (a decompression bomb).
    - ``max_frames``: an animation with more frames is refused, counted without decoding
      and never far past this (Slack answers ``too_many_frames``; its emulator's default
      is the same 100).
    - ``max_decoded_pixels``: an image that must be converted is decoded only if width x
      height x frames stays within this, checked before any pixel is decoded (50 million:
      a still of 7000x7000, or 47 frames of 1024x1024).
    - ``max_bytes``: a file over this is refused from its size alone, and a converted
      image is refused once what is written passes it.
    """

    min_side: int = 512
    max_side: int = 1024
    max_declared_side: int = 65535
    max_declared_pixels: int = 50_000_000
    max_frames: int = 100
    max_decoded_pixels: int = 50_000_000
    max_bytes: int = 32 * 1024 * 1024

    def __post_init__(self) -> None:
        """Refused when made: a max_side of 0 sent a 1x1 image, a min_side over max_side
        a square under the least side it promised, each without a word, and caps on what a
        header declares under min_side refused every image big enough to send."""
        for name, value in vars(self).items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"ImageLimits {name} must be a whole number of 1 or more, got "
                    f"{describe_value(value)}"
                )
            if value > MAX_LIMIT:
                # Taken, 10**400 broke the tool's description (OverflowError, max_side over
                # min_side as a float) and put hundreds of digits before the model.
                raise ValueError(
                    f"ImageLimits {name} is {describe_value(value)}, past any image or file: "
                    f"give at most {MAX_LIMIT}"
                )
        if self.min_side > self.max_side:
            raise ValueError(
                f"ImageLimits min_side {self.min_side} is over max_side {self.max_side}: give "
                f"a max_side of at least min_side (Slack's are 512 and 1024)"
            )
        least = self.min_side
        if least * least > MAX_LIMIT:
            # Its square is the least max_declared_pixels, which no field may be given: the
            # message below asked for a value refused above.
            raise ValueError(
                f"ImageLimits min_side {least} is past any image (its square is over "
                f"{MAX_LIMIT}): give a min_side of at most {math.isqrt(MAX_LIMIT)} "
                "(Slack's is 512)"
            )
        if self.max_declared_side < least or self.max_declared_pixels < least * least:
            # Every image big enough to send would be refused as declaring too much.
            raise ValueError(
                f"ImageLimits max_declared_side {self.max_declared_side} and "
                f"max_declared_pixels {self.max_declared_pixels} refuse every image of "
                f"min_side {least}: give at least {least} and {least * least}"
            )


DEFAULT_LIMITS: Final = ImageLimits()
