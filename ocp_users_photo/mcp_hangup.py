"""The host closing the MCP server's stdout, seen at once rather than at the next write.

A host that crashes or stops reading closes its end of the server's stdout, often with
stdin left open. The server learnt of it only when it next wrote (a broken pipe), and
the SDK's stdin reader, a worker thread no cancellation reaches, kept the process
running until another line came or stdin closed: a server left behind, idle, for as
long as its host's process lived.

Here a thread waits in ``poll`` on a copy of stdout asking for no event: the kernel then
reports only the end, POLLERR for a pipe whose readers are gone and POLLHUP for a socket
closed at both ends (Node's hosts, libuv's, hand their children socket pairs). A socket
the host only half closes, data it sends on stdout, and stdout as a file or terminal
wake nothing. Only pipes and sockets are watched.

The host closing stdin is the end of the connection too (MCP's own way to stop a
server), which the SDK's reader sees once it has read every line before it. While 64
requests were unanswered it read none (``mcp_in_flight.py``): the end went unseen, and
the requests the host had written before it were each started, changes sent to Slack
for a host long gone. ``stdin_hang_up_watch`` sees the end at once, from the pipe's
POLLHUP or a socket's POLLRDHUP, whatever is still unread before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import stat
import threading
from collections.abc import Callable
from typing import Final

__all__ = ["HangUpWatch", "stdin_hang_up_watch", "stdout_hang_up_watch"]

# A socket whose peer shut its writing half (Linux): the end of a host's stdin socket.
_PEER_DONE: Final = getattr(select, "POLLRDHUP", 0)
_ENDED: Final = getattr(select, "POLLERR", 0) | getattr(select, "POLLHUP", 0) | _PEER_DONE


class HangUpWatch:
    """Calls ``on_hang_up`` on the running loop once the other end of ``fd`` is gone.

    ``asked``: what is asked of the fd's end besides what poll always reports (POLLERR,
    POLLHUP); never data, so only the end wakes the watch. Use as a context manager around
    serving; nothing is watched where ``poll`` is missing (Windows) or ``fd`` is no pipe or
    socket.
    """

    def __init__(self, on_hang_up: Callable[[], object], fd: int, *, asked: int, name: str) -> None:
        self._on_hang_up = on_hang_up
        self._fd = fd
        self._asked = asked
        self._name = name
        self._watched: int | None = None
        self._wake: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> HangUpWatch:
        if not hasattr(select, "poll") or not _is_pipe_or_socket(self._fd):
            return self
        loop = asyncio.get_running_loop()
        # A copy of its own: the MCP SDK moves fds 0 and 1 aside while it serves.
        self._watched = os.dup(self._fd)
        os.set_inheritable(self._watched, False)
        self._wake = os.pipe()
        self._thread = threading.Thread(
            target=self._wait,
            args=(loop, self._watched, self._wake[0]),
            name=self._name,
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._thread is None or self._wake is None:
            return
        with contextlib.suppress(OSError):
            os.write(self._wake[1], b"x")
        self._thread.join(timeout=5)
        if not self._thread.is_alive():  # else the thread still polls them: left open
            for fd in (self._watched, *self._wake):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
        self._thread = None

    def _wait(self, loop: asyncio.AbstractEventLoop, watched: int, wake: int) -> None:
        poller = select.poll()
        poller.register(watched, self._asked)  # no data asked for: only the end is reported
        poller.register(wake, select.POLLIN)
        ready = dict(poller.poll())  # Python retries poll itself after a signal
        if wake not in ready and ready.get(watched, 0) & _ENDED:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._on_hang_up)
        # Else woken to stop, or POLLNVAL (the copy is gone): nothing more to watch.


def stdout_hang_up_watch(on_hang_up: Callable[[], object], fd: int = 1) -> HangUpWatch:
    """The watch of the host's reading end of ``fd`` (stdout): a pipe's POLLERR, a socket's
    POLLHUP."""
    return HangUpWatch(on_hang_up, fd, asked=0, name="ocp-users-photo stdout watch")


def stdin_hang_up_watch(on_hang_up: Callable[[], object], fd: int = 0) -> HangUpWatch:
    """The watch of the host closing ``fd`` (stdin), its lines read or not: a pipe's POLLHUP,
    a socket's POLLRDHUP. Entered before the SDK moves fd 0 aside."""
    return HangUpWatch(on_hang_up, fd, asked=_PEER_DONE, name="ocp-users-photo stdin watch")


def _is_pipe_or_socket(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
