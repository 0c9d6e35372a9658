"""The emulator's front door: reads each request once, records it, applies injected faults.

Every request except the /_emulator/ control endpoints passes here before
routing, so the request log shows what reached the server even when a fault
then answers instead of the handler.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ocp_users_photo.emulator.connections import ConnectionDropper
from ocp_users_photo.emulator.incoming import (
    BodyTooLarge,
    Incoming,
    parse_incoming,
    read_body,
    replaying_receive,
)
from ocp_users_photo.emulator.methods import INCOMING_KEY
from ocp_users_photo.emulator.replies import JSON_MEDIA_TYPE
from ocp_users_photo.emulator.requestlog import RecordedFile, RecordedRequest
from ocp_users_photo.emulator.state import EmulatorState

CONTROL_PREFIX = "/_emulator/"


class Gateway:
    """Pure ASGI middleware (a Starlette middleware wrapper would hide the transport)."""

    def __init__(
        self, app: ASGIApp, *, state: EmulatorState, dropper: ConnectionDropper | None
    ) -> None:
        self._app = app
        self._state = state
        self._dropper = dropper

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self._app(scope, receive, send)
            return
        config = self._state.config
        received_at = time.time()
        try:
            body = await read_body(receive, config.max_body_bytes)
        except BodyTooLarge:
            self._record(scope, received_at, None, None, fault=None)
            body_text = b'{"ok":false,"error":"request_too_large"}'
            headers = (*_json_headers(), ("x-slack-failure", "request_too_large"))
            await _send(send, 413, body_text, headers)
            return
        incoming = await parse_incoming(scope, body)
        fault = self._state.faults.take(scope["path"])
        self._record(scope, received_at, body, incoming, fault=fault.label if fault else None)
        if fault is not None and fault.kind == "respond":
            await _send(send, fault.status_code, fault.body, fault.headers)
            return
        if fault is not None and fault.kind == "drop":
            await self._drop(scope, receive)
            return
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
        scope.setdefault("state", {})[INCOMING_KEY] = incoming
        await self._app(scope, replaying_receive(body, receive), send)

    async def _drop(self, scope: Scope, receive: Receive) -> None:
        if self._dropper is None or not self._dropper.drop(scope):
            raise RuntimeError("the drop fault needs the emulator run by run_emulator()")
        # Wait until the server has seen the connection go, so it does not try
        # to send a 500 of its own for a request that got no response.
        while (await receive())["type"] != "http.disconnect":
            pass

    def _record(
        self,
        scope: Scope,
        received_at: float,
        body: bytes | None,
        incoming: Incoming | None,
        *,
        fault: str | None,
    ) -> None:
        config = self._state.config
        log = self._state.requests
        headers = Headers(scope=scope)
        kept_body = None
        if body is not None and config.record_bodies:
            kept_body = body[: config.max_recorded_body_bytes]
        files: tuple[RecordedFile, ...] = ()
        if incoming is not None:
            files = tuple(
                RecordedFile(
                    part.field_name,
                    part.filename,
                    part.content_type,
                    len(part.data),
                    hashlib.sha256(part.data).hexdigest(),
                )
                for part in incoming.files
            )
        log.append(
            RecordedRequest(
                sequence=log.next_sequence(),
                received_at=received_at,
                method=scope["method"],
                path=scope["path"],
                query_string=scope.get("query_string", b"").decode("latin-1"),
                headers=tuple((key.lower(), value) for key, value in headers.items()),
                form=incoming.body_fields if incoming is not None else (),
                files=files,
                body=kept_body,
                body_size=len(body) if body is not None else _declared_size(headers),
                fault=fault,
            )
        )


def _declared_size(headers: Headers) -> int:
    declared = headers.get("content-length", "")
    return int(declared) if declared.isdigit() else 0


def _json_headers() -> tuple[tuple[str, str], ...]:
    return (("content-type", JSON_MEDIA_TYPE),)


async def _send(
    send: Send, status_code: int, body: bytes, headers: tuple[tuple[str, str], ...]
) -> None:
    raw_headers = [
        (key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in headers
    ]
    if not any(key == b"content-length" for key, _ in raw_headers):
        raw_headers.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": status_code, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
