"""Tests that kill the mutants a third hand mutation round let live (web images, safe text,
tokens, settings, the MCP server, the framework adapters).

Each test names the rule it holds; the mutant it was written against is in the commit
message of the round.
"""

from __future__ import annotations

import pwd
import socket
import ssl
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import trustme

from ocp_users_photo.credentials import quotable
from ocp_users_photo.errors import SlackApiError
from ocp_users_photo.hints import hint_for
from ocp_users_photo.model_result import error_result
from ocp_users_photo.settings import (
    Settings,
    check_base_url,
    door_image_roots,
    door_token_source,
    is_loopback,
)
from ocp_users_photo.tokens import token_from_environment
from ocp_users_photo.web_image import (
    AddressRefused,
    BadImageUrl,
    ConnectionFailed,
    UrlPolicy,
    check_image_url,
    fetch_image,
    redact_url,
)
from ocp_users_photo.web_image.sniff import describe_non_image, sniff_image_type
from tests.conftest import make_image
from tests.loopback import LoopbackServer, reply, serve

POLICY = UrlPolicy(allowed_hosts=["allowed.test"])


# --- image URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://allowed.test@evil.test/x.png",
        "https://evil.test@allowed.test/x.png",
        "https://user:pw@allowed.test/x.png",
    ],
)
def test_a_url_with_user_info_is_refused_saying_so(url: str) -> None:
    """The refusal names what is wrong (credentials before an '@'), not some other fault
    a later check happens to find in the text before the '@'."""
    with pytest.raises(BadImageUrl) as caught:
        check_image_url(url, POLICY)
    assert "user name or password" in caught.value.message


@pytest.mark.parametrize(
    "url",
    ["https://allowed.test/images\\x.png", "https://allowed.test/a/..\\..\\x.png"],
)
def test_a_backslash_anywhere_in_the_url_is_refused(url: str) -> None:
    """Browsers read a backslash as '/', other parsers as a character: never guessed at,
    in the path too, where no host check would notice it."""
    with pytest.raises(BadImageUrl) as caught:
        check_image_url(url, POLICY)
    assert "backslash" in caught.value.message


@pytest.mark.parametrize(
    "segment",
    ["XOXP-1234567890-ABCDEF.png", "Xoxb-1-2-3.png", "xoxe.XOXP-1-abc.png"],
)
def test_a_token_shaped_file_name_in_any_case_is_not_shown(segment: str) -> None:
    """What is kept of a URL never shows a token, however its letters are cased (an
    upper-cased echo of a token is the token)."""
    kept = redact_url(f"https://allowed.test/photos/{segment}")
    assert kept == "https://allowed.test/"
    assert "xox" not in kept.lower()


@pytest.mark.parametrize("host", ["0x7f000001", "0x7f", "img.0x7f", "img.0X"])
def test_a_host_whose_last_label_is_a_hex_number_is_refused(host: str) -> None:
    """WHATWG's parser (and the C library's inet_aton) read a last label of ``0x...`` as
    an IPv4 address in hex: such a host is refused, never taken for a name."""
    with pytest.raises(BadImageUrl) as caught:
        check_image_url(f"https://{host}/x.png", UrlPolicy(allowed_hosts=["allowed.test"]))
    # Read as a number: told how to write it, or, an internal address (0x7f000001 is
    # 127.0.0.1), that it is never fetched from, however it is written.
    said = caught.value.message
    assert "a.b.c.d" in said or "which this tool never fetches from" in said, said
    with pytest.raises(ValueError, match=r"a\.b\.c\.d"):
        UrlPolicy(allowed_hosts=[host])


# --- image fetches ------------------------------------------------------------------------

PNG = make_image((64, 64), "PNG")


def answering(table: dict[str, Sequence[str]]) -> Any:
    """A resolver stub: the table's answer for a name, else not found (never real DNS)."""

    async def resolve(name: str, port: int) -> Sequence[str]:
        if name not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[name]

    return resolve


class NoConnections:
    """Stands in for httpx's transport: records that a connection was tried, makes none."""

    tried: ClassVar[list[str]] = []

    def __init__(self, **options: Any) -> None:
        pass

    async def __aenter__(self) -> NoConnections:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        NoConnections.tried.append(str(request.url))
        raise httpx.ConnectError("no connection in this test", request=request)


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    NoConnections.tried = []
    monkeypatch.setattr(httpx, "AsyncHTTPTransport", NoConnections)
    return NoConnections.tried


async def test_a_resolver_answer_that_is_no_address_refuses_the_host(
    no_connections: list[str],
) -> None:
    """Every answer must be a usable address: one that is not is no name to trust, and the
    public address beside it is not tried."""
    resolver = answering({"images.example.com": ["93.184.215.9", "not-an-address"]})
    policy = UrlPolicy(allowed_hosts=["images.example.com"])
    with pytest.raises(ConnectionFailed, match="no usable address"):
        await fetch_image("https://images.example.com/x.png", policy, resolver=resolver)
    assert no_connections == []


async def test_the_emulators_http_origin_is_fetched_from_loopback_addresses_only(
    no_connections: list[str],
) -> None:
    """localhost as the emulator's own http origin: a resolver pointing it at a public
    address is refused before connecting (plain http may reach loopback only)."""
    policy = UrlPolicy(loopback_http_origin="http://localhost:8123")
    resolver = answering({"localhost": ["93.184.215.9"]})
    with pytest.raises(AddressRefused, match="loopback"):
        await fetch_image("http://localhost:8123/avatars/x.png", policy, resolver=resolver)
    assert no_connections == []


@pytest.fixture
async def png_host(ca: trustme.CA) -> AsyncIterator[LoopbackServer]:
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    async with serve(server_tls) as running:
        running.on("/photo.png", reply(200, PNG, [("Content-Type", "image/png")]))
        yield running


