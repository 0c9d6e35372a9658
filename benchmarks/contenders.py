"""The clients that race the plugin, each set up the strongest way it can be used.

Every contender sends the same image bytes (from a path or from bytes), the same
three crop fields and the same Bearer token to the same loopback server, and checks
the reply's ``ok``. Each opens its client once, as a long-lived caller would.

- ``plugin``: ``UsersSetPhoto.call`` with the transport it owns, as shipped with the
  ``[fast]`` extra: aiohttp's, each request handed to it directly;
- ``plugin/httpx``: the same without the extra: httpx's own transport, handed each
  request directly;
- ``plugin+aiohttp``: the same tool given ``httpx.AsyncClient(transport=
  httpx_aiohttp.AiohttpTransport())``: httpx's interface over aiohttp's HTTP/1.1;
- ``plugin+pool``: the same tool given an httpx client whose pool keeps every
  connection it opens (``max_keepalive_connections=100``; httpx keeps 20 by default);
- ``httpx``: one shared ``httpx.AsyncClient``, ``post(files=..., data=...)`` as
  documented (the floor the plugin builds on);
- ``httpx+batching``: the same, with the request body handed on in 256 KB writes,
  as the plugin does (the encoder yields each 64 KB block and part header alone);
- ``slack_sdk+session``: ``AsyncWebClient(session=...)`` with ONE shared
  ``aiohttp.ClientSession``: slack_sdk's fastest use;
- ``slack_sdk+session/read``: the same, a path's file read whole in the call and given
  as bytes (from bytes it is the same call): faster at concurrency 1 and for small files;
- ``slack_sdk``: ``AsyncWebClient`` as documented, a new aiohttp session (and
  connection) per call.

``plugin+h2`` (httpx with ``http2=True`` and prior knowledge) needs a server that
speaks HTTP/2; it runs in its own section against granian (see loopback_server.py).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
import plugin_adapter
from images import ImageCase
from slack_sdk.web.async_client import AsyncWebClient

# Its secret part shares no run of 12 characters with the loopback server's avatar hash
# ("0123456789ab"): the plugin redacts such runs from replies, and the hash would then
# break the reply's schema.
TOKEN = "xoxp-1000000000-2000000000-3000000000-fedcba9876543210fedcba9876543210"
CROP = {"crop_x": 0, "crop_y": 0, "crop_w": 512}
CROP_FIELDS = {name: str(value) for name, value in CROP.items()}
WRITE_PIECE_BYTES = 256 * 1024
# slack_sdk's two ways with a path: the path given (slack_sdk opens it, aiohttp reads it in
# pieces), or the file read whole and given as bytes. Neither is faster everywhere (whole
# wins at concurrency 1 and at 100 KB; the open file at c=64 from 1 MB on), so the goals
# against slack_sdk take, per workload and concurrency, the faster of the two by median.
# From bytes both give the same bytes: the one way is taken.
SLACK_SDK_WAYS = ("slack_sdk+session", "slack_sdk+session/read")
SLACK_SDK_BEST = "slack_sdk's faster way"
SOURCES = ("path", "bytes")

ALL = (
    "plugin",
    "plugin/httpx",
    "plugin+aiohttp",
    "plugin+pool",
    "httpx",
    "httpx+batching",
    "slack_sdk+session",
    "slack_sdk+session/read",
    "slack_sdk",
)
# Not transport options for the plugin itself, but the pieces that explain its figures:
# httpx over aiohttp without the plugin, and the same with httpx's client layer skipped.
DECOMPOSITION = ("httpx+aiohttp", "transport-direct")
DESCRIPTIONS = {
    "plugin": "UsersSetPhoto.call, its own transport with [fast]: aiohttp's, sent directly",
    "plugin/httpx": "UsersSetPhoto.call, its own transport without [fast]: httpx's, sent directly",
    "plugin+aiohttp": "UsersSetPhoto given httpx.AsyncClient(transport=AiohttpTransport())",
    "plugin+pool": "UsersSetPhoto given httpx.AsyncClient(limits: keep 100 alive)",
    "plugin+h2": "UsersSetPhoto given httpx.AsyncClient(http1=False, http2=True)",
    "httpx": "one shared httpx.AsyncClient, post(files=, data=)",
    "httpx+batching": "the same, body handed on in 256 KB writes",
    "slack_sdk+session": "AsyncWebClient with one shared aiohttp.ClientSession",
    "slack_sdk+session/read": "the same, a path's file read whole and given as bytes",
    "slack_sdk": "AsyncWebClient as documented: an aiohttp session per call",
    "httpx2": "one shared httpx2.AsyncClient (pydantic's fork: a linear-time pool)",
    "httpx+aiohttp": "one shared httpx.AsyncClient(transport=AiohttpTransport()), batched",
    "transport-direct": "httpx.Request handed to AiohttpTransport directly (no client layer)",
}


@dataclass(frozen=True)
class Workload:
    case: ImageCase
    source: str  # "path" or "bytes"

    @property
    def key(self) -> str:
        return f"{self.case.label} from {self.source}"

    @property
    def plugin_arguments(self) -> dict[str, Any]:
        image = str(self.case.path) if self.source == "path" else self.case.data
        return {"image": image, **CROP}


Call = Callable[[Workload], Awaitable[None]]


@dataclass
class Contender:
    name: str
    call: Call
    close: Callable[[], Awaitable[None]]


class BatchedWrites(httpx.AsyncByteStream):
    """An httpx request body passed on in pieces of at least WRITE_PIECE_BYTES."""

    def __init__(self, stream: httpx.SyncByteStream | httpx.AsyncByteStream) -> None:
        if not isinstance(stream, httpx.AsyncByteStream):
            raise TypeError("an async byte stream is needed")
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # No copy of what is large already (httpx yields bytes given as one chunk): a piece
        # of WRITE_PIECE_BYTES or more goes on as it is, small ones are joined once. Joined
        # into a bytearray, as until 2026-12-05, every byte was copied twice (a 5 MB body
        # from bytes took 6.6 ms against bare httpx's 3.3).
        pending: list[bytes] = []
        size = 0
        async for chunk in self._stream:
            if not pending and len(chunk) >= WRITE_PIECE_BYTES:
                yield chunk
                continue
            pending.append(chunk)
            size += len(chunk)
            if size >= WRITE_PIECE_BYTES:
                yield b"".join(pending)
                pending, size = [], 0
        if pending:
            yield b"".join(pending)

    async def aclose(self) -> None:
        await self._stream.aclose()


def _checked(reply: httpx.Response) -> None:
    if reply.status_code != 200 or reply.json().get("ok") is not True:
        raise RuntimeError(f"the server refused the upload: {reply.text[:200]}")


def _bare_httpx(
    endpoint: str, *, batching: bool, client: Any = None, name: str | None = None
) -> Contender:
    client = client if client is not None else httpx.AsyncClient(timeout=30.0)
    auth = {"Authorization": f"Bearer {TOKEN}"}

    async def post(case: ImageCase, image: Any) -> None:
        files = {"image": (case.filename, image, case.content_type)}
        if not batching:
            _checked(await client.post(endpoint, headers=auth, data=CROP_FIELDS, files=files))
            return
        request = client.build_request(
            "POST", endpoint, headers=auth, data=CROP_FIELDS, files=files
        )
        request.stream = BatchedWrites(request.stream)
        _checked(await client.send(request))

    async def call(work: Workload) -> None:
        if work.source == "path":
            with work.case.path.open("rb") as file:
                await post(work.case, file)
        else:
            await post(work.case, work.case.data)

    return Contender(name or ("httpx+batching" if batching else "httpx"), call, client.aclose)


def _transport_direct(endpoint: str) -> Contender:
    """An httpx.Request given straight to the transport: what httpx's client layer costs."""
    from httpx_aiohttp import AiohttpTransport

    transport = AiohttpTransport()
    url = httpx.URL(endpoint)  # parsed once
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def post(case: ImageCase, image: Any) -> None:
        request = httpx.Request(
            "POST",
            url,
            headers=headers,
            data=CROP_FIELDS,
            files={"image": (case.filename, image, case.content_type)},
            extensions={"timeout": httpx.Timeout(30.0).as_dict()},
        )
        request.stream = BatchedWrites(request.stream)
        response = await transport.handle_async_request(request)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        if response.status_code != 200 or b'"ok":true' not in body:
            raise RuntimeError("the server refused the upload")

    async def call(work: Workload) -> None:
        if work.source == "path":
            with work.case.path.open("rb") as file:
                await post(work.case, file)
        else:
            await post(work.case, work.case.data)

    return Contender("transport-direct", call, transport.aclose)


