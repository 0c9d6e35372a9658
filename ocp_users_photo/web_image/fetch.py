"""Fetch one image over https within a UrlPolicy: checked hosts and addresses, bounded reads.

For each hop (the URL, then each redirect, at most ``max_redirects``): the URL is
checked offline (scheme, host allow-list), the host is resolved once and every
address checked, then the connection goes to a checked address itself. The URL sent
to httpx carries that address in place of the name; TLS still verifies the
certificate for the name (httpx's ``sni_hostname`` request extension becomes the
``server_hostname`` the handshake checks) and the ``Host`` header carries the name.
So no second lookup can move the connection elsewhere.

The request is made on an ``httpx.AsyncHTTPTransport`` of its own for each hop,
never a client: no cookie jar, no auth flow, no netrc, no redirects followed by
httpx, no proxy (an environment proxy would make the address checks meaningless:
the proxy would connect wherever the name points for it), no pooled connection that
a later hop to another name on the same address could reuse, and no log record of
the HTTP stack (the URL's query string, the host's headers and redirects stay out of
the logs: ``http_stack_silenced``). The headers sent are exactly the four set here:
never ``Authorization`` or ``Cookie``. A total deadline covers name lookups, every
hop and the whole body, but not a wait for the memory the body will take
(``hold_body``): the host is not slow while the process's other images fill it.
"""

from __future__ import annotations

import asyncio
import http
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, TypeVar
from urllib.parse import urljoin

import httpx

from ocp_users_photo._version import __version__
from ocp_users_photo.bounded_body import BodyTooLarge, BoundedBody, UnreadableBody
from ocp_users_photo.errors import raise_alone
from ocp_users_photo.sizes import byte_limit
from ocp_users_photo.slack.log_redaction import http_stack_silenced
from ocp_users_photo.slack.stacks import loaded_for
from ocp_users_photo.web_image.addresses import (
    IPAddress,
    Resolver,
    address_refusal,
    is_loopback,
    parse_address,
    system_resolver,
)
from ocp_users_photo.web_image.hosts import matching_rule
from ocp_users_photo.web_image.policy import UrlPolicy, check_image_url, check_verifying
from ocp_users_photo.web_image.refusals import (
    CHECK_URL_OR_LATER,
    GIVE_IT_INSTEAD,
    LATER_OR_ANOTHER_URL,
    LATER_OR_GIVE_IT,
    NOT_THE_PAGE,
    OPENS_THE_IMAGE,
    OWN_URL,
    SMALLER_IMAGE,
    AddressRefused,
    BadImageUrl,
    ConnectionFailed,
    FetchTimedOut,
    HttpStatusRefused,
    ImageTooLarge,
    ImageUrlRefused,
    NotAnImage,
    TlsFailure,
    TooManyRedirects,
)
from ocp_users_photo.web_image.sniff import SNIFF_BYTES, describe_non_image, sniff_image_type
from ocp_users_photo.web_image.urls import MAX_URL_CHARS, ImageUrl
from ocp_users_photo.worker_threads import imported_off_loop, in_worker_thread

__all__ = ["FetchedImage", "fetch_image"]

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
# A name with more addresses than this is tried on its first few only (all are checked).
_MAX_CONNECT_ATTEMPTS: Final = 4
_ACCEPT: Final = "image/png,image/jpeg,image/gif,image/webp,image/*;q=0.8"
# OpenSSL's verify codes for a chain that ends at an issuer not trusted here: unable to
# get the issuer's certificate (2) or locally (20), a self-signed CA in the chain (19), no
# way to verify the first certificate (21).
_UNTRUSTED_ISSUER: Final = frozenset({2, 19, 20, 21})
_E = TypeVar("_E", bound=BaseException)

# Given the bytes the final answer's body will make, before it is read.
HoldBody = Callable[[int], Awaitable[None]]


