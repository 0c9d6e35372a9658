"""Tests that kill mutants the suite let live (hand mutation testing, round 6a: the Slack
transport: proxies, log redaction, deadlines, the multipart form, addresses, the HTTP
stacks, the stacks kept per event loop, and the read-only session).

Each test names the mutation it kills: a small change to the package that broke a promise
of the README, ../shared/DEFAULTS.md or a docstring while the tests that exercise the
module still passed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import importlib.util
import io
import logging
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from ocp_users_photo import TransportError, UsersSetPhoto
from ocp_users_photo.credentials import SlackToken
from ocp_users_photo.slack import deadlines, stacks
from ocp_users_photo.slack.addresses import same_slack
from ocp_users_photo.slack.client import SlackClient
from ocp_users_photo.slack.form import (
    READ_BLOCK_BYTES,
    WRITE_PIECE_BYTES,
    FilePart,
    FormBody,
    encode_form,
)
from ocp_users_photo.slack.log_redaction import MAX_RECORD_CHARS, secret_in_flight
from ocp_users_photo.slack.loop_stacks import LoopStacks
from ocp_users_photo.slack.proxies import check_callers_client, check_proxy_url, proxy_for
from ocp_users_photo.slack.retry import RetryPolicy
from ocp_users_photo.slack.session import SlackSession
from ocp_users_photo.slack.stacks import Answer, RequestHead
from tests import loopback
from tests.conftest import CANARY_TOKEN, make_image
from tests.http_stacks import stack_environ, stack_params
from tests.test_slack_form import body_of, parsed

CANARY_SECRET = CANARY_TOKEN.split("-", 1)[1]
PROXY = "http://proxy.corp.example:3128"
SLACK = "https://slack.com/api"


def _through(base_url: str, no_proxy: str) -> str | None:
    return proxy_for(base_url, {"HTTPS_PROXY": PROXY, "NO_PROXY": no_proxy})


# --- slack/proxies.py: NO_PROXY as curl, requests and Go read it ---------------------------------


def test_a_no_proxy_entry_with_https_default_port_bypasses_a_url_without_port() -> None:
    """Mutant: ``parts.port or 443`` -> ``or 80``. ``https://slack.com/api`` is port 443, so
    ``NO_PROXY=slack.com:443`` names it: the call must go direct, not through the proxy."""
    assert _through(SLACK, "slack.com:443") is None
    assert _through(SLACK, "slack.com:80") == PROXY


def test_a_no_proxy_entry_with_another_port_does_not_bypass() -> None:
    """Mutant: the entry's port check dropped (``if entry_port ... != str(port)`` ->
    ``if False``). An entry with a port names that port only (proxies.py ``_bypassed``):
    ``slack.com:8443`` leaves calls to port 443 on the proxy."""
    assert _through(SLACK, "slack.com:8443") == PROXY
    assert _through("https://slack.com:8443/api", "slack.com:8443") is None


def test_a_no_proxy_domain_matches_at_a_dot_only() -> None:
    """Mutant: ``host.endswith("." + name)`` -> ``host.endswith(name)``. ``ack.com`` is not
    a domain ``slack.com`` lies in: a company's NO_PROXY entry for another host must not
    take Slack's calls off the proxy (curl, requests and Go match at a label boundary)."""
    assert _through(SLACK, "ack.com") == PROXY
    assert _through("https://files.slack.com/api", "slack.com") is None


def test_a_no_proxy_entry_with_a_leading_dot_names_the_domain() -> None:
    """Mutant: ``name.lstrip(".")`` dropped. ``.slack.com``, the most common spelling of a
    domain in NO_PROXY lists, names slack.com and every host under it."""
    assert _through("https://files.slack.com/api", ".slack.com") is None
    assert _through(SLACK, ".slack.com") is None


def test_a_star_in_no_proxy_bypasses_every_host() -> None:
    """Mutant: ``name == "*" or`` dropped. ``NO_PROXY=*`` means no proxy for any host."""
    assert _through(SLACK, "*") is None
    assert _through(SLACK, "internal.example, *") is None


