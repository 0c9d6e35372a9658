"""The tests' one raw loopback server: HTTP/1.1 answers from a script, byte by byte.

Slack-shaped answers come from the shipped emulator (its faults script them); this
is for what a framework would take away: a Content-Length that is absent or lies, a
body that drips, endless chunks, a redirect that sets a cookie, an image host over
TLS, a request body read slowly and thrown away (``read_delay``; only its size is
kept), a connection reset part-way through a request body (``reset_after``). Every
request is recorded with its headers. TLS certificates come from ``trustme`` for
127.0.0.1 and the test names; ``ssl_context=None`` serves plain HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

Answer = Callable[[asyncio.StreamWriter], Awaitable[None]]
Headers = Sequence[tuple[str, str]]
MAX_HEAD_BYTES = 64 * 1024


@dataclass
class SeenRequest:
    """One request as it reached the server."""

    method: str
    target: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    @property
    def header_names(self) -> set[str]:
        return {key for key, _ in self.headers}


@dataclass
class LoopbackServer:
    """The running server: its port, its script (path -> answer), what it saw."""

    port: int = 0
    scheme: str = "https"
    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[SeenRequest] = field(default_factory=list)
    connections: int = 0
    broken_off: int = 0
    read_delay: float = 0.0  # seconds between the request body's chunks: a slow reader
    received_bytes: int = 0  # request body bytes read, over all requests
    reset_after: int | None = None  # reset the connection once this many body bytes came
    resets: int = 0
    receiving: asyncio.Event = field(default_factory=asyncio.Event)  # a body began to arrive
    open_writers: set[asyncio.StreamWriter] = field(default_factory=set)

    def base_url(self) -> str:
        """The address as a Slack API base URL (``.../api``)."""
        return self.url("/api")

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def on(self, path: str, answer: Answer) -> None:
        self.answers[path] = answer

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_writers.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request = _parse_head(head)
            self.requests.append(request)
            await self._discard_body(reader, request)
            answer = self.answers.get(request.target.partition("?")[0], reply(404, b"no route"))
            await answer(writer)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            self.broken_off += 1
        except asyncio.LimitOverrunError:
            pass
        except _ResetNow:
            self.resets += 1
            _reset(writer)
        finally:
            self.open_writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError, OSError):
                await writer.wait_closed()

    async def _discard_body(self, reader: asyncio.StreamReader, request: SeenRequest) -> None:
        declared = request.header("content-length")
        remaining = int(declared) if declared and declared.isdigit() else 0
        while remaining:
            chunk = await reader.read(min(remaining, 65536))
            if not chunk:
                raise asyncio.IncompleteReadError(b"", remaining)
            remaining -= len(chunk)
            self.received_bytes += len(chunk)
            self.receiving.set()
            if self.reset_after is not None and self.received_bytes >= self.reset_after:
                raise _ResetNow
            if self.read_delay:
                await asyncio.sleep(self.read_delay)


class _ResetNow(Exception):
    """The script says: reset this connection now."""


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (RST), not a FIN: what a crashed server or a middlebox sends."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _parse_head(head: bytes) -> SeenRequest:
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
    return SeenRequest(method, target, headers)


@contextlib.asynccontextmanager
async def serve(ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[LoopbackServer]:
    """Serve on 127.0.0.1 on a free port for the duration of the block."""
    host = LoopbackServer(scheme="https" if ssl_context is not None else "http")
    server = await asyncio.start_server(
        host.handle, "127.0.0.1", 0, ssl=ssl_context, limit=MAX_HEAD_BYTES
    )
    host.port = server.sockets[0].getsockname()[1]
    try:
        yield host
    finally:
        server.close()
        # asyncio.Server.close() leaves accepted connections open: abort them too, so a test
        # counting sockets sees only what the client side left behind.
        for writer in list(host.open_writers):
            writer.transport.abort()
        await asyncio.sleep(0)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 5)


def _head(status: int, headers: Headers, reason: str = "Status") -> bytes:
    # The reason phrase as UTF-8 bytes (written as latin-1 below, byte for byte).
    lines = [f"HTTP/1.1 {status} {reason.encode().decode('latin-1')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def reply(
    status: int = 200,
    body: bytes = b"",
    headers: Headers = (),
    *,
    length: bool = True,
    reason: str = "Status",
) -> Answer:
    """A whole answer; ``length=False`` leaves Content-Length out (the body ends at close)."""

    async def answer(writer: asyncio.StreamWriter) -> None:
        sent = list(headers)
        if length and not any(name.lower() == "content-length" for name, _ in sent):
            sent.append(("Content-Length", str(len(body))))
        writer.write(_head(status, sent, reason) + body)
        await writer.drain()

    return answer


def chunked(chunks: Iterable[bytes]) -> Answer:
    """A chunked answer from ``chunks`` (which may be long: it stops when the client leaves)."""

    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(200, [("Transfer-Encoding", "chunked")]))
        for chunk in chunks:
            _still_open(writer)
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    return answer


def drip(first: bytes, interval: float) -> Answer:
    """Headers and ``first``, then one byte every ``interval`` seconds, a thousand times."""

    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(200, []) + first)
        await writer.drain()
        for _ in range(1000):
            await asyncio.sleep(interval)
            _still_open(writer)
            writer.write(b"\x00")
            await writer.drain()

    return answer


def _still_open(writer: asyncio.StreamWriter) -> None:
    if writer.is_closing():
        raise ConnectionResetError("the client left")


def redirect(location: str, status: int = 302, headers: Headers = ()) -> Answer:
    return reply(status, b"", [("Location", location), *headers])


def silent() -> Answer:
    """Say nothing at all (not even headers) until the client leaves, or 10 seconds."""

    async def answer(writer: asyncio.StreamWriter) -> None:
        for _ in range(200):
            await asyncio.sleep(0.05)
            _still_open(writer)

    return answer


@contextlib.contextmanager
def unanswered_port() -> Iterator[int]:
    """A loopback port whose listen queue is full: a connect to it never completes (the
    kernel drops the SYN, as a firewall that drops packets does), so nothing can be sent
    there, let alone reach a server."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        queued = []
        for _ in range(8):
            waiting = socket.socket()
            waiting.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                waiting.connect(("127.0.0.1", port))
            queued.append(waiting)
        try:
            yield port
        finally:
            for waiting in queued:
                waiting.close()
