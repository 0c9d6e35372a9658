"""Whether a PNG, JPEG or GIF to be sent as it is holds its whole picture: cut short (a
download or copy that stopped), or whole with data after its end.

Its end marker is looked for where the file's own structure puts it, not in its last
bytes: cameras and editors append data after the end (a phone's motion-photo clip after
a JPEG, notes after a PNG's IEND), and data inside a file can hold an end marker's bytes
(the EXIF thumbnail of a JPEG ends with one). A file that ends with its end marker is
taken at once; only one that does not is walked. Blocking (reads the file): call it
where the header is read.
"""

from __future__ import annotations

from typing import Final

from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.images.structure import (
    PNG_SIGNATURE,
    STANDALONE_MARKERS,
    gif_blocks,
    jpeg_head,
    next_jpeg_marker,
    png_chunks,
)

__all__ = ["missing_end"]

_PNG_END: Final = b"IEND\xaeB`\x82"
_IEND_CHUNK_BYTES: Final = 12  # length, type, no data, CRC
# As structure.py's bound for an animation: more chunks than any editor writes.
_MAX_PNG_CHUNKS: Final = 65_536
_EOI: Final = b"\xff\xd9"
# Segments between a progressive file's scans: its tables and scan headers (structure.py
# refuses more than 100 scans), comments. More than any encoder writes.
_MAX_SEGMENTS_BETWEEN_SCANS: Final = 1000
# Far past the frames a GIF may have (ImageLimits.max_frames); its extension blocks are
# capped by structure.py, which walks it first.
_MAX_GIF_FRAMES: Final = 10_000


def missing_end(source: ImageSource, slack_format: str) -> str | None:
    """Why ``source`` is cut short, and what to do; None when it holds its whole picture."""
    if slack_format == "PNG" and not _png_whole(source):
        return "the PNG file is cut short (no IEND end marker): send the complete file"
    if slack_format == "JPEG" and not _jpeg_whole(source):
        return "the JPEG file is cut short (no end-of-image marker): send the complete file"
    if slack_format == "GIF" and not _gif_whole(source):
        return "the GIF file is cut short (no trailer): send the complete file"
    return None


def _png_whole(source: ImageSource) -> bool:
    if source.tail(len(_PNG_END)) == _PNG_END:
        return True
    for count, (position, kind, _) in enumerate(png_chunks(source, len(PNG_SIGNATURE))):
        if kind == b"IEND":  # its data is empty: its header, then its CRC
            return position + _IEND_CHUNK_BYTES <= source.byte_count
        if count >= _MAX_PNG_CHUNKS:
            return True  # past the bound: structure.py refuses such files, Pillow the rest
    return False  # the file ends before its IEND chunk


def _jpeg_whole(source: ImageSource) -> bool:
    if source.tail(len(_EOI)) == _EOI:
        return True
    scan = _first_scan_data(source)
    if scan is None:
        return True  # no structure found to walk: left to Pillow and the checks after it
    if scan < 0:
        return False  # the file ends before its picture's data begins
    # Image data escapes every 0xFF it holds (0xFF 0x00, or a restart marker), so the
    # next other marker after it is a segment's (a progressive file's tables and scans,
    # a comment), stepped over whole: its bytes are not escaped and may hold 0xFF 0xD9.
    position = scan
    for _ in range(_MAX_SEGMENTS_BETWEEN_SCANS):
        marker = next_jpeg_marker(source, position)
        if marker is None:
            return False  # the file ends inside image data
        kind = source.read_at(marker + 1, 1)
        if kind == b"\xd9":
            return True
        if kind and kind[0] in STANDALONE_MARKERS:  # no length after it (TEM, SOI)
            position = marker + 2
            continue
        length = source.read_at(marker + 2, 2)
        if len(length) < 2:
            return False
        position = marker + 2 + int.from_bytes(length, "big")
    return True  # past the bound: left to Pillow's decoder


def _first_scan_data(source: ImageSource) -> int | None:
    """Where the first scan's data starts (after its SOS header); -1 if the file ends
    before it; None where no marker stands where one should (Pillow says what is wrong)."""
    head = jpeg_head(source)
    if head.file_ended:
        return -1
    if head.first_scan is None:
        return None
    length = source.read_at(head.first_scan + 2, 2)
    start = head.first_scan + 2 + int.from_bytes(length, "big")
    return start if len(length) == 2 and start <= source.byte_count else -1


def _gif_whole(source: ImageSource) -> bool:
    frames = 0
    for introducer, _ in gif_blocks(source):
        if introducer == b",":
            frames += 1
            if frames > _MAX_GIF_FRAMES:
                return True  # past the bound: the frame count refuses such files
        elif introducer != b"!":
            # The trailer, or bytes no GIF has there after whole blocks (Pillow stops at
            # them): whole; the file's end where a block should be: cut short.
            return introducer != b""
    return False
