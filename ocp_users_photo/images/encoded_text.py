"""Images given as text: plain base64, or a ``data:image/...;base64,`` URI."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final

from ocp_users_photo.errors import Problem
from ocp_users_photo.images.paths import problem, size_problem_of
from ocp_users_photo.images.source import ImageSource

MIN_BASE64_CHARS: Final = 64
_WHITESPACE_BYTES: Final = b" \t\n\r\v\f"
# base64 in the standard or the URL-safe alphabet, padding optional.
_ALPHABET: Final = "[A-Za-z0-9+/_-]"
# A data: URI's header ("data:image/png;base64", perhaps a name= or charset=) is short;
# a long one is refused before it is split (millions of ";" made as many strings).
_MAX_HEADER_CHARS: Final = 1024
_ALPHABET_RUN: Final = re.compile(f"{_ALPHABET}*".encode())
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
WHITESPACE: Final = re.compile(r"\s+")


def looks_like_base64(text: str) -> bool:
    """Long enough and of base64's alphabet only (a file name has a dot, which base64 lacks).

    Padding is let stand anywhere here: base64 with a padding mistake (``===``, two texts
    joined) is base64 gone wrong, and decoding it says so, where a path would not.
    """
    compact = WHITESPACE.sub("", text.strip())
    return len(compact) >= MIN_BASE64_CHARS and _LOOSE_BASE64.fullmatch(compact) is not None


def source_from_bytes(
    data: bytes, label: str, stem: str, max_bytes: int
) -> tuple[ImageSource | None, list[Problem]]:
    size_problem = size_problem_of(len(data), max_bytes)
    if size_problem is not None:
        return None, [size_problem]
    return ImageSource(label=label, filename_stem=stem, byte_count=len(data), data=data), []


def decode_base64(
    text: str, label: str, max_bytes: int
) -> tuple[ImageSource | None, list[Problem]]:
    """The bytes of base64 text (standard or URL-safe alphabet, padding optional).

    Whitespace (line breaks at any width) is dropped and the alphabet checked with C-level
    byte operations: no per-character objects, so a text near the cap costs a few copies
    of itself in memory and tens of milliseconds, whatever its line breaks.
    """
    compact = _compact(text)
    if compact is None or not _is_base64(compact):
        return None, [problem("the image's base64 text is malformed: encode the file again")]
    if len(compact) // 4 * 3 > max_bytes + 3:
        return None, [
            problem(
                f"the base64 image decodes to more than the {max_bytes}-byte limit: send a "
                "smaller file"
            )
        ]
    altchars = b"-_" if (b"-" in compact or b"_" in compact) else None
    padded = compact + b"=" * (-len(compact) % 4)
    try:
        data = b"".join(
            base64.b64decode(padded[start : start + _PIECE], altchars=altchars, validate=True)
            for start in range(0, len(padded), _PIECE)
        )
    except (binascii.Error, ValueError):
        return None, [problem("the image's base64 text is malformed: encode the file again")]
    return source_from_bytes(data, label, "image", max_bytes)


# Each C call over the text (encode, translate, match, decode) holds the GIL for all of
# it: ~35, 70, 125 and 210 ms over 32 MB here, time the event loop stood still although
# the work runs in a worker thread. Done a piece at a time, the loop gets a turn between
# pieces of a few milliseconds each. A multiple of 4: a piece decodes on its own.
_PIECE: Final = 1 << 20


def _is_base64(compact: bytes) -> bool:
    """Base64's alphabet, then at most two '=' at the end: checked a piece at a time."""
    body = compact.rstrip(b"=")
    if len(compact) - len(body) > 2:
        return False
    return all(
        _ALPHABET_RUN.fullmatch(body, start, start + _PIECE) is not None
        for start in range(0, len(body), _PIECE)
    )


def _compact(text: str) -> bytes | None:
    """The text as ASCII bytes without whitespace, made a piece at a time; None if it holds
    anything else."""
    pieces = []
    for start in range(0, len(text), _PIECE):
        try:
            raw = text[start : start + _PIECE].encode("ascii")
        except UnicodeEncodeError:
            return None
        pieces.append(raw.translate(None, _WHITESPACE_BYTES))
    return b"".join(pieces)


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
                f"the data: URI holds {media_type[:40]!r}, not an image: send image/png, "
                "image/jpeg or image/gif"
            )
        ]
    if "base64" not in (part.strip().lower() for part in media[1:]):
        return None, [
            problem("the data: URI is not base64-encoded: use data:image/png;base64,<data>")
        ]
    if "%" in payload:
        for escape, character in _BASE64_ESCAPES:
            payload = payload.replace(escape, character)
        if "%" in payload:
            return None, [
                problem("the data: URI's base64 data is malformed: encode the file again")
            ]
    if not payload or payload.isspace():  # no stripped copy of megabytes made to ask
        return None, [problem("the data: URI's base64 data is malformed: encode the file again")]
    return decode_base64(payload, "data: URI", max_bytes)
