"""Images given as text: plain base64, or a ``data:image/...;base64,`` URI."""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import io
import re
from collections.abc import Callable
from typing import Final

from ocp_users_photo.errors import Problem
from ocp_users_photo.images.paths import problem, size_problem_of
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.safe_text import quoted
from ocp_users_photo.sizes import byte_limit

MIN_BASE64_CHARS: Final = 64
_WHITESPACE_BYTES: Final = b" \t\n\r\v\f"
# base64 in the standard or the URL-safe alphabet, padding optional.
_ALPHABET: Final = "[A-Za-z0-9+/_-]"
# A data: URI's header ("data:image/png;base64", perhaps a name= or charset=) is short;
# a long one is refused before it is split (millions of ";" made as many strings).
_MAX_HEADER_CHARS: Final = 1024
BASE64_TEXT: Final = re.compile(f"{_ALPHABET}+={{0,2}}")
_LOOSE_BASE64: Final = re.compile(f"{_ALPHABET}[A-Za-z0-9+/_=-]*")
_BASE64_ESCAPES: Final = (
    ("%2B", "+"),
    ("%2b", "+"),
    ("%2F", "/"),
    ("%2f", "/"),
    ("%3D", "="),
    ("%3d", "="),
)
_BASE64_ESCAPE: Final = re.compile("|".join(re.escape(escape) for escape, _ in _BASE64_ESCAPES))
# Every character Python's regular expressions call white space (\s), each deleted by one
# str.translate: a regular expression's substitution over 30 MB of words made a string of
# every piece between spaces, half a gigabyte at once, for an argument a model wrote.
_NO_WHITESPACE: Final = dict.fromkeys(
    map(
        ord,
        "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
        "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000",
    )
)
# How base64 of each format's first bytes begins (PNG, JPEG, GIF, WEBP, TIFF both orders).
# Text beginning so, with no file extension at its end, is base64 a model shortened or
# damaged ("iVBORw0KGgo..."), not a file name: told as such, not as "no file at ...".
_IMAGE_BASE64_STARTS: Final = ("iVBORw0KGgo", "/9j/", "R0lGOD", "UklGR", "SUkqAA", "TU0AKg")
_FILE_EXTENSION: Final = re.compile(r"\.[A-Za-z0-9]{1,5}\Z")
# What shortening leaves where text was cut: "...", "…", "[truncated]", "<omitted>".
_SHORTENED: Final = re.compile(r"\.\.\.|\u2026|[\[<(]\s*(?:truncated|omitted|snip)", re.IGNORECASE)
# Anything but base64's two alphabets, "=" and the ASCII white space the decoder drops.
_NOT_BASE64: Final = re.compile(r"[^A-Za-z0-9+/_=\t\n\r\v\f -]")
# Where damage is looked for, a piece at a time: each search holds the GIL for its piece
# only (one search over 32 MB held it for up to 1.7 s, the event loop standing still).
_DAMAGE_PIECE: Final = 64 * 1024
_MARK_OVERLAP: Final = 32  # a mark cut by a piece's end is found in the next


# Past this many characters, text is looked at a piece at a time (looks_like_base64).
_LOOK_PIECE: Final = 64 * 1024
# What base64 seen loosely never holds: anything but its alphabets, "=" and white space.
_NOT_LOOSE_BASE64: Final = re.compile(r"[^A-Za-z0-9+/_=\s-]")
_NOT_WHITE_SPACE: Final = re.compile(r"\S")


def looks_like_base64(text: str) -> bool:
    """Long enough and of base64's alphabet only (a file name has a dot, which base64 lacks).

    Padding is let stand anywhere here: base64 with a padding mistake (``===``, two texts
    joined) is base64 gone wrong, and decoding it says so, where a path would not.
    Long text is looked at a piece at a time, and only as far as its first character
    that is no base64: over the whole text, one ``translate`` and one match each held the
    interpreter's lock throughout, and the event loop stood still 3.5 s for 40 million
    "é" (0.2 s for 43 MB of base64), although the work ran in a worker thread.
    """
    if len(text) <= _LOOK_PIECE:
        compact = text.strip().translate(_NO_WHITESPACE)
        return len(compact) >= MIN_BASE64_CHARS and _LOOSE_BASE64.fullmatch(compact) is not None
    first = ""  # the first character that is not white space
    characters = 0  # not white space, counted until there are enough
    for start in range(0, len(text), _LOOK_PIECE):
        piece = text[start : start + _LOOK_PIECE]
        if piece.isspace():  # str.isspace is \s: nothing to search or count (and fast)
            continue
        if _NOT_LOOSE_BASE64.search(piece) is not None:
            return False
        for found in _NOT_WHITE_SPACE.finditer(piece) if characters < MIN_BASE64_CHARS else ():
            first = first or found.group()
            characters += 1
            if characters == MIN_BASE64_CHARS:
                break
    return first not in ("", "=") and characters >= MIN_BASE64_CHARS


