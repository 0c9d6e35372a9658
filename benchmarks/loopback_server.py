"""The benchmark's Slack stand-in: a loopback server that does as little as a fair server can.

It reads every request body through python-multipart's streaming parser (so each
upload is really received and its parts really found, never buffered), checks that
the form has an ``image`` file part with a file name, the three crop fields and a
Bearer token, and answers one fixed ``users.setPhoto`` success reply that satisfies
the manifest's response schema. A request missing any of that gets
``{"ok": false, "error": "invalid_form_data"}``, so a contender that sent a broken
form fails the run instead of looking fast. ``GET /_stats`` tells how many forms were
right and wrong, the image bytes seen, and the server process's CPU seconds (so the
benchmark can show whether the server, not the client, was the limit).

For the measurement of keeping the replaced photo (undo, issue 14) it also answers
what keeping asks before each change: ``auth.test`` (whose token: UBENCH in TBENCH),
``users.profile.get`` (a custom photo whose ``image_original`` is on this server) and
``GET /avatars/original.jpg``: a 1024x1024 JPEG of about 380 KB, made once at start,
with a counter appended after its end marker, so each download is another original
and the history stores new bytes every time (the dearer case; deduplication would
otherwise store it once).

Three ways to serve the same checks (``--server``):

- ``raw`` (the default): an asyncio protocol on uvloop that feeds the socket's bytes
  to httptools (HTTP/1.1) and each body chunk straight to python-multipart. Measured
  here, it spends about half the CPU per 1 MB upload of the same checks under
  uvicorn, whose ASGI layer copies every body chunk twice and wakes a task per
  chunk; under uvicorn the server, not the client, was the limit for aiohttp-based
  contenders (benchmarks/README.md has the figures).
- ``uvicorn``: the same checks as a raw ASGI app under uvicorn with httptools (the
  server used before), kept to reproduce that comparison.
- ``granian``: the ASGI app under granian, whose Rust HTTP stack also speaks HTTP/2
  with prior knowledge (h2c): the only way to measure httpx's HTTP/2 here.

Run as a script it binds 127.0.0.1 on a free port, prints ``PORT <n> HTTP <impl>``
and serves until killed. bench.py starts it in its own process, pinned to its own
core when the machine has two or more, so the server's CPU never competes with the
client's event loop or its GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import re
import socket
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

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
AUTH_TEST_REPLY = json.dumps(
    {
        "ok": True,
        "url": "http://127.0.0.1/",
        "team": "Bench",
        "user": "bench",
        "team_id": "TBENCH",
        "user_id": "UBENCH",
    },
    separators=(",", ":"),
).encode()
_LOOPBACK_HOST = re.compile(rb"(?:127\.0\.0\.1|localhost|\[::1\])(?::[0-9]{1,5})?")
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

    def parser(self, boundary: bytes) -> MultipartParser:
        return MultipartParser(
            boundary,
            {
                "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value,
                "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished,
                "on_part_data": self.on_part_data,
            },
        )


@dataclass
class Tally:
    """What the server saw, for ``GET /_stats``."""

    valid: int = 0
    invalid: int = 0
    image_bytes: int = 0

    def count(self, check: FormCheck | None, authorized: bool) -> bytes:
        """The reply body for a finished upload, counted as right or wrong."""
        if check is not None and authorized and check.valid():
            self.valid += 1
            self.image_bytes += check.image_bytes
            return SUCCESS_REPLY
        self.invalid += 1
        return FORM_ERROR

    def as_json(self) -> bytes:
        stats = {
            "valid": self.valid,
            "invalid": self.invalid,
            "image_bytes": self.image_bytes,
            "cpu_seconds": time.process_time(),
            "pid": os.getpid(),
        }
        return json.dumps(stats).encode()


class KeepingAnswers:
    """What keeping the replaced photo asks before a change: whose token, the photo, its bytes."""

    def __init__(self) -> None:
        import io

        from PIL import Image

        gradient = Image.linear_gradient("L").resize((1024, 1024))
        noise = Image.effect_noise((1024, 1024), 24)
        rgb = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_90)))
        buffer = io.BytesIO()
        rgb.save(buffer, format="JPEG", quality=85)
        self._original = buffer.getvalue()
        self._served = 0

    def profile(self, host: bytes) -> bytes:
        """users.profile.get: a custom photo whose original is on this server (the Host asked)."""
        root = host if _LOOPBACK_HOST.fullmatch(host) else b"127.0.0.1"
        return (
            b'{"ok":true,"profile":{"avatar_hash":"0123456789ab","is_custom_image":true,'
            b'"image_original":"http://' + root + b'/avatars/original.jpg"}}'
        )

    def original(self) -> bytes:
        """The original, made distinct by a counter after the JPEG's end marker."""
        self._served += 1
        return self._original + b"%016d" % self._served