def test_a_no_proxy_entry_written_as_a_wildcard_domain_names_the_domain() -> None:
    """Mutant: ``.removeprefix("*.")`` dropped. ``*.slack.com`` (Windows' and many hosts'
    spelling) names the hosts under slack.com."""
    assert _through("https://files.slack.com/api", "*.slack.com") is None


def test_a_no_proxy_entry_host_and_port_is_read_apart() -> None:
    """Mutant: the ``host:port`` branch dropped (``elif name.count(":") == 1`` -> ``elif
    False``). ``slack.com:443`` names slack.com on 443, not a host spelled with a colon."""
    assert _through(SLACK, "other.example,slack.com:443") is None


def test_a_proxy_on_port_0_is_refused() -> None:
    """Mutant: ``or port == 0`` dropped from check_proxy_url. Port 0 names no proxy: the
    settings refuse it (without quoting it) rather than every call failing later."""
    with pytest.raises(ValueError, match="port 0") as refused:
        check_proxy_url("http://user:pr0xyPass@proxy.example:0", origin="HTTPS_PROXY")
    assert "pr0xyPass" not in str(refused.value)


async def test_a_callers_proxying_client_is_refused_for_an_upper_case_http_base_url() -> None:
    """Mutant: ``base_url.lower().startswith("http://")`` -> without ``.lower()``. A URL's
    scheme is case-insensitive: ``HTTP://127.0.0.1/api`` is plain http, and a caller's client
    that would send it through a proxy would hand that proxy the token."""
    async with httpx.AsyncClient(proxy="http://127.0.0.1:3128") as client:
        with pytest.raises(ValueError, match="through a proxy"):
            check_callers_client(client, "HTTP://127.0.0.1:9/api")


