"""The ImageResolver for web URLs: the guarded fetch of web_image/, then the usual checks.

Off by default: with no allowed hosts every URL is refused with how to allow one
(``url_hosts=[...]``, ``--allow-url-host``). When allowed, the fetch never carries
the Slack token, uses no proxy, checks every address and redirect, and reads at most
the byte cap; the bytes it returns then go through exactly the checks a file gets.
What describes the image (logs, history, errors) names the host, never the query
string or fragment, which often carry signatures.
"""

from __future__ import annotations

import dataclasses
import ssl
from typing import Any, Final

from ocp_users_photo.errors import Problem
from ocp_users_photo.images.paths import problem
from ocp_users_photo.images.resolvers import (
    IntakeContext,
    Resolution,
    Take,
    inspect_in_memory,
)
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.slack.stacks import loaded_for
from ocp_users_photo.trusted_roots import TrustedRoots, unreadable_roots
from ocp_users_photo.web_image import (
    ConnectionFailed,
    FetchTimedOut,
    ImageUrlRefused,
    Resolver,
    UrlPolicy,
    check_image_url,
)
from ocp_users_photo.web_image.policy import check_verifying, never_fetched
from ocp_users_photo.worker_threads import imported_off_loop, in_worker_thread

# Imported on the first fetch, off the loop, with what it brings.
_FETCH_MODULE: Final = "ocp_users_photo.web_image.fetch"
NO_URLS: Final = (
    "image is a web URL, and this tool does not fetch URLs unless whoever runs it allows the "
    "host: download the file first and give its path, a data: URI or base64 text; or ask "
    "for the host to be allowed (url_hosts=[...] in Python, --allow-url-host for the "
    "command line and the MCP server)"
)
# Said when a fetch could not reach its host while Slack's calls go through a proxy.
PROXY_NOTE: Final = (
    ". Image URLs are never fetched through a proxy (the address checks would mean "
    "nothing): where this host reaches the web only through one (HTTPS_PROXY), download "
    "the image and give it as a file path, a data: URI or base64 text"
)


class UrlResolver:
    """Fetches an https image URL on an allowed host, within ``policy``'s bounds.

    Without an ``ssl_context``, the verifying context (certifi's roots) is made for the
    first https URL that passes the offline checks, in a worker thread, and kept for
    the next: making one reads and parses the whole bundle (20-60 ms here), which
    every fetch paid before.

    ``proxied``: the host's Slack calls go through a proxy. A fetch that found no address
    or no connection then says URLs never go through one: on a host that reaches the web
    only through it, "check the URL" or "try again later" could never help.
    """

    def __init__(
        self,
        policy: UrlPolicy | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        resolver: Resolver | None = None,
        trusted_roots: TrustedRoots | None = None,
        proxied: bool = False,
    ) -> None:
        self.policy = policy if policy is not None else UrlPolicy()
        self._proxied = proxied
        self._trusted_roots = trusted_roots  # the operator's CA certificates, if any
        # Refused when made, not at a model's first call (fetch_image checks again, cheaply,
        # for those who call it directly).
        check_verifying(ssl_context)
        self._ssl_context = ssl_context
        self._resolver = resolver

    def offline_problems(self, value: Any, context: IntakeContext) -> list[Problem]:
        """Why ``value`` would be refused before any fetch (no host allowed, not https, a
        host off the list, a malformed URL), or nothing: checked without I/O, so the intake
        tells it before the URL waits for its bytes in the process's budget."""
        if not self.policy.fetches_anything:
            return [problem(never_fetched(value, self.policy) or NO_URLS)]
        try:
            check_image_url(str(value), self.policy)
        except ImageUrlRefused as refusal:
            return [refusal.problem()]
        return []

    async def _verifying_context(self) -> ssl.SSLContext:
        """The TLS context image fetches verify with: the operator's roots when given, else
        certifi's. Roots that cannot be read are the TransportError a Slack call meets
        (naming the variable, nothing sent), not a bare ValueError out of a model's call."""
        roots = self._trusted_roots
        try:
            return await in_worker_thread(loaded_for, "httpx", None, True, roots)
        except ValueError as unreadable:  # the operator's CA file (trusted_roots.py)
            raise unreadable_roots(unreadable, roots) from None

    async def resolve(self, value: Any, context: IntakeContext) -> Resolution:
        """The image at the URL, taking nothing from the process's budget."""
        return await self.resolve_taking(value, context, None)

    async def resolve_taking(
        self, value: Any, context: IntakeContext, take: Take | None
    ) -> Resolution:
        """The image at the URL; ``take`` is given what its body will make once the host's
        answer headers are in (its Content-Length, or the cap), before the body is read."""
        policy = self.policy
        if not policy.fetches_anything:
            return None, [problem(never_fetched(value, policy) or NO_URLS)]
        if policy.max_bytes > context.limits.max_bytes:
            policy = dataclasses.replace(policy, max_bytes=context.limits.max_bytes)
        url = str(value)
        try:
            if self._ssl_context is None and check_image_url(url, policy).scheme == "https":
                self._ssl_context = await self._verifying_context()
            await imported_off_loop(_FETCH_MODULE)  # not loaded by a tool that fetches none
            from ocp_users_photo.web_image.fetch import fetch_image

            fetched = await fetch_image(
                url,
                policy,
                resolver=self._resolver,
                ssl_context=self._ssl_context,
                hold_body=take,
            )
        except ImageUrlRefused as refusal:
            unreached = isinstance(refusal, (ConnectionFailed, FetchTimedOut))
            if self._proxied and unreached and not refusal.host_reached:
                return None, [problem(refusal.message + PROXY_NOTE)]
            return None, [refusal.problem()]
        source = ImageSource(
            label=fetched.description,
            filename_stem=fetched.filename_stem,
            byte_count=fetched.byte_count,
            data=fetched.data,
        )
        return await inspect_in_memory(source, [], context.limits)
