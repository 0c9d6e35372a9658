"""Reading a response body into memory without ever holding more than the byte cap.

Both readers of hostile answers use it: the image fetch (``web_image/fetch.py``) and the
Slack client (``slack/client.py``). Each asks for ``Accept-Encoding: identity``; a server
that compresses anyway with gzip or deflate (one coding) is decoded here, by zlib, asking
for no more output than the room left under the cap, so a small compressed body cannot
expand past it; and a piece of at most 256 KiB at a time, each written to the buffer
before the next is made, so that what is held is never more than the cap and one piece
(asked for the whole room at once, a 64 KiB chunk made a cap's worth in one object, then
copied into the buffer: twice the cap). Any other content coding is refused, stacked
codings (``gzip, gzip``) among them: httpx's decoders inflate each layer whole, so two
layers of gzip turned a kilobyte into a gigabyte before any cap was checked, and zstd's
into ~60 MB.

A refusal names the codings only when each is a registered content coding: the header
is the server's text, and one that echoed the token had its first 20 characters quoted.

The body is gathered in a ``BytesIO``, whose ``getvalue()`` hands back its own buffer as
the bytes, trimmed in place (CPython): gathered in a bytearray, the body was copied whole
into bytes at the end, so that for a moment the process held it twice (an image of the
8 MB cap, 16 MB).
"""

from __future__ import annotations

import asyncio
import io
import zlib
from typing import Final

__all__ = ["BodyTooLarge", "BoundedBody", "UnreadableBody"]

_ZLIB_CODINGS: Final = frozenset({"gzip", "x-gzip", "deflate"})
# The most decoded bytes made at once from compressed data, before they are kept.
_INFLATE_PIECE: Final = 256 * 1024
# Body pieces taken between two turns of the event loop's other tasks (``take``).
_PIECES_PER_TURN: Final = 256
# IANA's HTTP Content Coding Registry: the only names a refusal quotes back.
_REGISTERED_CODINGS: Final = frozenset(
    {
        *_ZLIB_CODINGS,
        "aes128gcm",
        "br",
        "compress",
        "dcb",
        "dcz",
        "exi",
        "pack200-gzip",
        "x-compress",
        "zstd",
    }
)


class BodyTooLarge(Exception):
    """The body (decoded) went over the cap."""


class UnreadableBody(Exception):
    """The content coding is not one decoded here, or the compressed data is corrupt."""


class BoundedBody:
    """Collects a body's decoded bytes up to ``max_bytes``; raises BodyTooLarge past it."""

    def __init__(self, content_encoding: str, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._buffer = io.BytesIO()
        self._size = 0
        self._raw_count = 0
        self._pieces = 0
        self._inflater = _inflater_for(content_encoding)

    @property
    def decoded(self) -> bytes:
        """The decoded body: the buffer's own bytes, not a copy of them."""
        return self._buffer.getvalue()

    @property
    def as_sent(self) -> bool:
        """Whether the body is kept as it comes (no content coding to decode)."""
        return self._inflater is None

    def head(self, count: int) -> bytes:
        """The first ``count`` decoded bytes (a copy of those alone)."""
        with self._buffer.getbuffer() as view:
            return bytes(view[:count])

    def __len__(self) -> int:
        return self._size

    async def take(self, raw: bytes) -> None:
        """``feed``, for a reader on the event loop: the loop's other tasks get a turn every
        few hundred pieces. An HTTP stack hands over all that one read holds without a
        pause, and 64 KiB of one-byte chunks is some 11,000 pieces: 0.1-0.5 s of the loop
        standing still, again and again, with nothing else served meanwhile."""
        self.feed(raw)
        self._pieces += 1
        if self._pieces % _PIECES_PER_TURN == 0:
            await asyncio.sleep(0)

    def feed(self, raw: bytes) -> None:
        """Add a chunk as read from the connection."""
        self._raw_count += len(raw)
        if self._raw_count > self._max_bytes:
            raise BodyTooLarge
        if self._inflater is None:
            self._keep(raw)
            return
        self._inflate(self._inflater, raw)

    def _inflate(self, inflater: zlib._Decompress, raw: bytes) -> None:
        """Decode ``raw`` a piece at a time, each kept before the next is made: asked for
        the whole room at once, one 64 KiB chunk of zeros made 32 MiB in one bytes object,
        copied then into the buffer, so that for a moment the body was held twice."""
        try:
            while True:
                # zlib's max_length of 0 means "no limit"; room is at least 1 here, since
                # the buffer never stays over the cap.
                asked = min(self._max_bytes + 1 - self._size, _INFLATE_PIECE)
                piece = inflater.decompress(raw, asked)
                self._keep(piece)
                raw = inflater.unconsumed_tail
                # A full piece may leave output still inside zlib with no input left.
                if not raw and (len(piece) < asked or inflater.eof):
                    return
        except zlib.error:
            raise UnreadableBody("its compressed data is corrupt") from None

    def finish(self) -> None:
        """The body ended: take what the decoder still holds; the compressed data must have
        been one whole stream (a gzip cut short, or followed by other bytes, is no body)."""
        if self._inflater is not None:
            try:
                self._keep(self._inflater.flush())
            except zlib.error:
                raise UnreadableBody("its compressed data is corrupt") from None
            if not self._inflater.eof:
                raise UnreadableBody("its compressed data ends before the stream does")
            if self._inflater.unused_data:
                raise UnreadableBody("other bytes follow its compressed data")

    def _keep(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._max_bytes:
            raise BodyTooLarge
        self._buffer.write(data)


def _inflater_for(content_encoding: str) -> zlib._Decompress | None:
    codings = [part.strip().lower() for part in content_encoding.split(",")]
    codings = [coding for coding in codings if coding and coding != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in _ZLIB_CODINGS:
        # 32 + 15: a gzip or zlib header, told apart by zlib itself.
        return zlib.decompressobj(wbits=32 + zlib.MAX_WBITS)
    if not all(coding in _REGISTERED_CODINGS for coding in codings):
        # The server's own words (it may echo the token there): not repeated.
        raise UnreadableBody("it is compressed with a coding of no registered name")
    named = ", ".join(codings[:3]) + (", ..." if len(codings) > 3 else "")
    raise UnreadableBody(f"it is compressed with {named!r}, which is not decoded here")
