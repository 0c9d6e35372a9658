"""Dropping a client's connection with no HTTP response, for the "drop" fault.

ASGI has no way to say "close without answering" (an app that returns without
a response gets a 500 from the server), so this reaches the uvicorn server's
own connection objects: each has the peer address the request's scope carries
and the asyncio transport to abort.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from starlette.types import Scope

if TYPE_CHECKING:
    import uvicorn


class ConnectionDropper(Protocol):
    """Aborts the connection a request came on; False if it cannot find it."""

    def drop(self, scope: Scope) -> bool: ...


class UvicornConnections:
    """A ConnectionDropper over a uvicorn.Server, attached once the server exists."""

    def __init__(self) -> None:
        self._server: uvicorn.Server | None = None

    def attach(self, server: uvicorn.Server) -> None:
        # The app must exist before the server, and this object before the app.
        self._server = server

    def drop(self, scope: Scope) -> bool:
        client = scope.get("client")
        if self._server is None or client is None:
            return False
        peer = (str(client[0]), int(client[1]))
        for connection in list(self._server.server_state.connections):
            if getattr(connection, "client", None) == peer:
                transport = getattr(connection, "transport", None)
                if transport is None:
                    return False
                # abort(), not close(): nothing buffered may still reach the client.
                transport.abort()
                return True
        return False
