"""Which proxy Slack API calls go through: an https tunnel from the environment, or none.

As settings.py's defaults say, environment proxies are used for ``https`` only, where the
proxy sees a CONNECT tunnel and never the token; a plain-``http`` base URL (a loopback
emulator) never goes through a proxy, since the proxy would read the Authorization
header. The variables come from the same environment as everything else (``environ=``
included), and ``NO_PROXY`` is honoured. The proxy URL chosen is checked when the settings
are read, and a refusal never quotes it: it may carry the proxy's password.
"""

from __future__ import annotations

import importlib.util
import ipaddress
from typing import Final
from urllib.parse import urlsplit

import httpx

from ocp_users_photo.credentials import basic_credentials
from ocp_users_photo.environment import Variables

# Each pair as urllib (and httpx, which reads it through urllib) reads it: the lower-case
# spelling decides where it is set, even empty ("no proxy"); else the upper-case one.
_PROXY_VARIABLES: Final = (("https_proxy", "HTTPS_PROXY"), ("all_proxy", "ALL_PROXY"))
_NO_PROXY_VARIABLES: Final = ("no_proxy", "NO_PROXY")
# httpcore's pools that forward to a proxy (what httpx mounts for proxy= or the variables).
_PROXY_POOLS: Final = frozenset({"AsyncHTTPProxy", "AsyncSOCKSProxy"})
_SOCKS_SCHEMES: Final = ("socks5", "socks5h")
_PROXY_EXAMPLE: Final = "http://proxy.example:3128 (or http://user:password@proxy.example:3128)"


def proxy_for(base_url: str, environ: Variables) -> str | None:
    """The proxy URL for calls to ``base_url``, or None for a direct connection."""
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    deciding = [_deciding(pair, environ) for pair in _PROXY_VARIABLES]
    variable = next((name for name in deciding if environ.get(name)), None)
    if variable is None:
        return None
    no_proxy = environ.get(_deciding(_NO_PROXY_VARIABLES, environ)) or ""
    if _bypassed(parts.hostname, parts.port or 443, no_proxy):
        return None
    return check_proxy_url(environ.get(variable) or "", origin=variable)


def _deciding(pair: tuple[str, str], environ: Variables) -> str:
    """Which of a variable's two spellings decides: the lower-case one wherever it is set."""
    lower, upper = pair
    return lower if lower in environ else upper


def check_callers_client(client: httpx.AsyncClient, base_url: str) -> None:
    """ValueError, before anything is sent, when the caller's ``client`` would send a
    plain-``http`` ``base_url`` through a proxy (its ``proxy=`` or ``mounts``, or, with
    ``trust_env``, HTTP_PROXY/ALL_PROXY): the proxy would read the token."""
    if not base_url.lower().startswith("http://"):
        return  # https: a proxy sees a CONNECT tunnel only
    try:  # httpx's own choice of transport for the URL (its mounts, as send() uses them)
        url = httpx.URL(base_url)
        transport = client._transport_for_url(url)
    except Exception:  # another httpx: the client is used as given
        return
    if not _proxied(transport, url):
        return
    session_said = _session_proxy_refusal(transport)
    if session_said is not None:
        raise ValueError(
            f"the httpx client given (client=) {'may' if _session_factory(transport) else 'would'}"
            f" send {base_url} through a proxy, which would read the Slack token over plain "
            f"http: {session_said}"
        )
    raise ValueError(
        f"the httpx client given (client=) would send {base_url} through a proxy (its proxy= "
        "or mounts or its transport's proxy=, or HTTP_PROXY/ALL_PROXY read with trust_env), "
        "which would read the Slack token over plain http: give that client trust_env=False "
        "(and no proxy for this host), or add the host to NO_PROXY before making the client"
    )


def _proxied(transport: object, url: httpx.URL) -> bool:
    """Whether ``transport`` sends ``url`` through a proxy: httpx's own (a proxy pool of
    httpcore's), or httpx-aiohttp's ``AiohttpTransport`` given ``proxy=``, or whose aiohttp
    session was given one (``proxy=``) or reads the environment's (``trust_env``, or a
    session factory's, its session not made yet: HTTP_PROXY, unless NO_PROXY names the
    host). Attributes read from the instance: a custom transport's properties are not run."""
    if type(getattr(transport, "_pool", None)).__name__ in _PROXY_POOLS:
        return True
    attributes = getattr(transport, "__dict__", {})
    if isinstance(attributes.get("proxy"), httpx.Proxy):
        return True
    session = attributes.get("client")  # httpx-aiohttp's aiohttp session, once given or made
    if getattr(session, "_default_proxy", None) is not None:  # ClientSession(proxy=...)
        return True
    # httpx-aiohttp's client= may be a factory, its session made as the first request goes:
    # one that reads the environment's proxy (trust_env) cannot be told apart here.
    if not _session_factory(transport) and getattr(session, "trust_env", False) is not True:
        return False
    import urllib.request

    return "http" in urllib.request.getproxies() and not urllib.request.proxy_bypass(url.host)