def _plugin(
    name: str, api_url: str, client: httpx.AsyncClient | None, http_stack: str | None = None
) -> Contender:
    tool = plugin_adapter.make_tool(TOKEN, api_url, client=client, http_stack=http_stack)
    expected = "client" if client is not None else (http_stack or "aiohttp")
    if plugin_adapter.http_stack_of(tool) != expected:
        raise RuntimeError(f"{name} would not run on {expected}: is the [fast] extra installed?")

    async def call(work: Workload) -> None:
        await plugin_adapter.call(tool, work.plugin_arguments)

    async def close() -> None:
        await plugin_adapter.close(tool)
        if client is not None:
            await client.aclose()

    return Contender(name, call, close)


# slack_sdk tests its logger's own level (logger.level <= DEBUG), and a logger left at
# NOTSET passes: unset, every call formats its request, headers and form into debug text
# it throws away (20-40 us a call here). A caller who wants speed sets the level.
_QUIET_SLACK_SDK = logging.getLogger("benchmarks.slack_sdk")
_QUIET_SLACK_SDK.setLevel(logging.WARNING)
# Once for the process (catch_warnings around an await would race other tasks' filters).
warnings.filterwarnings("ignore", "In v4, passing bytes", DeprecationWarning)


def _slack_sdk(api_url: str, *, shared_session: bool, read_whole: bool = False) -> Contender:
    session = aiohttp.ClientSession() if shared_session else None
    web = AsyncWebClient(
        token=TOKEN, base_url=api_url + "/", session=session, logger=_QUIET_SLACK_SDK
    )

    async def call(work: Workload) -> None:
        # A path is opened by slack_sdk itself. Bytes go as bytes: aiohttp sends them in one
        # write, where a BytesIO (what slack_sdk's str | IOBase hint asks for) is read in
        # 256 KB pieces with a loop turn each (a 5 MB call 3.4 ms against 2.4). aiohttp 3
        # warns that bytes will stop making a file field in its v4. aiohttp takes no int
        # form values beside a file, so the crop is text.
        # read_whole: a path's file read into memory in the call and given as bytes, the
        # faster way at concurrency 1 and for small files (bench.py SLACK_SDK_WAYS).
        image: str | bytes
        if work.source == "bytes":
            image = work.case.data
        elif read_whole:
            image = work.case.path.read_bytes()
        else:
            image = str(work.case.path)
        reply = await web.users_setPhoto(image=image, **CROP_FIELDS)  # type: ignore[arg-type]
        if reply.get("ok") is not True:
            raise RuntimeError("slack_sdk's upload was refused")

    async def close() -> None:
        if session is not None:
            await session.close()

    name = "slack_sdk+session" if shared_session else "slack_sdk"
    return Contender(name + ("/read" if read_whole else ""), call, close)