@dataclass(frozen=True)
class FetchedImage:
    """An image's bytes as fetched, and what may be said of where they came from.

    ``description`` is the final URL redacted (scheme, host, port, file name at most);
    ``content_type`` is what the first bytes show, not what the server declared.
    """

    data: bytes = field(repr=False)
    host: str
    content_type: str
    description: str
    filename_stem: str
    redirects: int

    @property
    def byte_count(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class _Redirect:
    location: str


async def fetch_image(
    url: str,
    policy: UrlPolicy,
    *,
    resolver: Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
    hold_body: HoldBody | None = None,
) -> FetchedImage:
    """The image at ``url``, fetched as ``policy`` allows, or an ImageUrlRefused saying why.

    ``resolver`` replaces the system's name lookup (tests point a name inside with it);
    ``ssl_context`` replaces the default trust (certifi's roots), and must verify.
    ``hold_body`` is awaited once, when the final answer's headers are in and before its
    body is read, with the bytes that body will make in memory at most: its
    Content-Length when it is sent as it is, else the byte cap (a compressed or chunked
    body may grow to it). A redirect hop, or an answer refused on its headers, calls
    nothing. The policy's total deadline stands still while it waits.
    """
    first = check_image_url(url, policy)
    check_verifying(ssl_context)
    # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns the result when a
    # cancellation (a host's deadline, Ctrl-C) lands as the fetch ends, and the call went
    # on to send the change after its caller had given up on it.
    total = asyncio.timeout(policy.total_timeout)
    hops = _Hops(policy, resolver or system_resolver, ssl_context, _not_timed(total, hold_body))
    try:
        # httpcore's DEBUG records would hold the host's answer (a redirect's signed URL).
        with http_stack_silenced():
            async with total:
                return await hops.follow(first)
    except ImageUrlRefused as refusal:
        refusal.host_reached = refusal.host_reached or hops.reached
        raise
    except TimeoutError:
        if not total.expired():
            raise
        timed_out = FetchTimedOut(
            f"fetching the image from {hops.current_place or _place(first)} took longer than "
            f"{policy.total_timeout:g} s: {LATER_OR_GIVE_IT}"
        )
        timed_out.host_reached = hops.reached
        raise timed_out from None


def _not_timed(deadline: asyncio.Timeout, hold_body: HoldBody | None) -> HoldBody:
    """``hold_body`` with ``deadline`` (the host's time) standing still while it waits: a
    wait for the memory other calls' images hold is not the host being slow, and is
    bounded by the call's own deadline instead."""

    async def hold(count: int) -> None:
        if hold_body is None:
            return
        when = deadline.when()
        if when is None or deadline.expired():  # the host's time ran out as its headers came
            await hold_body(count)
            return
        loop = asyncio.get_running_loop()
        left = when - loop.time()
        deadline.reschedule(None)
        await hold_body(count)
        deadline.reschedule(loop.time() + left)

    return hold


class _Hops:
    """One fetch: the hops of a redirect chain, each checked as the first was.

    A refusal names the host it was fetching from (``current_place``), unless a redirect
    chose that name under an allowed suffix: then the name is the image server's own
    words (anyone may name a bucket under ``.s3.amazonaws.com``, up to 253 characters),
    and the refusal says which suffix rather than repeating them to a model.
    """

    def __init__(
        self,
        policy: UrlPolicy,
        resolver: Resolver,
        ssl_context: ssl.SSLContext | None,
        hold_body: HoldBody,
    ) -> None:
        self._policy = policy
        self._resolver = resolver
        self._ssl_context = ssl_context
        self._hold_body = hold_body
        self.current_place: str | None = None
        # A host answered (its headers came): later failures are no sign of a web reached
        # only through a proxy (url_resolver.py's note), whatever hop or timer they come from.
        self.reached = False

    async def follow(self, url: ImageUrl) -> FetchedImage:
        first_host = url.host
        redirects = 0
        while True:
            place = self._place(url, first_host)
            self.current_place = place
            addresses = await self._checked_addresses(url, place)
            outcome = await self._get(url, addresses, place)
            if isinstance(outcome, bytes):
                return self._image(url, outcome, redirects)
            if redirects >= self._policy.max_redirects:
                raise TooManyRedirects(
                    f"the image URL redirected more than {self._policy.max_redirects} times: "
                    "give the URL the redirects end at"
                )
            redirects += 1
            joined = _joined(url, outcome.location, place)
            url = check_image_url(joined, self._policy, redirected=True)

    def _place(self, url: ImageUrl, first_host: str) -> str:
        """How refusals name the hop's host: see the class's docstring."""
        rules = self._policy.rules
        exact = [rule for rule in rules if not rule.suffix]
        rule = matching_rule(url.host, rules)
        if url.host == first_host or rule is None or matching_rule(url.host, exact):
            return _place(url)
        return f"the image host a redirect chose (a name under {rule})"

    def _image(self, url: ImageUrl, data: bytes, redirects: int) -> FetchedImage:
        content_type = sniff_image_type(data[:SNIFF_BYTES])
        assert content_type is not None  # the body was refused otherwise
        return FetchedImage(
            data=data,
            host=url.host,
            content_type=content_type,
            description=url.redacted,
            filename_stem=url.filename_stem,
            redirects=redirects,
        )

    async def _checked_addresses(self, url: ImageUrl, place: str) -> list[IPAddress]:
        if url.is_ip_literal:
            answers: Sequence[str] = [url.host]
        else:
            try:
                answers = await self._resolver(url.host, url.port)
            except (OSError, UnicodeError):
                raise_alone(
                    ConnectionFailed(
                        # A name service failing for a while, as well as a wrong name.
                        f"{place} could not be found (no address for the name): check the "
                        f"URL's host, or {LATER_OR_GIVE_IT}"
                    )
                )
        addresses = [parse_address(answer) for answer in answers]
        found = [address for address in addresses if address is not None]
        if not found or len(found) != len(addresses):
            raise ConnectionFailed(
                f"{place} could not be found (no usable address for the name): check the URL's host"
            )
        loopback_origin = self._policy.is_loopback_origin(url)
        allow_loopback = loopback_origin or self._policy.allow_loopback_for_tests
        for address in found:
            reason = address_refusal(address, allow_loopback=allow_loopback)
            if reason is None and loopback_origin and not is_loopback(address):
                reason = "not a loopback address, as the emulator's own images must be"
            if reason is not None:
                what = "is" if url.is_ip_literal else "resolves to"
                raise AddressRefused(
                    f"{place} {what} {reason}: images are fetched only from public addresses; "
                    "use a URL on a public host"
                )
        return found

    async def _get(
        self, url: ImageUrl, addresses: Sequence[IPAddress], place: str
    ) -> bytes | _Redirect:
        failure: ImageUrlRefused | None = None
        for address in addresses[:_MAX_CONNECT_ATTEMPTS]:
            try:
                return await self._get_from(url, address, place)
            except _ConnectFailed as error:
                failure = error.refusal
        assert failure is not None
        raise failure

    async def _get_from(self, url: ImageUrl, address: IPAddress, place: str) -> bytes | _Redirect:
        policy = self._policy
        timeout = httpx.Timeout(
            connect=policy.connect_timeout,
            read=policy.read_timeout,
            write=policy.read_timeout,
            pool=policy.connect_timeout,
        )
        extensions: dict[str, object] = {"timeout": timeout.as_dict()}
        if url.scheme == "https" and not url.is_ip_literal:
            extensions["sni_hostname"] = url.host
        host_in_url = f"[{address}]" if address.version == 6 else str(address)
        try:
            request = httpx.Request(
                "GET",
                f"{url.scheme}://{host_in_url}:{url.port}{url.target}",
                headers={
                    "Host": url.authority,
                    "User-Agent": f"ocp-users-photo/{__version__} (image fetch)",
                    "Accept": _ACCEPT,
                    "Accept-Encoding": "identity",
                },
                extensions=extensions,
            )
        except (httpx.InvalidURL, UnicodeError):  # not seen for a URL parse_image_url passed
            raise BadImageUrl(
                f"the image URL's path cannot be sent to {place}: check the URL"
            ) from None
        if url.scheme == "https":
            verify: ssl.SSLContext | bool = await self._tls_context()
        else:  # the loopback emulator's own http origin (undo)
            verify = False
            await imported_off_loop("httpcore")
        transport = httpx.AsyncHTTPTransport(
            verify=verify,
            trust_env=False,
            http1=True,
            http2=False,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=0),
            retries=0,
        )
        async with transport:
            try:
                response = await transport.handle_async_request(request)
                self.reached = True
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                # Each raised alone: the HTTP stack's error, kept as the context, quotes
                # what the host sent (a header line echoing the token), and a reporter
                # walking the chain reads it even when a traceback does not show it.
                refusal = _connect_refusal(error, place, policy)
                raise_alone(refusal if isinstance(refusal, TlsFailure) else _ConnectFailed(refusal))
            except (httpx.HTTPError, ssl.SSLError) as error:
                # ssl.SSLError: after the handshake httpcore lets it through as it is (a
                # record forged or tampered with), a connection broken as a reset is.
                raise_alone(_read_refusal(error, place, policy))
            try:
                return await _read(response, url, policy, place, self._hold_body)
            except (httpx.HTTPError, ssl.SSLError) as error:
                raise_alone(_read_refusal(error, place, policy))
            finally:
                await response.aclose()

    async def _tls_context(self) -> ssl.SSLContext:
        """The verifying TLS context, with httpx's transport package (httpcore) imported: both
        read files (certifi's bundle, ~50 modules), so both are done off the event loop."""
        if self._ssl_context is None:
            # certifi's roots (httpx's default), never SSL_CERT_FILE and friends.
            self._ssl_context = await in_worker_thread(loaded_for, "httpx")
        else:
            await imported_off_loop("httpcore")
        return self._ssl_context


