"""The guarded image fetch against real loopback HTTPS servers (trustme certificates).

Each test starts its own server on 127.0.0.1 and speaks TLS to it with a CA made for
the test; ``allow_loopback_for_tests`` lets the fetch reach it, and still requires
https. Names other than 127.0.0.1 go through a resolver stub, never real DNS; no
test connects anywhere but 127.0.0.1 (internal addresses are refused before any
connection is tried, which is what those tests show).
"""

from __future__ import annotations

import asyncio
import gzip
import io
import itertools
import logging
import socket
import ssl
import struct
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from PIL import Image

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.web_image import (
    AddressRefused,
    BadImageUrl,
    ConnectionFailed,
    FetchedImage,
    FetchTimedOut,
    HostNotAllowed,
    HttpStatusRefused,
    ImageTooLarge,
    ImageUrlRefused,
    NotAnImage,
    Resolver,
    SchemeNotAllowed,
    TlsFailure,
    TooManyRedirects,
    UrlPolicy,
    fetch_image,
)
from ocp_users_photo.web_image.refusals import GIVE_IT_INSTEAD
from tests.conftest import CANARY_TOKEN, make_image
from tests.loopback import (
    Answer,
    LoopbackServer,
    chunked,
    drip,
    redirect,
    reply,
    silent,
)

PNG = make_image((600, 600), "PNG")
JPEG = make_image((600, 600), "JPEG", quality=90)
SENT_HEADERS = {"host", "user-agent", "accept", "accept-encoding"}


@pytest.fixture
def host(host: LoopbackServer) -> LoopbackServer:
    """conftest's image host, serving a PNG at /photo.png."""
    host.on("/photo.png", reply(200, PNG, [("Content-Type", "image/png")]))
    return host


def loopback_policy(*hosts: str, **options: Any) -> UrlPolicy:
    return UrlPolicy(
        allowed_hosts=hosts or ("127.0.0.1",), allow_loopback_for_tests=True, **options
    )


