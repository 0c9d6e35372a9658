"""A PNG's metadata chunks after its image data, read without decoding a pixel.

PNG lets ``eXIf`` (and text chunks, which may hold XMP or ImageMagick's raw EXIF
profile) come before or after the image data. Pillow reads the ones before when it
opens the file and the ones after only once it has decoded the pixels, so a viewer
built on it turns a picture by a tag the header never showed. Here the chunks after
the first image-data chunk are walked, headers only, up to the end (or, for an
animation, up to the next frame, where Pillow stops for the first frame too), and
those that may carry an orientation are handed to Pillow's own chunk readers.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.images.structure import (
    MAX_PNG_COLOUR_PROFILES,
    PNG_SIGNATURE,
    png_chunks,
    too_many_colour_profiles,
)

if TYPE_CHECKING:
    from PIL import ImageFile, PngImagePlugin

# A PNG of 32 MiB written in libpng's 8 KiB data chunks has about 4,000 chunks.
MAX_CHUNKS: Final = 65_536
_METADATA: Final = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt"})
# The chunks the walk stops at, reads or counts, looked up as one set.
_NOTED: Final = _METADATA | {b"IEND", b"fcTL", b"iCCP"}
_HEADER: Final = struct.Struct(">I4s")
# The colour chunks written again with re-encoded pixels (reencode.py), each its length.
_COLOUR_LENGTHS: Final = {b"gAMA": 4, b"cHRM": 32, b"sRGB": 1}
_SRGB_GAMMA: Final = (45455).to_bytes(4, "big")


class TooManyChunks(ValueError):
    """The file has more chunks than any PNG an editor writes: not walked further."""


def metadata_after_pixels(picture: ImageFile.ImageFile, source: ImageSource) -> dict[Any, Any]:
    """The ``info`` entries that Pillow would add from chunks after the first image data.

    Raises ``TooManyChunks`` past ``MAX_CHUNKS``, and Pillow's own errors for a chunk it
    cannot read (a text chunk that decompresses past Pillow's limit, say).
    """
    from PIL import PngImagePlugin

    if not picture.tile:
        return {}
    data_start = picture.tile[0][2]  # the offset where the first IDAT chunk's data begins
    animated = bool(getattr(picture, "is_animated", False))
    reader: PngImagePlugin.PngStream | None = None
    position = data_start - _HEADER.size
    in_memory = source.data
    # The common case, a few operations a step: a chunk of neither kind noted (IDAT)
    # costs one set lookup. Bytes in memory are unpacked in place.
    unpack_from = _HEADER.unpack_from
    last = -1 if in_memory is None else len(in_memory) - _HEADER.size
    profiles = 0
    for _ in range(MAX_CHUNKS):
        # Cut short: whether that matters is the completeness check's call.
        if in_memory is not None:
            if position > last:
                break
            length, kind = unpack_from(in_memory, position)
        else:
            header = source.read_at(position, _HEADER.size)
            if len(header) < _HEADER.size:
                break
            length, kind = _HEADER.unpack(header)
        if kind in _NOTED:
            if kind == b"IEND" or (kind == b"fcTL" and animated):
                break
            if kind == b"iCCP":
                # Pillow decompresses each one it meets after the pixels as it decodes
                # them (thousands in a 30 MB file held a conversion thread 20 s).
                profiles += 1
                if profiles > MAX_PNG_COLOUR_PROFILES:
                    raise TooManyChunks(too_many_colour_profiles())
            if kind in _METADATA:
                stream = source.stream()
                stream.seek(position + _HEADER.size)
                reader = reader or PngImagePlugin.PngStream(stream)
                reader.fp = stream
                reader.call(kind, position + _HEADER.size, length)
        position += length + 12  # the header, the data and its CRC
    else:
        raise TooManyChunks(f"the PNG file has more than {MAX_CHUNKS} chunks")
    return {} if reader is None else reader.im_info


def colour_chunks(source: ImageSource) -> dict[bytes, bytes]:
    """A PNG's gAMA, cHRM and sRGB chunks' data as PNG readers apply them: the first of
    each, of its own length, before the palette and the image data. Pillow's ``info``
    holds the last one it met, wherever: libpng ignores a second one, or one after the
    palette or the pixels (a gAMA 1.0 after IDAT, ignored in the original, brightened the
    picture re-encoded). None with an iCCP chunk (it overrules them, or a profile libpng
    refuses voids them), nor where libpng voids them all: a second chunk of a kind, a gamma
    out of its range (gAMA 0 among them), an sRGB intent no reader knows.
    """
    found: dict[bytes, bytes] = {}
    chunks = png_chunks(source, len(PNG_SIGNATURE))
    for position, kind, length in itertools.islice(chunks, MAX_CHUNKS):
        if kind in (b"PLTE", b"IDAT", b"IEND"):
            break
        if kind == b"iCCP":
            return {}
        if _COLOUR_LENGTHS.get(kind) == length:
            data = source.read_at(position + _HEADER.size, length)
            # A cHRM holding a value over 2**31 - 1 libpng ignores as if absent ("invalid
            # values"): a later one is no duplicate but the first.
            if not (kind == b"cHRM" and any(data[at] >= 0x80 for at in range(0, len(data), 4))):
                if kind in found:
                    return {}
                found[kind] = data
    gamma = int.from_bytes(found.get(b"gAMA", _SRGB_GAMMA), "big")
    if found.get(b"sRGB", b"\0")[0] > 3 or not 16 <= gamma <= 625_000_000:
        return {}
    return found


def png_colour_chunks(colour: Mapping[bytes, bytes]) -> PngImagePlugin.PngInfo | None:
    """A PNG's own description of its colours without a profile (gAMA, cHRM, sRGB), to be
    written again with the pixels it describes: dropped, a picture of linear samples (gAMA
    1.0) scaled or turned looked far darker than the same file sent as it is. Values a
    PNG cannot hold (a hostile file's) are left out."""
    from PIL import PngImagePlugin

    chunks = PngImagePlugin.PngInfo()
    written = False
    gamma = colour.get(b"gAMA")
    if gamma is not None and 0 < struct.unpack(">I", gamma)[0] < 2**31:
        chunks.add(b"gAMA", gamma)
        written = True
    chromaticity = colour.get(b"cHRM")
    if chromaticity is not None and all(v < 2**31 for v in struct.unpack(">8I", chromaticity)):
        chunks.add(b"cHRM", chromaticity)
        written = True
    intent = colour.get(b"sRGB")
    if intent is not None:  # its intent known (colour_chunks)
        chunks.add(b"sRGB", intent)
        written = True
    return chunks if written else None
