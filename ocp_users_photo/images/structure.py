"""The parts of an image file that Pillow's parsers walk without a bound, counted first.

Pillow reads a file's structure in Python, one step per chunk, segment, frame or strip,
and keeps what it reads: a 32 MB JPEG of eight million empty APP segments took 24 s and
1.2 GB, a PNG of millions of empty chunks before its pixels 15 s (between an
animation's frames, 12.6 s), a TIFF listing four million strips of one small picture
44 s (tiff_structure.py), and a GIF whose second frame reaches far outside its
1100x1100 picture grew its canvas to 9000x9000 (1 GB) as it was decoded. A progressive
JPEG's decoding costs its scans times its blocks: thousands of tiny repeated scans took
seconds from 100 KB. No editor or camera writes any of these, so each is refused, from
the headers alone, before Pillow opens the file, in a bounded number of steps whatever
the file's size. An RLE-compressed BMP is honest but decoded in Python: one larger than
that decoder gets through in about a second is refused from its header, to be sent as
a PNG.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.images.tiff_structure import TIFF_HEADS, tiff_problem

# More than any editor or camera writes (a camera JPEG has ~20 segments before its
# image data; a PNG a handful of chunks before its pixels; libjpeg's progressive
# script has 10 scans), far less than what costs seconds.
MAX_JPEG_SEGMENTS: Final = 1000
MAX_JPEG_SCANS: Final = 100
# EXIF segments (APP1 "Exif\0\0"), which Pillow joins one to the next, a copy of all so
# far each time (512 of 64 KiB took 4 s): a camera writes one.
MAX_JPEG_EXIF_SEGMENTS: Final = 16
# Bytes between segments that start none (Pillow steps over them one at a time, as it
# does over an escaped 0xFF 0x00): a padding byte or two where an editor left them.
MAX_JPEG_JUNK_BYTES: Final = 64 * 1024
MAX_PNG_CHUNKS_BEFORE_PIXELS: Final = 4096
# Colour profiles (iCCP), each decompressed by Pillow up to about 1 MB (thousands took
# seconds before the pixels, 20 s after them): the PNG standard allows one.
MAX_PNG_COLOUR_PROFILES: Final = 4
# A GIF's extension blocks (a frame's timing and transparency, the loop count, comments,
# XMP): a few per frame. Empty comments of 3 bytes each are millions in 32 MB, each a
# step of Pillow's and of the walks here.
MAX_GIF_EXTENSIONS: Final = 4096
# Their sub-blocks in all, each kept by Pillow as an object of its own (a comment of 15
# million one-byte sub-blocks in 31 MB grew the process by 1.4 GB): a frame's timing is
# one, a loop count two, a comment one per 255 bytes, XMP some thousands.
MAX_GIF_EXTENSION_SUB_BLOCKS: Final = 100_000
# Sub-blocks in all, frames' data included, each a step of the walk here and of Pillow's
# reader (frames of one-byte sub-blocks, 16.7 million in 32 MB, took 6 s): an encoder
# writes 255 bytes a sub-block, ~130,000 in 32 MB.
MAX_GIF_SUB_BLOCKS: Final = 1_000_000
# What gif_blocks yields, last, for a GIF past those bounds.
OVER_SUB_BLOCKS: Final = b"!+"
OVER_ALL_SUB_BLOCKS: Final = b",+"
# An animated PNG's chunks in all (a frame's data comes in fdAT chunks of 8 KiB or more:
# a 32 MiB animation has ~4,000), counted only for animations, whose frames Pillow seeks
# chunk by chunk; a still PNG's chunks after its pixels are capped by png_metadata.py.
MAX_ANIMATED_PNG_CHUNKS: Final = 65_536
# An RLE-compressed BMP is decoded by Pillow in Python, a step per code and, at a row's
# early end, per pixel: 65535x762 pixels in 4 KB took 14 s and 275 MiB. Measured here
# (2 cores): the costliest codes decode 2 million pixels in ~0.6 s, 1 MiB of codes that
# draw nothing took ~1.2 s more; at these caps, the worst found (2048x1024 of row ends
# after 512 KiB of such codes) took 0.75 s in all. RLE bitmaps are palette pictures of
# flat colours: a few hundred KB.
MAX_BMP_RLE_PIXELS: Final = 2048 * 1024
MAX_BMP_RLE_BYTES: Final = 512 * 1024
_BMP_RLE: Final = {1: "RLE8", 2: "RLE4"}
# Pillow's BITMAPINFOHEADER and later (a 12-byte OS/2 header has no compression field).
_BMP_INFO_HEADERS: Final = frozenset({40, 52, 56, 64, 108, 124})
_SAVE_AGAIN: Final = "save it again with an image editor"

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_CHUNK_HEADER: Final = struct.Struct(">I4s")
_SOS: Final = b"\xff\xda"
_PROGRESSIVE_SOF: Final = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
# Markers with no length after them: TEM, RST0-7, SOI (EOI ends the walk).
_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD9)})
STANDALONE_MARKERS: Final = _STANDALONE
_COUNT_BLOCK: Final = 1024 * 1024
_FIRST_MARKER_BLOCK: Final = 16 * 1024
# 0xFF followed by what no image data escapes with (a stuffed 0x00, a restart marker, a
# fill 0xFF): a marker. The byte after it is looked at, not taken.
_JPEG_MARKER: Final = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")
# Segments walked from a progressive JPEG's first scan to its end: its scans (at most
# MAX_JPEG_SCANS), their tables, comments. More than any encoder writes.
_MAX_SEGMENTS_AFTER_FIRST_SCAN: Final = 1000
_SUB_BLOCK_READ: Final = 64 * 1024


def structure_problem(source: ImageSource, max_frames: int) -> str | None:
    """Why the file's structure is one no encoder writes (or Pillow decodes too slowly), and
    what to do, or None.

    PNG, JPEG, GIF and TIFF (classic and BigTIFF: tiff_structure.py) are walked, a BMP's
    header read; other formats, and files cut short, are left to Pillow and the checks
    after it. Blocking (reads the file): call it where the header is read.
    """
    head = source.read_at(0, 8)
    problem: str | None = None
    if head.startswith(PNG_SIGNATURE):
        problem = _png_problem(source, max_frames)
    elif head.startswith(b"\xff\xd8\xff"):
        problem = _jpeg_problem(source)
    elif head.startswith((b"GIF87a", b"GIF89a")):
        problem = _gif_problem(source, max_frames)
    elif head.startswith(TIFF_HEADS):
        problem = tiff_problem(source)
    elif head.startswith(b"BM"):
        return _bmp_problem(source)
    return None if problem is None else f"{problem}: {_SAVE_AGAIN}"


def _png_problem(source: ImageSource, max_frames: int) -> str | None:
    animated = False
    declared = 0  # the frames its acTL chunk says
    first_is_frame = False  # a frame control before the image data: it is the first frame
    profiles = 0
    for count, (position, kind, _) in enumerate(png_chunks(source, len(PNG_SIGNATURE))):
        if kind == b"IEND":
            return None
        if kind == b"IDAT":
            if not animated:
                return None
            return _animation_problem(source, position, declared, first_is_frame, max_frames)
        if count >= MAX_PNG_CHUNKS_BEFORE_PIXELS:
            return (
                f"the PNG has more than {MAX_PNG_CHUNKS_BEFORE_PIXELS} chunks before its "
                "pixels, which no editor writes"
            )
        if kind == b"iCCP":
            profiles += 1
            if profiles > MAX_PNG_COLOUR_PROFILES:
                return too_many_colour_profiles()
        if kind == b"acTL" and not animated:
            animated = True
            declared = int.from_bytes(source.read_at(position + _CHUNK_HEADER.size, 4), "big")
        first_is_frame = first_is_frame or kind == b"fcTL"
    return None


def too_many_colour_profiles() -> str:
    return (
        f"the PNG has more than {MAX_PNG_COLOUR_PROFILES} colour profiles (iCCP chunks; "
        "the PNG standard allows one), which no editor writes"
    )


def _animation_problem(
    source: ImageSource, position: int, declared: int, first_is_frame: bool, max_frames: int
) -> str | None:
    """An animated PNG's chunks from its first image data to its end, counted up to the
    cap, and its frames with data (a frame control then data) against those ``declared``:
    one that ends before them (an IEND before a frame's fdAT) Pillow counts as whole,
    and it went to Slack said to have frames it does not hold."""
    frames = 0
    pending = first_is_frame  # a frame control whose data is yet to come
    for count, (_, kind, _) in enumerate(png_chunks(source, position)):
        if kind == b"fcTL":
            pending = True
        elif pending and kind in (b"IDAT", b"fdAT"):
            frames, pending = frames + 1, False
        if kind == b"IEND":
            if frames < declared <= max_frames:  # past the cap: the frame count says so
                return f"the animated PNG ends after {frames} of the {declared} frames it declares"
            return None
        if count >= MAX_ANIMATED_PNG_CHUNKS:
            return (
                f"the animated PNG has more than {MAX_ANIMATED_PNG_CHUNKS} chunks, which no "
                "editor writes"
            )
    return None


def png_chunks(source: ImageSource, position: int) -> Iterator[tuple[int, bytes, int]]:
    """(position, type, data length) of each chunk from ``position`` on, headers only, to
    the file's end."""
    while True:
        header = source.read_at(position, _CHUNK_HEADER.size)
        if len(header) < _CHUNK_HEADER.size:
            return
        length, kind = _CHUNK_HEADER.unpack(header)
        yield position, kind, length
        position += _CHUNK_HEADER.size + length + 4  # the chunk's data, then its CRC


def _bmp_problem(source: ImageSource) -> str | None:
    """An RLE bitmap over what Pillow's Python decoder gets through in about a second."""
    header = source.read_at(14, 20)
    if len(header) < 20:
        return None
    size, width, height, _, _, compression = struct.unpack("<IIIHHI", header)
    if size not in _BMP_INFO_HEADERS or compression not in _BMP_RLE:
        return None
    if header[11] == 0xFF:  # a top-down bitmap: its height is negative, read as Pillow does
        height = 2**32 - height
    if width * height <= MAX_BMP_RLE_PIXELS and source.byte_count <= MAX_BMP_RLE_BYTES:
        return None
    return (
        f"the BMP is {_BMP_RLE[compression]}-compressed, {width}x{height} pixels in "
        f"{source.byte_count} bytes, and such bitmaps are decoded slowly: this tool takes "
        f"them up to {MAX_BMP_RLE_PIXELS} pixels and {MAX_BMP_RLE_BYTES} bytes: save it as "
        "a PNG"
    )


@dataclass(frozen=True)
class JpegHead:
    """What a JPEG's segments before its image data say: where its first scan's marker
    stands (None when none was found), whether it is progressive, and whether the walk
    met the end of the file or the segment cap first."""

    first_scan: int | None
    progressive: bool = False
    file_ended: bool = False
    too_many_segments: bool = False
    exif_segments: int = 0
    too_much_junk: bool = False  # more than MAX_JPEG_JUNK_BYTES between its segments


def jpeg_head(source: ImageSource) -> JpegHead:
    """The JPEG's segments walked from its start to its first scan (SOS), at most
    MAX_JPEG_SEGMENTS of them; a place where no marker stands ends the walk (Pillow then
    says what is wrong)."""
    position = 2
    progressive = False
    exif = junk = 0
    for _ in range(MAX_JPEG_SEGMENTS):
        marker = source.read_at(position, 10)
        if len(marker) >= 1 and marker[0] != 0xFF:
            # Junk where a marker should stand: Pillow steps over it to the next 0xFF and
            # reads on (the segments after it count as any others), one byte a step.
            skipped = _to_next_ff(source, position, MAX_JPEG_JUNK_BYTES - junk + 1)
            junk += skipped
            if junk > MAX_JPEG_JUNK_BYTES:
                return JpegHead(None, progressive, exif_segments=exif, too_much_junk=True)
            position += skipped
            continue
        if len(marker) < 2:
            return JpegHead(None, progressive, file_ended=True, exif_segments=exif)
        kind = marker[1]
        if kind == 0xFF:  # a fill byte before the marker
            position += 1
            continue
        if kind == 0x00:  # an escaped 0xFF, which Pillow steps over
            position += 2
            continue
        if kind in _STANDALONE:
            position += 2
            continue
        if kind == 0xDA:  # the first scan: the rest is image data
            return JpegHead(position, progressive, file_ended=len(marker) < 4, exif_segments=exif)
        if kind == 0xD9 or len(marker) < 4:
            return JpegHead(None, progressive, file_ended=len(marker) < 4, exif_segments=exif)
        progressive = progressive or kind in _PROGRESSIVE_SOF
        exif += kind == 0xE1 and marker[4:10] == b"Exif\0\0"
        position += 2 + int.from_bytes(marker[2:4], "big")
    return JpegHead(None, progressive, too_many_segments=True, exif_segments=exif)


def _to_next_ff(source: ImageSource, position: int, most: int) -> int:
    """How many bytes from ``position`` stand before the next 0xFF (or the file's end),
    looked at no further than ``most``: searched in C, a block at a time."""
    searched = 0
    while searched < most:
        block = source.read_at(position + searched, min(_COUNT_BLOCK, most - searched))
        if not block:
            return searched
        found = block.find(b"\xff")
        if found >= 0:
            return searched + found
        searched += len(block)
    return searched


def _jpeg_problem(source: ImageSource) -> str | None:
    head = jpeg_head(source)
    if head.too_many_segments:
        return (
            f"the JPEG has more than {MAX_JPEG_SEGMENTS} segments before its image data, "
            "which no camera or editor writes"
        )
    if head.too_much_junk:
        return (
            f"the JPEG has more than {MAX_JPEG_JUNK_BYTES} bytes between its segments that "
            "belong to none, which no camera or editor writes"
        )
    if head.exif_segments > MAX_JPEG_EXIF_SEGMENTS:
        return (
            f"the JPEG has {head.exif_segments} EXIF segments (a camera writes one; this tool "
            f"reads at most {MAX_JPEG_EXIF_SEGMENTS})"
        )
    if head.first_scan is not None and head.progressive:
        return _scans_problem(source, head.first_scan)
    return None


def next_jpeg_marker(source: ImageSource, position: int) -> int | None:
    """Where the next marker from ``position`` on stands (0xFF then a byte that is no 0x00,
    restart marker or fill 0xFF); None if the file ends first. Searched in C: a run of
    escapes (31 MB of 0xFF fill) took a Python step per byte, 7 s."""
    if source.data is not None:  # searched in place: no copy of what lies between
        found = _JPEG_MARKER.search(source.data, position)
        return None if found is None else found.start()
    block_size = _FIRST_MARKER_BLOCK  # a segment's marker is near; a scan's, farther
    while position < source.byte_count:
        block = source.read_at(position, block_size + 1)  # one byte over: a marker split
        found = _JPEG_MARKER.search(block)
        if found is not None:
            return position + found.start()
        if len(block) <= block_size:
            return None
        position += block_size
        block_size = min(block_size * 4, _COUNT_BLOCK)
    return None


def _scans_problem(source: ImageSource, first_scan: int) -> str | None:
    """A progressive JPEG's scans, up to its picture's end (EOI): what follows it (a phone's
    motion-photo clip) is no scan, though its bytes hold 0xFF 0xDA about every 64 KiB.
    Walked marker by marker (image data escapes every 0xFF it holds; a segment, its
    length given, is stepped over whole); past the bound on segments, the rest of the file
    is counted as scans wherever 0xFF 0xDA stands."""
    scans = 0
    position = first_scan
    for _ in range(_MAX_SEGMENTS_AFTER_FIRST_SCAN):
        marker = next_jpeg_marker(source, position)
        kind = source.read_at(marker + 1, 1) if marker is not None else b""
        if marker is None or kind in (b"", b"\xd9"):
            return None if scans <= MAX_JPEG_SCANS else _too_many_scans()
        if kind[0] in _STANDALONE:  # no length after it (TEM, SOI): libjpeg goes on at once
            position = marker + 2
            continue
        if kind == b"\xda":
            scans += 1
            if scans > MAX_JPEG_SCANS:
                return _too_many_scans()
        length = source.read_at(marker + 2, 2)
        if len(length) < 2:
            return None
        position = marker + 2 + int.from_bytes(length, "big")
    return _counted_scans_problem(source, position, scans)


def _too_many_scans() -> str:
    return (
        f"the progressive JPEG has more than {MAX_JPEG_SCANS} scans (encoders write about "
        "10), which would take long to decode"
    )


def _counted_scans_problem(source: ImageSource, position: int, scans: int) -> str | None:
    """The scans from ``position`` to the file's end, counted by their markers."""
    while scans <= MAX_JPEG_SCANS:
        # One byte back, so a marker split between two blocks is still seen.
        block = source.read_at(position, _COUNT_BLOCK)
        if len(block) < 2:
            break
        scans += block.count(_SOS)
        position += len(block) - 1
        if len(block) < _COUNT_BLOCK:
            break
    return None if scans <= MAX_JPEG_SCANS else _too_many_scans()


def _gif_problem(source: ImageSource, max_frames: int) -> str | None:
    screen = source.read_at(6, 4)
    if len(screen) < 4:
        return None
    width, height = struct.unpack("<HH", screen)
    frames = extensions = 0
    most_extensions = MAX_GIF_EXTENSIONS + 2 * max_frames  # two a frame, and some
    for introducer, descriptor in gif_blocks(source):
        if introducer == OVER_SUB_BLOCKS:
            return (
                f"the GIF's extension blocks hold more than {MAX_GIF_EXTENSION_SUB_BLOCKS} "
                "sub-blocks, which no editor writes"
            )
        if introducer == OVER_ALL_SUB_BLOCKS:
            return (
                f"the GIF holds more than {MAX_GIF_SUB_BLOCKS} sub-blocks (encoders write "
                "255 bytes in each), which would take long to read"
            )
        if introducer == b"!":
            extensions += 1
            if extensions > most_extensions:
                return (
                    f"the GIF has more than {most_extensions} extension blocks, which no "
                    "editor writes"
                )
            continue
        if introducer != b",":
            return None  # the trailer, the end of the file, or what Pillow will refuse
        left, top, frame_width, frame_height, _ = struct.unpack("<HHHHB", descriptor)
        if left + frame_width > width or top + frame_height > height:
            return (
                f"the GIF has a frame of {frame_width}x{frame_height} at ({left}, {top}) "
                f"that reaches outside its {width}x{height} picture, which no editor writes"
            )
        frames += 1
        if frames > max_frames:
            return None  # past the frame cap: the frame count says so
    return None


def gif_blocks(source: ImageSource) -> Iterator[tuple[bytes, bytes]]:
    """(introducer, descriptor) of each block of a GIF, walked from after its screen and
    colour table: b"!" for an extension (descriptor: its label and, at most, the next
    17 bytes: an application extension's name and first sub-block, ``gif_loop``'s), b","
    for a picture (its 9-byte descriptor), each whole; then, last, what stands where the
    next block should: b";" (the trailer), b"" (the file's end, or a block it cuts short)
    or a byte no GIF has there (Pillow stops at it); or OVER_SUB_BLOCKS, where the
    extensions' sub-blocks pass MAX_GIF_EXTENSION_SUB_BLOCKS, OVER_ALL_SUB_BLOCKS where
    all pass MAX_GIF_SUB_BLOCKS (the walk goes no further)."""
    screen = source.read_at(6, 7)
    if len(screen) < 7:
        yield b"", b""
        return
    flags = screen[4]
    position = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    sub_blocks_left = MAX_GIF_EXTENSION_SUB_BLOCKS
    all_left = MAX_GIF_SUB_BLOCKS
    while True:
        introducer = source.read_at(position, 1)
        descriptor = b""
        if introducer == b"!":  # an extension: its label, then its sub-blocks
            descriptor = source.read_at(position + 1, _GIF_LOOP_BYTES)
            most = min(sub_blocks_left, all_left)
            position, counted = _sub_blocks_end(source, position + 2, most)
            sub_blocks_left -= counted
            all_left -= counted
            if sub_blocks_left < 0:
                yield OVER_SUB_BLOCKS, b""
                return
        elif introducer == b",":
            descriptor = source.read_at(position + 1, 9)
            if len(descriptor) < 9:
                yield b"", b""
                return
            position += 10
            if descriptor[8] & 0x80:  # a local colour table
                position += 3 << ((descriptor[8] & 7) + 1)
            # Past the LZW code size.
            position, counted = _sub_blocks_end(source, position + 1, all_left)
            all_left -= counted
        else:
            yield introducer, b""
            return
        if all_left < 0:
            yield OVER_ALL_SUB_BLOCKS, b""
            return
        if position < 0:
            yield b"", b""
            return
        yield introducer, descriptor


# An application extension's label, its name's sub-block (11 bytes) and a loop count's
# (3 bytes: 1, then the count).
_GIF_LOOP_BYTES: Final = 18
_NETSCAPE_LOOP: Final = b"\xff\x0bNETSCAPE2.0\x03\x01"


def gif_loop(source: ImageSource) -> int | None:
    """A GIF's NETSCAPE loop count (0: forever) wherever it stands, as browsers read it;
    None where it has none (it plays once). Pillow reads it only before the first
    picture: one after it, scaled, went out without it and played once."""
    for introducer, descriptor in gif_blocks(source):
        if introducer == b"!":
            if descriptor.startswith(_NETSCAPE_LOOP) and len(descriptor) == _GIF_LOOP_BYTES:
                # The two bytes after the sub-block's 1 (the last is its terminator's).
                count = descriptor[len(_NETSCAPE_LOOP) : len(_NETSCAPE_LOOP) + 2]
                return int.from_bytes(count, "little")
        elif introducer != b",":
            return None
    return None


def _sub_blocks_end(source: ImageSource, position: int, most: int | None) -> tuple[int, int]:
    """The position after a chain of sub-blocks starting at ``position`` (-1 if cut short),
    and how many it stepped over: at most ``most`` + 1 (the walk stops there, its position
    then -1), when ``most`` is given. Read a block at a time: a frame's data is a
    sub-block per 255 bytes."""
    block_start, block = position, b""
    counted = 0
    while True:
        offset = position - block_start
        if offset >= len(block):
            block_start, block = position, source.read_at(position, _SUB_BLOCK_READ)
            offset = 0
            if not block:
                return -1, counted
        size = block[offset]
        if size == 0:
            return position + 1, counted
        counted += 1
        if most is not None and counted > most:
            return -1, counted
        position += 1 + size
