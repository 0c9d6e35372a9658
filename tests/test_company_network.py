"""The tool on a company network: proxies, TLS trust, base URLs.

Each test here failed when written; each names what an operator hits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trustme

from ocp_users_photo import InvalidArguments, TransportError, UsersSetPhoto
from ocp_users_photo.images.url_resolver import UrlResolver
from ocp_users_photo.slack.proxies import proxy_for
from ocp_users_photo.trusted_roots import TrustedRoots
from ocp_users_photo.web_image import UrlPolicy, fetch_image
from tests import loopback
from tests.conftest import CANARY_TOKEN, company_ca, make_image, success_reply
from tests.http_stacks import stack_environ

IMAGE = make_image((600, 600))


def slack_ok() -> loopback.Answer:
    """users.setPhoto's ok answer, over the loopback server."""
    body = json.dumps(success_reply()).encode()
    return loopback.reply(200, body, [("Content-Type", "application/json")])


PROXY = "http://proxy.corp.example:3128"


@contextlib.asynccontextmanager
async def connect_proxy(status_line: bytes) -> AsyncIterator[list[bytes]]:
    """A proxy that answers every CONNECT with ``status_line``; yields the heads it saw."""
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            heads.append(await reader.readuntil(b"\r\n\r\n"))
            writer.write(status_line + b"\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    heads.append(str(server.sockets[0].getsockname()[1]).encode())  # the port, first
    try:
        yield heads
    finally:
        server.close()


def through_proxy(http_stack: str, port: int | str) -> UsersSetPhoto:
    """A tool on ``http_stack`` whose HTTPS_PROXY is 127.0.0.1:``port``, for a Slack
    that cannot be reached otherwise, with no retry and no keeping."""
    return UsersSetPhoto(
        CANARY_TOKEN,
        base_url="https://slack.invalid/api",
        environ=stack_environ(http_stack, HTTPS_PROXY=f"http://127.0.0.1:{port}"),
        keep_previous=False,
        max_retries=0,
    )


class TestTlsTrustOnACompanyNetwork:
    """A TLS-inspecting proxy or an internal gateway needs the company's CA trusted. The
    README says nothing about how; the tool's own stacks build their context with
    ``trust_env=False`` (stacks.py loaded_for), so SSL_CERT_FILE / SSL_CERT_DIR are
    ignored, and the CLI and MCP doors have no way at all."""

    async def test_ssl_cert_file_is_honoured_by_the_tools_own_stack(
        self, http_stack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        server_tls, bundle = company_ca(tmp_path)
        monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
        async with loopback.serve(server_tls) as slack:
            slack.on("/api/users.setPhoto", slack_ok())
            async with UsersSetPhoto(
                CANARY_TOKEN,
                base_url=slack.base_url(),
                environ=stack_environ(http_stack, SSL_CERT_FILE=str(bundle)),
                max_retries=0,
                keep_previous=False,
            ) as tool:
                result = await tool.run({"image": IMAGE})
        assert [request.target for request in slack.requests] == ["/api/users.setPhoto"], result

    async def test_a_certificate_failure_is_not_tried_again(self, http_stack: str) -> None:
        # An untrusted or wrong-host certificate fails the same way every time: the call
        # made 3 handshakes and said "check the network and base_url, then try again".
        authority = trustme.CA()
        server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(server_tls)
        async with (
            loopback.serve(server_tls) as slack,
            UsersSetPhoto(
                CANARY_TOKEN,
                base_url=slack.base_url(),
                environ=stack_environ(http_stack),
                retry_backoff=0.01,
            ) as tool,
        ):
            with pytest.raises(TransportError) as caught:
                await tool.call({"image": IMAGE})
        assert "after 3 attempts" not in str(caught.value)
        assert "try again" not in str(caught.value)
        assert slack.requests == []
        said = str(caught.value)
        assert "could not be verified (unable to get local issuer certificate)" in said
        assert "set SSL_CERT_FILE (or SSL_CERT_DIR) to its CA certificates" in said

    async def test_a_certificate_for_another_name_says_which_name_it_is_not_valid_for(
        self, http_stack: str, tmp_path: Path
    ) -> None:
        # OpenSSL quotes the name asked for; the reason was cut at the quote ("(IP address
        # mismatch, certificate is not valid for)"), leaving out what to compare.
        authority = trustme.CA()
        server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("wrong.example").configure_cert(server_tls)
        bundle = tmp_path / "corp-ca.pem"
        authority.cert_pem.write_to_path(str(bundle))
        async with (
            loopback.serve(server_tls) as slack,
            UsersSetPhoto(
                CANARY_TOKEN,
                base_url=slack.base_url(),
                environ=stack_environ(http_stack, SSL_CERT_FILE=str(bundle)),
                keep_previous=False,
            ) as tool,
        ):
            with pytest.raises(TransportError) as caught:
                await tool.call({"image": IMAGE})
        assert slack.requests == []
        assert (
            "could not be verified (IP address mismatch, certificate is not valid for "
            "'127.0.0.1')" in str(caught.value)
        )


class TestAProxysRefusal:
    """A proxy's 407 is an answer about the operator's credentials, not a network blip."""

    async def test_a_407_is_not_sent_again_with_the_same_credentials(self, http_stack: str) -> None:
        # Each call sent the Proxy-Authorization 3 times: against a directory-backed proxy
        # (AD lockout after 3-5 failures) one or two calls lock the operator's account.
        async with connect_proxy(b"HTTP/1.1 407 Proxy Authentication Required") as heads:
            port = heads.pop(0).decode()
            async with UsersSetPhoto(
                CANARY_TOKEN,
                base_url="https://slack.invalid/api",
                environ=stack_environ(
                    http_stack, HTTPS_PROXY=f"http://corpuser:Wr0ngPassw0rd@127.0.0.1:{port}"
                ),
                keep_previous=False,
                retry_backoff=0.01,
            ) as tool:
                with pytest.raises(TransportError):
                    await tool.call({"image": IMAGE})
        assert len(heads) == 1, f"{len(heads)} CONNECTs with the same wrong credentials"

    @pytest.mark.parametrize(
        "status_line",
        [b"HTTP/1.1 407 Proxy Authentication Required", b"HTTP/1.1 502 Bad Gateway"],
    )
    async def test_the_message_says_the_proxy_refused(
        self, http_stack: str, status_line: bytes
    ) -> None:
        # Said: "could not reach Slack ... ProxyError: 407 ... check the network and
        # base_url, then try again": neither the proxy nor where it was configured.
        async with connect_proxy(status_line) as heads:
            port = heads.pop(0).decode()
            async with through_proxy(http_stack, port) as tool:
                result = await tool.run({"image": IMAGE})
        assert "HTTPS_PROXY" in result["message"], result["message"]

    async def test_a_proxy_that_cannot_be_reached_is_named(self, http_stack: str) -> None:
        # README: "every proxy refusal names the proxy (host and port) and where it was
        # configured". A proxy whose port refuses the connection (a typo in HTTPS_PROXY)
        # said only "could not reach Slack ... ConnectError ...: check the network and the
        # Slack address (base_url, SLACK_API_URL or --base-url)": neither the proxy nor
        # the variable that named it.
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()  # nothing listens there now
        async with through_proxy(http_stack, port) as tool:
            with pytest.raises(TransportError) as caught:
                await tool.call({"image": IMAGE})
        said = str(caught.value)
        assert f"proxy 127.0.0.1:{port}" in said, said
        assert "HTTPS_PROXY" in said, said
        assert caught.value.reached is False

    async def test_a_callers_client_that_goes_direct_is_not_said_to_use_the_proxy(self) -> None:
        # README: "A client you pass is used as you configured it, its proxies too". One
        # with trust_env=False connects directly, whatever HTTPS_PROXY says: its failed
        # connection was told as "the connection through the proxy proxy.corp.example:3128
        # failed ... check the proxy", a proxy it never used.
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()  # nothing listens there now
        async with (
            httpx.AsyncClient(trust_env=False) as client,
            UsersSetPhoto(
                CANARY_TOKEN,
                base_url=f"https://127.0.0.1:{port}/api",
                client=client,
                environ={"HTTPS_PROXY": PROXY},
                keep_previous=False,
                max_retries=0,
            ) as tool,
        ):
            with pytest.raises(TransportError) as caught:
                await tool.call({"image": IMAGE})
        said = str(caught.value)
        assert "proxy.corp.example" not in said, said
        assert "ConnectError" in said, said
        assert caught.value.reached is False

    @pytest.mark.parametrize("environment_proxy", [None, PROXY])
    async def test_a_callers_client_behind_its_own_proxy_is_told_as_its_own(
        self, environment_proxy: str | None
    ) -> None:
        # A client passed as client= with its own proxy, refused with a 407: sent three
        # times with the same password when HTTPS_PROXY was unset (the rule that a 407 is
        # never resent held only for the tool's own stack), and told as "the proxy
        # proxy.corp.example:3128 refused ... check HTTPS_PROXY" when it was set: a proxy
        # and a variable that client never used.
        environ = {} if environment_proxy is None else {"HTTPS_PROXY": environment_proxy}
        async with connect_proxy(b"HTTP/1.1 407 Proxy Authentication Required") as heads:
            port = heads.pop(0).decode()
            own = f"http://corpuser:Wr0ngPassw0rd@127.0.0.1:{port}"
            async with (
                httpx.AsyncClient(proxy=own, trust_env=False) as client,
                UsersSetPhoto(
                    CANARY_TOKEN,
                    base_url="https://slack.invalid/api",
                    client=client,
                    environ=environ,
                    keep_previous=False,
                    retry_backoff=0.01,
                ) as tool,
            ):
                with pytest.raises(TransportError) as caught:
                    await tool.call({"image": IMAGE})
        assert len(heads) == 1, f"{len(heads)} CONNECTs with the same wrong credentials"
        said = str(caught.value)
        assert "proxy.corp.example" not in said, said
        assert "HTTPS_PROXY" not in said, said
        assert "Wr0ngPassw0rd" not in said, said
        assert "407" in said, said
        assert "client=" in said, said
        assert caught.value.reached is False


class TestBaseUrlQueryAndFragment:
    """README: the base URL has no query or fragment. An empty one ('#', '?') passed the
    check (settings.py tests ``parts.query or parts.fragment``), and then every method
    went to the same URL: ``.../api#/users.setPhoto`` is a POST to ``/api``."""

    @pytest.mark.parametrize("suffix", ["#", "?", "/#", "/?"])
    def test_an_empty_query_or_fragment_is_refused(self, suffix: str) -> None:
        with pytest.raises(ValueError, match="base_url"):
            UsersSetPhoto(CANARY_TOKEN, base_url=f"https://slack.com/api{suffix}", environ={})

    async def test_the_method_is_in_the_path_it_posts_to(self) -> None:
        async with loopback.serve(None) as slack:
            slack.on("/api/users.setPhoto", slack_ok())
            tool = None
            with contextlib.suppress(ValueError):  # refusing it is right too
                tool = UsersSetPhoto(
                    CANARY_TOKEN,
                    base_url=slack.base_url() + "#",
                    environ={},
                    max_retries=0,
                    keep_previous=False,
                )
            if tool is not None:
                async with tool:
                    await tool.run({"image": IMAGE})
        assert [request.target for request in slack.requests] in ([], ["/api/users.setPhoto"])


class TestNoProxyForms:
    """README: https calls honour NO_PROXY. Address ranges (CIDR), which curl, requests and
    Go's net/http honour and company NO_PROXY lists are full of, are not."""

    @pytest.mark.parametrize(
        ("base_url", "no_proxy"),
        [
            ("https://10.1.2.3/api", "10.0.0.0/8"),
            ("https://10.1.2.3/api", ".corp.example,10.0.0.0/8"),
            ("https://[fd00::5]/api", "fd00::/8"),
            ("https://[::1]:8443/api", "::1/128"),
        ],
    )
    def test_an_address_range_is_bypassed(self, base_url: str, no_proxy: str) -> None:
        assert proxy_for(base_url, {"HTTPS_PROXY": PROXY, "NO_PROXY": no_proxy}) is None


class TestTheOperatorsCaCertificates:
    """SSL_CERT_FILE that cannot serve: said once, naming the variable, nothing sent."""

    @pytest.mark.parametrize("content", [None, b"not a certificate\n"], ids=["missing", "no pem"])
    async def test_an_unusable_ca_file_is_a_clear_error_before_anything_is_sent(
        self, tmp_path: Path, content: bytes | None
    ) -> None:
        bundle = tmp_path / "corp-ca.pem"
        if content is not None:
            bundle.write_bytes(content)
        async with loopback.serve(None) as slack:
            slack.on("/api/users.setPhoto", slack_ok())
            async with UsersSetPhoto(
                CANARY_TOKEN,
                base_url="https://slack.invalid/api",
                environ={"SSL_CERT_FILE": str(bundle)},
                keep_previous=False,
            ) as tool:
                result = await tool.run({"image": IMAGE})
        assert result["error"] == "transport_error", result
        assert result["message"].startswith(f"SSL_CERT_FILE names '{bundle}', which ")
        assert "Nothing was sent" in result["message"]


class TestTheCaServesEveryConnection:
    """The operator's CA serves image hosts too: image URLs a model gives, and Slack's
    image host the replaced photo is downloaded from (undo), not only Slack's API."""

    @pytest.fixture
    async def image_host(self, ca: trustme.CA) -> AsyncIterator[loopback.LoopbackServer]:
        server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(server_tls)
        async with loopback.serve(server_tls) as running:
            running.on("/photo.png", loopback.reply(200, IMAGE, [("Content-Type", "image/png")]))
            yield running

    @pytest.fixture
    def bundle(self, ca: trustme.CA, tmp_path: Path) -> Path:
        path = tmp_path / "corp-ca.pem"
        ca.cert_pem.write_to_path(str(path))
        return path

    async def test_an_image_url_verifies_against_the_operators_ca(
        self, image_host: loopback.LoopbackServer, bundle: Path
    ) -> None:
        policy = UrlPolicy(allowed_hosts=["127.0.0.1"], allow_loopback_for_tests=True)
        trusting = UrlResolver(policy, trusted_roots=TrustedRoots(file=str(bundle)))
        plain = UrlResolver(policy)
        async with (
            UsersSetPhoto(CANARY_TOKEN, environ={}, image_resolvers={"url": trusting}) as tool,
            tool.prepare({"image": image_host.url("/photo.png")}) as upload,
        ):
            assert upload.image.byte_count == len(IMAGE)
        async with UsersSetPhoto(CANARY_TOKEN, environ={}, image_resolvers={"url": plain}) as tool:
            with pytest.raises(InvalidArguments, match="certificate"):
                await tool.prepare({"image": image_host.url("/photo.png")})

    async def test_the_replaced_photos_download_verifies_against_the_operators_ca(
        self, image_host: loopback.LoopbackServer, bundle: Path
    ) -> None:
        async with UsersSetPhoto(
            CANARY_TOKEN, environ={"SSL_CERT_FILE": str(bundle)}, keep_previous=False
        ) as tool:
            context = await tool._slack.image_tls_context()
        assert context is not None
        policy = UrlPolicy(allowed_hosts=["127.0.0.1"], allow_loopback_for_tests=True)
        fetched = await fetch_image(image_host.url("/photo.png"), policy, ssl_context=context)
        assert fetched.data == IMAGE
        async with UsersSetPhoto(CANARY_TOKEN, environ={}, keep_previous=False) as tool:
            assert await tool._slack.image_tls_context() is None  # the fetch's own: certifi's


@pytest.fixture
def hashed_ca_folders(ca: trustme.CA, tmp_path: Path) -> str:
    """Two folders as SSL_CERT_DIR lists them, the second holding ``ca`` hashed by OpenSSL."""
    system, company = tmp_path / "system", tmp_path / "company"
    system.mkdir()
    company.mkdir()
    ca.cert_pem.write_to_path(str(company / "corp-ca.pem"))
    subprocess.run(["openssl", "rehash", str(company)], check=True, capture_output=True)
    return f"{system}{os.pathsep}{company}"


async def test_ssl_cert_dir_as_a_list_of_folders_is_read_as_openssl_reads_it(
    ca: trustme.CA, hashed_ca_folders: str
) -> None:
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    async with loopback.serve(server_tls) as slack:
        slack.on("/api/users.setPhoto", slack_ok())
        async with UsersSetPhoto(
            CANARY_TOKEN,
            base_url=slack.base_url(),
            environ={"SSL_CERT_DIR": hashed_ca_folders},
            max_retries=0,
            keep_previous=False,
        ) as tool:
            result = await tool.run({"image": IMAGE})
    assert [request.target for request in slack.requests] == ["/api/users.setPhoto"], result


def test_the_lower_case_proxy_spelling_wins_where_both_are_set() -> None:
    # As curl, urllib and httpx read them: a user's https_proxy over a system-wide
    # HTTPS_PROXY, and no_proxy over NO_PROXY.
    mine = "http://mine.example:3128"
    both = {"HTTPS_PROXY": PROXY, "https_proxy": mine}
    assert proxy_for("https://slack.com/api", both) == mine
    assert proxy_for("https://slack.com/api", {**both, "no_proxy": "slack.com"}) is None
    assert (
        proxy_for("https://slack.com/api", {**both, "NO_PROXY": "slack.com", "no_proxy": "x"})
        == mine
    )


def test_an_empty_lower_case_proxy_variable_means_no_proxy() -> None:
    # urllib and httpx read https_proxy="" as "no proxy" over a set HTTPS_PROXY (the
    # review of this session's change, which took the upper-case one then).
    both = {"HTTPS_PROXY": PROXY, "https_proxy": ""}
    assert proxy_for("https://slack.com/api", both) is None
    assert proxy_for("https://slack.com/api", {**both, "all_proxy": PROXY}) == PROXY