class _ConnectFailed(Exception):
    """No answer from one address; the next one may still be tried."""

    def __init__(self, refusal: ImageUrlRefused) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


async def _read(
    response: httpx.Response, url: ImageUrl, policy: UrlPolicy, place: str, hold_body: HoldBody
) -> bytes | _Redirect:
    status = response.status_code
    if status in _REDIRECTS:
        location = response.headers.get("location", "")
        if not location or len(location) > MAX_URL_CHARS:
            raise HttpStatusRefused(
                f"{place} answered HTTP {status}, a redirect without a usable Location: check "
                "the URL"
            )
        return _Redirect(location)
    if status != 200:
        raise HttpStatusRefused(
            f"{place} answered HTTP {status}{_phrase(status)} instead of the image: "
            f"{_status_advice(status)}"
        )
    declared = _declared_length(response.headers.get("content-length"))
    if declared is not None and declared > policy.max_bytes:
        raise _too_large(place, policy)
    try:
        body = BoundedBody(response.headers.get("content-encoding", ""), policy.max_bytes)
        await hold_body(_bytes_made(response, body, declared, policy))
        sniffed = False
        async for chunk in response.aiter_raw():
            await body.take(chunk)
            if not sniffed and len(body) >= SNIFF_BYTES:
                _require_image(body.head(SNIFF_BYTES), url, place)
                sniffed = True
        body.finish()
    except BodyTooLarge:
        raise _too_large(place, policy) from None
    except UnreadableBody as error:
        raise_alone(
            NotAnImage(
                # Only the host's owner could serve it otherwise: the caller gives the image.
                f"{place} sent a body that cannot be read ({error}): {GIVE_IT_INSTEAD}"
            )
        )
    data = body.decoded
    _require_image(data[:SNIFF_BYTES], url, place)
    return data


