"""The HTTP stack a SlackClient opens for itself: aiohttp (the ``[fast]`` extra) or httpx's own.

The client hands each request straight to the stack and reads back an ``Answer``:
none of ``httpx.AsyncClient.send``'s layers (URL and header merging, auth and
redirect loops, the cookie jar) is used by a Slack call, and skipping them saves
0.2-0.36 ms a call (benchmarks/README.md). A caller's own ``httpx.AsyncClient`` is
read through the same ``Answer``.

- ``aiohttp`` (``slack/aiohttp_stack.py``): an aiohttp session this package makes. Its
  HTTP parser and writer are C, and its pool does not scan every connection per
  request as httpcore's does, which is what throughput at concurrency 32-64 needs.
- ``httpx``: ``httpx.AsyncHTTPTransport`` (httpcore), what httpx's client would use.

``auto`` picks aiohttp when the extra is installed at AIOHTTP_MINIMUM or later (and the
proxy, if any, is an http one, the only kind aiohttp tunnels through), else httpx. An
older aiohttp (another package may have installed one) is never used: before 3.13.4
it read any number of a reply's header lines, megabytes of them. The proxy comes from the
settings (``slack/proxies.py``); no stack reads the environment.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
import ssl
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

import httpx

from ocp_users_photo.credentials import AuthorizationHeader
from ocp_users_photo.extras import install_command
from ocp_users_photo.safe_text import quoted
from ocp_users_photo.slack.form import FormBody
from ocp_users_photo.trusted_roots import TrustedRoots

StackName = Literal["auto", "aiohttp", "httpx"]
STACK_NAMES: Final = ("auto", "aiohttp", "httpx")
# Where the settings read the stack from (``settings.py``), named in advice.
HTTP_STACK_VARIABLE: Final = "OCP_USERS_PHOTO_HTTP_STACK"
EXTRA_ADVICE: Final = "install the fast extra: " + install_command("fast", upgrade=True)
# The first aiohttp that bounds how many header lines a reply may have (max_headers).
AIOHTTP_MINIMUM: Final = (3, 13, 4)
# At most this many header lines in a reply (aiohttp's own default since 3.13.4; each at
# most 8190 bytes): ~1 MB of head, where httpx's h11 stops at 100 KB.
AIOHTTP_MAX_HEADERS: Final = 128
# httpx's own defaults, kept for both stacks: at most 100 connections, idle ones kept 5 s.
LIMITS: Final = httpx.Limits(max_connections=100, max_keepalive_connections=20)
# A connection not had within this share of an attempt's time (from the pool, TCP, TLS, a
# proxy's tunnel) is given up by the stack, which knows nothing went out: "not reached".
# The attempt's own timeout, a moment later, can only say the request may have acted.
CONNECT_SHARE: Final = 0.9


def connect_timeout(timeout: float) -> float:
    """How long a stack may take to have a connection, within an attempt of ``timeout``."""
    return timeout * CONNECT_SHARE


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as the client reads it: status, headers, the body as it came (perhaps
    content-encoded), and how to let the connection go."""

    status_code: int
    # The server's text, which may echo the request's credentials: out of the repr, which
    # an error reporter shows for every local of a frame an error passed through (httpx's
    # response.aclose is a bound method, whose repr quotes the reason phrase).
    headers: httpx.Headers = field(repr=False)
    body: AsyncIterable[bytes]
    aclose: Callable[[], Awaitable[None]] = field(repr=False)

    @classmethod
    def of(cls, response: httpx.Response, client: httpx.AsyncClient) -> Answer:
        """An httpx response of a caller's ``client``, its body read from its stream as it
        came; its pool rid of unasked replies as it is let go (``expire_unasked_replies_of``)."""
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)

        async def let_go() -> None:
            expire_unasked_replies_of(client)
            await response.aclose()

        return cls(response.status_code, response.headers, stream, let_go)


