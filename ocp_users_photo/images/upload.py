"""PreparedImage: the image as the multipart part will carry it, and what describes it."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final, cast

from ocp_users_photo.crop import CropBox
from ocp_users_photo.images.source import ImageSource

CONTENT_TYPES: Final = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}
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

    _digesting: _DigestingFile | None = field(default=None, init=False, repr=False)
    _digest_wanted: bool = field(default=False, init=False, repr=False)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    def want_digest(self) -> None:
        """Hash the bytes as they are sent, so ``digest()`` needs no second read of the file."""
        self._digest_wanted = True

    def body(self) -> BinaryIO | bytes:
        """What the multipart part carries: the open file (streamed) or the bytes."""
        if self.source.data is not None:
            return self.source.data
        stream = self.source.stream()
        if not self._digest_wanted:
            return stream
        self._digesting = _DigestingFile(stream)
        return cast(BinaryIO, self._digesting)

    def digest(self) -> str:
        """The first 12 hex digits of the SHA-256 of the bytes sent (after ``want_digest``)."""
        if self.source.data is not None:
            return hashlib.sha256(self.source.data).hexdigest()[:12]
        if self._digesting is None:
            raise RuntimeError("digest() needs want_digest() before the image is sent")
        return self._digesting.hexdigest()[:12]

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


class _DigestingFile:
    """A file reader that hashes what is read; rewinding to 0 starts the hash again (retries)."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        self._hash.update(chunk)
        return chunk

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = self._file.seek(offset, whence)
        if position == 0:
            self._hash = hashlib.sha256()
        return position

    def tell(self) -> int:
        return self._file.tell()

    def fileno(self) -> int:
        return self._file.fileno()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()
