"""Hostile and unusual image files, built byte by byte where Pillow would not write them.

Shared by the image tests and the corpus: GIFs with very many tiny frames, files in
formats the tool must not decode (EPS, PSD, FITS), and pictures whose EXIF
orientation turns them, in every format that can carry one.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any, Final

from PIL import Image

ORIENTATION: Final = 0x0112

# One 1x1 frame of colour index 0, LZW minimum code size 2: clear, 0, end of information.
_ONE_PIXEL_LZW: Final = b"\x02\x02\x44\x01\x00"


def gif_of_tiny_frames(canvas: tuple[int, int], frames: int) -> bytes:
    """A GIF whose ``frames`` frames are each one pixel, on a ``canvas``-sized logical screen.

    Each frame costs 23 bytes, so 237 frames on 1025x1025 make a 5.5 KB file and 1.3
    million frames a 29 MB one; decoding it means ``frames`` full canvases.
    """
    width, height = canvas
    parts = [
        b"GIF89a",
        struct.pack("<HHBBB", width, height, 0x80, 0, 0),  # a global table of 2 colours
        b"\x00\x00\x00\xff\xff\xff",
        b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00",  # loop for ever
    ]
    # Graphic control (20 ms, keep the canvas), then a 1x1 frame at the top-left corner.
    frame = b"!\xf9\x04\x04\x02\x00\x00\x00" + b"," + struct.pack("<HHHH", 0, 0, 1, 1)
    parts.append((frame + b"\x00" + _ONE_PIXEL_LZW) * frames)
    parts.append(b";")
    return b"".join(parts)


def eps_drawing(side: int = 600) -> bytes:
    """An Encapsulated PostScript file: Pillow hands these to Ghostscript to decode."""
    return (
        "%!PS-Adobe-3.0 EPSF-3.0\n"
        f"%%BoundingBox: 0 0 {side} {side}\n"
        "%%EndComments\n"
        f"newpath 0 0 moveto {side} 0 lineto {side} {side} lineto closepath fill\n"
        "showpage\n%%EOF\n"
    ).encode("ascii")


def psd_header(side: int = 600) -> bytes:
    """The start of a Photoshop file (version 1, RGB, 8 bits, no layers, raw data)."""
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, side, side, 8, 3)
    sections = struct.pack(">III", 0, 0, 0)  # colour mode data, resources, layers: empty
    return header + sections + struct.pack(">H", 0) + b"\x80" * (3 * side * side)


def fits_image(side: int = 600) -> bytes:
    """A FITS file (astronomy): 8-bit, ``side`` x ``side``."""
    cards = [
        "SIMPLE  =                    T",
        "BITPIX  =                    8",
        "NAXIS   =                    2",
        f"NAXIS1  = {side:>20}",
        f"NAXIS2  = {side:>20}",
        "END",
    ]
    header = "".join(card.ljust(80) for card in cards).ljust(2880).encode("ascii")
    data = b"\x80" * (side * side)
    return header + data + b"\0" * (-len(data) % 2880)


def quarters(size: tuple[int, int] = (800, 600)) -> Image.Image:
    """Red, with a blue top-right quarter: any turn or mirror shows in where the blue is."""
    width, height = size
    picture = Image.new("RGB", size, (200, 40, 40))
    picture.paste((20, 40, 220), (width // 2, 0, width, height // 2))
    return picture


def exif_with_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return exif.tobytes()


def oriented(fmt: str, orientation: int = 6, size: tuple[int, int] = (800, 600)) -> bytes:
    """``quarters`` stored as ``fmt`` with an EXIF orientation (6: turned 90 degrees clockwise)."""
    buffer = io.BytesIO()
    options: dict[str, Any] = {"exif": exif_with_orientation(orientation)}
    if fmt in ("JPEG", "WEBP", "AVIF"):
        options["quality"] = 95
    if fmt == "WEBP":
        options["lossless"] = True
    quarters(size).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def png_with_late_exif(orientation: int = 6, size: tuple[int, int] = (800, 600)) -> bytes:
    """A PNG whose eXIf chunk comes after the image data, just before IEND (PNG allows both)."""
    buffer = io.BytesIO()
    quarters(size).save(buffer, format="PNG")
    plain = buffer.getvalue()
    end = plain.rindex(b"IEND") - 4
    late = png_chunk(b"eXIf", exif_with_orientation(orientation)[6:])  # without "Exif\0\0"
    return plain[:end] + late + plain[end:]