def starts_as_image_base64(text: str) -> bool:
    """Whether ``text`` begins as base64 of a PNG, JPEG, GIF, WEBP or TIFF does and is
    base64, whole or shortened: a shortening mark in it ("iVBORw0KGgo...QmCC"), or 24
    characters or more ending in no file extension. Never a file's name in practice;
    a short path under a folder so named ("/9j/photo") stays a path."""
    if not text.startswith(_IMAGE_BASE64_STARTS):
        return False
    if _SHORTENED.search(text, 0, 4096) is not None:
        return True
    return len(text) >= 24 and _FILE_EXTENSION.search(text) is None


def malformed_base64(
    text: str,
    whose: str = "the image's base64 text",
    place_as_sent: Callable[[int], int] | None = None,
) -> Problem:
    """Why ``text`` is no base64, where, and what to send: a model that shortened it is told
    where it was cut (it believes it sent base64, and has nothing else to correct).
    ``place_as_sent`` maps a place in ``text`` to the same place in what was sent (a data:
    URI's payload before its %2B, %2F and %3D were read)."""
    place = place_as_sent or (lambda index: index)
    for start in range(0, len(text), _DAMAGE_PIECE):
        mark, odd = _damage_in(text, start, min(len(text), start + _DAMAGE_PIECE))
        if mark is not None and (odd is None or mark.start() <= odd.start()):
            return problem(
                f"{whose} was shortened: it holds {quoted(mark.group(0), 20)} at character "
                f"{place(mark.start()) + 1}: send the file's complete base64 text, or its path"
            )
        if odd is not None:
            return problem(
                f"{whose} is malformed: character {place(odd.start()) + 1}, "
                f"{_named_character(odd.group(0))}, is not base64: encode the file again"
            )
    return problem(f"{whose} is malformed: encode the file again")


def _named_character(character: str) -> str:
    """A character as a message can name it: quoted when it is printable ASCII, else by its
    code point (quoted, a no-break space read as '' and a NUL as '?', itself a character)."""
    if character.isascii() and character.isprintable() and not character.isspace():
        return quoted(character)
    return f"U+{ord(character):04X}"


def _damage_in(
    text: str, start: int, end: int
) -> tuple[re.Match[str] | None, re.Match[str] | None]:
    """The first shortening mark and the first character that is not base64 starting in
    ``text[start:end]`` (a mark may run on past ``end``), each None where there is none."""
    mark = _SHORTENED.search(text, start, min(len(text), end + _MARK_OVERLAP))
    if mark is not None and mark.start() >= end:
        mark = None
    return mark, _NOT_BASE64.search(text, start, end)


def source_from_bytes(
    data: bytes, label: str, stem: str, max_bytes: int
) -> tuple[ImageSource | None, list[Problem]]:
    size_problem = size_problem_of(len(data), max_bytes)
    if size_problem is not None:
        return None, [size_problem]
    return ImageSource(label=label, filename_stem=stem, byte_count=len(data), data=data), []


def decode_base64(
    text: str,
    label: str,
    max_bytes: int,
    whose: str = "the image's base64 text",
    place_as_sent: Callable[[int], int] | None = None,
) -> tuple[ImageSource | None, list[Problem]]:
    """The bytes of base64 text (standard or URL-safe alphabet, padding optional).

    Decoded a piece at a time as it is read, whitespace (line breaks at any width) dropped
    and the alphabet checked with C-level byte operations: no per-character objects and
    no whole copy of the text, so a text near the cap costs its decoded bytes and a piece,
    and the loop gets a turn between pieces.
    """
    decoded = _decoded(text, max_bytes)
    if decoded is _Undecoded.MALFORMED:
        return None, [malformed_base64(text, whose, place_as_sent)]
    if decoded is _Undecoded.TOO_LARGE:
        return None, [
            problem(
                f"the base64 image decodes to more than the {byte_limit(max_bytes)} limit: send "
                "a smaller file"
            )
        ]
    return source_from_bytes(decoded, label, "image", max_bytes)


# Each C call over the text (encode, translate, match, decode) holds the GIL for all of
# it: ~35, 70, 125 and 210 ms over 32 MB here, time the event loop stood still although
# the work runs in a worker thread. Done a piece at a time, the loop gets a turn between
# pieces of a few milliseconds each.
_PIECE: Final = 1 << 20


class _Undecoded(enum.Enum):
    """Why base64 text gave no bytes."""

    MALFORMED = enum.auto()
    TOO_LARGE = enum.auto()  # stopped once known, before decoding the rest