@pytest.mark.parametrize(
    ("user", "password", "echoed"),
    [("user", "pr0xyPass", "base64"), ("ap1KeyAsTheUser0123", "", "key")],
)
async def test_a_proxys_echo_of_its_credentials_is_in_no_debug_record(
    user: str, password: str, echoed: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Mutants of proxy_secrets: ``basic_credentials(user, password)`` dropped (the pair as
    sent, base64), and ``password or user`` -> ``password`` (a key given as the user name,
    no password). httpcore logs a proxy's reply head at DEBUG (its reason phrase, its
    headers); a proxy that echoes the Proxy-Authorization it was sent, or the key, must not
    get it into a host's log records (proxies.py: "what ... must never be shown")."""
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    shown = pair if echoed == "base64" else user

    async def echo(writer: asyncio.StreamWriter) -> None:
        writer.write(
            f"HTTP/1.1 407 refused {shown}\r\nX-Seen: {shown}\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()

    caplog.set_level(logging.DEBUG)
    async with loopback.serve(None) as proxy:
        proxy.on("slack.invalid:443", echo)
        with_credentials = proxy.url("").replace("http://", f"http://{user}:{password}@")
        async with UsersSetPhoto(
            CANARY_TOKEN,
            base_url="https://slack.invalid/api",
            environ=stack_environ("httpx", HTTPS_PROXY=with_credentials),
            max_retries=0,
        ) as tool:
            with pytest.raises(TransportError):
                await tool.call({"image": make_image()})
    messages = [record.getMessage() for record in caplog.records]
    assert any(record.name.startswith("httpcore") for record in caplog.records)
    assert [message for message in messages if shown in message] == []


# --- slack/log_redaction.py ---------------------------------------------------------------------


def _records_of(logger_name: str, caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == logger_name]


def test_a_long_http_stack_record_is_cut_while_a_call_is_under_way(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Mutant: ``if len(shown) > MAX_RECORD_CHARS`` -> ``if False``. A server's reply head
    of many long headers (httpcore logs every one) must not make a record of hundreds of
    kilobytes while a call is under way: it is cut at MAX_RECORD_CHARS, and says so."""
    caplog.set_level(logging.DEBUG, logger="httpcore.http11")
    head = "receive_response_headers.complete " + "x-long: " + "a" * 50_000
    with secret_in_flight("xoxp-6a-not-in-this-record"):
        logging.getLogger("httpcore.http11").debug("%s", head)
    (message,) = _records_of("httpcore.http11", caplog)
    assert len(message) < MAX_RECORD_CHARS + 100
    assert message.startswith(head[:MAX_RECORD_CHARS])
    assert f"({len(head)} characters in all)" in message


async def test_a_callers_client_logs_no_token_echoed_in_the_reason_phrase(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Mutant: ``"httpx"`` dropped from HTTP_STACK_LOGGERS. A caller's ``httpx.AsyncClient``
    logs each response line at INFO on the ``httpx`` logger, reason phrase and all: a server
    echoing the token there must not get it into a host's log records."""
    token = SlackToken(CANARY_TOKEN)

    async def slack(request: httpx.Request) -> httpx.Response:
        echoed = request.headers["Authorization"].encode()
        return httpx.Response(
            200,
            json={"ok": True, "user_id": "U1"},
            extensions={"reason_phrase": b"OK for " + echoed},
        )

    caplog.set_level(logging.INFO, logger="httpx")
    async with httpx.AsyncClient(transport=httpx.MockTransport(slack)) as client:
        slack_client = SlackClient(
            base_url="https://slack.invalid/api", user_agent="test", http_client=client
        )
        await slack_client.call("auth.test", token=token)
    lines = _records_of("httpx", caplog)
    assert any("OK for Bearer" in line for line in lines), lines
    assert [line for line in lines if CANARY_SECRET in line] == []


def test_an_inner_calls_secrets_add_to_the_outer_calls(caplog: pytest.LogCaptureFixture) -> None:
    """Mutant: the outer block's secrets left out of the inner's (``_IN_FLIGHT``). A
    call made within a call (a token refresh while the change waits for it) must keep the
    outer call's token out of the stack's records too: the outer block still runs."""
    caplog.set_level(logging.DEBUG, logger="httpcore.http11")
    outer, inner = "xoxp-6a-outer-token-secret", "xoxe-6a-inner-refresh-secret"
    with secret_in_flight(outer), secret_in_flight(inner):
        logging.getLogger("httpcore.http11").debug("echo %s and %s", outer, inner)
    (message,) = _records_of("httpcore.http11", caplog)
    assert outer not in message
    assert inner not in message


# --- slack/form.py ------------------------------------------------------------------------------


async def test_each_body_has_a_boundary_of_its_own_that_no_content_can_know() -> None:
    """Mutant: ``boundary = os.urandom(16).hex()`` -> a constant. The boundary is random per
    body (form.py), so an image or a value cannot hold the line that would end its part and
    forge another: a fixed boundary is one a hostile image can carry."""
    parts = {"image": FilePart("me.png", "image/png", b"\x89PNG")}
    boundaries = {
        encode_form({"crop_w": "1"}, parts).headers["Content-Type"].partition("boundary=")[2]
        for _ in range(8)
    }
    assert len(boundaries) == 8
    assert all(len(boundary) >= 32 for boundary in boundaries)


async def test_a_multipart_body_ends_with_the_close_delimiter() -> None:
    """Mutant: the trailer ``--{boundary}--`` -> ``--{boundary}``. RFC 2046 (which RFC 7578
    keeps) ends a multipart body with the close delimiter; python-multipart reads a body
    without one, so the read-back tests let it pass, but a strict server (Slack's) need not.
    """
    form = encode_form(
        {"crop_w": "1"}, {"image": FilePart("me.png", "image/png", b"\x89PNG-bytes")}
    )
    boundary = form.headers["Content-Type"].partition("boundary=")[2]
    body = b"".join([piece async for piece in form.content])
    assert body.startswith(f"--{boundary}\r\n".encode())
    assert body.endswith(f"\r\n--{boundary}--\r\n".encode())
    assert body.count(f"--{boundary}\r\n".encode()) == 2  # one delimiter a part


async def test_a_body_of_exactly_write_piece_bytes_goes_out_as_one_piece() -> None:
    """Mutant: ``length <= WRITE_PIECE_BYTES`` -> ``<``. Bodies up to WRITE_PIECE_BYTES go
    out as one piece (form.py), the size itself included: the off-by-one split it in three."""
    overhead = int(
        encode_form({}, {"image": FilePart("a.png", "image/png", b"")}).headers["Content-Length"]
    )
    image = bytes(WRITE_PIECE_BYTES - overhead)
    form = encode_form({}, {"image": FilePart("a.png", "image/png", image)})
    assert int(form.headers["Content-Length"]) == WRITE_PIECE_BYTES
    assert form.content.whole is not None
    assert len([piece async for piece in form.content]) == 1


async def test_non_ascii_names_and_file_names_go_out_as_utf_8() -> None:
    """Mutant: ``_disposition``'s ``encode("utf-8")`` -> ``encode("ascii", "replace")``.
    Names and file names are written as browsers write them (WHATWG: UTF-8), so a server
    reads back the name it was given, not question marks."""
    form = encode_form({"prénom": "v"}, {"image": FilePart("ça-été-moi.png", "image/png", b"img")})
    fields, files = parsed(form, b"".join(await body_of(form)))
    assert fields == {"prénom": b"v"}
    assert files == {"image": ("ça-été-moi.png", b"img")}


class _StallingFile(io.BytesIO):
    """A file whose second read waits until ``go`` is set; ``job_done`` is set when a worker
    thread's job on it (``file_in_use``) ends."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0
        self.in_second_read = threading.Event()
        self.go = threading.Event()
        self.job_done = threading.Event()

    @contextlib.contextmanager
    def in_use(self) -> Iterator[None]:
        try:
            yield
        finally:
            self.job_done.set()

    def read(self, size: int | None = -1, /) -> bytes:
        self.reads += 1
        if self.reads == 2:
            self.in_second_read.set()
            self.go.wait(10)
        return super().read(size)


async def test_an_abandoned_upload_reads_no_more_of_the_file() -> None:
    """Mutant: the body's ``finally: abandoned.set()`` -> ``pass``. An attempt given up (a
    timeout, a cancelled call) must stop its worker thread's reads of the image at the next
    piece (form.py: "``abandoned`` stops that attempt's reads still to come"), not read the
    rest of the block into memory for nobody."""
    data = bytes(READ_BLOCK_BYTES)  # one trip to the worker thread: four pieces
    file = _StallingFile(data)
    form = encode_form({}, {"image": FilePart("a.png", "image/png", file, size=len(data))})
    loop = asyncio.get_running_loop()

    async def send() -> None:
        async for _ in form.content:
            pass

    sending = asyncio.create_task(send())
    assert await loop.run_in_executor(None, file.in_second_read.wait, 10)
    sending.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sending
    file.go.set()
    assert await loop.run_in_executor(None, file.job_done.wait, 10)
    assert file.reads == 2, "the thread read on after the attempt was given up"


async def test_an_open_files_checked_size_is_all_that_is_sent(tmp_path: Path) -> None:
    """Mutant: ``size = _size(content) if part.size is None else part.size`` ->
    ``_size(content)``. A FilePart's ``size`` is what was checked: a file that grew since
    is not sent past it (form.py), so an image checked at one size cannot go out larger."""
    checked = b"\x89PNG-checked-bytes"
    path = tmp_path / "photo.png"
    path.write_bytes(checked)
    with path.open("rb") as file:
        with path.open("ab") as grower:
            grower.write(b"-appended-after-the-check" * 100)
        form = encode_form(
            {}, {"image": FilePart("photo.png", "image/png", file, size=len(checked))}
        )
        body = b"".join(await body_of(form))
    assert int(form.headers["Content-Length"]) == len(body)
    assert parsed(form, body)[1] == {"image": ("photo.png", checked)}


# --- slack/addresses.py -------------------------------------------------------------------------


def test_addresses_httpx_cannot_read_are_compared_exactly_as_written() -> None:
    """Mutant: the fallback ``url.rstrip("/")`` -> ``url.rstrip("/").lower()``. An address
    httpx cannot read is compared as written (addresses.py): two that differ in their path's
    case are not one Slack, so a token for one is never handed to the other."""
    assert not same_slack("http://[::1/API", "http://[::1/api")
    assert same_slack("http://[::1/api/", "http://[::1/api")


# --- slack/deadlines.py -------------------------------------------------------------------------


def test_a_call_within_a_call_keeps_to_the_enclosing_calls_end() -> None:
    """Mutant: ``min(enclosing.ends, ends)`` -> ``max``. Within a call's deadline, a call
    made with a longer deadline of its own still ends by the enclosing call's end
    (``call_deadline``: "or an enclosing call's end"); a shorter one keeps its own."""
    with deadlines.call_deadline(5.0):
        with deadlines.call_deadline(500.0):
            assert deadlines.seconds_left(1000.0) <= 5.0
        with deadlines.call_deadline(1.0):
            assert deadlines.seconds_left(1000.0) <= 1.0


def test_a_call_within_a_call_began_when_the_enclosing_call_began() -> None:
    """Mutant: the nested ``_CallEnd``'s ``enclosing.started`` -> ``started``. The client
    refuses a request of a call that began before ``aclose()`` (``call_started``): a request
    made inside it, under a deadline of its own, belongs to the call that began first."""
    with deadlines.call_deadline(50.0):
        outer = deadlines.call_started()
        while time.monotonic() == outer:  # the inner call begins at a later moment
            pass
        with deadlines.call_deadline(50.0):
            assert deadlines.call_started() == outer
    assert deadlines.call_started() is None


def test_a_task_left_running_after_its_call_keeps_to_no_deadline() -> None:
    """Mutant: ``_ends_now`` without its ``found.running`` check. A task the call started
    copies the context; once the call has ended, that task's requests (an observer's later
    work) are free of the call's deadline (deadlines.py), not cut at an end long past."""
    with deadlines.call_deadline(0.5):
        inside = contextvars.copy_context()
        assert inside.run(deadlines.seconds_left, 100.0) <= 0.5
    assert inside.run(deadlines.seconds_left, 100.0) > 50.0


