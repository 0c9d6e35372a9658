"""A loopback HTTPS server for the image-fetch tests: raw HTTP/1.1 answers from a script.

Byte-level control that a framework would take away: a Content-Length that is
absent or lies, a body that drips, endless chunks, a redirect that sets a cookie.
Every request is recorded with its headers. TLS certificates come from ``trustme``
for 127.0.0.1 and the test names; ``ssl_context=None`` serves plain HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
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
class ImageHost:
    """The running server: its port, its script (path -> answer), what it saw."""

    port: int = 0
    scheme: str = "https"
    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[SeenRequest] = field(default_factory=list)
    connections: int = 0
    broken_off: int = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def on(self, path: str, answer: Answer) -> None:
        self.answers[path] = answer

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request = _parse_head(head)
            self.requests.append(request)
            answer = self.answers.get(request.target.partition("?")[0], reply(404, b"no route"))
            await answer(writer)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            self.broken_off += 1
        except asyncio.LimitOverrunError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError, OSError):
                await writer.wait_closed()


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
async def serve(ssl_context: ssl.SSLContext | None) -> AsyncIterator[ImageHost]:
    """Serve on 127.0.0.1 on a free port for the duration of the block."""
    host = ImageHost(scheme="https" if ssl_context is not None else "http")
    server = await asyncio.start_server(
        host.handle, "127.0.0.1", 0, ssl=ssl_context, limit=MAX_HEAD_BYTES
    )
    host.port = server.sockets[0].getsockname()[1]
    try:
        yield host
    finally:
        server.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 5)


def _head(status: int, headers: Headers) -> bytes:
    lines = [f"HTTP/1.1 {status} Status"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def reply(
    status: int = 200, body: bytes = b"", headers: Headers = (), *, length: bool = True
) -> Answer:
    """A whole answer; ``length=False`` leaves Content-Length out (the body ends at close)."""

    async def answer(writer: asyncio.StreamWriter) -> None:
        sent = list(headers)
        if length and not any(name.lower() == "content-length" for name, _ in sent):
            sent.append(("Content-Length", str(len(body))))
        writer.write(_head(status, sent) + body)
        await writer.drain()

    return answer


def chunked(chunks: Iterable[bytes], headers: Headers = ()) -> Answer:
    """A chunked answer from ``chunks`` (which may be long: it stops when the client leaves)."""

    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(200, [*headers, ("Transfer-Encoding", "chunked")]))
        for chunk in chunks:
            _still_open(writer)
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    return answer


def drip(first: bytes, interval: float, headers: Headers = (), *, drops: int = 1000) -> Answer:
    """Headers and ``first``, then one byte every ``interval`` seconds, ``drops`` times."""

    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(200, headers) + first)
        await writer.drain()
        for _ in range(drops):
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


def silent(most: float = 10.0, step: float = 0.05) -> Answer:
    """Say nothing at all (not even headers) until the client leaves, or ``most`` seconds."""

    async def answer(writer: asyncio.StreamWriter) -> None:
        for _ in range(int(most / step)):
            await asyncio.sleep(step)
            _still_open(writer)

    return answer
