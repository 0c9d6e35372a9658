"""DeferredCloseFile: an image file the event loop can close while a worker thread reads it.

A read runs in a worker thread (worker_threads.py) and goes on when its caller is
cancelled: a timeout or a failed sibling ends the call, and the tool closes the image's
file on the loop. A plain ``io.BufferedReader`` closes under the lock its read holds,
so that close would wait on the loop for the read to end: on a stalled network file
system, for as long as it stalls (issue 11: the loop never waits on a file). Here a
close that finds a read in progress only marks the file; the last read to end closes
it, in its own thread. Reads that start after the close fail, as on a closed file.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["DeferredCloseFile"]


class DeferredCloseFile(io.BufferedReader):
    """A buffered reader whose ``close`` never waits for a read in another thread."""

    def __init__(self, raw: io.RawIOBase, buffer_size: int = io.DEFAULT_BUFFER_SIZE) -> None:
        super().__init__(raw, buffer_size)
        self._guard = threading.Lock()
        self._reads = 0
        self._close_asked = False

    def _reading(self, read: Callable[..., T], *args: Any) -> T:
        with self._guard:
            if self._close_asked:
                raise ValueError("read of a closed file")
            self._reads += 1
        try:
            return read(*args)
        finally:
            with self._guard:
                self._reads -= 1
                if self._close_asked and self._reads == 0:
                    super().close()

    def read(self, size: int | None = -1) -> bytes:
        return self._reading(super().read, size)

    def read1(self, size: int = -1) -> bytes:
        return self._reading(super().read1, size)

    def readinto(self, buffer: Any) -> int:
        return self._reading(super().readinto, buffer)

    def readinto1(self, buffer: Any) -> int:
        return self._reading(super().readinto1, buffer)

    def readline(self, size: int | None = -1) -> bytes:
        return self._reading(super().readline, size)

    def peek(self, size: int = 0) -> bytes:
        return self._reading(super().peek, size)

    def close(self) -> None:
        """Close now if no read is in progress; else the last one to end closes it."""
        with self._guard:
            self._close_asked = True
            if self._reads == 0:
                super().close()