def test_a_task_left_running_after_its_call_is_in_no_call() -> None:
    """Mutant: ``call_started`` without its ``found.running`` check. Once a call has ended,
    a task that copied its context is in no call: the client must not take that task's
    later request for one "that began before aclose()" and refuse it."""
    with deadlines.call_deadline(50.0):
        inside = contextvars.copy_context()
        assert inside.run(deadlines.call_started) is not None
    assert inside.run(deadlines.call_started) is None


async def test_a_token_refresh_is_outside_the_calls_deadline() -> None:
    """Mutant: ``outside_call_deadline``'s ``_CALL_ENDS.set(None)`` -> a no-op. A token
    refresh is never cut short by the call's deadline (Slack spends the refresh token it is
    given: an answer lost is the person's token lost); only its own timeout bounds it."""
    with deadlines.call_deadline(0.5):
        with deadlines.outside_call_deadline():
            assert deadlines.seconds_left(100.0) > 50.0
            assert deadlines.call_timeout().when() is None
        assert deadlines.seconds_left(100.0) <= 0.5


def test_a_call_made_after_the_call_that_started_its_task_has_its_own_deadline() -> None:
    """Mutant: ``if enclosing is not None and enclosing.running`` -> without ``running``. A
    task a call started, making a call of its own after that call ended (an observer's
    later work: "its own call"), gets its own deadline, not the ended call's end."""

    def own_call() -> float:
        with deadlines.call_deadline(50.0):
            return deadlines.seconds_left(100.0)

    with deadlines.call_deadline(0.5):
        inside = contextvars.copy_context()
    assert inside.run(own_call) > 40.0


