"""Which proxy Slack API calls go through: an https tunnel from the environment, or none.

../shared/DEFAULTS.md: environment proxies are used for ``https`` only, where the proxy
sees a CONNECT tunnel and never the token; a plain-``http`` base URL (a loopback
emulator) never goes through a proxy, since the proxy would read the Authorization
header. The variables come from the same environment as everything else (``environ=``
included), and ``NO_PROXY`` is honoured.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit

_PROXY_VARIABLES: Final = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
_NO_PROXY_VARIABLES: Final = ("NO_PROXY", "no_proxy")


def proxy_for(base_url: str, environ: Mapping[str, str]) -> str | None:
    """The proxy URL for calls to ``base_url``, or None for a direct connection."""
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    proxy = next((environ[name] for name in _PROXY_VARIABLES if environ.get(name)), None)
    if proxy is None:
        return None
    no_proxy = next((environ[name] for name in _NO_PROXY_VARIABLES if environ.get(name)), "")
    if _bypassed(parts.hostname, no_proxy):
        return None
    return proxy


def _bypassed(host: str, no_proxy: str) -> bool:
    """Whether NO_PROXY names ``host``: ``*``, the host itself, or a domain it lies in."""
    host = host.lower().rstrip(".")
    for entry in no_proxy.split(","):
        name = entry.strip().lower().rstrip(".")
        if name.startswith("[") and "]" in name:  # [::1]:8080
            name = name[1 : name.index("]")]
        elif name.count(":") == 1:  # host:port
            name = name.partition(":")[0]
        name = name.lstrip(".").removeprefix("*.")
        if name == "*" or (name and (host == name or host.endswith("." + name))):
            return True
    return False