def _route(answers: KeepingAnswers, method: bytes, url: bytes, host: bytes) -> bytes | None:
    """The reply body for keeping's requests (content type set by the caller), else None."""
    if method == b"POST" and url.endswith(b"/auth.test"):
        return AUTH_TEST_REPLY
    if method == b"POST" and url.endswith(b"/users.profile.get"):
        return answers.profile(host)
    return None


def _form_parser(content_type_header: bytes) -> tuple[FormCheck, MultipartParser] | None:
    content_type, options = parse_options_header(content_type_header)
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        return None
    check = FormCheck()
    return check, check.parser(boundary)


def _response(
    status: int,
    body: bytes,
    keep_alive: bool,
    content_type: bytes = b"application/json; charset=utf-8",
) -> bytes:
    reason = {200: b"OK", 404: b"Not Found"}.get(status, b"Error")
    head = (b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n%s\r\n") % (
        status,
        reason,
        content_type,
        len(body),
        b"" if keep_alive else b"connection: close\r\n",
    )
    return head + body


class UploadProtocol(asyncio.Protocol):
    """One HTTP/1.1 connection: httptools parses, python-multipart checks each body as it comes."""

    def __init__(self, tally: Tally, answers: KeepingAnswers) -> None:
        import httptools

        self._tally = tally
        self._answers = answers
        self._parser = httptools.HttpRequestParser(self)
        self._parse_error = httptools.HttpParserError
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._headers: dict[bytes, bytes] = {}
        self._form: tuple[FormCheck, MultipartParser] | None = None
        self._upload = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # One write per reply already; no delayed-ACK wait if a client splits its own writes.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except self._parse_error:
            if self._transport is not None:
                self._transport.write(_response(400, b'{"ok":false}', keep_alive=False))
                self._transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}
        self._form = None
        self._upload = False

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.lower()] = value

    def on_headers_complete(self) -> None:
        method = self._parser.get_method()
        self._upload = method == b"POST" and self._url.endswith(b"/users.setPhoto")
        if self._upload:
            self._form = _form_parser(self._headers.get(b"content-type", b""))
        if self._headers.get(b"expect", b"").lower() == b"100-continue" and self._transport:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        if self._form is not None:
            self._form[1].write(body)

    def on_message_complete(self) -> None:
        keep_alive = self._parser.should_keep_alive()
        if self._upload:
            check = None
            if self._form is not None:
                self._form[1].finalize()
                check = self._form[0]
            authorized = self._headers.get(b"authorization", b"").startswith(b"Bearer xoxp-")
            reply = _response(200, self._tally.count(check, authorized), keep_alive)
        elif self._parser.get_method() == b"GET" and self._url == b"/_stats":
            reply = _response(200, self._tally.as_json(), keep_alive)
        elif self._parser.get_method() == b"GET" and self._url == b"/avatars/original.jpg":
            reply = _response(200, self._answers.original(), keep_alive, b"image/jpeg")
        else:
            method, host = self._parser.get_method(), self._headers.get(b"host", b"")
            answer = _route(self._answers, method, self._url, host)
            reply = (
                _response(200, answer, keep_alive)
                if answer
                else _response(404, NOT_FOUND, keep_alive)
            )
        if self._transport is not None:
            self._transport.write(reply)
            if not keep_alive:
                self._transport.close()


