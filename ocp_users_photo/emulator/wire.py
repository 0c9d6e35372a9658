"""Faults written below HTTP: a dropped connection, raw bytes, drips and lying lengths."""

from __future__ import annotations

import asyncio
from http import HTTPStatus

from starlette.types import Receive

from ocp_users_photo.emulator.faults import Fault


def response_head(fault: Fault, headers: tuple[tuple[str, str], ...], body: bytes) -> bytes:
    """Status line and headers of a respond fault, its Content-Length as declared (or true)."""
    try:
        reason = HTTPStatus(fault.status_code).phrase
    except ValueError:
        reason = "Unknown"
    declared = fault.content_length if fault.content_length is not None else len(body)
    lines = [f"HTTP/1.1 {fault.status_code} {reason}"]
    lines.extend(f"{name}: {value}" for name, value in headers if name.lower() != "content-length")
    lines.append(f"content-length: {declared}")
    # Closed after it is written, so a lying length cannot confuse a next request.
    lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def write_and_close(
    transport: asyncio.Transport,
    at_once: bytes,
    dripped: bytes,
    *,
    chunk_bytes: int,
    every_seconds: float,
) -> None:
    """Write `at_once`, then `dripped` `chunk_bytes` at a time, then close the connection."""
    if at_once:
        transport.write(at_once)
    for start in range(0, len(dripped), chunk_bytes):
        if transport.is_closing():
            return  # the client went away mid-drip
        if start:
            await asyncio.sleep(every_seconds)
        transport.write(dripped[start : start + chunk_bytes])
    transport.close()


async def wait_for_disconnect(receive: Receive) -> None:
    """Until the server has seen the connection go, so it sends no 500 of its own."""
    while (await receive())["type"] != "http.disconnect":
        pass