def _bytes_made(
    response: httpx.Response, body: BoundedBody, declared: int | None, policy: UrlPolicy
) -> int:
    """The bytes an answer's body will make, at most: its Content-Length when it is sent as
    it is (h11 reads no more than that, and fails the read on fewer), else the cap (a
    compressed body decodes to more; a chunked one, which h11 reads in place of any
    Content-Length, has no length until it ends)."""
    if declared is not None and body.as_sent and "transfer-encoding" not in response.headers:
        return declared
    return policy.max_bytes


def _joined(url: ImageUrl, location: str, place: str) -> str:
    """A redirect's Location read against the URL it came from (never the address used)."""
    try:
        return urljoin(url.full, location)
    except ValueError:
        raise_alone(BadImageUrl(f"{place} redirected to a malformed URL: {OWN_URL}"))


def _place(url: ImageUrl) -> str:
    """A refusal's name for the host of ``url``, as the caller or the allow-list wrote it."""
    return f"the image host {url.host}"


def _require_image(head: bytes, url: ImageUrl, place: str | None = None) -> None:
    if sniff_image_type(head) is None:
        place = place or _place(url)
        if _slack_files_host(url.host):
            # url_private answers a sign-in page to a fetch without the app's token, which
            # image fetches never carry: asking again with the same URL cannot help.
            raise NotAnImage(
                f"{place} gave {describe_non_image(head)}, not an image: a file "
                "shared in Slack is served only with the app's token, which image fetches "
                "never carry. The host downloads it with its bot token (scope files:read) "
                "and gives the bytes; do not try this URL again"
            )
        raise NotAnImage(f"{place} gave {describe_non_image(head)}, not an image: {NOT_THE_PAGE}")


def _slack_files_host(host: str) -> bool:
    """Whether ``host`` serves files shared in Slack (files.slack.com, slack-files.com)."""
    host = host.lower().rstrip(".")
    return host in ("files.slack.com", "slack-files.com") or host.endswith(
        (".files.slack.com", ".slack-files.com")
    )


