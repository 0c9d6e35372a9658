"""A Slack method's request body: httpx's own form encoding, handed on in large pieces.

httpx's multipart encoder yields each boundary, part header and 64 KB file block on
its own, and every piece costs a write through httpcore and anyio (~20 us each, from
a profile). Handing them on in pieces of WRITE_PIECE_BYTES keeps the encoding httpx's
and cuts the writes of a 1 MB upload from ~25 to ~5. The body is built with httpx's
public request API and sent as the content of the real request, so it works the same
with any client a caller passes. A part backed by an open file is read in a worker
thread, a piece at a time: the event loop never waits on the disk.
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


@dataclass(frozen=True)
class EncodedForm:
    """The headers that describe a body, and the body itself as an async byte stream."""

    headers: Mapping[str, str]
    content: AsyncIterator[bytes]


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
    pieces = _pieces(iter(stream))
    content = _in_worker_thread(pieces) if reads_files else _inline(pieces)
    return EncodedForm(headers=headers, content=content)


def _pieces(chunks: Iterator[bytes]) -> Iterator[bytes]:
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        if len(pending) >= WRITE_PIECE_BYTES:
            yield bytes(pending)
            pending.clear()
    if pending:
        yield bytes(pending)


async def _inline(pieces: Iterator[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


async def _in_worker_thread(pieces: Iterator[bytes]) -> AsyncIterator[bytes]:
    while True:
        piece = await anyio.to_thread.run_sync(next, pieces, None)
        if piece is None:
            return
        yield piece
