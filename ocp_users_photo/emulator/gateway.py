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

from ocp_users_photo.emulator.auth import request_token
from ocp_users_photo.emulator.connections import ConnectionAccess
from ocp_users_photo.emulator.faults import (
    ECHO_PLACEHOLDERS,
    Fault,
    as_header_text,
    is_control_path,
)
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
from ocp_users_photo.emulator.wire import response_head, wait_for_disconnect, write_and_close


class Gateway:
    """Pure ASGI middleware (a Starlette middleware wrapper would hide the transport)."""

    def __init__(
        self, app: ASGIApp, *, state: EmulatorState, connections: ConnectionAccess | None
    ) -> None:
        self._app = app
        self._state = state
        self._connections = connections

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_control_path(scope["path"]):
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
        if fault is not None and fault.kind == "drop":
            await self._drop(scope, receive)
            return
        if fault is not None and fault.kind in ("respond", "raw"):
            answer, answer_headers = _echoed(fault, Headers(scope=scope), incoming)
            if fault.on_the_wire:
                await self._write_on_wire(scope, receive, fault, answer, answer_headers)
            else:
                await _send(send, fault.status_code, answer, answer_headers)
            return
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
        scope.setdefault("state", {})[INCOMING_KEY] = incoming
        await self._app(scope, replaying_receive(body, receive), send)

    def _transport(self, scope: Scope, fault: str) -> asyncio.Transport:
        transport = self._connections.transport_of(scope) if self._connections else None
        if transport is None:
            raise RuntimeError(f"the {fault} fault needs the emulator run by run_emulator()")
        return transport

    async def _drop(self, scope: Scope, receive: Receive) -> None:
        # abort(), not close(): nothing buffered may still reach the client.
        self._transport(scope, "drop").abort()
        await wait_for_disconnect(receive)

    async def _write_on_wire(
        self,
        scope: Scope,
        receive: Receive,
        fault: Fault,
        body: bytes,
        headers: tuple[tuple[str, str], ...],
    ) -> None:
        transport = self._transport(scope, fault.label)
        if fault.kind == "raw":
            at_once, dripped = b"", body
        else:
            at_once, dripped = response_head(fault, headers, body), body
        if fault.drip_bytes is None:
            at_once, dripped = at_once + dripped, b""
        await write_and_close(
            transport,
            at_once,
            dripped,
            chunk_bytes=fault.drip_bytes or 1,
            every_seconds=fault.drip_seconds,
        )
        await wait_for_disconnect(receive)

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


def _echoed(
    fault: Fault, request_headers: Headers, incoming: Incoming
) -> tuple[bytes, tuple[tuple[str, str], ...]]:
    """The fault's body and headers with {authorization} and {token} filled in from the request.

    What a hostile server would do with the credentials it was sent.
    """
    wanted = [
        placeholder
        for placeholder in ECHO_PLACEHOLDERS
        if placeholder.encode("ascii") in fault.body
        or any(placeholder in value for _, value in fault.headers)
    ]
    if not wanted:
        return fault.body, fault.headers
    token = request_token(request_headers, incoming, query_allowed=True) or ""
    values = {"{authorization}": request_headers.get("authorization", ""), "{token}": token}
    body, headers = fault.body, list(fault.headers)
    for placeholder in wanted:
        # What the request brought, as a header may hold it: Latin-1, no control characters
        # (a token of other text made the answer a 500; a CR or LF would split the header).
        value = as_header_text(values[placeholder])
        body = body.replace(placeholder.encode("latin-1"), value.encode("latin-1", "replace"))
        headers = [(name, text.replace(placeholder, value)) for name, text in headers]
    return body, tuple(headers)


def _declared_size(headers: Headers) -> int:
    declared = headers.get("content-length", "")
    return int(declared) if declared.isascii() and declared.isdigit() else 0


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
