"""A TIFF's first directory, read for what Pillow would pay for before decoding a pixel.

Pillow loads every entry of a TIFF's first directory (IFD), one Python step each (a
BigTIFF may list millions: 1.5 million took 3.9 s), then builds a tile entry per strip
or tile it lists (four million strips of one 1024x1024 picture: 44 s, 1.4 GB). Both
are counted here from the directory alone, in classic TIFF ('II*', 'MM*': 12-byte
entries, 4-byte counts) and BigTIFF ('II+', 'MM+': 20-byte entries, 8-byte counts).
Only the first directory: Pillow opens only the first page, and frames.py never walks
the others (a TIFF is one frame here).

Pillow keeps the first copy of a tag it can read, skips one it cannot, and uses the
strips when strips and tiles are both listed. Rather than follow those rules, every
copy is counted, strips and tiles both, against the fewest pieces the picture could
need by any copy of its size tags: a file that lists each tag once (what encoders
write) is judged exactly, and no choice of copies lets more pieces through.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from ocp_users_photo.images.source import ImageSource

# A TIFF's strips or tiles beyond what its size needs make Pillow build and decode a tile
# entry each; 262,144 is more than a legitimate picture within the pixel caps lists.
MAX_TIFF_PIECES: Final = 262_144
# Entries in the first directory: encoders write a few dozen (one per tag); a classic
# TIFF cannot list more than 65,535, a BigTIFF can list billions.
MAX_TIFF_ENTRIES: Final = 4096
# Numbers the directory's entries list in all, but the strips' and tiles' own (counted
# above): Pillow makes a Python object of each (a resolution of 3.9 million fractions
# took 8.6 s and 630 MB). The largest list of baseline TIFF, a 16-bit colour map, holds
# 196,608; a camera's EXIF a few hundred.
MAX_TIFF_NUMBERS: Final = 262_144

_IMAGE_WIDTH, _IMAGE_LENGTH, _SAMPLES, _ROWS_PER_STRIP = 256, 257, 277, 278
_STRIP_OFFSETS, _PLANAR, _TILE_WIDTH, _TILE_LENGTH, _TILE_OFFSETS = 273, 284, 322, 323, 324
_PIECE_LISTS: Final = frozenset({_STRIP_OFFSETS, 279, _TILE_OFFSETS, 325})  # and byte counts
# Entry types Pillow reads as numbers, one object each, and each number's bytes (BYTE,
# ASCII and UNDEFINED become one bytes or str object): SHORT, LONG, RATIONAL, SBYTE,
# SSHORT, SLONG, SRATIONAL, FLOAT, DOUBLE, IFD, LONG8, SLONG8, IFD8.
_NUMBER_SIZES: Final = {
    3: 2,
    4: 4,
    5: 8,
    6: 1,
    8: 2,
    9: 4,
    10: 8,
    11: 4,
    12: 8,
    13: 4,
    16: 8,
    17: 8,
    18: 8,
}
_NUMBER_TYPES: Final = frozenset(_NUMBER_SIZES)
# An EXIF block's TIFF header as Pillow takes it: either byte order, either of the two
# orders of the magic number's bytes (it reads "II\0*" too, and "MM\0+" as classic);
# its own "Exif\0\0" prefix, once or twice (a PNG's eXIf written with one gets a second
# as Pillow reads it).
_EXIF_PREFIX: Final = re.compile(rb"^(?:Exif\x00\x00){1,2}")
_EXIF_HEADS: Final = (b"II*\0", b"II\0*", b"MM\0*", b"MM*\0", b"MM\0+")
# Every head Pillow's TIFF reader opens: the classic ones above (written "II*\0" and
# "MM\0*"; the others are taken too) and BigTIFF's "II+\0". A head the walk did not know
# left a file's strips uncounted.
TIFF_HEADS: Final = (*_EXIF_HEADS, b"II+\0")
# Entry types whose first value is read: SHORT, LONG, LONG8 (BigTIFF).
_VALUE_FORMATS: Final = {3: "H", 4: "L", 16: "Q"}


@dataclass(frozen=True)
class _Form:
    """Where classic TIFF and BigTIFF differ: the first directory's offset, counts, entries."""

    first_offset: str
    entry_count: str
    entry: str  # tag, type, count; the value field follows
    value_size: int

    @property
    def entry_size(self) -> int:
        return struct.calcsize("=" + self.entry) + self.value_size


_CLASSIC: Final = _Form(first_offset="L", entry_count="H", entry="HHL", value_size=4)
_BIG: Final = _Form(first_offset="Q", entry_count="Q", entry="HHQ", value_size=8)


def tiff_problem(source: ImageSource) -> str | None:
    """Why the first directory is one no encoder writes (too many entries, numbers, strips
    or tiles), or None; a file cut short is left to Pillow. At most MAX_TIFF_ENTRIES
    entries read."""
    directory = _first_directory(source, "TIFF's")
    if isinstance(directory, str) or directory is None:
        return directory
    copies = _copies(*directory)
    return _numbers_problem(copies, "TIFF's") or _pieces_problem(copies)


def exif_problem(exif: bytes) -> str | None:
    """Why an EXIF block (a TIFF directory inside a JPEG, PNG or WebP, ``Exif\0\0`` before
    it or not) lists more entries or numbers than any camera writes, or None: Pillow
    reads its first directory as a TIFF's before the orientation is looked up in it."""
    body = _EXIF_PREFIX.sub(b"", exif, count=1)
    if body[:4] not in _EXIF_HEADS:
        return None  # no TIFF header Pillow reads ("II+\0", a BigTIFF's, it refuses)
    block = ImageSource("EXIF", "exif", len(body), data=body)
    directory = _first_directory(block, "EXIF block's", only_what_fits=True)
    if isinstance(directory, str) or directory is None:
        return directory
    return _numbers_problem(_copies(*directory), "EXIF block's")