# --- slack/aiohttp_stack.py and slack/stacks.py --------------------------------------------------


@pytest.mark.parametrize("http_stack", stack_params())
async def test_a_cookie_one_person_was_given_never_goes_back_to_slack(http_stack: str) -> None:
    """Mutant: aiohttp's ``cookie_jar=aiohttp.DummyCookieJar()`` dropped (its default jar).
    The tool's stack keeps no cookies (aiohttp_stack.py): one stack serves every person's
    token, so a session cookie Slack set in answer to one person must never go out with
    the next request, another person's."""
    body = b'{"ok": true, "user_id": "U1", "team_id": "T1"}'
    async with loopback.serve() as slack:
        slack.on(
            "/api/auth.test",
            loopback.reply(
                200,
                body,
                [("Content-Type", "application/json"), ("Set-Cookie", "d=person-a; Path=/")],
            ),
        )
        client = SlackClient(
            base_url=slack.url("/api", host="localhost"),
            user_agent="test",
            http_stack=http_stack,  # type: ignore[arg-type]
        )
        try:
            await client.call("auth.test", token=SlackToken("xoxp-6a-person-a-token"))
            await client.call("auth.test", token=SlackToken("xoxp-6a-person-b-token"))
        finally:
            await client.aclose()
    assert len(slack.requests) == 2
    assert [request.header("cookie") for request in slack.requests] == [None, None]