class BenchSlack:
    """The same checks as a raw ASGI app (for uvicorn and granian)."""

    def __init__(self) -> None:
        self.tally = Tally()
        self.answers = KeepingAnswers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if scope["method"] == "GET" and path == "/_stats":
            await _answer(send, 200, self.tally.as_json())
            return
        if scope["method"] == "GET" and path == "/avatars/original.jpg":
            await _answer(send, 200, self.answers.original(), b"image/jpeg")
            return
        host = dict(scope["headers"]).get(b"host", b"")
        answer = _route(self.answers, scope["method"].encode(), path.encode(), host)
        if answer is not None:
            await _drain(receive)
            await _answer(send, 200, answer)
            return
        if scope["method"] != "POST" or not path.endswith("/users.setPhoto"):
            await _drain(receive)
            await _answer(send, 404, NOT_FOUND)
            return
        headers = dict(scope["headers"])
        authorized = headers.get(b"authorization", b"").startswith(b"Bearer xoxp-")
        form = _form_parser(headers.get(b"content-type", b""))
        if form is None:
            await _drain(receive)
            await _answer(send, 200, self.tally.count(None, authorized))
            return
        check, parser = form
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
        await _answer(send, 200, self.tally.count(check, authorized))


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _answer(
    send: Send, status: int, body: bytes, content_type: bytes = b"application/json; charset=utf-8"
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def make_app() -> BenchSlack:
    """A fresh app, for servers that build it in their own worker process (granian)."""
    return BenchSlack()


def _bound_socket() -> socket.socket:
    # IPPROTO_TCP, not the default 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only
    # on sockets whose protocol says TCP, and with Nagle on, a reply written as headers then
    # body waits for the client's delayed ACK, some 40 ms per call on a kept-alive connection.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def serve_raw() -> None:
    try:
        uvloop: Any = importlib.import_module("uvloop")
    except ImportError:  # no uvloop on this platform: asyncio's own loop, a little slower
        uvloop = None

    async def serve() -> None:
        tally = Tally()
        answers = KeepingAnswers()
        sock = _bound_socket()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: UploadProtocol(tally, answers), sock=sock, backlog=1024
        )
        name = "uvloop" if uvloop is not None else "asyncio"
        print(f"PORT {sock.getsockname()[1]} HTTP raw-httptools-{name}", flush=True)
        await server.serve_forever()

    if uvloop is not None:
        uvloop.run(serve())
    else:
        asyncio.run(serve())


def serve_uvicorn(loop: str) -> None:
    import uvicorn

    sock = _bound_socket()
    config = uvicorn.Config(
        BenchSlack(),
        http="httptools",
        loop=loop,
        log_config=None,
        access_log=False,
        log_level="warning",
        lifespan="off",
        backlog=1024,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    print(f"PORT {sock.getsockname()[1]} HTTP uvicorn-httptools-{loop}", flush=True)
    server.run(sockets=[sock])


def serve_granian(loop: str) -> None:
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    print(f"PORT {port} HTTP granian-h1+h2c-{loop}", flush=True)
    Granian(
        "loopback_server:make_app",
        address="127.0.0.1",
        port=port,
        interface=Interfaces.ASGI,
        http=HTTPModes.auto,  # HTTP/1.1, and HTTP/2 with prior knowledge (h2c)
        loop=Loops(loop),
        workers=1,
        factory=True,
        log_enabled=False,
        working_dir=Path(__file__).resolve().parent,
    ).serve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this core")
    parser.add_argument("--server", choices=("raw", "uvicorn", "granian"), default="raw")
    parser.add_argument(
        "--loop", choices=("asyncio", "uvloop"), default="uvloop", help="uvicorn's and granian's"
    )
    options = parser.parse_args()
    if options.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {options.cpu})
    if options.server == "granian":
        serve_granian(options.loop)
    elif options.server == "uvicorn":
        serve_uvicorn(options.loop)
    else:
        serve_raw()
    sys.exit(0)


if __name__ == "__main__":
    main()
