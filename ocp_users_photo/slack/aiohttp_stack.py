"""The ``aiohttp`` stack (the ``[fast]`` extra): aiohttp's client session, and its errors as
the httpx errors the client classifies.

The session is made here: no cookie jar (a reply's cookies never go back to Slack),
no environment read, TLS verified with httpx's certificate store, bodies left encoded
(the client decodes, so its read cap counts inflated bytes), redirects never
followed. aiohttp has no write timeout: the client bounds each attempt itself, and
tells "not reached" from whether the body began to go out (``FormBody.started``).

aiohttp is called directly rather than through httpx-aiohttp's httpx transport:
measured, its layer (an ``httpx.Request`` and ``httpx.Response`` per call and their
headers, its stream wrappers) cost 40-60 us a call, and its error mapping had to be
done again anyway: it reports a refused, reset or dropped connection alike as
``httpx.ConnectTimeout``, and lets other errors through as aiohttp's own (a malformed
status line arrives as ``ClientResponseError`` quoting the line, and whatever the
server echoed in it). ``httpx_error_of`` maps aiohttp's errors to what httpx's own
transport raises for the same fault, for this stack and for a caller's client on
httpx-aiohttp alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import re
import ssl
import sys
import weakref
from collections.abc import Awaitable, Callable
from functools import cache
from typing import TYPE_CHECKING, Any

import httpx

from ocp_users_photo.credentials import AuthorizationHeader, basic_credentials
from ocp_users_photo.slack.form import FormBody
from ocp_users_photo.slack.stacks import (
    AIOHTTP_MAX_HEADERS,
    LIMITS,
    Answer,
    RequestHead,
    connect_timeout,
)

if TYPE_CHECKING:
    import aiohttp
    import yarl

# " ssl:default", " ssl:<ssl.SSLContext object at 0x...>" in aiohttp's connection errors.
_TLS_SETTING = re.compile(r" ssl:(?:<[^>]{0,200}>|\S{1,40})")


class AiohttpStack:
    """An aiohttp session for one event loop, made at the first request (it belongs to a loop)."""

    def __init__(self, *, proxy: str | None, ssl_context: ssl.SSLContext, timeout: float) -> None:
        import aiohttp

        self._ssl_context = ssl_context
        self._session: aiohttp.ClientSession | None = None
        connecting = connect_timeout(timeout)
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=connecting, sock_connect=connecting, sock_read=timeout
        )
        self._proxy: str | None = None
        self._proxy_headers: dict[str, str] | None = None
        if proxy is not None:
            parsed = httpx.Proxy(proxy)  # its credentials go in a header, not in the URL
            self._proxy = str(parsed.url)
            if parsed.auth is not None:
                credentials = basic_credentials(*parsed.auth)
                self._proxy_headers = {"Proxy-Authorization": f"Basic {credentials}"}
        self._urls: dict[str, yarl.URL] = {}  # parsed once per method
        self._connector: aiohttp.BaseConnector | None = None
        self.is_closed = False

    def _session_now(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None:
            connector = _aborting_connector_class()(
                ssl=self._ssl_context,
                limit=LIMITS.max_connections or 0,
                keepalive_timeout=LIMITS.keepalive_expiry or 0,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                auto_decompress=False,
                max_headers=AIOHTTP_MAX_HEADERS,
            )
            # A tool never closed (or left behind on a finished event loop) lets go of its
            # connections quietly, as httpx's client does, not with aiohttp's "Unclosed
            # client session" complaint on stderr when it is collected: the connector knows
            # its stack (weakly: QuietConnector).
            setattr(connector, "_stack", weakref.ref(self))  # noqa: B010 (QuietConnector's)
            self._connector = connector
        return self._session

    async def post(self, url: str, head: RequestHead, body: FormBody) -> Answer:
        import yarl

        from ocp_users_photo.slack.aiohttp_payload import StartedBytes

        session = self._session_now()
        whole = body.whole
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = self._urls[url] = yarl.URL(url)
        response = await session.request(
            "POST",
            parsed,
            headers=head.headers,
            # Added by a middleware, on aiohttp's request object: the headers aiohttp's own
            # frames keep (what an error reporter captures of them) never hold it.
            middlewares=() if head.authorization is None else (_Authorizing(head.authorization),),
            data=body if whole is None else StartedBytes(body, whole),
            allow_redirects=False,
            timeout=self._timeout,
            proxy=self._proxy,
            proxy_headers=self._proxy_headers,
        )
        return Answer(
            response.status,
            httpx.Headers(response.raw_headers),
            response.content.iter_any(),
            _releaser(response),
        )

    def let_go(self) -> None:
        """Its loop was closed: its connector is marked closed now; the stack is collected
        with that loop and any call left under way on it (whose frames hold this stack)."""
        if self._connector is not None:
            _let_go(self._connector, self._session)

    async def aclose(self) -> None:
        self.is_closed = True
        if self._session is not None:
            await self._session.close()


class _Authorizing:
    """An aiohttp client middleware that sets the Authorization header on the request."""

    __slots__ = ("_authorization",)

    def __init__(self, authorization: AuthorizationHeader) -> None:
        self._authorization = authorization

    async def __call__(
        self,
        request: aiohttp.ClientRequest,
        handler: Callable[[aiohttp.ClientRequest], Awaitable[aiohttp.ClientResponse]],
    ) -> aiohttp.ClientResponse:
        request.headers["Authorization"] = self._authorization.value()
        return await handler(request)

    def __repr__(self) -> str:
        return f"_Authorizing({self._authorization!r})"


@cache
def _aborting_connector_class() -> type[aiohttp.TCPConnector]:
    """aiohttp's connector, except that a connection it closes is aborted, and a kept-alive
    one that received a reply while idle is not reused (made once).

    aiohttp closes a connection it will not reuse (a failed or timed-out attempt, a reply
    not read whole) gracefully: asyncio's ``transport.close()`` waits for the write buffer
    to drain. Against a server that stopped reading, it never does, so the socket and up
    to a whole image's bytes outlived the call and ``aclose()`` for as long as the peer
    held the connection (and no longer counted against the pool's limit). Aborted, the
    socket goes at once; a connection whose request and reply were done has nothing left
    to send, so nothing is lost. ``_release`` is aiohttp's own hook for it (the same
    signature since aiohttp 3.0), overridden only where it exists.

    A reply that reaches an idle pooled connection (a load balancer's, a server's bug) is
    queued by aiohttp and was read as the answer to the next request sent on it: a call
    said the photo was set while the server had refused it. ``_get`` (aiohttp's own,
    overridden only where it is a coroutine function) drops such a connection and takes
    the next; httpx's pool drops one whose socket has bytes waiting, and stacks.py one
    whose bytes came with the reply before.
    """
    import aiohttp

    class QuietConnector(aiohttp.TCPConnector):
        """Closed, as its session sees it, once its stack is gone, and then collected without
        aiohttp's "Unclosed connector" / "Unclosed client session" complaints.

        Not a ``weakref.finalize`` holding the connector: the finalizer registry held it,
        the connector its loop, and the loop the stack (an attribute, slack/loop_stacks.py),
        so a loop dropped unclosed (``new_event_loop().run_until_complete`` per request, an
        old-style sync view) was never collected, with its selector, self-pipe and
        connection: four descriptors a request, for good. The stack, its session and this
        connector are now collected with the loop; the weak reference to the stack is
        cleared before any of them is finalized, whatever the order."""

        _stack: Callable[[], object] | None = None

        def _dropped(self) -> bool:
            return self._stack is not None and self._stack() is None

        @property
        def closed(self) -> bool:
            return self._closed or self._dropped()

        def __del__(self, _warnings: Any = None) -> None:
            if not self._closed and self._dropped():
                _let_go(self)
                return
            if _warnings is None:
                super().__del__()
            else:
                super().__del__(_warnings)

    class AbortingConnector(QuietConnector):
        def _release(self, key: Any, protocol: Any, *, should_close: bool = False) -> None:
            if should_close or getattr(protocol, "should_close", False):
                abort = getattr(protocol, "abort", None)
                if callable(abort):
                    abort()
            super()._release(key, protocol, should_close=should_close)

    async def _get(self: aiohttp.TCPConnector, *args: Any, **kwargs: Any) -> Any:
        while True:
            connection = await aiohttp.TCPConnector._get(self, *args, **kwargs)
            if connection is None or not getattr(connection.protocol, "should_close", False):
                return connection
            connection.close()  # released with should_close: aborted, never pooled again

    if not callable(getattr(aiohttp.TCPConnector, "_release", None)):
        return QuietConnector
    if inspect.iscoroutinefunction(getattr(aiohttp.TCPConnector, "_get", None)):
        setattr(AbortingConnector, "_get", _get)  # noqa: B010 (a private method, typed by aiohttp)
    return AbortingConnector


def _let_go(connector: aiohttp.BaseConnector, session: aiohttp.ClientSession | None = None) -> None:
    """Mark ``connector`` closed without its event loop: its sockets close where that loop still
    runs, else when they are collected. aiohttp's ``close()`` must be awaited on the loop,
    which is gone by the time a forgotten stack is collected; its synchronous part is
    ``_close()``, used here, guarded, for want of a public one. The collector may run this
    on another thread than the loop's (a token source's refresh loop, in a thread of its
    own): there the close is handed to the loop, as a transport may only be closed on its
    own loop's thread (closed from another, its socket was left open, and the loop never
    woke to finish it), and ``session`` is let go of its connector at once (aiohttp's
    ``detach``), so that it is not collected complaining it was never closed."""
    close = getattr(connector, "_close", None)
    if not callable(close):
        return
    loop = getattr(connector, "_loop", None)
    if isinstance(loop, asyncio.AbstractEventLoop) and loop.is_running() and not _runs_here(loop):
        with contextlib.suppress(RuntimeError):  # closed meanwhile: closed here, below
            loop.call_soon_threadsafe(_closed_quietly, close)
            if session is not None:
                session.detach()
            return
    _closed_quietly(close)


def _runs_here(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``loop`` is the event loop running in this thread."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _closed_quietly(close: Callable[[], object]) -> None:
    with contextlib.suppress(Exception):
        close()


def _releaser(response: aiohttp.ClientResponse) -> Callable[[], Awaitable[None]]:
    async def release() -> None:
        # The connection goes back to the pool when the body was read whole; else it closes.
        response.release()

    return release


def httpx_error_of(error: Exception) -> httpx.HTTPError | None:
    """``error`` as the httpx error httpx's own transport raises for the same fault; None
    for an error that is no HTTP fault. Without aiohttp imported, there is none to map."""
    # While another thread is still importing aiohttp, sys.modules holds it half made,
    # without ClientError yet: no aiohttp error can have been raised then.
    client_error = getattr(sys.modules.get("aiohttp"), "ClientError", None)
    if client_error is not None:
        cause = error.__cause__ if isinstance(error, httpx.TransportError) else error
        if isinstance(cause, client_error):
            return _as_httpx_error(cause)
    # A SOCKS proxy that closes or answers garbage in its handshake: httpcore lets socksio's
    # own error through. The proxy refused the tunnel, so nothing reached Slack.
    socks_error = getattr(sys.modules.get("socksio.exceptions"), "ProtocolError", None)
    if socks_error is not None and isinstance(error, socks_error):
        return httpx.ProxyError("the SOCKS proxy broke off its handshake")
    if isinstance(error, ssl.SSLError):
        # After the handshake httpcore lets ssl's own error through (anyio raises it again):
        # a record that failed its check (forged, or tampered with on the way) broke the
        # connection, as a reset does. Said in words of our own, not the library's.
        return httpx.ReadError(
            "the TLS connection broke: a record from the server failed its check"
        )
    return error if isinstance(error, httpx.HTTPError) else None


def _as_httpx_error(error: aiohttp.ClientError) -> httpx.TransportError:
    """The httpx error for an aiohttp one; the most specific class first."""
    import aiohttp

    # aiohttp names its TLS setting in a connection error ("ssl:default", an SSLContext's
    # repr), which says nothing to a reader and reads as TLS to a plain-http URL.
    text = _TLS_SETTING.sub("", str(error))
    kinds: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
        # The proxy could not be reached: httpx says ConnectError (nothing was sent).
        (aiohttp.ClientProxyConnectionError, httpx.ConnectError),
        (aiohttp.ClientHttpProxyError, httpx.ProxyError),
        (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, DNS, TLS handshake
        (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
        (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
        (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
        (aiohttp.ClientOSError, httpx.NetworkError),  # reset, broken pipe
        (aiohttp.ClientPayloadError, httpx.ReadError),
        (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # a malformed reply
    )
    for aiohttp_kind, httpx_kind in kinds:
        if isinstance(error, aiohttp_kind):
            return httpx_kind(text)
    return httpx.TransportError(text)
