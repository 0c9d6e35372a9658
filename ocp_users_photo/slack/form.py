"""A Slack method's request body: multipart/form-data (RFC 7578) with files, else urlencoded.

The body is written here rather than by httpx's encoder, which is general (any field
type, any file-like object) and cost 20-50 us of CPU a call, more than any other step
of the plugin's own (benchmarks/README.md). What a Slack call sends is narrow: text
fields, and files that are bytes or an open binary file with a known size. Names and
file names are quoted as browsers do (WHATWG's multipart/form-data rules: ``"``, CR
and LF percent-encoded); the boundary is random per body, so content cannot forge a part.

The body goes out in few, large pieces, never copied: every write through the HTTP
stack costs (~20 us through httpcore and anyio), and copying a 5 MB image twice cost
more than sending it. A small body is one piece; a large one is the parts' headers,
the file's bytes as they are (bytes) or read from the open file in a worker thread
(the event loop never waits on the disk), READ_BLOCK_BYTES a trip in pieces of
WRITE_PIECE_BYTES, and the trailer. The pieces bound what a transport copies of a
write its socket does not take at once: a 20 MB upload grows memory by ~1.3 MB.

``FormBody.started`` tells whether the HTTP stack began to take the body: until then
the request cannot have reached the server whole, whatever error the stack reports.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, Final
from urllib.parse import urlencode

import httpx

from ocp_users_photo.credentials import SlackToken, form_text
from ocp_users_photo.deferred_close import file_in_use
from ocp_users_photo.worker_threads import in_worker_thread

# Bodies up to this size go out as one piece (joining them costs less than a write).
WRITE_PIECE_BYTES: Final = 256 * 1024
# A file is read this much per trip to a worker thread: each trip costs 20-70 us of CPU
# (more on a busy machine), as much as reading a few hundred KB from the page cache.
READ_BLOCK_BYTES: Final = 1024 * 1024
# What is left after a block, if no more than this, is read in the same trip: a "1 MB"
# photo just over 1 MiB then takes one trip, not a second one for its last bytes.
READ_TAIL_BYTES: Final = READ_BLOCK_BYTES // 4
# type/subtype, each of RFC 9110's token characters; no parameters, spaces or line breaks.
_MEDIA_TYPE: Final = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+/[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_QUOTED: Final = str.maketrans({'"': "%22", "\r": "%0D", "\n": "%0A"})


@dataclass(frozen=True)
class FilePart:
    """One file field: its name for the server, its media type, and its bytes or open file.

    The media type goes into the part's header as it is, so it must be one (``image/png``):
    anything else, a line break above all, is refused before a body is made. ``size``: of
    an open file, the bytes sent from its start, no more (what was checked: a file that grew
    since is not sent past it); None, the file's size when the body is made.
    """

    filename: str
    content_type: str
    # Never in a repr: a traceback's locals (an error reporter's, capture_locals) would
    # print the photo whole, the tool's own conversion of it too, at four times its size.
    content: bytes | BinaryIO = field(repr=False)
    size: int | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.content_type, str) and _MEDIA_TYPE.fullmatch(self.content_type)):
            raise ValueError(
                "a file part's content_type must be a bare media type such as image/png, "
                f"got {str(self.content_type)[:40]!r}"
            )


class FileShrank(Exception):
    """The file being sent ended before the size it was checked at (something truncated or
    rewrote it meanwhile): the body would fall short of its Content-Length, for which a
    server waits, so the request is cut off instead."""

    def __init__(self, expected: int, found: int) -> None:
        self.expected = expected
        self.found = found
        super().__init__(f"the file ended after {found} of its {expected} bytes")


class FormBody(httpx.AsyncByteStream):
    """The encoded body as an async byte stream that remembers whether sending began."""

    def __init__(self, pieces: list[bytes | _FileSpan]) -> None:
        self._pieces = pieces
        self.started = False

    def let_go(self) -> None:
        """Hold the image no longer once it has begun to go out and its attempt has ended (a
        retry encodes a form of its own). httpx's ``AsyncClient.send`` keeps each response
        and its stream in a reference cycle, the request and so this body with them, until
        the cyclic collector runs: a caller's client kept every image sent a while longer.

        The iteration under way keeps the pieces it began with. A body never begun keeps
        its own: a transport whose writer starts late (aiohttp's runs in a task of its
        own) still writes every byte its Content-Length promised, never a short body on a
        connection it may use again."""
        if self.started:
            self._pieces = []

    @property
    def whole(self) -> bytes | None:
        """The body as one bytes object when it is one already (small, in memory), else None."""
        if len(self._pieces) == 1 and isinstance(self._pieces[0], bytes):
            return self._pieces[0]
        return None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # An async generator: this line runs when the stack asks for the first piece, after
        # it connected and wrote the request's head, not when the request object is built.
        self.started = True
        for piece in self._pieces:
            if isinstance(piece, bytes):
                yield piece
                continue
            # Each block is read from its own offset, in the worker thread: a retried
            # attempt starts again at 0 while an abandoned attempt's read may still hold
            # the file (a seek on the loop would wait for it), and ``abandoned`` stops
            # that attempt's reads still to come.
            abandoned = threading.Event()
            offset, left = 0, piece.size
            try:
                while left > 0:  # the size is known: no trip to learn that the file ended
                    pieces = await in_worker_thread(
                        _read_block, piece.file, offset, left, abandoned
                    )
                    if not pieces:
                        # A short body would leave the server waiting for the rest until
                        # the attempt's timeout, and the wait would be blamed on Slack.
                        raise FileShrank(piece.size, offset)
                    pieces.reverse()
                    while pieces:  # each let go once it is written
                        block = pieces.pop()
                        offset += len(block)
                        left -= len(block)
                        yield block
            finally:
                abandoned.set()


def _read_block(file: BinaryIO, offset: int, left: int, abandoned: threading.Event) -> list[bytes]:
    """READ_BLOCK_BYTES of ``file`` from ``offset`` (all that is ``left`` when that is at most
    READ_TAIL_BYTES more), read in pieces of WRITE_PIECE_BYTES: one trip to the worker
    thread, and a transport that copies what its socket does not take at once never copies
    more than a piece. Nothing more once the attempt is ``abandoned``."""
    pieces: list[bytes] = []
    wanted = left if left <= READ_BLOCK_BYTES + READ_TAIL_BYTES else READ_BLOCK_BYTES
    with file_in_use(file):  # a cancelled upload's owner may close it meanwhile, on the loop
        if abandoned.is_set():
            return pieces
        file.seek(offset)
        while wanted > 0 and not abandoned.is_set():
            piece = file.read(min(wanted, WRITE_PIECE_BYTES))
            if not piece:
                break
            pieces.append(piece)
            wanted -= len(piece)
    return pieces


@dataclass(frozen=True)
class _FileSpan:
    """An open file part: the file, and how many bytes from its start are sent."""

    file: BinaryIO
    size: int


@dataclass(frozen=True)
class EncodedForm:
    """The headers that describe a body, and the body itself as an async byte stream."""

    headers: Mapping[str, str]
    content: FormBody


def encode_form(
    fields: Mapping[str, str | SlackToken], files: Mapping[str, FilePart]
) -> EncodedForm:
    """``fields`` urlencoded, or, with ``files``, both as multipart/form-data."""
    if not files:
        encoded = urlencode({name: form_text(value) for name, value in fields.items()}).encode(
            "ascii"
        )
        return EncodedForm(
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Content-Length": str(len(encoded)),
            },
            content=FormBody([encoded]),
        )
    boundary = os.urandom(16).hex()
    pieces = _multipart_pieces(fields, files, boundary)
    length = sum(len(piece) if isinstance(piece, bytes) else piece.size for piece in pieces)
    if length <= WRITE_PIECE_BYTES and all(isinstance(piece, bytes) for piece in pieces):
        pieces = [b"".join(piece for piece in pieces if isinstance(piece, bytes))]
    return EncodedForm(
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
        },
        content=FormBody(pieces),
    )


def _multipart_pieces(
    fields: Mapping[str, str | SlackToken], files: Mapping[str, FilePart], boundary: str
) -> list[bytes | _FileSpan]:
    """The body as the text around each file, and each file's bytes or open file."""
    delimiter = f"--{boundary}\r\n".encode("ascii")
    text: list[bytes] = []
    for name, value in fields.items():
        text += (delimiter, _disposition(name), b"\r\n\r\n", form_text(value).encode(), b"\r\n")
    pieces: list[bytes | _FileSpan] = []
    for name, part in files.items():
        text += (delimiter, _disposition(name, part.filename))
        text.append(f"\r\nContent-Type: {part.content_type}\r\n\r\n".encode())
        pieces.append(b"".join(text))
        content = part.content
        if isinstance(content, bytes):
            pieces.append(content)
        else:
            size = _size(content) if part.size is None else part.size
            pieces.append(_FileSpan(content, size))
        text = [b"\r\n"]
    text.append(f"--{boundary}--\r\n".encode("ascii"))
    pieces.append(b"".join(text))
    return pieces


def _size(file: BinaryIO) -> int:
    """An open file's size: from its descriptor, so a retried attempt does not wait for the
    buffered reader's lock an abandoned attempt's read may hold; else where its end is
    (seeking there reads nothing)."""
    try:
        status = os.fstat(file.fileno())
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return file.seek(0, 2)
    return status.st_size if stat.S_ISREG(status.st_mode) else file.seek(0, 2)


def _disposition(name: str, filename: str | None = None) -> bytes:
    text = f'Content-Disposition: form-data; name="{name.translate(_QUOTED)}"'
    if filename is not None:
        text += f'; filename="{filename.translate(_QUOTED)}"'
    return text.encode("utf-8")
