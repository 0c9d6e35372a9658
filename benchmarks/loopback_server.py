"""The benchmark's Slack stand-in: a raw ASGI app that does as little as a fair server can.

It reads every request body through python-multipart's streaming parser (so each
upload is really received and its parts really found, never buffered), checks that
the form has an ``image`` file part and the three crop fields, and answers one fixed
``users.setPhoto`` success reply that satisfies the manifest's response schema. A
request missing any of that gets ``{"ok": false, "error": "invalid_form_data"}``, so
a contender that sent a broken form fails the run instead of looking fast.
``GET /_stats`` tells how many forms were right and wrong, and the image bytes seen.

Run as a script it binds 127.0.0.1 on a free port, prints ``PORT <n>`` and serves
until killed. bench.py starts it in its own process, pinned to its own core when
the machine has two or more, so the server's CPU never competes with the client's
event loop or its GIL.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn
from python_multipart.multipart import MultipartParser, parse_options_header

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

AVATARS = "https://avatars.example.com/bench"
SUCCESS_REPLY = json.dumps(
    {
        "ok": True,
        "profile": {
            **{f"image_{size}": f"{AVATARS}/{size}.png" for size in (24, 32, 48, 72, 192, 512)},
            "image_1024": f"{AVATARS}/1024.png",
            "image_original": f"{AVATARS}/original.png",
            "avatar_hash": "0123456789ab",
        },
    },
    separators=(",", ":"),
).encode()
FORM_ERROR = b'{"ok":false,"error":"invalid_form_data"}'
NOT_FOUND = b'{"ok":false,"error":"unknown_method"}'
CROP_FIELDS = (b"crop_x", b"crop_y", b"crop_w")
_NAME = re.compile(rb'\bname="([^"]*)"')
_FILENAME = re.compile(rb'\bfilename="([^"]+)"')


class FormCheck:
    """Callbacks for the streaming parser: which parts came, and the image's size."""

    def __init__(self) -> None:
        self.header_field = b""
        self.disposition = b""
        self.current: bytes | None = None
        self.fields: dict[bytes, bytes] = {}
        self.image_bytes = 0
        self.image_filename = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        if self.header_field.lower() == b"content-disposition":
            self.disposition += data[start:end]

    def on_header_end(self) -> None:
        self.header_field = b""

    def on_headers_finished(self) -> None:
        name = _NAME.search(self.disposition)
        self.current = name.group(1) if name else None
        if self.current == b"image":
            self.image_filename = _FILENAME.search(self.disposition) is not None
        elif self.current is not None:
            self.fields[self.current] = b""
        self.disposition = b""

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.current == b"image":
            self.image_bytes += end - start
        elif self.current is not None and len(self.fields[self.current]) < 64:
            self.fields[self.current] += data[start:end]

    def valid(self) -> bool:
        crop_ok = all(self.fields.get(name, b"x").isdigit() for name in CROP_FIELDS)
        return self.image_bytes > 0 and self.image_filename and crop_ok


class BenchSlack:
    """The ASGI app; counts right and wrong forms."""

    def __init__(self) -> None:
        self.valid = 0
        self.invalid = 0
        self.image_bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if scope["method"] == "GET" and path == "/_stats":
            stats = {"valid": self.valid, "invalid": self.invalid, "image_bytes": self.image_bytes}
            await _answer(send, 200, json.dumps(stats).encode())
            return
        if scope["method"] != "POST" or not path.endswith("/users.setPhoto"):
            await _drain(receive)
            await _answer(send, 404, NOT_FOUND)
            return
        headers = dict(scope["headers"])
        content_type, options = parse_options_header(headers.get(b"content-type", b""))
        boundary = options.get(b"boundary")
        authorized = headers.get(b"authorization", b"").startswith(b"Bearer xoxp-")
        if content_type != b"multipart/form-data" or not boundary:
            await _drain(receive)
            self.invalid += 1
            await _answer(send, 200, FORM_ERROR)
            return
        check = FormCheck()
        parser = MultipartParser(
            boundary,
            {
                "on_header_field": check.on_header_field,
                "on_header_value": check.on_header_value,
                "on_header_end": check.on_header_end,
                "on_headers_finished": check.on_headers_finished,
                "on_part_data": check.on_part_data,
            },
        )
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body = message.get("body", b"")
            if body:
                parser.write(body)
            if not message.get("more_body", False):
                break
        parser.finalize()
        if authorized and check.valid():
            self.valid += 1
            self.image_bytes += check.image_bytes
            await _answer(send, 200, SUCCESS_REPLY)
        else:
            self.invalid += 1
            await _answer(send, 200, FORM_ERROR)


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this core")
    parser.add_argument(
        "--http", default="auto", help="uvicorn's HTTP parser: auto (httptools if installed), h11"
    )
    options = parser.parse_args()
    if options.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {options.cpu})
    # IPPROTO_TCP, not the default 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only
    # on sockets whose protocol says TCP, and with Nagle on, a reply written as headers then
    # body waits for the client's delayed ACK, some 40 ms per call on a kept-alive connection.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        BenchSlack(),
        http=options.http,
        log_config=None,
        access_log=False,
        log_level="warning",
        lifespan="off",
        backlog=1024,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    config.load()
    protocol = config.http_protocol_class.__module__.rsplit(".", 1)[-1]
    print(f"PORT {sock.getsockname()[1]} HTTP {protocol}", flush=True)
    server.run(sockets=[sock])
    sys.exit(0)


if __name__ == "__main__":
    main()