class StubResolver:
    """Answers from a table, and remembers what it was asked; an unknown name is not found."""

    def __init__(self, table: dict[str, Sequence[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def __call__(self, name: str, port: int) -> Sequence[str]:
        self.asked.append(name)
        if name not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[name]


async def fetch(
    url: str,
    policy: UrlPolicy,
    tls: ssl.SSLContext | None,
    resolver: Resolver | None = None,
) -> FetchedImage:
    return await fetch_image(url, policy, resolver=resolver or StubResolver({}), ssl_context=tls)


async def refusal(
    kind: type[ImageUrlRefused],
    url: str,
    policy: UrlPolicy,
    tls: ssl.SSLContext | None,
    resolver: Resolver | None = None,
) -> ImageUrlRefused:
    with pytest.raises(kind) as caught:
        await fetch(url, policy, tls, resolver)
    error = caught.value
    # Never a network exception behind it: its text is the server's or the resolver's.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    assert error.problem().path == "$.image"
    return error


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait (bounded) for the server side to notice what the client did."""
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the server never saw it")


# --- what is fetched ----------------------------------------------------------------------


async def test_a_png_comes_back_byte_for_byte_and_its_description_has_no_query(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    host.on("/avatars/u1/photo.png", reply(200, PNG, [("Content-Type", "image/png")]))
    url = host.url("/avatars/u1/photo.png?X-Amz-Signature=s3cr3t&token=abc#frag")
    fetched = await fetch(url, loopback_policy(), client_tls)
    assert fetched.data == PNG
    assert fetched.byte_count == len(PNG)
    assert fetched.content_type == "image/png"
    assert fetched.host == "127.0.0.1"
    assert fetched.redirects == 0
    assert fetched.filename_stem == "photo"
    assert fetched.description == f"https://127.0.0.1:{host.port}/.../photo.png"
    for text in (fetched.description, repr(fetched)):
        assert "s3cr3t" not in text
        assert "abc" not in text
        assert "frag" not in text
    # The query goes to the image host (signed URLs need it); the fragment never does.
    assert host.requests[0].target == "/avatars/u1/photo.png?X-Amz-Signature=s3cr3t&token=abc"


async def test_a_jpeg_is_told_by_its_bytes_not_by_a_content_type_that_says_html(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    host.on("/me.jpg", reply(200, JPEG, [("Content-Type", "text/html")]))
    fetched = await fetch(host.url("/me.jpg"), loopback_policy(), client_tls)
    assert fetched.data == JPEG
    assert fetched.content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("a truncated PNG", PNG[:300]),
        ("a PNG too small for Slack", make_image((10, 10), "PNG")),
        ("a BMP", make_image((600, 600), "BMP")),
    ],
)
async def test_an_image_that_the_usual_checks_will_refuse_comes_back_unchanged(
    host: LoopbackServer, client_tls: ssl.SSLContext, name: str, body: bytes
) -> None:
    host.on("/odd", reply(200, body))
    fetched = await fetch(host.url("/odd"), loopback_policy(), client_tls)
    assert fetched.data == body, name


async def test_a_gzip_encoded_image_is_decoded(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    host.on("/z.png", reply(200, gzip.compress(PNG), [("Content-Encoding", "gzip")]))
    fetched = await fetch(host.url("/z.png"), loopback_policy(), client_tls)
    assert fetched.data == PNG


# --- what is sent -------------------------------------------------------------------------


async def test_only_four_headers_are_sent_whatever_the_environment_holds(
    host: LoopbackServer,
    client_tls: ssl.SSLContext,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # A proxy that does not exist: if it were used, nothing would be fetched.
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password hunter2\n")
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-bundle.pem"))
    fetched = await fetch(host.url("/photo.png"), loopback_policy(), client_tls)
    assert fetched.data == PNG
    (seen,) = host.requests
    assert seen.header_names == SENT_HEADERS
    assert seen.header("host") == f"127.0.0.1:{host.port}"
    assert seen.header("accept-encoding") == "identity"


async def test_the_default_trust_ignores_the_environments_certificate_bundle(
    host: LoopbackServer, ca: trustme.CA, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """SSL_CERT_FILE naming a bundle that holds the host's CA: were the environment read,
    the loopback certificate would verify and the image would come back."""
    bundle = tmp_path / "bundle.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    with pytest.raises(TlsFailure):
        await fetch(host.url("/photo.png"), loopback_policy(), None)
    assert host.requests == []


async def test_a_cookie_set_on_a_redirect_is_not_sent_on_the_next_hop(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    host.on(
        "/login",
        redirect("/photo.png", 302, [("Set-Cookie", "session=abc123; Path=/")]),
    )
    fetched = await fetch(host.url("/login"), loopback_policy(), client_tls)
    assert fetched.data == PNG
    assert fetched.redirects == 1
    assert [request.target for request in host.requests] == ["/login", "/photo.png"]
    for request in host.requests:
        assert request.header_names == SENT_HEADERS


async def test_a_name_is_resolved_once_connected_by_address_and_verified_by_name(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    resolver = StubResolver({"images.test": ["127.0.0.1"]})
    url = host.url("/photo.png", host="images.test")
    fetched = await fetch(url, loopback_policy("images.test"), client_tls, resolver)
    assert fetched.data == PNG
    assert fetched.host == "images.test"
    assert resolver.asked == ["images.test"]
    assert host.requests[0].header("host") == f"images.test:{host.port}"


async def test_a_certificate_for_another_name_is_a_tls_failure(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    resolver = StubResolver({"other.test": ["127.0.0.1"]})
    url = host.url("/photo.png", host="other.test")
    error = await refusal(TlsFailure, url, loopback_policy("other.test"), client_tls, resolver)
    assert "other.test" in error.message
    assert host.requests == []


async def test_a_certificate_from_an_untrusted_authority_is_a_tls_failure(
    host: LoopbackServer,
) -> None:
    # No ssl_context: the default roots, which do not hold the test's CA.
    error = await refusal(TlsFailure, host.url("/photo.png"), loopback_policy(), None)
    assert "certificate" in error.message
    assert host.requests == []


# --- which hosts and addresses ------------------------------------------------------------


async def test_a_host_off_the_allow_list_is_refused_before_any_lookup(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    resolver = StubResolver({"images.test": ["127.0.0.1"]})
    url = host.url("/photo.png", host="images.test")
    error = await refusal(HostNotAllowed, url, loopback_policy(), client_tls, resolver)
    assert "--allow-url-host" in error.message
    assert "url_hosts" in error.message
    assert resolver.asked == []
    assert host.connections == 0


async def test_no_allowed_host_means_no_url_is_fetched(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    # A name: a loopback address is refused as one whatever the list holds.
    url = host.url("/photo.png", host="images.test")
    error = await refusal(HostNotAllowed, url, UrlPolicy(), client_tls)
    assert "fetches no image URLs" in error.message
    assert host.connections == 0


async def test_loopback_is_refused_unless_the_test_option_says_so(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    # 127.0.0.1 itself cannot be on the list without the option (UrlPolicy refuses it); a
    # name that resolves to it is refused when resolved.
    policy = UrlPolicy(allowed_hosts=["images.test"])
    resolver = StubResolver({"images.test": ["127.0.0.1"]})
    url = host.url("/photo.png", host="images.test")
    error = await refusal(AddressRefused, url, policy, client_tls, resolver)
    assert "loopback" in error.message
    assert host.connections == 0


async def test_plain_http_is_refused_even_to_an_allowed_loopback_host(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    url = f"http://127.0.0.1:{host.port}/photo.png"
    error = await refusal(SchemeNotAllowed, url, loopback_policy(), client_tls)
    assert "https://" in error.message
    assert host.connections == 0


@pytest.mark.parametrize(
    "answer",
    [
        ["10.20.30.40"],
        ["169.254.169.254"],
        ["127.0.0.1", "192.168.1.20"],  # the first is allowed here; one inside is enough
        ["::ffff:10.0.0.1"],
        ["fd00::1"],
    ],
)
async def test_a_dns_answer_that_points_inside_is_refused_before_connecting(
    host: LoopbackServer, client_tls: ssl.SSLContext, answer: list[str]
) -> None:
    resolver = StubResolver({"images.test": answer})
    url = host.url("/photo.png", host="images.test")
    error = await refusal(AddressRefused, url, loopback_policy("images.test"), client_tls, resolver)
    assert "images.test resolves to" in error.message
    assert not any(address in error.message for address in answer)
    assert host.connections == 0


async def test_a_name_that_does_not_resolve_is_a_connection_failure(
    client_tls: ssl.SSLContext,
) -> None:
    error = await refusal(
        ConnectionFailed,
        "https://nowhere.test/photo.png",
        loopback_policy("nowhere.test"),
        client_tls,
        StubResolver({}),
    )
    assert "could not be found" in error.message


async def test_a_closed_port_is_a_connection_failure(client_tls: ssl.SSLContext) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    error = await refusal(
        ConnectionFailed, f"https://127.0.0.1:{port}/x.png", loopback_policy(), client_tls
    )
    assert "could not connect" in error.message


def _dropping(*, read_hello: bool, reset: bool) -> Callable[..., Awaitable[None]]:
    """A host that takes the connection, then closes it (or resets it) before any TLS answer:
    as a firewall that drops direct connections does."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if read_hello:
            await reader.read(1)
        if reset:
            linger = struct.pack("ii", 1, 0)
            writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            writer.transport.abort()
        else:
            writer.close()

    return answer


@pytest.mark.parametrize(
    ("read_hello", "reset"),
    [(False, False), (True, False), (False, True), (True, True)],
    ids=["closed_at_once", "closed_after_the_hello", "reset_at_once", "reset_after_the_hello"],
)
async def test_a_connection_broken_off_before_any_tls_answer_is_a_connection_failure(
    host: LoopbackServer, client_tls: ssl.SSLContext, read_hello: bool, reset: bool
) -> None:
    """Not a certificate to mend (TlsFailure said "use an https URL whose host has a valid
    certificate") but a connection that failed, and the name's next address is tried (the
    review of 2026-12-05: three of these four were TlsFailure, the next address untried)."""
    dropping = await asyncio.start_server(
        _dropping(read_hello=read_hello, reset=reset), "127.0.0.2", host.port
    )
    try:
        url = host.url("/photo.png", host="images.test")
        policy = loopback_policy("images.test")
        alone = StubResolver({"images.test": ["127.0.0.2"]})
        error = await refusal(ConnectionFailed, url, policy, client_tls, alone)
        assert "could not connect" in error.message
        then_the_host = StubResolver({"images.test": ["127.0.0.2", "127.0.0.1"]})
        assert (await fetch(url, policy, client_tls, then_the_host)).data == PNG
    finally:
        dropping.close()
        await dropping.wait_closed()


# --- redirects ----------------------------------------------------------------------------


async def test_a_redirect_off_the_allow_list_is_refused(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    host.on("/go", redirect(host.url("/photo.png", host="images.test")))
    resolver = StubResolver({"images.test": ["127.0.0.1"]})
    error = await refusal(HostNotAllowed, host.url("/go"), loopback_policy(), client_tls, resolver)
    assert "redirected" in error.message
    assert [request.target for request in host.requests] == ["/go"]
    assert resolver.asked == []


@pytest.mark.parametrize(
    ("location", "resolver", "refused"),
    [
        # an allowed name that resolves inside: refused when resolved
        ("https://inside.test/x.png", StubResolver({"inside.test": ["10.0.0.7"]}), AddressRefused),
        # an internal address (no allow-list can hold one): refused before any lookup
        ("https://169.254.169.254/latest/meta-data/", StubResolver({}), HostNotAllowed),
        ("https://[::ffff:169.254.169.254]/latest/", StubResolver({}), HostNotAllowed),
    ],
)
async def test_a_redirect_to_an_internal_address_is_refused_on_an_allowed_host(
    host: LoopbackServer,
    client_tls: ssl.SSLContext,
    location: str,
    resolver: StubResolver,
    refused: type[ImageUrlRefused],
) -> None:
    host.on("/go", redirect(location))
    policy = loopback_policy("127.0.0.1", "inside.test")
    error = await refusal(refused, host.url("/go"), policy, client_tls, resolver)
    assert "10.0.0.7" not in error.message
    assert host.connections == 1


async def test_a_redirect_to_plain_http_is_refused(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    host.on("/go", redirect(f"http://127.0.0.1:{host.port}/photo.png", 301))
    error = await refusal(SchemeNotAllowed, host.url("/go"), loopback_policy(), client_tls)
    assert "redirected" in error.message
    assert host.connections == 1


async def test_a_redirect_to_a_url_with_a_user_name_is_refused(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    host.on("/go", redirect(f"https://127.0.0.1@evil.test:{host.port}/photo.png", 307))
    await refusal(BadImageUrl, host.url("/go"), loopback_policy(), client_tls)


def chain(host: LoopbackServer, hops: int) -> str:
    """/r{hops} -> ... -> /r1 -> /photo.png, alternating relative and absolute Locations."""
    for hop in range(1, hops + 1):
        target = "/photo.png" if hop == 1 else f"/r{hop - 1}"
        location = target.lstrip("/") if hop % 2 else f"//127.0.0.1:{host.port}{target}"
        host.on(f"/r{hop}", redirect(location, (301, 302, 303, 307, 308)[hop % 5]))
    return host.url(f"/r{hops}")


async def test_three_redirects_are_followed(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    fetched = await fetch(chain(host, 3), loopback_policy(), client_tls)
    assert fetched.data == PNG
    assert fetched.redirects == 3
    assert len(host.requests) == 4


async def test_a_fourth_redirect_is_refused(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    error = await refusal(TooManyRedirects, chain(host, 4), loopback_policy(), client_tls)
    assert "more than 3" in error.message
    assert len(host.requests) == 4


# --- bounds -------------------------------------------------------------------------------


async def test_a_declared_length_over_the_cap_is_refused_from_the_header(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    host.on("/big.png", reply(200, PNG, [("Content-Length", str(10**10))]))
    policy = loopback_policy(max_bytes=len(PNG) * 2)
    error = await refusal(ImageTooLarge, host.url("/big.png"), policy, client_tls)
    assert f"{len(PNG) * 2:,}-byte limit" in error.message


async def test_a_body_over_the_cap_with_a_true_length_is_refused(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    body = PNG + bytes(1000)
    host.on("/big.png", reply(200, body))
    await refusal(
        ImageTooLarge, host.url("/big.png"), loopback_policy(max_bytes=len(PNG)), client_tls
    )


async def test_an_endless_body_without_length_is_cut_off_at_the_cap(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    endless = itertools.chain([PNG[:64]], itertools.repeat(bytes(16 * 1024), 10_000))
    host.on("/endless.png", chunked(endless))
    policy = loopback_policy(max_bytes=256 * 1024)
    await refusal(ImageTooLarge, host.url("/endless.png"), policy, client_tls)
    await eventually(lambda: host.broken_off == 1)


async def test_a_body_ended_by_closing_the_connection_is_bounded_too(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    host.on("/closing.png", reply(200, PNG + bytes(300 * 1024), length=False))
    policy = loopback_policy(max_bytes=len(PNG) + 1024)
    await refusal(ImageTooLarge, host.url("/closing.png"), policy, client_tls)


async def test_a_small_gzip_body_that_expands_past_the_cap_is_refused(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    bomb = gzip.compress(PNG[:64] + bytes(64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 200 * 1024
    host.on("/bomb.png", reply(200, bomb, [("Content-Encoding", "gzip")]))
    policy = loopback_policy(max_bytes=1024 * 1024)
    await refusal(ImageTooLarge, host.url("/bomb.png"), policy, client_tls)


async def test_a_content_coding_other_than_gzip_is_refused(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    host.on("/br.png", reply(200, b"\x1b\x00\x00" + PNG, [("Content-Encoding", "br")]))
    error = await refusal(NotAnImage, host.url("/br.png"), loopback_policy(), client_tls)
    assert "'br'" in error.message


async def endless_interim_answers(writer: asyncio.StreamWriter) -> None:
    """``100 Continue`` every 20 ms, a thousand times: httpcore reads past 1xx answers."""
    for _ in range(1000):
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.02)


@pytest.mark.parametrize(
    "answer",
    [drip(PNG[:100], 0.05), endless_interim_answers],
    ids=["slow body", "endless interim answers"],
)
async def test_an_answer_that_never_ends_ends_at_the_total_deadline(
    host: LoopbackServer, client_tls: ssl.SSLContext, answer: Answer
) -> None:
    # Each piece comes well within the read timeout; only the total deadline ends it.
    host.on("/slow.png", answer)
    policy = loopback_policy(total_timeout=0.5, read_timeout=5.0)
    error = await refusal(FetchTimedOut, host.url("/slow.png"), policy, client_tls)
    assert "0.5 s" in error.message
    await eventually(lambda: host.broken_off == 1)


async def test_a_host_that_never_answers_ends_at_the_read_timeout(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    host.on("/silent.png", silent())
    policy = loopback_policy(read_timeout=0.3, total_timeout=20.0)
    error = await refusal(FetchTimedOut, host.url("/silent.png"), policy, client_tls)
    assert "0.3 s" in error.message


async def test_a_switch_of_protocols_is_no_image(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    host.on("/upgrade.png", reply(101, PNG, [("Upgrade", "websocket")], length=False))
    error = await refusal(ConnectionFailed, host.url("/upgrade.png"), loopback_policy(), client_tls)
    assert "sent something that is not HTTP" in error.message


# --- what is not an image -----------------------------------------------------------------


async def test_an_html_page_labelled_as_png_is_not_an_image(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    page = b"<!doctype html><html><body><img src='/photo.png'></body></html>"
    host.on("/page", reply(200, page, [("Content-Type", "image/png")]))
    error = await refusal(NotAnImage, host.url("/page"), loopback_policy(), client_tls)
    assert "HTML" in error.message


async def test_an_endless_html_page_is_refused_after_its_first_bytes(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    endless = itertools.chain([b"<html>"], itertools.repeat(b" " * 16 * 1024, 10_000))
    host.on("/endless.html", chunked(endless))
    await refusal(NotAnImage, host.url("/endless.html"), loopback_policy(), client_tls)
    await eventually(lambda: host.broken_off == 1)


async def test_an_empty_body_is_not_an_image(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    host.on("/empty.png", reply(200, b""))
    error = await refusal(NotAnImage, host.url("/empty.png"), loopback_policy(), client_tls)
    assert "empty" in error.message


async def test_an_error_status_is_refused_with_its_number(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    error = await refusal(
        HttpStatusRefused, host.url("/missing.png"), loopback_policy(), client_tls
    )
    assert "HTTP 404 (Not Found)" in error.message


# --- the emulator's own images, over plain http (undo) ------------------------------------


def solid_png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (512, 512), color).save(buffer, format="PNG")
    return buffer.getvalue()


async def emulator_original(emulator: RunningEmulator, client: httpx.AsyncClient) -> str:
    headers = {"Authorization": "Bearer xoxp-webfetch-test"}
    upload = solid_png((10, 200, 90))
    reply_ = await client.post(
        f"{emulator.base_url}/users.setPhoto",
        headers=headers,
        files={"image": ("me.png", upload, "image/png")},
    )
    assert reply_.json()["ok"] is True
    profile = (await client.get(f"{emulator.base_url}/users.profile.get", headers=headers)).json()
    original: str = profile["profile"]["image_original"]
    return original


async def test_the_loopback_emulators_own_image_is_fetched_over_http(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    original = await emulator_original(emulator, client)
    assert original.startswith(emulator.root_url + "/")
    policy = UrlPolicy.for_slack_image(original, slack_base_url=emulator.base_url)
    assert policy.allowed_hosts == ()
    fetched = await fetch_image(original, policy)
    assert fetched.data == solid_png((10, 200, 90))
    assert fetched.description.startswith(f"http://127.0.0.1:{emulator.port}/")


async def test_the_emulator_exception_covers_its_origin_only(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    original = await emulator_original(emulator, client)
    # Without the exception, the same URL is plain http and refused.
    with pytest.raises(SchemeNotAllowed):
        await fetch_image(original, loopback_policy())
    policy = UrlPolicy.for_slack_image(original, slack_base_url=emulator.base_url)
    # Another origin on the same machine is a loopback host, never fetched from: told so,
    # not told to use https (which no https:// URL there would get past).
    other_port = original.replace(f":{emulator.port}/", f":{emulator.port + 1}/")
    with pytest.raises(HostNotAllowed, match="never fetches from"):
        await fetch_image(other_port, policy)
    by_name = original.replace("127.0.0.1", "localhost")
    with pytest.raises(HostNotAllowed, match="never fetches from"):
        await fetch_image(by_name, policy)


# --- nothing from the URL's query or path leaks -------------------------------------------


@pytest.mark.parametrize(
    ("path", "answer", "kind"),
    [
        ("/page", reply(200, b"<html></html>"), NotAnImage),
        ("/gone", reply(410, b""), HttpStatusRefused),
        ("/big.png", reply(200, PNG + bytes(4096)), ImageTooLarge),
        ("/go", redirect("https://evil.test/x.png"), HostNotAllowed),
    ],
)
async def test_a_token_in_the_url_is_in_no_refusal_and_no_log_record(
    host: LoopbackServer,
    client_tls: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
    path: str,
    answer: Any,
    kind: type[ImageUrlRefused],
) -> None:
    caplog.set_level(logging.DEBUG)
    host.on(f"/{CANARY_TOKEN}{path}", answer)
    url = host.url(f"/{CANARY_TOKEN}{path}?token={CANARY_TOKEN}#{CANARY_TOKEN}")
    error = await refusal(kind, url, loopback_policy(max_bytes=len(PNG)), client_tls)
    for text in (str(error), repr(error), str(error.problem().as_dict()), caplog.text):
        assert CANARY_TOKEN not in text
        assert "xoxp" not in text
    assert CANARY_TOKEN in host.requests[0].target  # it did go to the image host


async def test_a_fetch_logs_no_query_string(
    host: LoopbackServer, client_tls: ssl.SSLContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fetched = await fetch(host.url("/photo.png?sig=s3cr3tsig"), loopback_policy(), client_tls)
    assert fetched.data == PNG
    assert "s3cr3tsig" not in caplog.text
    # The stack's records are dropped during the fetch, not beyond it (capture works):
    assert not [record for record in caplog.records if record.name.startswith("httpcore")]
    logging.getLogger("httpcore.connection").debug("after the fetch")
    assert [record.getMessage() for record in caplog.records] == ["after the fetch"]


@pytest.mark.parametrize(
    ("location", "what"),
    [
        ("https://user@127.0.0.1/x.png", "it holds a user name or password (before an '@')"),
        ("https:/\\evil.test/x.png", "it holds a backslash, which programs read differently"),
        ("https://127.0.0.1:99999/x.png", "its port is not a number from 1 to 65535"),
    ],
)
async def test_a_redirect_to_a_bad_url_gets_no_advice_for_a_url_nobody_wrote(
    host: LoopbackServer, client_tls: ssl.SSLContext, location: str, what: str
) -> None:
    """The server chose the URL: "remove it", "write '/' instead" cannot be done by the
    caller (or the model), who is told to give the image's own URL instead."""
    host.on("/go", redirect(location))
    error = await refusal(BadImageUrl, host.url("/go"), loopback_policy(), client_tls)
    assert error.message == (
        f"the image URL redirected to a URL that cannot be fetched, as {what}; the image "
        "server chose it, not the caller: give the image's own https:// URL"
    )


async def test_a_body_compressed_as_nothing_here_reads_says_to_give_the_image(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    """Serving it uncompressed is the host owner's to do, not the caller's."""
    host.on("/x.png", reply(200, b"\x0b\x02\x80", [("Content-Encoding", "br")]))
    error = await refusal(NotAnImage, host.url("/x.png"), loopback_policy(), client_tls)
    assert error.message.endswith(
        f"cannot be read (it is compressed with 'br', which is not decoded here): {GIVE_IT_INSTEAD}"
    )


@pytest.mark.parametrize("status", [600, 999])
async def test_a_status_http_defines_no_meaning_for_is_not_called_a_busy_host(
    host: LoopbackServer, client_tls: ssl.SSLContext, status: int
) -> None:
    host.on("/x.png", reply(status, PNG))
    error = await refusal(ImageUrlRefused, host.url("/x.png"), loopback_policy(), client_tls)
    assert error.message.endswith(
        f"HTTP {status} instead of the image: check that the URL opens the image itself"
    )