class OwnedStack(Protocol):
    """A stack opened for one event loop: it sends a POST and gives its answer."""

    @property
    def is_closed(self) -> bool: ...

    async def post(self, url: str, head: RequestHead, body: FormBody) -> Answer:
        """POST ``body``; the head's Authorization joins its headers only where the request
        is built."""
        ...

    def let_go(self) -> None:
        """Its loop was closed: hold nothing that would keep that loop."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class RequestHead:
    """A request's headers, with its Authorization kept apart, in an object whose repr hides
    it: joined to them only as the request is built (``sent``), so no mapping in a frame an
    error passes through holds it."""

    headers: Mapping[str, str]
    authorization: AuthorizationHeader | None = None

    def sent(self, **more: str) -> httpx.Headers:
        """The headers (and ``more``) with the Authorization header, as httpx.Headers (whose
        repr hides it); called inside the expression that builds the request."""
        sent = httpx.Headers({**self.headers, **more})
        if self.authorization is not None:
            sent["Authorization"] = self.authorization.value()
        return sent


def aiohttp_installed() -> bool:
    """Whether the ``[fast]`` extra is importable, at AIOHTTP_MINIMUM or later.

    Read from aiohttp's metadata without importing it, on the first call only: that is
    file work (importlib.metadata itself is ~6 ms to import), so with ``auto`` (the default)
    the client first asks in the worker thread that loads its stack, and importing this
    package never pays it. An explicit ``aiohttp`` asks when the client is built
    (``check_stack_name``), so that one that cannot serve is refused there, with advice.
    """
    return _usable_aiohttp()


@functools.cache
def _usable_aiohttp() -> bool:
    if importlib.util.find_spec("aiohttp") is None:
        return False
    from importlib import metadata

    try:
        version = metadata.version("aiohttp")
    except metadata.PackageNotFoundError:
        return False
    release = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", version)
    if release is None:
        return False
    return tuple(int(part or 0) for part in release.groups()) >= AIOHTTP_MINIMUM


def check_stack_name(name: object, *, origin: str) -> StackName:
    """``name`` if it names a stack this installation can open; else ValueError saying why."""
    if name not in STACK_NAMES:
        choices = ", ".join(repr(choice) for choice in STACK_NAMES)
        raise ValueError(f"{origin} must be one of {choices}, got {quoted(str(name))}")
    if name == "aiohttp" and not aiohttp_installed():
        minimum = ".".join(str(part) for part in AIOHTTP_MINIMUM)
        raise ValueError(
            f"{origin} is 'aiohttp', which is not installed at {minimum} or later: {EXTRA_ADVICE}"
        )
    return name


def stack_proxy_refusal(requested: StackName, proxy: str | None) -> str | None:
    """Why ``requested`` cannot go through ``proxy``; None when it can. aiohttp knows http
    and https proxies only, and would speak HTTP's CONNECT to a SOCKS one (its credentials
    in a header), whose refusal then read as Slack's answer ("may have taken effect").
    ``auto`` picks httpx for such a proxy. The proxy is never quoted: it may hold a
    password; returned, not raised, so that this frame, holding it, is none an error
    reporter sends the locals of."""
    if requested != "aiohttp" or proxy is None:
        return None
    if not proxy.strip().lower().startswith(("http://", "https://")):
        return (
            "http_stack is 'aiohttp', which cannot go through a SOCKS proxy: use 'httpx' or "
            f"'auto' (setting {HTTP_STACK_VARIABLE}), or give an http proxy"
        )
    return None


def resolve_stack(requested: StackName, proxy: str | None) -> Literal["aiohttp", "httpx"]:
    """The stack ``requested`` stands for here: ``auto`` becomes aiohttp when it can serve."""
    if requested != "auto":
        return requested
    if proxy is not None and not proxy.lower().startswith("http://"):
        return "httpx"  # aiohttp tunnels through http proxies only
    return "aiohttp" if aiohttp_installed() else "httpx"


def loaded_for(
    requested: StackName,
    proxy: str | None = None,
    tls: bool = True,
    roots: TrustedRoots | None = None,
) -> ssl.SSLContext:
    """What opening the stack ``requested`` stands for reads from disk, done: which stack
    that is (``resolve_stack``, aiohttp's metadata read, cached for later calls), its
    package imported (aiohttp, or httpcore for httpx's transport; ~100 files, 0.04-0.13 s)
    and the TLS context returned: httpx's verifying one (certifi's store, ~17 ms of CPU).
    Blocking: run it in a worker thread.

    Without ``tls`` (a plain-http base URL) the context has no trusted roots: nothing is
    read for it, and a TLS connection it were ever asked to make would fail verification.
    ``roots``, the operator's CA certificates, replace certifi's (ValueError if unreadable).
    """
    importlib.import_module(
        "aiohttp" if resolve_stack(requested, proxy) == "aiohttp" else "httpcore"
    )
    if not tls:
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, against no roots
    if roots is not None:
        return roots.context()
    return httpx.create_ssl_context(trust_env=False)


def open_stack(
    name: Literal["aiohttp", "httpx"],
    *,
    proxy: str | None,
    ssl_context: ssl.SSLContext,
    timeout: float,
) -> OwnedStack:
    """A new stack; no I/O (connections are made per request)."""
    if name == "aiohttp":
        from ocp_users_photo.slack.aiohttp_stack import AiohttpStack

        return AiohttpStack(proxy=proxy, ssl_context=ssl_context, timeout=timeout)
    return HttpxStack(proxy=proxy, ssl_context=ssl_context, timeout=timeout)


def _proxy_verified_with(proxy: str | None, ssl_context: ssl.SSLContext) -> httpx.Proxy | None:
    """``proxy`` for httpx's transport; an https one's own certificate verified with the
    context Slack's is (the operator's CA, else certifi's, loaded off the loop), as aiohttp
    does. Given the bare URL, httpcore verified an https proxy against certifi's store alone,
    read from disk on the event loop: behind a company CA (SSL_CERT_FILE), no call got
    through. httpcore takes no such context for an http or SOCKS proxy."""
    if proxy is None:
        return None
    parsed = httpx.Proxy(proxy)
    if parsed.url.scheme != "https":
        return parsed
    return httpx.Proxy(proxy, ssl_context=ssl_context)


def _expire_unasked_replies(transport: httpx.AsyncHTTPTransport) -> None:
    """Have httpcore's pool close, rather than hand a request, each connection holding bytes
    no request asked for (a second reply a server's bug or a load balancer sent). The pool
    drops an idle connection whose socket has bytes waiting, but bytes that came in the
    same read as the reply before stay in h11's buffer, and were read as the next request's
    answer: a call said the photo was set while the server had refused it.

    Run before a request goes to the pool and before an answer is let go, when the pool
    hands its connection to a request waiting for one: an idle connection is expired now,
    one whose reply is read whole (h11's DONE) expires as it is let go. h11's
    ``trailing_data`` is public; the way to it through httpcore is not, so it is followed
    guarded (nothing is done where it is not found)."""
    pool = getattr(transport, "_pool", None)
    for connection in getattr(pool, "connections", ()):
        http11: Any = getattr(connection, "_connection", None)
        h11_state = getattr(http11, "_h11_state", None)
        if h11_state is None:
            continue  # HTTP/2, whose streams are told apart, or not found
        unread = getattr(h11_state, "trailing_data", None)
        if not (unread and unread[0]) and not _tls_holds_unread(http11):
            continue
        if connection.is_idle() and hasattr(http11, "_expire_at"):
            http11._expire_at = 0.0  # the pool closes it as it next assigns a request
        elif getattr(
            getattr(h11_state, "their_state", None), "__name__", None
        ) == "DONE" and isinstance(getattr(http11, "_keepalive_expiry", None), float):
            # Not _expire_at: the pool would close it under the request it serves.
            http11._keepalive_expiry = -1.0  # expired the moment its answer is let go


def _tls_holds_unread(http11: Any) -> bool:
    """Whether the TLS layer under httpcore's HTTP/1.1 connection holds bytes h11 has not
    been given. A reply sent in a TLS record of its own, after the one before, came in the
    same read from the socket: anyio's TLS stream keeps it in its MemoryBIO (ssl decrypts
    one record a read), neither in h11's buffer nor on the socket the pool polls, and over
    https (Slack's) it was read as the next call's answer. Followed guarded through anyio's
    private attributes; a proxy's TLS under Slack's is looked at too."""
    stream = getattr(getattr(http11, "_network_stream", None), "_stream", None)
    for _ in range(3):  # Slack's TLS, an https proxy's, the socket
        bio = getattr(stream, "_read_bio", None)
        if isinstance(bio, ssl.MemoryBIO) and bio.pending:
            return True
        ssl_object = getattr(stream, "_ssl_object", None)
        if isinstance(ssl_object, ssl.SSLObject) and ssl_object.pending():
            return True
        stream = getattr(stream, "transport_stream", None)
        if stream is None:
            break
    return False


def expire_unasked_replies_of(client: httpx.AsyncClient) -> None:
    """A caller's client's pool rid of connections holding a reply no request asked for,
    as the stacks' own are: on httpx's transport by ``_expire_unasked_replies``; on
    httpx-aiohttp's (``AiohttpTransport``), whose session's connector is aiohttp's own
    (not ours, which drops them), each idle connection aiohttp would not keep (a reply
    queued on it) is closed, so that its connector drops it rather than hand it a request.
    Without it a caller's client read a second reply, sent with the first or while the
    connection was idle, as the next call's answer. The transport is httpx's private
    ``_transport`` (the one for every URL, mounts aside), followed guarded."""
    transport = getattr(client, "_transport", None)
    if isinstance(transport, httpx.AsyncHTTPTransport):
        _expire_unasked_replies(transport)
        return
    # An aiohttp session, once one is made: httpx-aiohttp's attribute, read from the
    # instance (a custom transport's ``client`` property is not run, nor its error raised).
    session = getattr(transport, "__dict__", {}).get("client")
    connections = getattr(getattr(session, "connector", None), "_conns", None)
    if not isinstance(connections, dict):
        return
    for idle in list(connections.values()):
        for entry in list(idle):
            protocol = entry[0] if isinstance(entry, tuple) and entry else None
            close = getattr(protocol, "close", None)
            if getattr(protocol, "should_close", False) and callable(close):
                close()  # not connected: aiohttp's connector drops it


class HttpxStack:
    """httpx's own transport (httpcore), handed each request directly."""

    def __init__(self, *, proxy: str | None, ssl_context: ssl.SSLContext, timeout: float) -> None:
        self._transport = httpx.AsyncHTTPTransport(
            verify=ssl_context, proxy=_proxy_verified_with(proxy, ssl_context), limits=LIMITS
        )
        connecting = connect_timeout(timeout)
        self._timeout = httpx.Timeout(timeout, connect=connecting, pool=connecting).as_dict()
        self._urls: dict[str, httpx.URL] = {}  # parsed once per method
        self.is_closed = False

    async def post(self, url: str, head: RequestHead, body: FormBody) -> Answer:
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = self._urls[url] = httpx.URL(url)
        # A request made with stream= gets no headers of httpx's: Host is ours to give.
        request = httpx.Request(
            "POST",
            parsed,
            headers=head.sent(Host=parsed.netloc.decode("ascii")),
            stream=body,
            extensions={"timeout": self._timeout},
        )
        transport = self._transport
        _expire_unasked_replies(transport)
        response = await transport.handle_async_request(request)
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)

        async def let_go() -> None:
            _expire_unasked_replies(transport)
            await response.aclose()

        return Answer(response.status_code, response.headers, stream, let_go)

    def let_go(self) -> None:
        """Nothing to do: httpx's connections go with the stack when it is collected."""

    async def aclose(self) -> None:
        self.is_closed = True
        await self._transport.aclose()