async def test_an_image_declared_exactly_at_the_byte_cap_is_fetched(
    png_host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    """max_bytes is the largest size taken: a Content-Length equal to it is no refusal."""
    policy = UrlPolicy(
        allowed_hosts=["127.0.0.1"], allow_loopback_for_tests=True, max_bytes=len(PNG)
    )
    fetched = await fetch_image(png_host.url("/photo.png"), policy, ssl_context=client_tls)
    assert fetched.data == PNG


async def test_a_tls_context_that_does_not_check_host_names_is_refused() -> None:
    """Verifying the chain without the name lets any certificate of that CA stand in."""
    context = ssl.create_default_context()
    context.check_hostname = False
    assert context.verify_mode == ssl.CERT_REQUIRED
    policy = UrlPolicy(allowed_hosts=["images.example.com"])
    with pytest.raises(ValueError, match="host names"):
        await fetch_image(
            "https://images.example.com/x.png",
            policy,
            resolver=answering({}),
            ssl_context=context,
        )


def test_webp_is_recognised_only_inside_a_riff_container() -> None:
    assert sniff_image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image_type(b"RIFX\x00\x00\x00\x00WEBPVP8 ") is None
    assert sniff_image_type(b"<!--\x00\x00\x00\x00WEBP-->") is None


def test_a_page_starting_with_a_byte_order_mark_is_described_as_a_page() -> None:
    assert describe_non_image(b"\xef\xbb\xbf<!doctype html>") == (
        "an HTML or XML page (SVG images are not accepted either)"
    )
    assert describe_non_image(b"\xef\xbb\xbf{}") == "JSON"


# --- tokens, values quoted back, advice ---------------------------------------------------


@pytest.mark.parametrize(
    "value", ["0123456789abcdef0", "d41d8cd98f00b204e9800998ecf8427e", "a" * 64]
)
def test_a_text_longer_than_sixteen_characters_is_never_quoted_back(value: str) -> None:
    """A client secret (32 hex digits) or a refresh token pasted into the wrong argument is
    described by its length, never repeated."""
    assert not quotable(value)
    assert quotable(value[:16])


def test_an_empty_user_token_variable_leaves_the_next_one_in_force() -> None:
    """SLACK_USER_TOKEN set to nothing (an unset .env line) is not set: SLACK_TOKEN is used."""
    environ = {"SLACK_USER_TOKEN": "", "SLACK_TOKEN": "xoxp-from-slack-token"}
    assert token_from_environment(environ) == ("SLACK_TOKEN", "xoxp-from-slack-token")


@pytest.mark.parametrize("code", ["invalid_auth", "token_revoked", "missing_scope"])
def test_a_refusal_that_installing_again_mends_gives_the_install_page(code: str) -> None:
    """A missing scope is mended by installing the app again with it: the model is given
    the page, as for a revoked token."""
    page = "https://photos.example.com/slack/install"
    error = SlackApiError(code, hint=hint_for(code), reply={"ok": False, "error": code})
    result = error_result(error, install_url=page)
    assert result["install_url"] == page
    assert page in result["message"]


def test_a_refusal_that_installing_does_not_mend_gives_no_install_page() -> None:
    error = SlackApiError("too_large", hint=hint_for("too_large"), reply={"ok": False})
    assert "install_url" not in error_result(error, install_url="https://x.example/install")


# --- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["https://slack.com/api#", "https://slack.com/api#x", "https://slack.com/api?"]
)
def test_a_base_url_with_a_fragment_or_query_is_refused(url: str) -> None:
    """Even an empty one: a '#' would swallow the method name of every call."""
    with pytest.raises(ValueError, match="query or fragment"):
        check_base_url(url, origin="SLACK_API_URL")


@pytest.mark.parametrize("url", ["https://someone@slack.com/api", "https://a:b@slack.com/api"])
def test_a_base_url_carrying_a_user_name_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="user name or password"):
        check_base_url(url, origin="SLACK_API_URL")


def test_a_base_url_is_kept_without_its_trailing_slash() -> None:
    """The method name is joined on with a '/': one kept would make '//users.setPhoto'."""
    assert check_base_url("https://slack.com/api/", origin="base_url") == "https://slack.com/api"


@pytest.mark.parametrize("host", ["LOCALHOST", "Localhost", "127.0.0.2", "::1"])
def test_loopback_hosts_in_any_case_may_take_plain_http(host: str) -> None:
    assert is_loopback(host)
    shown_host = f"[{host}]" if ":" in host else host
    assert check_base_url(f"http://{shown_host}:8123/api", origin="base_url")


def test_an_empty_history_variable_means_the_default_place() -> None:
    settings = Settings.from_environment({"OCP_USERS_PHOTO_HISTORY": ""})
    assert settings.history_path is None


def test_an_empty_token_env_variable_is_refused_as_not_set() -> None:
    with pytest.raises(ValueError, match="not set"):
        door_token_source("cli", {"MY_TOKEN": ""}, variable="MY_TOKEN")


def test_a_model_door_started_at_the_filesystem_root_reads_no_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Even when no home folder is known (no HOME, no passwd entry): / is never a root."""
    monkeypatch.chdir("/")
    assert door_image_roots("model", None) == ()

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    def no_entry(uid: int) -> object:
        raise KeyError(uid)

    monkeypatch.setattr(Path, "home", no_home)
    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    assert door_image_roots("model", None) == ()


def test_a_model_door_started_in_a_folder_holding_the_home_folder_reads_no_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "home" / "someone"
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path / "home")
    assert door_image_roots("model", None) == ()
    monkeypatch.chdir(home / ".." / "..")
    assert door_image_roots("model", None) == ()