# The URL-safe alphabet read as the standard one ("-" is "+", "_" is "/"): one alphabet to
# check and decode, whichever the text uses.
_TO_STANDARD: Final = bytes.maketrans(b"-_", b"+/")
_STANDARD_RUN: Final = re.compile(b"[A-Za-z0-9+/]*")


def _decoded(text: str, max_bytes: int) -> bytes | _Undecoded:
    """The bytes ``text`` decodes to, or why there are none."""
    out = io.BytesIO()
    carry = b""  # the characters after the last whole group of four, for the next piece
    padding = 0  # "=" seen at the end: at most two, and nothing but "=" after the first
    characters = 0  # of base64 read so far, "=" left out
    for start in range(0, len(text), _PIECE):
        try:
            raw = text[start : start + _PIECE].encode("ascii")
        except UnicodeEncodeError:
            return _Undecoded.MALFORMED
        chunk = raw.translate(_TO_STANDARD, _WHITESPACE_BYTES)
        del raw
        if padding:
            if chunk.strip(b"="):
                return _Undecoded.MALFORMED
            padding += len(chunk)
            if padding > 2:
                return _Undecoded.MALFORMED
            continue
        first_pad = chunk.find(b"=")
        if first_pad != -1:
            padding = len(chunk) - first_pad
            if padding > 2 or chunk[first_pad:].strip(b"="):
                return _Undecoded.MALFORMED
            chunk = chunk[:first_pad]
        characters += len(chunk)
        body = carry + chunk if carry else chunk
        if _STANDARD_RUN.fullmatch(body) is None:
            return _Undecoded.MALFORMED
        whole = len(body) - len(body) % 4
        try:
            out.write(base64.b64decode(memoryview(body)[:whole], validate=True))
        except (binascii.Error, ValueError):
            return _Undecoded.MALFORMED
        carry = body[whole:]
        if out.tell() > max_bytes + 3:
            return _Undecoded.TOO_LARGE
    # "=" only ends a short group ("QQ==", "QQQ=") or follows a whole one ("QQQQ=="): not
    # alone, not after one character, not more than the group lacks ("QQQ==").
    if padding and (characters == 0 or len(carry) == 1 or len(carry) + padding > 4):
        return _Undecoded.MALFORMED
    if (characters + padding) // 4 * 3 > max_bytes + 3:
        return _Undecoded.TOO_LARGE
    if carry:
        try:
            out.write(base64.b64decode(carry + b"=" * (-len(carry) % 4), validate=True))
        except (binascii.Error, ValueError):
            return _Undecoded.MALFORMED
    return out.getvalue()  # the BytesIO's own bytes: no copy


def decode_data_uri(uri: str, max_bytes: int) -> tuple[ImageSource | None, list[Problem]]:
    """The bytes of a ``data:`` URI: an image media type (or none), base64-encoded.

    Percent-escapes are undone for the three characters base64 has that a URI reserves
    (``%2B``, ``%2F``, ``%3D``); any other escape cannot be base64 and is refused.
    """
    comma = uri.find(",", 0, _MAX_HEADER_CHARS + 1)
    if comma == -1:
        if "," in uri:
            return None, [
                problem(
                    f"the data: URI's header (before its comma) is over {_MAX_HEADER_CHARS} "
                    "characters: use data:image/png;base64,<data>"
                )
            ]
        return None, [problem("the data: URI has no comma before its data")]
    header, payload = uri[:comma], uri[comma + 1 :]
    media = header[len("data:") :].split(";")
    media_type = media[0].strip().lower()
    if media_type and not media_type.startswith("image/"):
        return None, [
            problem(
                f"the data: URI holds {quoted(media_type, 40)}, not an image: send image/png, "
                "image/jpeg or image/gif"
            )
        ]
    if "base64" not in (part.strip().lower() for part in media[1:]):
        return None, [
            problem("the data: URI is not base64-encoded: use data:image/png;base64,<data>")
        ]
    sent = payload
    if "%" in payload:
        for escape, character in _BASE64_ESCAPES:
            payload = payload.replace(escape, character)
        if "%" in payload:
            return None, [
                problem("the data: URI's base64 data is malformed: encode the file again")
            ]
    if not payload or payload.isspace():  # no stripped copy of megabytes made to ask
        return None, [problem("the data: URI's base64 data is malformed: encode the file again")]
    return decode_base64(
        payload,
        "data: URI",
        max_bytes,
        "the data: URI's base64 data",
        None if sent is payload else functools.partial(_place_in_escaped, sent),
    )


def _place_in_escaped(sent: str, index: int) -> int:
    """Where character ``index`` of the payload read (each %2B, %2F, %3D one character) is
    in the payload as sent: a model is told the place in what it sent. Run on a refusal only."""
    shift = 0  # characters the escapes before ``index`` lost in reading
    for escape in _BASE64_ESCAPE.finditer(sent):
        if escape.start() - shift >= index:
            break
        shift += 2
    return index + shift
