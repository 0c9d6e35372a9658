"""The pixel modes re-encoding works in, and the colour profile that may go with them.

Pillow decodes many modes; resizing and the three writers take a few. Grey of more
than 8 bits keeps its range: kept 16-bit where PNG writes it, scaled (never clipped:
Pillow's own conversion turns everything over 255 white) where 8 bits are written.
Floating-point grey (a TIFF's float samples) is read as 0.0 black to 1.0 white, as the
programs that write it mean it (Pillow's own conversion rounds 0.0-1.0 to black). A
colour profile goes out only when it describes the pixels written: a CMYK profile on
RGB pixels makes a colour-managed viewer misread every colour.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from PIL import Image

# Grey of more than 8 bits as Pillow decodes it (TIFF's big-endian 16-bit, 32-bit 'I').
WIDE_GREY: Final = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})
_KEPT: Final = frozenset({"RGB", "RGBA", "L", "LA", "I;16"})
# An ICC profile's colour space (bytes 16-20 of its header) for each mode written.
_PROFILE_SPACE: Final = {
    "RGB": b"RGB ",
    "RGBA": b"RGB ",
    "L": b"GRAY",
    "LA": b"GRAY",
    "I;16": b"GRAY",
}


def resampleable(picture: Image.Image) -> Image.Image:
    """A mode that resizes smoothly and that PNG, JPEG and GIF can all write (or I;16)."""
    keyed = "transparency" in picture.info  # a colour key: made an alpha channel
    if picture.mode == "F":
        return float_grey(picture)
    if picture.mode in WIDE_GREY and not keyed:
        # Values past 16 bits (a 32-bit 'I') are clipped to 65535, 16-bit ones kept.
        return picture if picture.mode == "I;16" else picture.convert("I").convert("I;16")
    if picture.mode in _KEPT and not keyed:
        return picture
    if picture.mode == "CMYK":
        return cmyk_as_srgb(picture)
    if picture.mode in WIDE_GREY:
        return eight_bit_grey(picture).convert("LA")
    if "A" in picture.getbands() or keyed:
        return picture.convert("LA" if picture.mode in ("1", "L") else "RGBA")
    return picture.convert("RGB")


def cmyk_as_srgb(picture: Image.Image) -> Image.Image:
    """CMYK as sRGB through its own profile, as a colour-managed viewer (and Slack, for the
    file sent as it is) shows it: Pillow's conversion ignores the profile and turns a press
    cyan, (0, 174, 240) in sRGB, into (0, 255, 255). Without a usable CMYK profile, or
    without colour management, Pillow's conversion. The result carries no profile: sRGB
    is assumed."""
    profile = picture.info.get("icc_profile")
    if isinstance(profile, bytes) and profile[16:20] == b"CMYK":
        converted = _as_srgb_through(picture, profile)
        if converted is not None:
            return converted
    return picture.convert("RGB")


def grey_as_srgb(picture: Image.Image) -> Image.Image:
    """Grey (L or LA) with a grey profile as sRGB colour (RGB or RGBA) through that profile,
    as a colour-managed viewer shows it: Pillow's conversion keeps the grey profile on the
    RGB pixels, which no viewer applies (PNG forbids it there, a JPEG rendition dropped it),
    so a linear grey's mid-tone, 188 on screen, came out 128. As it is without a usable grey
    profile, or without colour management."""
    profile = matching_profile(picture.info.get("icc_profile"), picture.mode)
    if profile is None or picture.mode not in ("L", "LA"):
        return picture
    converted = _as_srgb_through(picture.getchannel("L"), profile)
    if converted is None:
        return picture
    if picture.mode == "LA":
        converted.putalpha(picture.getchannel("A"))
    return converted


def _as_srgb_through(picture: Image.Image, profile: bytes) -> Image.Image | None:
    """``picture`` (CMYK or L) as sRGB through ``profile``; None without colour management,
    or where it refuses the profile (a hostile file's)."""
    try:
        from PIL import ImageCms
    except ImportError:
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        srgb = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(picture, source, srgb, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def float_grey(picture: Image.Image) -> Image.Image:
    """Float grey, 0.0 to 1.0, as 16-bit grey; values outside that range are clipped (in
    floating point: converted first, one far over 1 would wrap round to black)."""
    from PIL import ImageMath

    clipped: Image.Image = ImageMath.lambda_eval(
        lambda names: names["min"](names["max"](names["a"] * 65535, 0), 65535), a=picture
    )
    return clipped.convert("I").convert("I;16")


def eight_bit_grey(picture: Image.Image) -> Image.Image:
    """Grey of more than 8 bits, scaled to 8 (65535 to 255), its colour key kept."""
    from PIL import Image

    scaled = _eight_bits(picture.convert("I"))
    key = picture.info.get("transparency")
    if isinstance(key, int):
        # Scaled as the pixels are (truncated, not rounded), so the keyed pixels keep it.
        scaled.info["transparency"] = _eight_bits(Image.new("I", (1, 1), key)).getpixel((0, 0))
    return scaled


def _eight_bits(picture: Image.Image) -> Image.Image:
    """'I' grey scaled from 16 bits to 8 (65535 to 255), as 'L'."""
    return picture.point(lambda value: value / 257).convert("L")


def matching_profile(profile: object, mode: str) -> bytes | None:
    """``profile`` when it is an ICC profile for ``mode``'s colour space, else None."""
    if not isinstance(profile, bytes) or len(profile) < 20:
        return None
    return profile if profile[16:20] == _PROFILE_SPACE.get(mode) else None


def to_srgb(picture: Image.Image, profile: bytes, transforms: dict[str, object]) -> Image.Image:
    """``picture`` (RGB or RGBA) converted from ``profile``'s space to sRGB; as it is when
    the profile cannot be read or Pillow has no colour management (its pixels were taken
    as sRGB before, and still are). ``transforms`` keeps the transform built for each mode,
    so an animation's frames share one (the caller's, dropped with it: a profile may be
    megabytes)."""
    try:
        from PIL import ImageCms
    except ImportError:
        return picture
    try:
        transform = transforms.get(picture.mode)
        if transform is None:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            srgb = ImageCms.createProfile("sRGB")
            transform = ImageCms.buildTransform(source, srgb, picture.mode, picture.mode)
            transforms[picture.mode] = transform
        assert isinstance(transform, ImageCms.ImageCmsTransform)
        converted = ImageCms.applyTransform(picture, transform)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):  # PyCMSError: no OSError
        return picture
    return picture if converted is None else converted
