"""DeferredCloseFile: an image file the event loop can close while a worker thread reads it.

A worker thread's job (worker_threads.py) goes on when its caller is cancelled: a
timeout or a failed sibling ends the call, and the tool closes the image's file on the
loop. A plain ``io.BufferedReader`` closes under the lock its reads hold, so that close
would wait on the loop for the read to end: on a stalled network file system, for as
long as it stalls (issue 11: the loop never waits on a file).

A job that reads a file the loop may close meanwhile (the upload body's blocks, the
re-encode) runs inside ``file_in_use(file)``. A close during that block only marks the
file, and the block's end closes it, in the job's thread; a block that starts after the
close fails as a read of a closed file would. The guard is per job, not per read: a
JPEG header takes dozens of small reads, and a lock around each cost ~1 us apiece.
Jobs on one file take turns, in their threads: a cancelled attempt's read may still be
going when a retried upload's starts, and the two would move the one position.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager

__all__ = ["DeferredCloseFile", "file_in_use"]


class DeferredCloseFile(io.BufferedReader):
    """A buffered reader whose ``close`` never waits for a job inside ``in_use``."""

    def __init__(self, raw: io.RawIOBase, buffer_size: int = io.DEFAULT_BUFFER_SIZE) -> None:
        super().__init__(raw, buffer_size)
        self._guard = threading.Lock()
        self._users = 0
        self._close_asked = False
        # One job at a time (module docstring); waited for in the job's thread, never by close.
        self._turn = threading.RLock()

    @contextlib.contextmanager
    def in_use(self) -> Iterator[None]:
        """Around a job's reads: a close meanwhile is done at the block's end, here."""
        with self._guard:
            if self._close_asked:
                raise ValueError("I/O operation on closed file.")
            self._users += 1
        try:
            with self._turn:
                yield
        finally:
            with self._guard:
                self._users -= 1
                if self._close_asked and self._users == 0:
                    super().close()

    def close(self) -> None:
        """Close now if no job is using the file; else the last one to end closes it."""
        with self._guard:
            self._close_asked = True
            if self._users == 0:
                super().close()


def file_in_use(file: object) -> AbstractContextManager[None]:
    """``file.in_use()`` for a file that has it (this module's, or a wrapper that passes it
    on), else nothing to guard: a caller's own file object is the caller's to close."""
    in_use = getattr(file, "in_use", None)
    return in_use() if callable(in_use) else contextlib.nullcontext()
