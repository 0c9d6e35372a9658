"""Is this the start of an image? Decided from the first bytes, never from Content-Type.

The signatures are those of the formats an image check may accept (PNG, JPEG, GIF,
WEBP, BMP, TIFF, AVIF/HEIF); whether the format is then accepted, and whether the
whole file is sound, is for the image checks that get the bytes. Recognising the
start early lets a fetch stop reading an HTML page after its first bytes.
"""

from __future__ import annotations

from typing import Final

from ocp_users_photo.images.tiff_structure import TIFF_HEADS

__all__ = ["SNIFF_BYTES", "describe_non_image", "sniff_image_type"]

# Enough for every signature below (ISO BMFF's brand ends at byte 12).
SNIFF_BYTES: Final = 16

_PREFIXES: Final = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    *((head, "image/tiff") for head in TIFF_HEADS),
    (b"BM", "image/bmp"),
)
_BMFF_BRANDS: Final = {
    b"avif": "image/avif",
    b"avis": "image/avif",
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"heim": "image/heic",
    b"heis": "image/heic",
    # HEVC image sequences: an iPhone's bursts and Live Photos' stills are filed so.
    b"hevc": "image/heic",
    b"hevx": "image/heic",
    b"hevm": "image/heic",
    b"hevs": "image/heic",
    b"mif1": "image/heif",
    b"msf1": "image/heif",
}


def sniff_image_type(head: bytes) -> str | None:
    """The image media type the bytes start with, or None when they start no image."""
    for prefix, media_type in _PREFIXES:
        if head.startswith(prefix):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return _BMFF_BRANDS.get(head[8:12])
    return None


def describe_non_image(head: bytes) -> str:
    """A few words on what a non-image body looks like, for the refusal's message."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        return "an empty body"
    if text.startswith(b"<"):
        return "an HTML or XML page (SVG images are not accepted either)"
    if text[:1] in (b"{", b"["):
        return "JSON"
    return "data in no image format"
