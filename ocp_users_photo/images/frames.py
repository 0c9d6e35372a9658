"""How many frames an image has, found without decoding one and never counted far past a cap.

Animated WebP, AVIF and PNG declare their frame count in a header; a GIF does not,
and Pillow's ``n_frames`` walks every frame to the end of the file (1.3 million frames
of a 29 MB GIF take seconds). Here a GIF is walked only until the cap is passed. An
MPO's extra pictures (a camera's second view) and a TIFF's further pages are not
animation: only the first picture is used, so they count as one frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from PIL import Image

FIRST_PICTURE_ONLY: Final = frozenset({"MPO", "TIFF"})


@dataclass(frozen=True)
class FrameCount:
    """``frames`` frames when ``complete``; otherwise at least that many (the count stopped)."""

    frames: int
    complete: bool = True

    def over(self, limit: int) -> bool:
        return self.frames > limit

    def describe(self) -> str:
        """'37 frames', or 'more than 100 frames' when the count stopped past the cap."""
        if self.complete:
            return f"{self.frames} frame" + ("" if self.frames == 1 else "s")
        return f"more than {self.frames - 1} frames"


def count_frames(picture: Image.Image, limit: int) -> FrameCount:
    """The frame count, reading at most ``limit + 1`` frame headers of a GIF; never decoding."""
    if picture.format in FIRST_PICTURE_ONLY:
        return FrameCount(1)
    if picture.format == "GIF":
        return _gif_frames(picture, limit)
    return FrameCount(int(getattr(picture, "n_frames", 1)))


def _gif_frames(picture: Image.Image, limit: int) -> FrameCount:
    # Pillow's GifImageFile._seek(frame, False) reads one frame's headers and skips its
    # data without decoding: the step its own n_frames and is_animated take. Only its
    # loop is replaced, by one that stops just past the cap.
    step = picture._seek  # type: ignore[attr-defined]
    seen = 1
    try:
        while seen <= limit:
            step(seen, False)
            seen += 1
    except EOFError:
        return FrameCount(seen)
    finally:
        picture.seek(0)
    return FrameCount(seen, complete=False)