def _first_directory(
    source: ImageSource, whose: str, *, only_what_fits: bool = False
) -> tuple[bytes, str, _Form, int] | str | None:
    """The first directory's entries, byte order, form and the file's size; a problem with
    how many entries it has; None where the file is cut short first. ``only_what_fits``:
    the entries counted are those the data holds (Pillow's EXIF reader stops at its end,
    "corrupt EXIF data", where its TIFF reader refuses the file)."""
    head = source.read_at(0, 16)
    order = "<" if head[:2] == b"II" else ">"
    # Pillow's test, which reads "MM\0+" as a classic TIFF: only the third byte decides.
    form = _BIG if head[2:3] == b"+" else _CLASSIC
    offset_at = 8 if form is _BIG else 4
    first_field = head[offset_at : offset_at + struct.calcsize("=" + form.first_offset)]
    if len(first_field) < struct.calcsize("=" + form.first_offset):
        return None
    first = struct.unpack(order + form.first_offset, first_field)[0]
    count_size = struct.calcsize("=" + form.entry_count)
    if first >= source.byte_count:
        return None
    count_field = source.read_at(first, count_size)
    if len(count_field) < count_size:
        return None
    entries = struct.unpack(order + form.entry_count, count_field)[0]
    if only_what_fits:
        entries = min(entries, (source.byte_count - first - count_size) // form.entry_size)
    if entries > MAX_TIFF_ENTRIES:
        return (
            f"the {whose} first directory has {entries} entries (encoders write a few dozen; "
            f"this tool reads at most {MAX_TIFF_ENTRIES})"
        )
    table = source.read_at(first + count_size, entries * form.entry_size)
    return table, order, form, source.byte_count


def _numbers_problem(copies: dict[int, list[_Copy]], whose: str) -> str | None:
    """The numbers the entries list, strips and tiles aside, past MAX_TIFF_NUMBERS: only
    entries whose values lie within the file, as Pillow skips the others ("possibly
    corrupt"), which a camera's damaged entry should not turn into a refusal."""
    listed = sum(
        copy.count
        for tag, tag_copies in copies.items()
        if tag not in _PIECE_LISTS
        for copy in tag_copies
        if copy.kind in _NUMBER_TYPES and copy.within_file
    )
    if listed <= MAX_TIFF_NUMBERS:
        return None
    return (
        f"the {whose} first directory lists {listed} numbers in its entries (encoders write "
        f"a few hundred; this tool reads at most {MAX_TIFF_NUMBERS})"
    )


@dataclass(frozen=True)
class _Copy:
    """One entry of a tag: its type, how many values it lists, the first when a single number."""

    kind: int
    count: int
    value: int | None
    within_file: bool = True  # its values lie inside the file (Pillow reads only those)


def _copies(table: bytes, order: str, form: _Form, file_size: int) -> dict[int, list[_Copy]]:
    """Each tag's copies, in the order listed."""
    found: dict[int, list[_Copy]] = {}
    head = struct.Struct(order + form.entry)
    offset_format = order + ("Q" if form.value_size == 8 else "L")
    for start in range(0, len(table) - form.entry_size + 1, form.entry_size):
        tag, kind, count = head.unpack_from(table, start)
        value: int | None = None
        value_format = _VALUE_FORMATS.get(kind)
        if count == 1 and value_format is not None:
            size = struct.calcsize("=" + value_format)
            if size <= form.value_size:
                field = table[start + head.size : start + head.size + size]
                value = struct.unpack(order + value_format, field)[0]
        values_size = count * _NUMBER_SIZES.get(kind, 1)
        within = values_size <= form.value_size or (
            struct.unpack_from(offset_format, table, start + head.size)[0] + values_size
            <= file_size
        )
        found.setdefault(tag, []).append(_Copy(kind, count, value, within))
    return found


def _pieces_problem(copies: dict[int, list[_Copy]]) -> str | None:
    """The strips and the tiles listed (any copy), against the fewest the size may need."""

    def pick(tag: int, choose: Callable[[Iterable[int]], int], default: int) -> int:
        values = [copy.value for copy in copies.get(tag, []) if copy.value is not None]
        return choose(values) if values else default

    width, height = pick(_IMAGE_WIDTH, min, 0), pick(_IMAGE_LENGTH, min, 0)
    planar_everywhere = all(copy.value == 2 for copy in copies.get(_PLANAR, [_Copy(3, 1, 1)]))
    planes = pick(_SAMPLES, min, 1) if planar_everywhere else 1
    rows = pick(_ROWS_PER_STRIP, max, 0) or height or 1
    tile_width = pick(_TILE_WIDTH, max, 0) or 1
    tile_height = pick(_TILE_LENGTH, max, 0) or 1
    lists = (
        ("strips", _STRIP_OFFSETS, -(-height // rows) * planes),
        ("tiles", _TILE_OFFSETS, -(-width // tile_width) * -(-height // tile_height) * planes),
    )
    for what, tag, needed in lists:
        given = max((copy.count for copy in copies.get(tag, [])), default=0)
        if given > max(needed, 1) or given > MAX_TIFF_PIECES:
            return (
                f"the TIFF lists {given} {what} where its {width}x{height} picture needs "
                f"{needed}, which no editor writes"
            )
    return None
