"""``run_own_loop``: the event loop the package runs itself (the command line, the MCP
server, ``call_sync``), whose host name lookups go to threads of the package's own.

httpx (through anyio) and aiohttp's threaded resolver look Slack's host up with the
loop's ``getaddrinfo``, which asyncio runs in its default executor, and ``asyncio.run``
waits for that executor's threads as it ends: a name server that never answers held a
command past its refusal until the system's resolver gave up. On a loop of the
package's own, ``getaddrinfo`` runs in the package's threads for the configuration's
hosts (``worker_threads``: daemons nothing waits for, apart from image hosts' lookups),
so the program ends with its call. A caller's own loop is left as it
is: what it runs is the caller's to decide.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from ocp_users_photo.worker_threads import in_configured_lookup_thread

__all__ = ["new_own_loop", "run_own_loop"]

T = TypeVar("T")

if sys.platform == "win32":
    _PlatformLoop = asyncio.ProactorEventLoop
else:
    _PlatformLoop = asyncio.SelectorEventLoop


class _OwnLoop(_PlatformLoop):
    """The platform's asyncio loop (the one ``asyncio.run`` makes), its name lookups in the
    package's threads for the configuration's hosts (Slack's, a proxy)."""

    async def getaddrinfo(
        self,
        host: bytes | str | None,
        port: bytes | str | int | None,
        *,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> list[Any]:
        return await in_configured_lookup_thread(
            socket.getaddrinfo, host, port, family, type, proto, flags
        )


def new_own_loop() -> asyncio.AbstractEventLoop:
    """A new event loop of the package's own (``asyncio.Runner``'s ``loop_factory``)."""
    loop: asyncio.AbstractEventLoop = _OwnLoop()
    return loop


def run_own_loop(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on a loop of the package's own."""
    with asyncio.Runner(loop_factory=new_own_loop) as runner:
        return runner.run(main)
