"""PreparedImage: the image as the multipart part will carry it, and what describes it.

Its ``fingerprint`` tells images apart in an agent's history without hashing them
whole: SHA-256 of the byte count and the first and last FINGERPRINT_SPAN bytes. A
full SHA-256 cost ~0.7 ms per MB, 20-25% of a call at 1-5 MB (benchmarks/README.md),
for little more: two photos differ in their first bytes (a PNG's first rows and
metadata, a JPEG's EXIF: timestamps, thumbnail) and in their last (a PNG's zlib
stream ends with a checksum of every pixel, a JPEG's scan with its last blocks). Two
files of one size that differ only in their middle get the same fingerprint; Slack's
``avatar_hash``, which the history records beside it, tells apart the photos set.
"""

from __future__ import annotations

import hashlib
import io
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final, cast

from ocp_users_photo.crop import CropBox
from ocp_users_photo.deferred_close import file_in_use
from ocp_users_photo.images.source import ImageSource

CONTENT_TYPES: Final = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}
# 2 x 4 KB hashed: ~5 us (SHA-256, hardware-assisted here: twice BLAKE2b's speed; 2 x 8 KB
# took 9.5). The last 4 KB tell photos apart as well as 8 did: a PNG's end holds checksums
# of all its pixels, a JPEG's its last blocks.
FINGERPRINT_SPAN: Final = 4 * 1024
EXTENSIONS: Final = {"PNG": "png", "JPEG": "jpg", "GIF": "gif"}


@dataclass
class PreparedImage:
    """The image as it will be sent: its bytes or open file, what it is, and what was changed."""

    format: str
    width: int
    height: int
    frames: int
    byte_count: int
    filename: str
    crop_box: CropBox | None
    changes: tuple[str, ...]
    source: ImageSource
    # The photo as a viewer shows it, before any scaling: the pixels a crop box counts in.
    upright_size: tuple[int, int]

    _sampling: _SamplingFile | None = field(default=None, init=False, repr=False)
    _fingerprint_wanted: bool = field(default=False, init=False, repr=False)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    def want_fingerprint(self) -> None:
        """Keep a file's ends as they are sent, so ``fingerprint()`` reads nothing again."""
        self._fingerprint_wanted = True

    def body(self) -> BinaryIO | bytes:
        """What the multipart part carries: the open file (streamed) or the bytes."""
        if self.source.data is not None:
            return self.source.data
        stream = self.source.stream()
        if not self._fingerprint_wanted:
            return stream
        self._sampling = _SamplingFile(stream, self.byte_count)
        return cast(BinaryIO, self._sampling)

    def fingerprint(self) -> str:
        """12 hex digits telling these bytes apart (module docstring); bytes in memory, or a
        file sent after ``want_fingerprint``."""
        data = self.source.data
        if data is not None:
            return fingerprint_of(len(data), data[:FINGERPRINT_SPAN], data[-FINGERPRINT_SPAN:])
        if self._sampling is None:
            raise RuntimeError("fingerprint() needs want_fingerprint() before the image is sent")
        return self._sampling.fingerprint()

    def summary(self) -> dict[str, Any]:
        """A JSON-able description for logs and agent history: no pixels, no bytes."""
        described: dict[str, Any] = {
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "bytes": self.byte_count,
        }
        if self.frames > 1:
            described["frames"] = self.frames
        if self.changes:
            described["changes"] = list(self.changes)
        return described

    def describe(self) -> str:
        """One line for a debug log: format, size, bytes, crop box."""
        crop = self.crop_box if self.crop_box is not None else "none"
        return f"image={self.format} {self.width}x{self.height} {self.byte_count} bytes crop={crop}"

    def close(self) -> None:
        self.source.close()


def fingerprint_of(byte_count: int, head: bytes, tail: bytes) -> str:
    """The first 12 hex digits of SHA-256 over the byte count, the first and the last bytes."""
    digest = hashlib.sha256(byte_count.to_bytes(8, "big"))
    digest.update(head)
    digest.update(tail)
    return digest.hexdigest()[:12]


class _SamplingFile:
    """A reader of a file's ``size`` bytes that keeps the first and last FINGERPRINT_SPAN of
    them as they pass, copying only the reads that reach into those spans (a few KB a call,
    however large the file); rewinding to 0 starts again (a retried attempt reads it again)."""

    def __init__(self, file: BinaryIO, size: int) -> None:
        self._file = file
        self._tail_start = max(size - FINGERPRINT_SPAN, 0)
        self._head = b""
        self._tail = b""
        self._read = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        start = self._read
        self._read += len(chunk)
        if start < FINGERPRINT_SPAN:
            self._head += chunk[: FINGERPRINT_SPAN - start]
        if self._read > self._tail_start:
            in_tail = chunk[max(self._tail_start - start, 0) :]
            self._tail = (self._tail + in_tail)[-FINGERPRINT_SPAN:]
        return chunk

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = self._file.seek(offset, whence)
        if position == 0:
            self._head, self._tail, self._read = b"", b"", 0
        return position

    def tell(self) -> int:
        return self._file.tell()

    def fileno(self) -> int:
        return self._file.fileno()

    def in_use(self) -> AbstractContextManager[None]:
        return file_in_use(self._file)

    def fingerprint(self) -> str:
        return fingerprint_of(self._read, self._head, self._tail)