def make_contender(name: str, api_url: str) -> Contender:
    """One contender, its client opened (the caller closes it)."""
    endpoint = f"{api_url}/users.setPhoto"
    if name == "plugin":
        return _plugin(name, api_url, None)
    if name == "plugin/httpx":
        return _plugin(name, api_url, None, http_stack="httpx")
    if name == "plugin+aiohttp":
        from httpx_aiohttp import AiohttpTransport

        return _plugin(name, api_url, httpx.AsyncClient(transport=AiohttpTransport(), timeout=30.0))
    if name == "plugin+pool":
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        return _plugin(name, api_url, httpx.AsyncClient(limits=limits, timeout=30.0))
    if name == "plugin+h2":
        return _plugin(name, api_url, httpx.AsyncClient(http1=False, http2=True, timeout=30.0))
    if name == "httpx":
        return _bare_httpx(endpoint, batching=False)
    if name == "httpx+batching":
        return _bare_httpx(endpoint, batching=True)
    if name == "httpx2":  # investigation only (profile_gap.py): not the plugin's interface
        import httpx2

        return _bare_httpx(
            endpoint, batching=False, client=httpx2.AsyncClient(timeout=30.0), name=name
        )
    if name == "httpx+aiohttp":
        from httpx_aiohttp import AiohttpTransport

        client = httpx.AsyncClient(transport=AiohttpTransport(), timeout=30.0)
        return _bare_httpx(endpoint, batching=True, client=client, name=name)
    if name == "transport-direct":  # investigation only
        return _transport_direct(endpoint)
    if name == "slack_sdk+session":
        return _slack_sdk(api_url, shared_session=True)
    if name == "slack_sdk+session/read":
        return _slack_sdk(api_url, shared_session=True, read_whole=True)
    if name == "slack_sdk":
        return _slack_sdk(api_url, shared_session=False)
    raise ValueError(f"unknown contender {name!r}")