def _session_proxy_refusal(transport: object) -> str | None:
    """What to do when the proxy is the one of ``transport``'s aiohttp session (httpx-aiohttp's):
    its ``proxy=``, or the environment's read with its ``trust_env`` (or, a factory given, the
    session not made yet, which may read it); None for another
    transport, or where the transport's own ``proxy=`` (sent with each request) chose one.
    The httpx client's trust_env does not reach the session, nor NO_PROXY a proxy given to
    it: the httpx client's advice changed nothing there."""
    attributes = getattr(transport, "__dict__", {})
    if type(transport).__name__ != "AiohttpTransport" or isinstance(
        attributes.get("proxy"), httpx.Proxy
    ):
        return None
    session = attributes.get("client")
    if _session_factory(transport):
        # Its session's trust_env is not known before the factory makes it: trust_env=False
        # on it, or on the httpx client (which does not reach its transport), changes nothing.
        return (
            "its httpx-aiohttp transport makes its aiohttp session with a factory (client=), "
            "whose trust_env cannot be read before it is made, so the proxy HTTP_PROXY names "
            "may be used: give the transport a ClientSession made with trust_env=False "
            "instead, or add the host to NO_PROXY before making the client"
        )
    if getattr(session, "_default_proxy", None) is not None:
        return (
            "its httpx-aiohttp transport's aiohttp session was given proxy=, which it sends "
            "every request through (NO_PROXY and trust_env=False change nothing there): give "
            "the transport a ClientSession made without proxy="
        )
    if getattr(session, "trust_env", False) is True:
        return (
            "its httpx-aiohttp transport's aiohttp session reads HTTP_PROXY (trust_env=True; "
            "the httpx client's trust_env does not reach it): give the transport a "
            "ClientSession made with trust_env=False, or add the host to NO_PROXY"
        )
    return None


def _session_factory(transport: object) -> bool:
    """Whether ``transport`` is httpx-aiohttp's, given a factory of its aiohttp session
    (``client=``), the session not made yet."""
    session = getattr(transport, "__dict__", {}).get("client")
    return callable(session) and type(transport).__name__ == "AiohttpTransport"


def check_proxy_url(raw: str, *, origin: str) -> str:
    """``raw`` if the HTTP stacks can use it as a proxy; else ValueError saying what to give,
    which never quotes ``raw`` (its user information is a password), raised once no local
    of this frame holds it (an error reporter sends them)."""
    text = raw.strip()
    del raw
    refusal = _proxy_url_refusal(text, origin)
    if refusal is not None:
        del text
        raise ValueError(refusal)
    return text


def _proxy_url_refusal(text: str, origin: str) -> str | None:
    """Why ``text`` cannot be the proxy URL ``origin`` gives; None when it can."""
    if not text.isascii() or not text.isprintable() or any(ch.isspace() for ch in text):
        return _refused(origin, "holds spaces, control or non-ASCII characters")
    try:
        parts = urlsplit(text)
        port = parts.port  # ValueError when out of range or not a number
    except ValueError:
        return _refused(origin, "is not a valid URL")
    if parts.scheme not in ("http", "https", *_SOCKS_SCHEMES):
        return _refused(origin, "must start with http:// or https://")
    if not parts.hostname or port == 0:
        return _refused(origin, "names no proxy host (or port 0)")
    if parts.scheme in _SOCKS_SCHEMES and importlib.util.find_spec("socksio") is None:
        return (
            f"{origin} names a SOCKS proxy, which needs the socksio package: "
            f"pip install 'httpx[socks]', or give an http proxy such as {_PROXY_EXAMPLE}"
        )
    try:
        httpx.Proxy(text)
    except (httpx.InvalidURL, ValueError):
        return _refused(origin, "is not a valid URL")
    return None


def proxy_secrets(proxy: str | None) -> tuple[str, ...]:
    """What of ``proxy``'s credentials must never be shown, should the proxy echo them: the
    password (or, without one, the user name: some proxies take a key there), and the
    user:password pair as written and as sent (Basic, base64)."""
    if proxy is None:
        return ()
    try:
        auth = httpx.Proxy(proxy).auth
    except (httpx.InvalidURL, ValueError):
        return ()
    if auth is None:
        return ()
    user, password = auth
    return (password or user, f"{user}:{password}", basic_credentials(user, password))


def _refused(origin: str, why: str) -> str:
    return f"{origin} {why}: give a proxy URL such as {_PROXY_EXAMPLE}, or unset it"


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    """Whether NO_PROXY names ``host`` (on ``port``): ``*``, the host itself, a domain it lies
    in, its address or a range holding it (``10.0.0.0/8``, ``fd00::/8``), as curl, requests
    and Go read the list; an entry with a port names that port only."""
    host = host.lower().rstrip(".")
    address = _address(host)
    for entry in no_proxy.split(","):
        name = entry.strip().lower().rstrip(".")
        entry_port = None
        if name.startswith("[") and "]" in name:  # [::1]:8080
            name, _, rest = name[1:].partition("]")
            entry_port = rest.removeprefix(":") or None
        elif name.count(":") == 1:  # host:port
            name, _, entry_port = name.partition(":")
        if entry_port is not None and entry_port != str(port):
            continue
        name = name.lstrip(".").removeprefix("*.")
        if name == "*" or (name and (host == name or host.endswith("." + name))):
            return True
        if address is not None and name and _holds(name, address):
            return True
    return False


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _holds(entry: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``entry`` (an address, or a range written with a /) is or holds ``address``."""
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return network.version == address.version and address in network
