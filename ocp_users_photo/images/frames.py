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

from ocp_users_photo.images.source import ImageSource

if TYPE_CHECKING:
    from collections.abc import Iterator

    from PIL import Image

FIRST_PICTURE_ONLY: Final = frozenset({"MPO", "TIFF"})
# More boxes at one level than an AVIF writer puts there: the walk stops (plays once).
_MAX_BOXES: Final = 64
_INDEFINITE_32: Final = 2**32 - 1
_INDEFINITE_64: Final = 2**64 - 1


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


def avif_loops_forever(source: ImageSource) -> bool:
    """Whether an animated AVIF plays forever, as libavif (and so a browser) reads it: its
    first track's edit list repeats (``elst`` flag 1) over a track of indefinite duration,
    which Pillow's own writer (libavif's default) makes. Pillow says nothing of it: such
    an animation written as GIF without a loop count played once."""
    moov = _box(source, 0, source.byte_count, b"moov")
    trak = None if moov is None else _box(source, *moov, b"trak")
    if trak is None:
        return False
    tkhd = _box(source, *trak, b"tkhd")
    edts = _box(source, *trak, b"edts")
    elst = None if edts is None else _box(source, *edts, b"elst")
    if tkhd is None or elst is None:
        return False
    repeats = source.read_at(elst[0], 4)
    if len(repeats) < 4 or not repeats[3] & 1:
        return False
    version = source.read_at(tkhd[0], 1)
    if version == b"\x01":
        return source.read_at(tkhd[0] + 28, 8) == _INDEFINITE_64.to_bytes(8, "big")
    return version == b"\x00" and source.read_at(tkhd[0] + 20, 4) == _INDEFINITE_32.to_bytes(
        4, "big"
    )


def _box(source: ImageSource, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    """The content (start, end) of the first box of ``kind`` among those from ``start`` to
    ``end``; None when there is none within ``_MAX_BOXES``."""
    for found, content, content_end in _boxes(source, start, end):
        if found == kind:
            return content, content_end
    return None


def _boxes(source: ImageSource, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """Each box from ``start`` to ``end``: its type and its content's start and end."""
    position = start
    for _ in range(_MAX_BOXES):
        header = source.read_at(position, 16)
        if position + 8 > end or len(header) < 8:
            return
        size, kind = int.from_bytes(header[:4], "big"), header[4:8]
        content = position + 8
        if size == 1 and len(header) == 16:  # a 64-bit size follows the type
            size, content = int.from_bytes(header[8:16], "big"), position + 16
        elif size == 0:  # the box runs to the end
            size = end - position
        if size < content - position or position + size > end:
            return
        yield kind, content, position + size
        position += size