@pytest.mark.parametrize("http_stack", stack_params())
async def test_no_tls_setting_is_in_a_plain_http_connection_error(http_stack: str) -> None:
    """Mutant: ``text = _TLS_SETTING.sub("", str(error))`` -> ``str(error)``. aiohttp names
    its TLS setting in a connection error (``ssl:default``, an SSLContext's repr), which
    reads as a TLS fault to someone whose base URL is plain http: the error leaves it out."""
    async with loopback.serve() as gone:
        closed = gone.base_url()
    client = SlackClient(
        base_url=closed,
        user_agent="test",
        http_stack=http_stack,  # type: ignore[arg-type]
        retry=RetryPolicy(max_retries=0),
    )
    try:
        with pytest.raises(TransportError) as caught:
            await client.call("auth.test", token=SlackToken(CANARY_TOKEN))
    finally:
        await client.aclose()
    assert caught.value.reached is False
    assert "ssl:" not in str(caught.value)
    assert "SSLContext" not in str(caught.value)


@pytest.mark.parametrize("http_stack", stack_params())
async def test_the_host_header_names_a_port_that_is_not_the_default(http_stack: str) -> None:
    """Mutant: the httpx stack's ``Host=parsed.netloc`` -> ``parsed.host``. RFC 9110: the
    Host header carries the port when it is not the scheme's default; a loopback emulator
    or an internal gateway on another port routes by it."""
    body = b'{"ok": true, "user_id": "U1", "team_id": "T1"}'
    async with loopback.serve() as slack:
        slack.on(
            "/api/auth.test", loopback.reply(200, body, [("Content-Type", "application/json")])
        )
        client = SlackClient(
            base_url=slack.base_url(),
            user_agent="test",
            http_stack=http_stack,  # type: ignore[arg-type]
        )
        try:
            await client.call("auth.test", token=SlackToken(CANARY_TOKEN))
        finally:
            await client.aclose()
    (request,) = slack.requests
    assert request.header("host") == f"127.0.0.1:{slack.port}"


def test_an_aiohttp_older_than_the_minimum_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutant: ``_usable_aiohttp``'s ``>= AIOHTTP_MINIMUM`` check -> ``return True``. Before
    3.13.4 aiohttp read any number of a reply's header lines (megabytes of them): one that
    another package installed is never used, ``auto`` picks httpx."""
    from importlib import metadata

    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> object:
        return object() if name == "aiohttp" else real_find_spec(name, package)

    versions = {"3.13.3": False, "3.12.15": False, "3.13.4": True, "4.0.0a1": True}
    found = {}
    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    try:
        for version in versions:
            monkeypatch.setattr(metadata, "version", lambda name, v=version: v)
            stacks._usable_aiohttp.cache_clear()
            found[version] = stacks.aiohttp_installed()
            if version == "3.13.3":
                assert stacks.resolve_stack("auto", None) == "httpx"
    finally:  # read again, from the real installation, before any event loop asks (a later
        # async test building a tool with the aiohttp stack would read it on its loop)
        monkeypatch.undo()
        stacks._usable_aiohttp.cache_clear()
        stacks.aiohttp_installed()
    assert found == versions


def test_the_stacks_tls_context_reads_no_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mutant: ``httpx.create_ssl_context(trust_env=False)`` -> ``trust_env=True``. The
    settings read SSL_CERT_FILE from the environment the tool was given (``environ=``,
    passed on as ``roots``); without roots the stack trusts certifi's store, never a CA file
    named in os.environ behind the caller's back."""
    authority = trustme.CA()
    bundle = tmp_path / "elsewhere-ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    context = stacks.loaded_for("httpx")
    assert len(context.get_ca_certs()) > 1, "certifi's store, not the one CA of os.environ"


