"""A bound on the host's requests the MCP server has read and not yet answered.

The SDK reads stdin for as long as the host writes and runs each request in a task of
its own, which then waits to write its answer on stdout. A host that writes requests but
does not read the answers (it hung, or reads only once it has written them all) left
every request read, parsed and answered in memory, waiting on a full pipe: tens of
thousands of them took gigabytes. Here the server stops reading once ``limit`` requests
are unanswered, so the host's own writes wait, as a pipe's writer does, instead.
A request counts until its answer is written or the host cancels it (a cancelled request
is never answered, as MCP says). A request waiting for room once the host has closed
stdin (``host_gone``) is not let in: the read ends there, as at the end of stdin, and the
SDK cancels the calls under way. It was let in as room came, and started, for a host
long gone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from types import TracebackType
from typing import Any, Final, Self

__all__ = ["MAX_UNANSWERED", "CountedWriteStream", "InFlightRequests", "WrappedStream"]

# Far more than a host waits on at once (a model's calls, a tools/list, a ping), few
# enough that the answers held cannot exhaust memory.
MAX_UNANSWERED: Final = 64


class InFlightRequests:
    """The requests read and not yet answered, at most ``limit`` at a time."""

    def __init__(self, limit: int = MAX_UNANSWERED) -> None:
        self._free = asyncio.Semaphore(limit)
        self._open: Counter[int | str] = Counter()
        self._gone = asyncio.Event()

    def host_gone(self) -> None:
        """The host closed stdin: no request that must wait for room is let in."""
        self._gone.set()

    @property
    def gone(self) -> bool:
        """Whether the host has closed stdin."""
        return self._gone.is_set()

    async def admit(self, item: object) -> None:
        """Wait for room for ``item`` if it is a request; a cancel frees its request's."""
        message = getattr(item, "message", None)
        method = getattr(message, "method", None)
        if not isinstance(method, str):
            return  # a response to the server's own request: nothing to answer
        request_id = _key(getattr(message, "id", None))
        if request_id is None:
            if method == "notifications/cancelled":
                params = getattr(message, "params", None)
                if isinstance(params, dict):
                    self._settle(_key(params.get("requestId")))
            return
        await self._room()
        self._open[request_id] += 1

    async def _room(self) -> None:
        """Room for a request; where it must wait for some, ``anyio.EndOfStream`` once the
        host has gone (the read's end, as at the end of stdin). With room, a request is let
        in as before, and the read goes on to the end of stdin: a host that writes a
        request and closes stdin at once (``echo ... | ... mcp``) is answered as ever."""
        import anyio

        if not self._free.locked():
            await self._free.acquire()  # at once
            return
        room = asyncio.ensure_future(self._free.acquire())
        gone = asyncio.ensure_future(self._gone.wait())
        try:
            await asyncio.wait((room, gone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            if not room.done():
                room.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await room
        if room.cancelled():
            raise anyio.EndOfStream
        if self._gone.is_set():  # room came with the end: given back, nothing let in
            self._free.release()
            raise anyio.EndOfStream

    def answered(self, item: object) -> None:
        """Free the room of the request ``item`` answers, if it is an answer."""
        message = getattr(item, "message", None)
        if getattr(message, "method", None) is None:
            self._settle(_key(getattr(message, "id", None)))

    def _settle(self, request_id: int | str | None) -> None:
        if request_id is None or not self._open.get(request_id):
            return  # answered already (a cancel that came too late), or never counted
        self._open[request_id] -= 1
        if not self._open[request_id]:
            del self._open[request_id]
        self._free.release()


class WrappedStream:
    """One of the SDK's streams, wrapped: closed, entered and left as the stream itself."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        result: bool | None = await self._inner.__aexit__(exc_type, exc_val, exc_tb)
        return result


class CountedWriteStream(WrappedStream):
    """The SDK's write stream, freeing each answered request's room in ``in_flight``."""

    def __init__(self, inner: Any, in_flight: InFlightRequests) -> None:
        super().__init__(inner)
        self._in_flight = in_flight

    async def send(self, item: Any, /) -> None:
        try:
            await self._inner.send(item)
        finally:
            self._in_flight.answered(item)


def _key(request_id: object) -> int | str | None:
    """``request_id`` as the SDK matches a cancel to its request ("7" is 7); None if it is
    no request id."""
    if isinstance(request_id, bool) or not isinstance(request_id, (int, str)):
        return None
    if isinstance(request_id, str):
        try:
            return int(request_id)
        except ValueError:
            return request_id
    return request_id
