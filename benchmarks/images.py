"""Deterministic images for the transport benchmark (sent byte for byte), made with Pillow.

Each image is a square canvas whose top rows are seeded noise and whose other rows
are flat grey: the noise keeps the encoder from shrinking the file, the flat part
lets a file of 100 KB still be at least 512x512 pixels (Slack's minimum). The number
of noisy rows is searched so the encoded file lands just above the target size.
All images are within 512..1024 pixels, so the plugin sends them byte for byte.
A 1024x1024 PNG of pure noise is about 3 MB, so a larger target (the 5 MB case) is
that image grown by a private chunk after its pixel data (``padded_png``): every
contender still sends every byte, and the server's parser reads them all.

Camera-like photos (which the plugin must scale down) are in photos.py.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
EXTENSIONS = {"PNG": "png", "JPEG": "jpg"}
JPEG_QUALITY = 95


@dataclass(frozen=True)
class ImageCase:
    """One benchmark image: its bytes, a copy on disk, and how the contenders pass it."""

    label: str  # e.g. "1 MB PNG"
    fmt: str  # "PNG" or "JPEG"
    side: int
    data: bytes
    path: Path

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.fmt]

    @property
    def filename(self) -> str:
        return self.path.name


def _encode(fmt: str, side: int, noisy_rows: int, seed: int) -> bytes:
    noise = random.Random(seed).randbytes(side * noisy_rows * 3)
    picture = Image.new("RGB", (side, side), (128, 128, 128))
    if noisy_rows:
        picture.paste(Image.frombytes("RGB", (side, noisy_rows), noise), (0, 0))
    buffer = io.BytesIO()
    if fmt == "JPEG":
        picture.save(buffer, format="JPEG", quality=JPEG_QUALITY, subsampling=0)
    else:
        picture.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def noise_image(fmt: str, target_bytes: int, side: int, seed: int = 6) -> bytes:
    """The smallest image of ``side``x``side`` with enough noisy rows to reach ``target_bytes``."""
    low, high = 0, side
    if len(_encode(fmt, side, side, seed)) < target_bytes:
        raise ValueError(f"a {side}x{side} {fmt} cannot reach {target_bytes} bytes")
    while low < high:
        middle = (low + high) // 2
        if len(_encode(fmt, side, middle, seed)) >= target_bytes:
            high = middle
        else:
            low = middle + 1
    return _encode(fmt, side, low, seed)


def padded_png(total_bytes: int, side: int = 600) -> bytes:
    """A valid PNG of ``side``x``side`` grown to ``total_bytes`` by a private chunk.

    The chunk ("bmKp", ancillary and private) goes after the pixel data, just before
    IEND: a decoder skips it, and an inspector that stops at the first IDAT never
    reads it, so the bulk of the file is what an upload streams.
    """
    return _grown_png(_encode("PNG", side, 0, seed=0), total_bytes)


def _grown_png(png: bytes, total_bytes: int) -> bytes:
    end = png.rindex(b"IEND") - 4  # the IEND chunk starts with its 4-byte length
    filler_len = total_bytes - len(png) - 12
    if filler_len < 0:
        raise ValueError(f"{total_bytes} bytes is smaller than the PNG")
    filler = random.Random(filler_len).randbytes(filler_len)  # incompressible, like pixels
    crc = zlib.crc32(filler, zlib.crc32(b"bmKp")) & 0xFFFFFFFF
    chunk = struct.pack(">I", filler_len) + b"bmKp" + filler + struct.pack(">I", crc)
    return png[:end] + chunk + png[end:]


def sized_image(fmt: str, target_bytes: int, side: int) -> bytes:
    """Noise rows up to what ``side`` holds, then (PNG only) a private chunk for the rest."""
    full = _encode(fmt, side, side, seed=6)
    if len(full) >= target_bytes:
        return noise_image(fmt, target_bytes, side)
    if fmt != "PNG":
        raise ValueError(f"a {side}x{side} {fmt} cannot reach {target_bytes} bytes")
    return _grown_png(full, target_bytes)


def make_case(folder: Path, label: str, fmt: str, target_bytes: int, side: int) -> ImageCase:
    """One image, written to ``folder`` too (contenders send it from a path or from bytes)."""
    data = sized_image(fmt, target_bytes, side)
    path = folder / f"bench-{label.replace(' ', '')}.{EXTENSIONS[fmt]}"
    path.write_bytes(data)
    return ImageCase(label, fmt, side, data, path)