def test_the_plain_http_tls_context_still_verifies() -> None:
    """Mutant: ``loaded_for(tls=False)``'s context -> one that does not verify. Without
    ``tls`` no roots are read, and a TLS connection it were ever asked to make would fail
    verification (stacks.py), not go through unchecked."""
    context = stacks.loaded_for("httpx", tls=False)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.get_ca_certs() == []


@pytest.mark.parametrize(
    "proxy", ["socks5://user:s3cretpw@127.0.0.1:1080", "socks5h://127.0.0.1:1080"]
)
def test_auto_never_picks_aiohttp_for_a_socks_proxy(proxy: str) -> None:
    """Mutant: ``resolve_stack``'s proxy check -> ``if False``. aiohttp tunnels through
    http proxies only: given a SOCKS one it speaks HTTP's CONNECT to it, the proxy's
    password in a header, and reads its refusal as Slack's answer. ``auto`` (the default)
    picks httpx for such a proxy, whether or not the [fast] extra is installed."""
    assert stacks.resolve_stack("auto", proxy) == "httpx"
    assert stacks.resolve_stack("auto", None) == (
        "aiohttp" if stacks.aiohttp_installed() else "httpx"
    )


# --- slack/session.py ---------------------------------------------------------------------------


async def test_a_session_reads_on_with_the_token_it_renewed() -> None:
    """Mutants of SlackSession: ``self._token = fresh`` dropped (``_renew_and_keep``), and
    ``renew`` not passed to the client. A session whose token expired renews it once (on
    Slack's ``token_expired``) and reads on with the fresh one: not the expired token again,
    and not a refresh on every read (each spends a refresh token)."""
    old, fresh = SlackToken("xoxe.xoxp-1-6a-expired"), SlackToken("xoxe.xoxp-1-6a-fresh")
    sent: list[str] = []
    renewed: list[str] = []

    async def slack(request: httpx.Request) -> httpx.Response:
        used = request.headers["Authorization"].removeprefix("Bearer ")
        sent.append(used)
        if used == old.reveal():
            return httpx.Response(200, json={"ok": False, "error": "token_expired"})
        return httpx.Response(200, json={"ok": True, "profile": {"image_original": ""}})

    async def renew(expired: SlackToken) -> SlackToken | None:
        renewed.append(expired.reveal())
        return fresh

    async with httpx.AsyncClient(transport=httpx.MockTransport(slack)) as client:
        slack_client = SlackClient(
            base_url="https://slack.invalid/api", user_agent="test", http_client=client
        )
        session = SlackSession(slack_client, old, renew=renew)
        await session.call("users.profile.get")
        await session.call("users.profile.get")
    assert renewed == [old.reveal()]
    assert sent == [old.reveal(), fresh.reveal(), fresh.reveal()]