def _too_large(place: str, policy: UrlPolicy) -> ImageTooLarge:
    return ImageTooLarge(
        f"the image from {place} is over the {byte_limit(policy.max_bytes)} limit: {SMALLER_IMAGE}"
    )


def _declared_length(text: str | None) -> int | None:
    if text is None or not text.strip().isdigit() or not text.strip().isascii():
        return None
    return int(text.strip()[:20])


def _status_advice(status: int) -> str:
    """What to do about an answer other than the image: a busy or failing host (429, 5xx) is
    its state, not the URL's, and another URL is no better advice than waiting."""
    if status == 429 or 500 <= status <= 599:
        return f"the host is busy or failing: {LATER_OR_GIVE_IT}"
    return OPENS_THE_IMAGE  # 6xx-9xx: no state HTTP defines


def _phrase(status: int) -> str:
    try:
        return f" ({http.HTTPStatus(status).phrase})"
    except ValueError:
        return ""


def _connect_refusal(error: httpx.HTTPError, place: str, policy: UrlPolicy) -> ImageUrlRefused:
    if isinstance(error, httpx.TimeoutException):
        return FetchTimedOut(
            f"{place} did not answer within {policy.connect_timeout:g} s: {LATER_OR_GIVE_IT}"
        )
    tls = _tls_error(error)
    if tls is not None:
        advice = "use an https URL whose host has a valid certificate for its name"
        if _issuer_untrusted(error):
            advice += (
                ", or give the image as a file path or base64 text; if this network re-signs "
                "TLS (a company proxy or gateway), the operator sets SSL_CERT_FILE (or "
                "SSL_CERT_DIR) to its CA certificates"
            )
        return TlsFailure(f"the TLS connection to {place} failed ({tls}): {advice}")
    return ConnectionFailed(
        f"could not connect to {place} (the connection was refused, reset or broken off): "
        f"{CHECK_URL_OR_LATER}"
    )


def _read_refusal(
    error: httpx.HTTPError | ssl.SSLError, place: str, policy: UrlPolicy
) -> ImageUrlRefused:
    refusal: ImageUrlRefused
    if isinstance(error, httpx.TimeoutException):
        refusal = FetchTimedOut(
            f"{place} sent nothing for {policy.read_timeout:g} s: {LATER_OR_GIVE_IT}"
        )
    else:
        refusal = ConnectionFailed(
            f"{place} broke off the answer or sent something that is not HTTP: "
            f"{LATER_OR_ANOTHER_URL}"
        )
    refusal.host_reached = True  # connected: no sign of a web reached only through a proxy
    return refusal


def _issuer_untrusted(error: BaseException) -> bool:
    """Whether the certificate's chain ended at a CA not trusted here: what a network that
    re-signs TLS gives for every host, mended by its operator, not by another URL."""
    verify_error = _in_chain(error, ssl.SSLCertVerificationError)
    return verify_error is not None and verify_error.verify_code in _UNTRUSTED_ISSUER


def _in_chain(error: BaseException, kind: type[_E]) -> _E | None:
    """The first ``kind`` among ``error`` and its causes and contexts."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        current = current.__cause__ or current.__context__
    return None


# What the ssl module raises when the connection itself ended or broke during the handshake
# (the host closed it or reset it before any TLS answer, as a firewall dropping direct
# connections does): a failure to connect, told as one, and the name's next address tried,
# not a certificate to mend.
_CONNECTION_ENDED: Final = (
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
    ssl.SSLSyscallError,
    ssl.SSLWantReadError,
    ssl.SSLWantWriteError,
)


def _tls_error(error: BaseException) -> str | None:
    """A short, fixed-vocabulary reason when a TLS failure is in the chain (OpenSSL's words)."""
    failure = _in_chain(error, ssl.SSLError)
    if failure is None or isinstance(failure, _CONNECTION_ENDED):
        return None
    if not isinstance(failure, ssl.SSLCertVerificationError):
        return "the handshake failed"
    reason = failure.verify_message or "certificate verify failed"
    # A name mismatch quotes the name asked for ("... is not valid for '<name>'."): after a
    # redirect under an allowed suffix, the image server's own words. The refusal's place
    # names the host when it may be named.
    reason = reason.partition(" for '")[0]
    return "".join(char for char in reason[:120] if char.isprintable() and char.isascii())
