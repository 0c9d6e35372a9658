"""A Slack method's request body: httpx's own form encoding, handed on in large pieces.

httpx's multipart encoder yields each boundary, part header and 64 KB file block on
its own, and every piece costs a write through the HTTP stack (~20 us each through
httpcore and anyio, from a profile). Small pieces are joined into pieces of at least
WRITE_PIECE_BYTES, which cuts the writes of a 1 MB upload from ~25 to ~5; a piece that
is that large already (an image given as bytes arrives as one) is handed on as it is,
never copied. The body is built with httpx's public request API, so it works the same
with any client a caller passes and with the transports the client opens itself. A
part backed by an open file is read in a worker thread, a piece at a time: the event
loop never waits on the disk.

``FormBody.started`` tells whether the HTTP stack began to take the body: until then
the request cannot have reached the server whole, whatever error the stack reports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO, Final

import anyio.to_thread
import httpx

WRITE_PIECE_BYTES: Final = 256 * 1024
_PLACEHOLDER_URL: Final = "http://form.invalid/"


@dataclass(frozen=True)
class FilePart:
    """One file field: its name for the server, its media type, and its bytes or open file."""

    filename: str
    content_type: str
    content: bytes | BinaryIO


class FormBody(httpx.AsyncByteStream):
    """The encoded body as an async byte stream that remembers whether sending began."""

    def __init__(self, pieces: Iterator[bytes], *, reads_files: bool) -> None:
        self._pieces = pieces
        self._reads_files = reads_files
        self.started = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # An async generator: this line runs when the stack asks for the first piece, after
        # it connected and wrote the request's head, not when the request object is built.
        self.started = True
        if not self._reads_files:
            for piece in self._pieces:
                yield piece
            return
        while True:
            read = await anyio.to_thread.run_sync(_next_piece, self._pieces)
            if read is None:
                return
            yield read


@dataclass(frozen=True)
class EncodedForm:
    """The headers that describe a body, and the body itself as an async byte stream."""

    headers: Mapping[str, str]
    content: FormBody


def encode_form(fields: Mapping[str, str], files: Mapping[str, FilePart]) -> EncodedForm:
    """Encode ``fields`` (and ``files``, as multipart) the way httpx does; files read lazily."""
    for part in files.values():
        if not isinstance(part.content, bytes):
            part.content.seek(0)  # a retried attempt sends the file again from its start
    template = httpx.Request(
        "POST",
        _PLACEHOLDER_URL,
        data=dict(fields) if fields else None,
        files={
            name: (part.filename, part.content, part.content_type) for name, part in files.items()
        }
        or None,
    )
    headers = {
        name: template.headers[name]
        for name in ("content-type", "content-length")
        if name in template.headers
    }
    stream = template.stream
    assert isinstance(stream, httpx.SyncByteStream)
    reads_files = any(not isinstance(part.content, bytes) for part in files.values())
    return EncodedForm(
        headers=headers, content=FormBody(_pieces(iter(stream)), reads_files=reads_files)
    )


def _next_piece(pieces: Iterator[bytes]) -> bytes | None:
    return next(pieces, None)


def _pieces(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` joined into pieces of at least WRITE_PIECE_BYTES; large chunks untouched."""
    pending: list[bytes] = []
    pending_bytes = 0
    for chunk in chunks:
        if len(chunk) >= WRITE_PIECE_BYTES:
            if pending:
                yield b"".join(pending)
                pending, pending_bytes = [], 0
            yield chunk
            continue
        pending.append(chunk)
        pending_bytes += len(chunk)
        if pending_bytes >= WRITE_PIECE_BYTES:
            yield b"".join(pending)
            pending, pending_bytes = [], 0
    if pending:
        yield b"".join(pending)
