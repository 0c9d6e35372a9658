"""Refusing requests that reach a loopback listener under a non-loopback Host (DNS rebinding).

A web page can make a browser send requests to 127.0.0.1 under its own host name
(DNS rebinding) and read the answers, the control API's request log included.
A browser always sends the page's host name, so a request that arrived on a
loopback address must name a loopback host: localhost, 127.0.0.0/8 or [::1].
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ocp_users_photo.emulator.loopback import is_loopback_host, split_host_header

_SHOWN_HOST_CHARACTERS = 80
# Past this the connection is closed after the answer instead.
_MAX_DRAINED_BYTES = 64 * 1024 * 1024


class LoopbackHostGuard:
    """ASGI middleware: 421 Misdirected Request for a foreign Host on a loopback connection."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _arrived_on_loopback(scope):
            # A request without Host (HTTP/1.0) cannot come from a browser page.
            host_header = Headers(scope=scope).get("host")
            if host_header is not None:
                host = split_host_header(host_header)
                if host is None or not is_loopback_host(host):
                    await _drain(receive)
                    await _refuse(send, host_header)
                    return
        await self._app(scope, receive, send)


async def _drain(receive: Receive) -> None:
    """Read (and drop) the request body, so the client gets the answer, not a reset."""
    received = 0
    while received <= _MAX_DRAINED_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        received += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _arrived_on_loopback(scope: Scope) -> bool:
    server = scope.get("server")
    return server is not None and is_loopback_host(str(server[0]))


async def _refuse(send: Send, host_header: str) -> None:
    shown = ascii(host_header[:_SHOWN_HOST_CHARACTERS])
    detail = (
        f"this emulator listens on a loopback address and answers only requests whose Host "
        f"is localhost, 127.x.x.x or [::1]; this one named {shown} (a protection against "
        "DNS rebinding): use http://127.0.0.1:PORT or http://localhost:PORT"
    )
    body = json.dumps({"ok": False, "error": "host_not_allowed", "detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 421, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