async def test_whoami_fresh_asks_slack_again() -> None:
    """Mutant: ``known = None if fresh else ...get(key)`` -> always the remembered answer.
    ``whoami(fresh=True)`` asks auth.test again (a scope added to the app keeps the token's
    text): the undo history's owner check relies on it to see a scope granted since."""
    scopes = iter(["users.profile:write", "users.profile:write,users.profile:read"])
    asked: list[str] = []

    async def slack(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        granted = next(scopes)
        return httpx.Response(
            200,
            json={"ok": True, "user_id": "U1", "user": "u", "team_id": "T1", "team": "t"},
            headers={"x-oauth-scopes": granted},
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(slack)) as client:
        slack_client = SlackClient(
            base_url="https://slack.invalid/api", user_agent="test", http_client=client
        )
        session = SlackSession(slack_client, SlackToken(CANARY_TOKEN))
        first = await session.whoami()
        assert await session.whoami() == first  # remembered: not asked again
        again = await session.whoami(fresh=True)
    assert asked == ["/api/auth.test", "/api/auth.test"]
    assert first.scopes is not None
    assert "users.profile:read" not in first.scopes
    assert again.scopes is not None
    assert "users.profile:read" in again.scopes
    assert session.remembered_identity() is not None


# --- slack/loop_stacks.py -----------------------------------------------------------------------


class _Stack:
    """An OwnedStack stand-in: LoopStacks only holds it."""

    is_closed = False

    def __init__(self, name: str) -> None:
        self.name = name
        self.let_go_of = False

    async def post(self, url: str, head: RequestHead, body: FormBody) -> Answer:
        raise AssertionError("never sent")

    def let_go(self) -> None:
        self.let_go_of = True

    async def aclose(self) -> None:
        self.is_closed = True


def test_each_client_gets_its_own_stack_on_a_shared_loop() -> None:
    """Mutant: ``on_loop.get(self)`` -> any stack the loop carries. Two clients on one event
    loop (two tools: another Slack, another proxy, other trusted roots) each keep their own
    stack: one must never send through the other's."""
    loop = asyncio.new_event_loop()
    try:
        first, second = LoopStacks(), LoopStacks()
        assert first.get(loop) is None
        first.set(loop, mine := _Stack("first"))
        assert second.get(loop) is None, "the loop's stack belongs to another client"
        second.set(loop, theirs := _Stack("second"))
        assert first.get(loop) is mine
        assert second.get(loop) is theirs
    finally:
        loop.close()


def test_a_stack_is_known_while_its_loop_holds_it_and_let_go_once_the_loop_closed() -> None:
    """Mutants: ``self._loops.add(loop)`` dropped, ``let_go_of_closed``'s ``is_closed()``
    inverted. LoopStacks is true while any loop still
    holds a stack; a closed loop's stack is let go (its connections close as collected),
    a running loop's is kept for its calls."""
    running, closed = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        stacks_of = LoopStacks()
        assert not stacks_of
        stacks_of.set(running, kept := _Stack("running"))
        stacks_of.set(closed, dropped := _Stack("closed"))
        assert stacks_of
        closed.close()
        stacks_of.let_go_of_closed()
        assert stacks_of.get(closed) is None
        assert dropped.let_go_of  # nothing it holds keeps the closed loop (test_pyapi14)
        assert stacks_of.get(running) is kept
        assert not kept.let_go_of
        assert stacks_of.pop(running) is kept
        assert not stacks_of
    finally:
        running.close()
        closed.close()


class _NoAttributesLoop(asyncio.SelectorEventLoop):
    """A loop that takes no attribute, as uvloop's does not."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        if name == "_ocp_users_photo_stacks":
            raise AttributeError(name)
        super().__setattr__(name, value)


def test_a_loop_that_takes_no_attribute_keeps_its_stack_in_the_client() -> None:
    """Mutant: ``__bool__``'s ``bool(self._held) or`` dropped. A loop that carries no
    attribute (uvloop's) has its stack held by the client until it is closed; while held,
    the client has a stack open (true), and the stack is let go once the loop closed."""
    loop = _NoAttributesLoop()
    try:
        stacks_of = LoopStacks()
        stacks_of.set(loop, held := _Stack("held"))
        assert stacks_of.get(loop) is held
        assert stacks_of
        loop.close()
        stacks_of.let_go_of_closed()
        assert not stacks_of
    finally:
        loop.close()


@pytest.mark.parametrize("extra", [0, 1, 10])
def test_a_record_is_cut_just_past_max_record_chars_and_not_before(
    extra: int, caplog: pytest.LogCaptureFixture
) -> None:
    """The cut is at MAX_RECORD_CHARS itself (a test-quality review: with only a record of
    50,000 characters tested, a cap ten times as large passed)."""
    caplog.set_level(logging.DEBUG, logger="httpcore.http11")
    head = "receive_response_headers.complete " + "b" * (MAX_RECORD_CHARS - 34 + extra)
    assert len(head) == MAX_RECORD_CHARS + extra
    with secret_in_flight("xoxp-6a-not-in-this-record"):
        logging.getLogger("httpcore.http11").debug("%s", head)
    (message,) = _records_of("httpcore.http11", caplog)
    if extra == 0:
        assert message == head
    else:
        assert message == f"{head[:MAX_RECORD_CHARS]}... ({len(head)} characters in all)"
