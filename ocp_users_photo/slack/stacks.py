"""The HTTP stack a SlackClient opens for itself: aiohttp's (the ``[fast]`` extra) or httpx's own.

Both are httpx transports, so requests and responses stay httpx's, and the client
hands each request straight to the transport: none of ``AsyncClient.send``'s layers
(URL and header merging, auth and redirect loops, the cookie jar) is used by a Slack
call, and skipping them saves 0.2-0.36 ms a call (benchmarks/README.md).

- ``aiohttp``: httpx-aiohttp's ``AiohttpTransport`` over an aiohttp session this module
  makes: no cookie jar, no environment read, TLS verified with httpx's certificate
  store. aiohttp's HTTP parser and writer are C, and its pool does not scan every
  connection per request as httpcore's does, which is what throughput at concurrency
  32-64 needs. httpx-aiohttp reports a connection reset mid-upload as
  ``httpx.ConnectTimeout`` (``httpx_error_of`` maps it again, from aiohttp's error) and
  has no write timeout: the client bounds each attempt itself, and tells "not reached"
  from whether the body began to go out, not from the error's type.
- ``httpx``: ``httpx.AsyncHTTPTransport`` (httpcore), what httpx's client would use.

``auto`` picks aiohttp when the extra is installed (and the proxy, if any, is an http
one, the only kind aiohttp speaks), else httpx. A proxy comes from the settings
(``slack/proxies.py``); a transport reads no environment of its own.
"""

from __future__ import annotations

import importlib.util
import ssl
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import httpx

if TYPE_CHECKING:
    import aiohttp

StackName = Literal["auto", "aiohttp", "httpx"]
STACK_NAMES: Final = ("auto", "aiohttp", "httpx")
EXTRA_ADVICE: Final = "install the fast extra: pip install 'ocp-users-photo[fast]'"
# httpx's own defaults, kept for both stacks: at most 100 connections, idle ones kept 5 s.
LIMITS: Final = httpx.Limits(max_connections=100, max_keepalive_connections=20)


def aiohttp_installed() -> bool:
    """Whether the ``[fast]`` extra is importable (checked without importing it)."""
    return all(importlib.util.find_spec(name) is not None for name in ("aiohttp", "httpx_aiohttp"))


def check_stack_name(name: object, *, origin: str) -> StackName:
    """``name`` if it names a stack this installation can open; else ValueError saying why."""
    if name not in STACK_NAMES:
        choices = ", ".join(repr(choice) for choice in STACK_NAMES)
        raise ValueError(f"{origin} must be one of {choices}, got {name!r}")
    if name == "aiohttp" and not aiohttp_installed():
        raise ValueError(f"{origin} is 'aiohttp', which is not installed: {EXTRA_ADVICE}")
    return name


def resolve_stack(requested: StackName, proxy: str | None) -> Literal["aiohttp", "httpx"]:
    """The stack ``requested`` stands for here: ``auto`` becomes aiohttp when it can serve."""
    if requested != "auto":
        return requested
    if proxy is not None and not proxy.lower().startswith("http://"):
        return "httpx"  # aiohttp tunnels through http proxies only
    return "aiohttp" if aiohttp_installed() else "httpx"


@dataclass
class OwnedStack:
    """A transport opened for one event loop; requests go to it directly."""

    name: Literal["aiohttp", "httpx"]
    transport: httpx.AsyncBaseTransport
    is_closed: bool = False

    async def send(self, request: httpx.Request) -> httpx.Response:
        return await self.transport.handle_async_request(request)

    async def aclose(self) -> None:
        self.is_closed = True
        await self.transport.aclose()


def tls_context() -> ssl.SSLContext:
    """httpx's verifying TLS context (certifi's store). Blocking: it reads the store's files."""
    return httpx.create_ssl_context(trust_env=False)


def open_stack(
    name: Literal["aiohttp", "httpx"], *, proxy: str | None, ssl_context: ssl.SSLContext
) -> OwnedStack:
    """A new transport of stack ``name``; no I/O (connections are made per request)."""
    if name == "httpx":
        transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(
            verify=ssl_context, proxy=proxy, limits=LIMITS
        )
        return OwnedStack("httpx", transport)
    from httpx_aiohttp import AiohttpTransport

    def session() -> aiohttp.ClientSession:
        # Made on the event loop at the first request: an aiohttp session belongs to its loop.
        import aiohttp

        connector = aiohttp.TCPConnector(
            ssl=ssl_context,
            limit=LIMITS.max_connections or 0,
            keepalive_timeout=LIMITS.keepalive_expiry or 0,
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # a reply's cookies never go back to Slack
            trust_env=False,
            auto_decompress=False,  # httpx decodes: the read cap counts the inflated bytes
        )

    # verify= the context made here, so the transport does not load the certificates again.
    options: dict[str, Any] = {"client": session, "limits": LIMITS, "verify": ssl_context}
    if proxy is not None:
        options["proxy"] = httpx.Proxy(proxy)
    return OwnedStack("aiohttp", AiohttpTransport(**options))


def httpx_error_of(error: Exception) -> httpx.HTTPError | None:
    """``error`` as the httpx error httpx's own transport raises for the same fault; None
    for an error that is no HTTP fault.

    httpx-aiohttp maps any dropped or refused connection to ``httpx.ConnectTimeout``, a
    connect timeout to a bare ``TimeoutException``, and lets other aiohttp errors through
    as they are (a malformed status or header line arrives as ``ClientResponseError``,
    quoting the line and whatever the server echoed in it). The errors it raises keep
    aiohttp's as their cause, so each is mapped again from that cause: a refused
    connection reads ``ConnectError``, a reset one ``NetworkError``. This applies to a
    caller's client on httpx-aiohttp too; without aiohttp imported there is none to map.
    """
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None:
        cause = error.__cause__ if isinstance(error, httpx.TransportError) else error
        if isinstance(cause, aiohttp.ClientError):
            return _as_httpx_error(cause)
    return error if isinstance(error, httpx.HTTPError) else None


def _as_httpx_error(error: aiohttp.ClientError) -> httpx.TransportError:
    """The httpx error for an aiohttp one; the most specific class first."""
    import aiohttp

    text = str(error)
    kinds: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
        (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
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
