"""The MCP server's watches of the host's ends (mcp_hangup): the host's reading end of
stdout gone is seen, and nothing else is taken for it; so is the end of its writing to stdin.

A host may give the server one socket for both streams. Its requests arriving on it, or
the host shutting only its writing half (it has no more to ask but still reads the
answers), must not end the watch: only the end of the host's reading is the hang-up.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path

from ocp_users_photo.mcp_hangup import HangUpWatch, stdin_hang_up_watch, stdout_hang_up_watch

ROOT = Path(__file__).resolve().parent.parent


def on_a_socket(
    watch: Callable[[Callable[[], object], int], HangUpWatch],
    host_does: Callable[[socket.socket, asyncio.Event], Awaitable[None]],
) -> None:
    """``watch`` of our end of a socket pair, while ``host_does`` its part at the other."""
    ours, host = socket.socketpair()

    async def watched() -> None:
        seen = asyncio.Event()
        with watch(seen.set, ours.fileno()):
            await host_does(host, seen)

    try:
        asyncio.run(watched())
    finally:
        ours.close()
        host.close()


def test_a_host_that_shuts_its_writing_half_of_a_stdin_socket_is_seen() -> None:
    async def host_does(host: socket.socket, seen: asyncio.Event) -> None:
        host.shutdown(socket.SHUT_WR)  # stdout's half stays open
        await asyncio.wait_for(seen.wait(), 10)

    on_a_socket(stdin_hang_up_watch, host_does)


def test_data_or_a_half_close_from_the_host_is_no_hang_up_and_its_close_is() -> None:
    async def host_does(host: socket.socket, seen: asyncio.Event) -> None:
        host.sendall(b'{"jsonrpc": "2.0", "method": "ping", "id": 1}\n')
        host.shutdown(socket.SHUT_WR)  # no more requests; the answers are still read
        await asyncio.sleep(0.5)
        assert not seen.is_set(), "a request, or the host's half-close, taken for a hang-up"
        host.close()
        await asyncio.wait_for(seen.wait(), 10)

    on_a_socket(stdout_hang_up_watch, host_does)


def test_without_an_fd_the_watch_is_of_stdout() -> None:
    """The server calls it without one: fd 1, whatever stdin is (here a pipe left open)."""
    program = textwrap.dedent(
        """
        import asyncio, os, socket
        from ocp_users_photo.mcp_hangup import stdout_hang_up_watch

        ours, host = socket.socketpair()
        terminal = os.dup(1)
        os.dup2(ours.fileno(), 1)

        async def watched():
            seen = asyncio.Event()
            with stdout_hang_up_watch(seen.set):
                host.close()
                await asyncio.wait_for(seen.wait(), 10)

        try:
            asyncio.run(watched())
        finally:
            os.dup2(terminal, 1)
        print("seen")
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", program],
        stdin=subprocess.PIPE,  # open throughout: its end would be a hang-up of its own
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    ) as ran:
        try:
            ran.wait(timeout=60)
        finally:
            ran.kill()
        assert ran.stdout is not None
        assert ran.stderr is not None
        said, complained = ran.stdout.read(), ran.stderr.read()
    assert ran.returncode == 0, complained[-2000:]
    assert said.strip() == b"seen"
