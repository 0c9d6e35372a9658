"""The one place that reaches a request's TCP connection, below HTTP, for the wire faults.

ASGI has no way to say "close without answering" or "write these exact bytes"
(an app that returns without a response gets a 500 from the server, and h11
refuses a malformed or lying message), so the "drop" and "raw" faults, drips and
lying Content-Lengths reach the uvicorn server's own connection objects: each has
the peer address the request's scope carries and the asyncio transport.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

from starlette.types import Scope

if TYPE_CHECKING:
    import uvicorn


class ConnectionAccess(Protocol):
    """The transport of the connection a request came on; None if it cannot be found."""

    def transport_of(self, scope: Scope) -> asyncio.Transport | None: ...


class UvicornConnections:
    """A ConnectionAccess over a uvicorn.Server, attached once the server exists."""

    def __init__(self) -> None:
        self._server: uvicorn.Server | None = None

    def attach(self, server: uvicorn.Server) -> None:
        # The app must exist before the server, and this object before the app.
        self._server = server

    def transport_of(self, scope: Scope) -> asyncio.Transport | None:
        client = scope.get("client")
        if self._server is None or client is None:
            return None
        peer = (str(client[0]), int(client[1]))
        for connection in list(self._server.server_state.connections):
            if getattr(connection, "client", None) == peer:
                transport = getattr(connection, "transport", None)
                return transport if isinstance(transport, asyncio.Transport) else None
        return None
