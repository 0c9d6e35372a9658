"""Review 14 of the web-image path (attacker-minded): what a hostile image host can still
make the tool say, and what it can make the process hold.

Image hosts are loopback https servers with trustme certificates and a stub resolver;
nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Sequence

import pytest
import trustme

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.web_image import (
    HttpStatusRefused,
    ImageUrlRefused,
    TlsFailure,
    UrlPolicy,
    fetch_image,
)
from tests.conftest import CANARY_TOKEN
from tests.loopback import redirect, reply, serve
from tests.test_webimage9 import CHOSEN, SUFFIX, TableResolver


async def test_a_tls_refusal_after_a_redirect_under_an_allowed_suffix_does_not_repeat_its_host(
    ca: trustme.CA, client_tls: ssl.SSLContext
) -> None:
    """OpenSSL's reason for a name mismatch quotes the name asked for ("certificate is not
    valid for '<name>'"): after a redirect to a name the image server chose under an allowed
    suffix, that was the server's own words (up to 71 characters) in the refusal a model
    reads, which every other refusal keeps out (the class _Hops says why)."""
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(f"img.{SUFFIX}").configure_cert(server_tls)  # not for the chosen name
    async with serve(server_tls) as cdn:
        cdn.on("/go", redirect(f"https://{CHOSEN}.{SUFFIX}:{cdn.port}/x.png"))
        resolver = TableResolver(
            {f"img.{SUFFIX}": ["127.0.0.1"], f"{CHOSEN}.{SUFFIX}": ["127.0.0.1"]}
        )
        policy = UrlPolicy(allowed_hosts=[f".{SUFFIX}"], allow_loopback_for_tests=True)
        with pytest.raises(ImageUrlRefused) as caught:
            await fetch_image(
                cdn.url("/go", host=f"img.{SUFFIX}"),
                policy,
                resolver=resolver,
                ssl_context=client_tls,
            )
    refused = caught.value
    assert isinstance(refused, TlsFailure)
    assert "ignore-all-previous-instructions" not in refused.message
    assert "a redirect chose" in refused.message
    assert "certificate" in refused.message


@pytest.mark.parametrize("proxied", [True, False])
async def test_an_unreachable_image_host_behind_a_proxy_says_urls_go_through_none(
    monkeypatch: pytest.MonkeyPatch, proxied: bool
) -> None:
    """DEFAULTS.md: image fetches never go through a proxy, so a host that reaches the web
    only through one cannot use URL images. Its fetches fail as a name not found or a
    connection not made, and the model was told only "check the URL's host" or "try again
    later" (neither can help), where the undo's download, failing the same way, says why.
    With the environment's https proxy in use for Slack, the refusal now says it too."""

    async def no_such_name(name: str, port: int) -> Sequence[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr("ocp_users_photo.web_image.fetch.system_resolver", no_such_name)
    environ = {"HTTPS_PROXY": "http://127.0.0.1:9"} if proxied else {}
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url="https://slack.example/api",
        environ=environ,
        url_hosts=["images.example.com"],
    ) as tool:
        result = await tool.run({"image": "https://images.example.com/me.png"})
    (problem,) = result["problems"]
    assert problem["path"] == "$.image"
    assert "could not be found" in problem["message"]
    # Proxy or none, the name may be right and the name service failing: the model is told
    # it may give the image itself (an unproxied host said only "check the URL's host").
    assert "file path" in problem["message"]
    if proxied:
        assert "never fetched through a proxy" in problem["message"]
    else:
        assert "proxy" not in problem["message"]


@pytest.mark.parametrize(("status", "told"), [(503, "try again later"), (429, "try again later")])
async def test_an_image_host_busy_or_down_is_told_as_such(
    ca: trustme.CA, client_tls: ssl.SSLContext, status: int, told: str
) -> None:
    """A 503 or 429 is the host's state, not the URL's: "check that the URL opens the image
    itself" sent the model after another URL for an image host that was only busy."""
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    async with serve(server_tls) as host:
        host.on("/me.png", reply(status, b"busy"))
        policy = UrlPolicy(allowed_hosts=["127.0.0.1"], allow_loopback_for_tests=True)
        with pytest.raises(HttpStatusRefused) as caught:
            await fetch_image(host.url("/me.png"), policy, ssl_context=client_tls)
    assert f"HTTP {status}" in caught.value.message
    assert told in caught.value.message
    assert "check that the URL" not in caught.value.message


async def test_an_image_host_whose_issuer_is_not_trusted_is_told_with_the_way_to_trust_it(
    ca: trustme.CA, client_tls: ssl.SSLContext
) -> None:
    """On a network that re-signs TLS every host's certificate ends at the company's CA:
    "use an https URL whose host has a valid certificate" sent a model after URLs that fail
    alike. Slack's own calls name SSL_CERT_FILE for it; an image URL's fetch now does too,
    with the way round it (a file or base64). A name mismatch is the URL's: not said."""
    other_ca = trustme.CA()  # the gateway's CA, trusted by no one here
    said = await _tls_refusal(other_ca, client_tls)
    assert "unable to get local issuer certificate" in said
    assert "SSL_CERT_FILE" in said
    assert "file path or base64" in said
    mismatched = await _tls_refusal(ca, client_tls, certified="elsewhere.test")
    assert "SSL_CERT_FILE" not in mismatched
    assert "Hostname mismatch" in mismatched


async def _tls_refusal(
    issuer: trustme.CA, client_tls: ssl.SSLContext, certified: str = f"img.{SUFFIX}"
) -> str:
    """What fetching from img.<suffix> says, its certificate for ``certified`` by ``issuer``."""
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    issuer.issue_cert(certified).configure_cert(server_tls)
    resolver = TableResolver({f"img.{SUFFIX}": ["127.0.0.1"]})
    policy = UrlPolicy(allowed_hosts=[f".{SUFFIX}"], allow_loopback_for_tests=True)
    async with serve(server_tls) as cdn:
        cdn.on("/x.png", reply(200, b"never read"))
        with pytest.raises(TlsFailure) as caught:
            await fetch_image(
                cdn.url("/x.png", host=f"img.{SUFFIX}"),
                policy,
                resolver=resolver,
                ssl_context=client_tls,
            )
    return caught.value.message
