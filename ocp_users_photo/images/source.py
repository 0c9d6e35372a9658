"""ImageSource: the image's bytes, or the open file a caller's path named."""

from __future__ import annotations

import io
import os
import weakref
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import BinaryIO

from ocp_users_photo.deferred_close import file_in_use
from ocp_users_photo.images.byte_budget import Held


@dataclass
class ImageSource:
    """The image's bytes, or an open file the caller's path named; ``label`` names it for logs."""

    label: str
    filename_stem: str
    byte_count: int
    # Out of the repr: a traceback or log line showing an upload would print megabytes.
    data: bytes | None = field(default=None, repr=False)
    file: BinaryIO | None = None
    # The process's image bytes this source's making took (images/byte_budget.py): given
    # back when it is closed, or when it is dropped unclosed.
    held: Held | None = field(default=None, repr=False, compare=False)
    # Closed: its file closed, its bytes let go (a caller keeping the object, its budget
    # given back, held them uncounted), nothing left to send.
    closed: bool = field(default=False, init=False, repr=False, compare=False)

    def keep_held(self, held: Held) -> None:
        """Give ``held`` back when this source is closed (or collected, never closed); keep
        only as many bytes as the source holds, now that it is made. A source that holds
        its bytes already (a path's file read whole, named by text the intake took for
        base64 and took bytes for) gives ``held`` back at once: its bytes count once."""
        if self.held is not None:
            held.release()
            return
        self.held = held
        held.shrink_to(self.byte_count)
        weakref.finalize(self, held.release_when_collected)

    def stream(self) -> BinaryIO:
        """A binary stream at offset 0 over the image."""
        if self.file is not None:
            self.file.seek(0)
            return self.file
        assert self.data is not None
        return io.BytesIO(self.data)

    def tail(self, length: int) -> bytes:
        """The last ``length`` bytes of the image, the stream left at its start."""
        if self.data is not None:
            return self.data[-length:]
        stream = self.stream()
        stream.seek(max(0, self.byte_count - length))
        tail = stream.read(length)
        stream.seek(0)
        return tail

    def read_at(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes from ``offset`` (fewer at the end), the stream's position unused.

        A file is read with one ``pread`` where the system has it: walking a file's
        structure then costs one system call a step, not a seek and a buffer refill.
        """
        if self.data is not None:
            return self.data[offset : offset + size]
        assert self.file is not None
        if hasattr(os, "pread"):
            try:
                return os.pread(self.file.fileno(), size, offset)
            except (AttributeError, io.UnsupportedOperation):
                pass  # not a file of the operating system's: read it the portable way
        self.file.seek(offset)
        return self.file.read(size)

    def in_use(self) -> AbstractContextManager[None]:
        """Around a worker thread's reads of the file: a close on the loop meanwhile does
        not wait for them (deferred_close.py)."""
        return file_in_use(self.file)

    def close(self) -> None:
        """Close the file this source opened (never a caller's file object); let go of
        its bytes and give back what they held."""
        self.closed = True
        self.data = None
        if self.file is not None:
            self.file.close()
            self.file = None
        if self.held is not None:
            self.held.release()
