"""A loopback HTTP server for the tool's own tests: answers from a script, records every request.

Real HTTP (uvicorn) and a real multipart parser (Starlette's, over python-multipart),
so a test sees exactly what reached the wire. The emulator covers Slack's behaviour;
this covers byte-exact answers a test needs to control (truncated JSON, slow replies).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import queue
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

AVATAR_HASH = "0123456789ab"


def success_reply(base: str = "https://avatars.example.com/u1") -> dict[str, Any]:
    """A reply that satisfies the seed's response schema."""
    profile: dict[str, Any] = {
        f"image_{size}": f"{base}/{size}.png" for size in (24, 32, 48, 72, 192, 512, 1024)
    }
    profile["image_original"] = f"{base}/original.png"
    profile["avatar_hash"] = AVATAR_HASH
    return {"ok": True, "profile": profile}


@dataclass
class Answer:
    """One scripted answer: status, headers, body; optional delay before it; or a dropped socket."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False

    @classmethod
    def json(cls, value: Any, status: int = 200, **headers: str) -> Answer:
        return cls(
            status=status,
            body=json.dumps(value).encode(),
            headers={"content-type": "application/json; charset=utf-8", **headers},
        )


@dataclass
class ReceivedFile:
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    fields: dict[str, str]
    files: dict[str, ReceivedFile]


class ScriptedSlack:
    """State of the running server: the script of answers and the requests received."""

    def __init__(self) -> None:
        self.script: list[Answer] = []
        self.default: Answer = Answer.json(success_reply())
        self.requests: list[ReceivedRequest] = []
        self.base_url = ""

    def answer(self, *answers: Answer) -> None:
        """Queue answers, used in order; after them the default answer is given."""
        self.script.extend(answers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        fields: dict[str, str] = {}
        files: dict[str, ReceivedFile] = {}
        if request.headers.get("content-type", "").startswith("multipart/"):
            form = await request.form()
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files[name] = ReceivedFile(
                        value.filename, value.content_type, await value.read()
                    )
                else:
                    fields[name] = value
            await form.close()
        self.requests.append(
            ReceivedRequest(
                method=request.method,
                path=request.url.path,
                headers={key.lower(): value for key, value in request.headers.items()},
                body=body,
                fields=fields,
                files=files,
            )
        )
        answer = self.script.pop(0) if self.script else self.default
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.drop:
            _abort_connection(receive)
            return
        # A hostile or broken server may echo the credentials it was sent.
        body = answer.body.replace(
            b"{authorization}", request.headers.get("authorization", "").encode()
        )
        headers = [
            (
                key.encode(),
                value.replace("{authorization}", request.headers.get("authorization", "")).encode(),
            )
            for key, value in answer.headers.items()
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _abort_connection(receive: Receive) -> None:
    """Close the socket under uvicorn without any HTTP answer (a dropped connection)."""
    cycle: Any = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("cannot reach the connection to drop it")
    transport.abort()


@asynccontextmanager
async def scripted_slack() -> AsyncIterator[ScriptedSlack]:
    """Serve a ScriptedSlack on a free loopback port for the duration of the block."""
    app = ScriptedSlack()
    # IPPROTO_TCP (not 0) so asyncio turns Nagle off: with it on, each reply on a kept-alive
    # connection waited ~40 ms for the client's delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, access_log=False, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.005)
    app.base_url = f"http://127.0.0.1:{port}/api"
    try:
        yield app
    finally:
        server.should_exit = True
        await task
        sock.close()


class DiscardServer:
    """Counts the bytes of each request and throws them away; answers a valid success reply."""

    def __init__(self, read_delay: float = 0.0) -> None:
        self.base_url = ""
        self.received_bytes = 0
        self.read_delay = read_delay  # seconds between chunks: a slow reader upstream
        self.connections: set[asyncio.StreamWriter] = set()
        self.receiving = asyncio.Event()  # set once a request body starts to arrive

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            remaining = length
            while remaining:
                chunk = await reader.read(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)
                self.received_bytes += len(chunk)
                self.receiving.set()
                if self.read_delay:
                    await asyncio.sleep(self.read_delay)
            body = json.dumps(success_reply()).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: nothing to answer
        finally:
            self.connections.discard(writer)
            writer.close()


@asynccontextmanager
async def discard_server(read_delay: float = 0.0) -> AsyncIterator[DiscardServer]:
    """A minimal loopback server: it keeps no request bodies, and may read them slowly."""
    state = DiscardServer(read_delay)
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    state.base_url = f"http://127.0.0.1:{port}/api"
    try:
        yield state
    finally:
        server.close()
        # asyncio.Server.close() leaves accepted connections open: close them too, so a
        # test counting sockets sees only what the client side left behind.
        for writer in list(state.connections):
            writer.transport.abort()
        await asyncio.sleep(0)
        await server.wait_closed()


@contextmanager
def scripted_slack_in_thread() -> Iterator[ScriptedSlack]:
    """A ScriptedSlack served from its own thread and event loop, for synchronous callers."""
    ready: queue.Queue[ScriptedSlack | BaseException] = queue.Queue()
    stop = threading.Event()

    async def serve() -> None:
        async with scripted_slack() as app:
            ready.put(app)
            await asyncio.to_thread(stop.wait)

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as error:  # handed to the waiting thread
            ready.put(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started = ready.get(timeout=10)
    if isinstance(started, BaseException):
        raise started
    try:
        yield started
    finally:
        stop.set()
        thread.join(timeout=10)
