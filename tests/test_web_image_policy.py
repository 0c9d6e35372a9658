"""The image-URL rules that need no network: hosts, URLs, addresses, signatures, bodies.

Hostile host strings (user-info tricks, backslashes, IDNA look-alikes, trailing dots,
ports, IPv6 literals, percent-encoding, decimal and octal numbers) are listed with
the outcome each must have, and Hypothesis builds more around an allowed name: a URL
is either refused with an ImageUrlRefused or checked into a host the allow-list
really allows, and what is kept of it never holds its query string.
"""

from __future__ import annotations

import gzip
import ipaddress
import tracemalloc
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.bounded_body import BodyTooLarge, BoundedBody, UnreadableBody
from ocp_users_photo.web_image import (
    BadImageUrl,
    HostNotAllowed,
    ImageUrlRefused,
    SchemeNotAllowed,
    UrlPolicy,
    address_refusal,
    check_image_url,
    looks_like_web_url,
    redact_url,
)
from ocp_users_photo.web_image.policy import never_fetched
from ocp_users_photo.web_image.sniff import sniff_image_type
from tests.conftest import make_image

POLICY = UrlPolicy(allowed_hosts=["allowed.test", ".cdn.test", "93.184.215.9", "2606:4700::9"])


# --- allow-list entries -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "kept"),
    [
        ("Images.Example.COM", "images.example.com"),
        ("images.example.com.", "images.example.com"),
        (" images.example.com ", "images.example.com"),
        (".Example.com", ".example.com"),
        ("b\u00fccher.example", "xn--bcher-kva.example"),
        ("\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com", "example.com"),  # full-width
        ("93.184.215.9", "93.184.215.9"),
        ("[2606:4700::ABC9]", "2606:4700::abc9"),
    ],
)
def test_allow_list_entries_are_made_canonical(entry: str, kept: str) -> None:
    assert UrlPolicy(allowed_hosts=[entry]).allowed_hosts == (kept,)


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("*.example.com", "not a host name"),
        ("https://images.example.com", "not a host name"),
        ("images.example.com/path", "not a host name"),
        ("images.example.com:443", "port"),
        (".com", "top-level domain"),
        (".93.184.215.9", "suffix"),
        ("", "not a host name"),
        ("exa%6dple.com", "percent"),
        ("2130706433", "a.b.c.d"),
        ("0177.0.0.1", "a.b.c.d"),
        ("a_b.example", "not a valid host name"),
        # One trailing dot is the root's; a second is an empty label, as ".." within.
        ("images.example.com..", "not a valid host name"),
    ],
)
def test_bad_allow_list_entries_are_refused_saying_what_to_give(entry: str, says: str) -> None:
    with pytest.raises(ValueError, match="give") as caught:
        UrlPolicy(allowed_hosts=[entry])
    assert says in str(caught.value)


@pytest.mark.parametrize(
    ("entry", "kind"),
    [
        ("10.0.0.5", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("127.0.0.1", "a loopback address"),
        ("[::1]", "a loopback address"),
        ("::ffff:169.254.169.254", "a link-local address (inside an IPv6 address)"),
        ("203.0.113.9", "a private address"),  # documentation: never a real host
        # Names RFC 6761 keeps on loopback: accepted once, and every fetch refused.
        ("localhost", "a name of the loopback address"),
        ("LocalHost.", "a name of the loopback address"),
        ("images.localhost", "a name of the loopback address"),
        (".images.localhost", "a name of the loopback address"),
    ],
)
def test_an_internal_address_on_the_allow_list_is_refused_when_given(entry: str, kind: str) -> None:
    # No fetch could ever reach it: say so to whoever configures the tool, not to each model.
    with pytest.raises(ValueError, match="remove it") as caught:
        UrlPolicy(allowed_hosts=["images.example.com", entry])
    assert kind in str(caught.value)
    assert "never fetches" in str(caught.value)


def test_the_test_option_lets_loopback_on_the_allow_list_and_nothing_else_inside() -> None:
    kept = UrlPolicy(allowed_hosts=["127.0.0.1", "::1", "localhost"], allow_loopback_for_tests=True)
    assert kept.allowed_hosts == ("127.0.0.1", "::1", "localhost")
    with pytest.raises(ValueError, match="a private address"):
        UrlPolicy(allowed_hosts=["10.0.0.5"], allow_loopback_for_tests=True)


def test_one_text_instead_of_a_list_is_refused() -> None:
    with pytest.raises(ValueError, match=r"url_hosts=\['images.example.com'\]"):
        UrlPolicy(allowed_hosts="images.example.com")


def test_a_suffix_allows_names_under_it_not_the_domain_itself() -> None:
    for url in ("https://a.cdn.test/x.png", "https://a.b.cdn.test/x.png"):
        assert check_image_url(url, POLICY).host.endswith(".cdn.test")
    for url in ("https://cdn.test/x.png", "https://evilcdn.test/x.png"):
        with pytest.raises(HostNotAllowed):
            check_image_url(url, POLICY)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("max_bytes", 0),
        ("max_bytes", True),
        ("max_redirects", -1),
        ("max_redirects", 11),
        ("total_timeout", 0),
        ("read_timeout", float("nan")),
        # Past a float's reach: math.isfinite raised OverflowError, naming no setting.
        pytest.param("connect_timeout", 10**400, id="connect_timeout-10**400"),
        ("loopback_http_origin", "http://10.0.0.1:8000"),
        ("loopback_http_origin", "https://127.0.0.1:8000"),
        ("loopback_http_origin", "http://127.0.0.1:8000/api"),
    ],
)
def test_bad_policy_values_are_refused(option: str, value: object) -> None:
    with pytest.raises(ValueError, match=option.split("_")[0]):
        UrlPolicy(**{option: value})  # type: ignore[arg-type]


def test_the_slack_image_policy_allows_that_host_alone_over_https() -> None:
    policy = UrlPolicy.for_slack_image(
        "https://avatars.slack-edge.com/2024-01-01/1_abc_original.png",
        slack_base_url="https://slack.com/api",
    )
    assert policy.allowed_hosts == ("avatars.slack-edge.com",)
    assert policy.loopback_http_origin is None
    with pytest.raises(HostNotAllowed):
        check_image_url("https://evil.test/x.png", policy)


def test_the_slack_image_policy_allows_a_loopback_emulators_origin_over_http() -> None:
    policy = UrlPolicy.for_slack_image(
        "http://127.0.0.1:8123/avatars/U1/abc/original.png",
        slack_base_url="http://127.0.0.1:8123/api",
    )
    assert check_image_url("http://127.0.0.1:8123/avatars/x.png", policy).scheme == "http"
    for url in ("http://127.0.0.1:8124/x.png", "http://10.0.0.1:8123/x.png"):
        with pytest.raises(ImageUrlRefused):
            check_image_url(url, policy)
    # Not loopback: no exception, and the URL is refused, for its private host first (a
    # refusal of its plain http:// would say "use the https:// address", which no https://
    # URL on a private address gets past).
    remote = UrlPolicy.for_slack_image(
        "http://10.0.0.1:8123/x.png", slack_base_url="http://10.0.0.1:8123/api"
    )
    with pytest.raises(HostNotAllowed, match="a private address, which this tool never"):
        check_image_url("http://10.0.0.1:8123/x.png", remote)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8080/x.png",
        "http://10.0.0.5/x.png",
        "http://not-allowed.example.net/x.png",
    ],
)
def test_a_plain_http_url_on_a_host_not_allowed_is_refused_for_its_host(url: str) -> None:
    """Told to "use the https:// address", a model would try an https:// URL that is refused
    again, for its host: the host's refusal comes first (the review of 2026-12-05)."""
    policy = UrlPolicy(allowed_hosts=["images.example.com"])
    with pytest.raises(HostNotAllowed) as refused:
        check_image_url(url, policy)
    assert "https://" not in refused.value.message, refused.value.message


def test_a_plain_http_url_on_an_allowed_host_is_told_to_use_https() -> None:
    policy = UrlPolicy(allowed_hosts=["images.example.com"])
    with pytest.raises(SchemeNotAllowed, match="use the https:// address"):
        check_image_url("http://images.example.com/me.png", policy)


# --- hostile URLs -------------------------------------------------------------------------

HOSTILE_URLS = [
    ("https://allowed.test@evil.test/x.png", BadImageUrl),
    ("https://evil.test@allowed.test/x.png", BadImageUrl),
    ("https://user:pw@allowed.test/x.png", BadImageUrl),
    ("https://allowed.test\\@evil.test/x.png", BadImageUrl),
    ("https://evil.test\\.allowed.test/x.png", BadImageUrl),
    ("https://allowed.test%2F@evil.test/", BadImageUrl),
    ("https://%61llowed.test/x.png", BadImageUrl),
    ("https://\u0430llowed.test/x.png", HostNotAllowed),  # Cyrillic a
    ("https://allowed.test.evil.test/x.png", HostNotAllowed),
    ("https://evil.test#@allowed.test/x.png", HostNotAllowed),
    ("https://evil.test?@allowed.test/x.png", HostNotAllowed),
    ("https://2130706433/x.png", BadImageUrl),
    ("https://0x7f.0.0.1/x.png", BadImageUrl),
    ("https://0177.0.0.1/x.png", BadImageUrl),
    ("https://203.0.113.011/x.png", BadImageUrl),
    ("https://127.1/x.png", BadImageUrl),
    ("https://[::1]/x.png", HostNotAllowed),
    ("https://[fe80::1%25eth0]/x.png", BadImageUrl),
    ("https://[2001:db8::9/x.png", BadImageUrl),
    ("https://allowed.test:0/x.png", BadImageUrl),
    ("https://allowed.test:65536/x.png", BadImageUrl),
    ("https://allowed.test:\uff14\uff14\uff13/x.png", BadImageUrl),
    ("https://allowed.test:443:80/x.png", BadImageUrl),
    ("https://allowed.test/x .png", BadImageUrl),
    ("https://allowed.test/x\n.png", BadImageUrl),
    ("https:allowed.test/x.png", BadImageUrl),
    ("https:///allowed.test/x.png", BadImageUrl),
    ("http://allowed.test/x.png", SchemeNotAllowed),
    ("HTTP://allowed.test/x.png", SchemeNotAllowed),
    ("ftp://allowed.test/x.png", SchemeNotAllowed),
    ("file:///etc/passwd", SchemeNotAllowed),
    ("javascript:alert(1)", SchemeNotAllowed),
    ("//allowed.test/x.png", BadImageUrl),
    ("allowed.test/x.png", BadImageUrl),
    ("https://" + "a" * 9000 + ".test/", BadImageUrl),
]


@pytest.mark.parametrize(("url", "refusal"), HOSTILE_URLS)
def test_hostile_urls_are_refused_as_what_they_are(
    url: str, refusal: type[ImageUrlRefused]
) -> None:
    with pytest.raises(refusal) as caught:
        check_image_url(url, POLICY)
    assert type(caught.value) is refusal
    assert caught.value.problem().path == "$.image"
    # A message names the host at most: never the path, query or fragment.
    assert "x.png" not in caught.value.message


@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("https://ALLOWED.test/x.png", "allowed.test", 443),
        ("https://allowed.test./x.png", "allowed.test", 443),
        ("https://allowed.test:8443/x.png", "allowed.test", 8443),
        ("https://allowed.test:/x.png", "allowed.test", 443),
        ("  https://allowed.test/x.png\n", "allowed.test", 443),
        ("https://\uff41\uff4c\uff4c\uff4f\uff57\uff45\uff44.test/x.png", "allowed.test", 443),
        ("https://allowed\u3002test/x.png", "allowed.test", 443),
        # A trailing full stop UTS #46 maps to ".": dropped as the plain trailing dot is
        # (was "not a valid host name", where allowed.test. passed).
        ("https://allowed.test\u3002/x.png", "allowed.test", 443),
        ("https://allowed.test\uff0e/x.png", "allowed.test", 443),
        ("https://93.184.215.9/x.png", "93.184.215.9", 443),
        ("https://[2606:4700:0::9]:8443/x.png", "2606:4700::9", 8443),
        ("https://img.cdn.test/x.png?sig=abc#frag", "img.cdn.test", 443),
    ],
)
def test_equivalent_spellings_of_an_allowed_host_are_accepted(
    url: str, host: str, port: int
) -> None:
    checked = check_image_url(url, POLICY)
    assert (checked.host, checked.port) == (host, port)


@pytest.mark.parametrize(
    "url",
    [
        "https:///allowed.test/x.png",
        "https://allowed..test/x.png",
        "https://a_b.test/",
        "https://allowed.test../x.png",
        # Two trailing dots, one full-width: taken as allowed.test where the above is refused.
        "https://allowed.test\u3002./x.png",
        "https://allowed.test\uff0e./x.png",
    ],
)
def test_a_host_that_cannot_be_used_is_refused_saying_what_to_do(url: str) -> None:
    with pytest.raises(BadImageUrl) as caught:
        check_image_url(url, POLICY)
    # Observed: "the image URL's host cannot be used: the host is empty", and no more.
    assert "check the URL" in caught.value.message


def test_what_is_kept_of_a_url_is_its_host_and_file_name_only() -> None:
    url = "https://img.cdn.test:8443/u/123/secret-path/photo.png?X-Amz-Signature=abc#frag"
    assert redact_url(url) == "https://img.cdn.test:8443/.../photo.png"
    assert redact_url("https://img.cdn.test/") == "https://img.cdn.test/"
    assert redact_url("https://img.cdn.test/download?id=1") == "https://img.cdn.test/"
    assert redact_url("https://img.cdn.test/%2e%2e/x") == "https://img.cdn.test/"
    assert redact_url("https://user:pw@img.cdn.test/") == "(a URL that could not be read)"
    assert redact_url(42) == "(a URL that could not be read)"


def test_web_urls_are_recognised_in_any_case() -> None:
    assert looks_like_web_url(" HTTPS://a.test/x.png")
    assert looks_like_web_url("http://a.test/")
    assert not looks_like_web_url("data:image/png;base64,AAAA")
    assert not looks_like_web_url("photos/https.png")


# Around an allowed name: characters that parsers disagree on, look-alikes, digits.
_TRICKY = st.sampled_from(
    [
        "@",
        "\\",
        "/",
        ":",
        ".",
        "%",
        "#",
        "?",
        "[",
        "]",
        "%40",
        "%2e",
        "\u3002",
        "\uff20",
        "\uff0f",
        "\u0430",
        "0",
        "1",
    ]
)
_PIECE = st.one_of(_TRICKY, st.sampled_from(["allowed.test", "evil.test", "cdn.test", "443"]))


@settings(max_examples=2000, deadline=None)
@given(
    scheme=st.sampled_from(["https://", "HTTPS://", "http://", "https:/", "https:\\\\"]),
    before=st.lists(_PIECE, max_size=4),
    after=st.lists(_PIECE, max_size=4),
    query=st.text(alphabet="abcdefgh=&", min_size=1, max_size=12),
)
def test_a_url_built_around_an_allowed_name_is_refused_or_really_allowed(
    scheme: str, before: list[str], after: list[str], query: str
) -> None:
    url = f"{scheme}{''.join(before)}allowed.test{''.join(after)}/x.png?q{query}"
    try:
        checked = check_image_url(url, POLICY)
    except ImageUrlRefused:
        return
    assert checked.scheme == "https"
    assert checked.host in ("allowed.test", "93.184.215.9", "2606:4700::9") or (
        checked.host.endswith(".cdn.test")
    )
    assert "?" not in checked.redacted
    assert "#" not in checked.redacted


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_refused_or_allowed_never_raises_otherwise(text: str) -> None:
    for url in (text, "https://" + text):
        try:
            checked = check_image_url(url, POLICY)
        except ImageUrlRefused:
            continue
        assert any(rule.matches(checked.host) for rule in POLICY.rules)


# --- addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "private"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "shared"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.1", "private"),
        ("198.18.0.1", "private"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fec0::1", "site-local"),
        ("fd12:3456::1", "private"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "private"),
        ("::ffff:127.0.0.1", "loopback address (inside an IPv6 address)"),
        ("::ffff:10.0.0.1", "private address (inside an IPv6 address)"),
        ("64:ff9b::a9fe:a9fe", "link-local address (inside an IPv6 address)"),
        ("64:ff9b:1::808:808", "local-use NAT64"),
        ("2002:7f00:1::1", "loopback address (inside an IPv6 address)"),
        ("2002:c0a8:101::1", "private address (inside an IPv6 address)"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
        ("::127.0.0.1", "reserved"),
    ],
)
def test_internal_addresses_are_refused_by_kind(address: str, reason: str) -> None:
    found = address_refusal(ipaddress.ip_address(address))
    assert found is not None
    assert reason in found


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "93.184.216.34",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ],
)
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "address",
    ["192.0.0.8", "192.0.0.100", "192.0.0.255", "::ffff:192.0.0.8", "3fff::1", "3fff:fff::1"],
)
def test_ranges_older_pythons_call_global_are_refused(address: str) -> None:
    # IETF protocol assignments (192.0.0.0/24) and IPv6 documentation (3fff::/20) are not
    # globally reachable; Python 3.11.7's ipaddress called these addresses global.
    assert address_refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["192.0.0.9", "192.0.0.10"])
def test_the_globally_reachable_anycast_in_192_0_0_0_24_passes(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


def test_the_test_option_opens_loopback_and_nothing_else() -> None:
    for address in ("127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"):
        assert address_refusal(ipaddress.ip_address(address), allow_loopback=True) is None
    for address in ("10.0.0.1", "169.254.169.254", "fd00::1", "0.0.0.0"):
        assert address_refusal(ipaddress.ip_address(address), allow_loopback=True) is not None


@given(st.integers(0, 2**32 - 1))
def test_an_ipv4_address_is_judged_the_same_when_mapped_into_ipv6(value: int) -> None:
    ipv4 = ipaddress.IPv4Address(value)
    mapped = ipaddress.IPv6Address(f"::ffff:{ipv4}")
    assert (address_refusal(ipv4) is None) == (address_refusal(mapped) is None)


# --- signatures and bodies ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [
        ("PNG", "image/png"),
        ("JPEG", "image/jpeg"),
        ("GIF", "image/gif"),
        ("WEBP", "image/webp"),
        ("BMP", "image/bmp"),
        ("TIFF", "image/tiff"),
    ],
)
def test_image_signatures_are_recognised(fmt: str, media_type: str) -> None:
    assert sniff_image_type(make_image((16, 16), fmt)[:16]) == media_type


def test_every_tiff_head_pillow_opens_is_a_tiff() -> None:
    # As a file's path or bytes: a URL's TIFF meets the same checks, not "not an image".
    from PIL import TiffImagePlugin

    for head in TiffImagePlugin.PREFIXES:
        assert sniff_image_type(head + bytes(12)) == "image/tiff", head


@pytest.mark.parametrize(
    "head",
    [b"<!DOCTYPE html>", b"<svg xmlns=", b'{"ok": false}', b"\xef\xbb\xbf<html>", b"", b"GIF90a"],
)
def test_other_bodies_are_not_images(head: bytes) -> None:
    assert sniff_image_type(head) is None


def test_a_gzip_bomb_never_holds_much_more_than_the_cap() -> None:
    cap = 1024 * 1024
    bomb = gzip.compress(bytes(256 * 1024 * 1024), compresslevel=9)
    body = BoundedBody("gzip", cap)
    pieces = [bomb[start : start + 64 * 1024] for start in range(0, len(bomb), 64 * 1024)]

    def feed_all() -> None:
        for piece in pieces:
            body.feed(piece)

    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            feed_all()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * cap


def test_deflate_and_gzip_are_decoded_and_others_refused() -> None:
    data = make_image((32, 32))
    for coding, encoded in (("gzip", gzip.compress(data)), ("deflate", zlib.compress(data))):
        body = BoundedBody(coding, 1024 * 1024)
        body.feed(encoded)
        body.finish()
        assert body.decoded == data
    for coding in ("br", "zstd", "gzip, gzip", "compress"):
        with pytest.raises(UnreadableBody):
            BoundedBody(coding, 1024)
    corrupt = BoundedBody("gzip", 1024)
    with pytest.raises(UnreadableBody):
        corrupt.feed(b"\x1f\x8b\x08\x00garbage that is not deflate")


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://169.254.169.254/latest/meta-data/", "a link-local address"),
        ("https://10.0.0.5/photo.png", "a private address"),
        ("https://[fe80::1]/photo.png", "a link-local address"),
        # Loopback too: the allow-list refuses it unless a test's policy opens loopback.
        ("https://127.0.0.1/photo.png", "a loopback address"),
        ("https://[::1]/photo.png", "a loopback address"),
        ("https://localhost/photo.png", "a name of the loopback address (RFC 6761)"),
    ],
)
def test_an_internal_address_is_never_offered_as_a_host_to_allow(url: str, kind: str) -> None:
    policy = UrlPolicy(allowed_hosts=["images.example.com"])
    for redirected in (False, True):
        with pytest.raises(HostNotAllowed) as caught:
            check_image_url(url, policy, redirected=redirected)
        said = (
            f"redirected to {kind} (an internal address), which this tool never fetches from"
            if redirected
            else f", {kind}, which this tool never fetches from"
        )
        assert said in caught.value.message, caught.value.message
        assert "ask whoever runs the tool to add" not in caught.value.message
        assert "on a host," not in caught.value.message  # read as a template missing a value


def test_a_slack_reply_naming_localhost_leaves_it_off_the_list() -> None:
    policy = UrlPolicy.for_slack_image(
        "https://localhost/x.png", slack_base_url="https://slack.com/api"
    )
    assert policy.allowed_hosts == ()
    with pytest.raises(HostNotAllowed, match=r"loopback address \(RFC 6761\), which this tool"):
        check_image_url("https://localhost/x.png", policy)


def test_a_slack_reply_naming_an_internal_address_is_refused_saying_why() -> None:
    policy = UrlPolicy.for_slack_image(
        "https://169.254.169.254/latest/meta-data/x.png", slack_base_url="https://slack.com/api"
    )
    assert policy.allowed_hosts == ()
    with pytest.raises(HostNotAllowed, match="a link-local address, which this tool never"):
        check_image_url("https://169.254.169.254/latest/meta-data/x.png", policy)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://localhost./p.png", "a name of the loopback address (RFC 6761)"),
        ("https://foo.localhost./p.png", "a name of the loopback address (RFC 6761)"),
        ("https://127.0.0.1./p.png", "a loopback address"),
        ("https://127.1/p.png", "a loopback address"),
        ("https://2130706433/p.png", "a loopback address"),
        # Shorthand with the trailing dot too (mutation survivors of 2026-12-06 14:30).
        ("https://127.1./p.png", "a loopback address"),
        ("https://2130706433./p.png", "a loopback address"),
        ("https://0x7f.1/p.png", "a loopback address"),
        ("https://10.1/p.png", "a private address"),
        # A trailing full stop UTS #46 maps to "." (was read as no host name at all).
        ("https://localhost\u3002/p.png", "a name of the loopback address (RFC 6761)"),
        ("https://127.0.0.1\uff0e/p.png", "a loopback address"),
    ],
)
def test_an_internal_host_written_otherwise_is_never_offered_either(url: str, kind: str) -> None:
    # With no host allowed (the default), such a URL was told to ask for its host to be
    # allowed, which the allow-list then refuses (found by the review of 2026-12-06).
    said = never_fetched(url, UrlPolicy())
    assert said is not None
    assert f", {kind}, which this tool never fetches from" in said


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "localhost"])
def test_a_test_policys_loopback_host_is_not_offered_to_url_hosts(host: str) -> None:
    """Under the README's test policy (localhost allowed, loopback let in for tests), a URL
    on 127.0.0.1 was refused with "ask whoever runs the tool to add 127.0.0.1 with
    url_hosts=[...]", which UsersSetPhoto(url_hosts=["127.0.0.1"]) then refuses in turn
    (a first-try audit). The test policy's own list is named instead."""
    policy = UrlPolicy(allowed_hosts=["images.test"], allow_loopback_for_tests=True)
    with pytest.raises(HostNotAllowed) as refused:
        check_image_url(f"https://{host}:8443/me.png", policy)
    said = str(refused.value)
    assert "UrlPolicy(allowed_hosts=[...], allow_loopback_for_tests=True)" in said, said
    assert "--allow-url-host never allow" in said, said
    assert "ask whoever runs the tool" not in said, said
    with pytest.raises(ValueError, match="never fetches"):
        UsersSetPhoto("xoxp-1-2-3", url_hosts=[host.strip("[]")], environ={})
    # A public host under the same policy is still offered to url_hosts.
    with pytest.raises(HostNotAllowed, match=r"url_hosts=\[\.\.\.\]"):
        check_image_url("https://cdn.example.com/me.png", policy)


def test_a_test_policy_with_no_hosts_yet_names_its_own_list_for_a_loopback_url() -> None:
    policy = UrlPolicy(allow_loopback_for_tests=True)
    with pytest.raises(HostNotAllowed) as refused:
        check_image_url("https://127.0.0.1:8443/me.png", policy)
    said = str(refused.value)
    assert "(allowed: none)" in said, said
    assert "UrlPolicy(allowed_hosts=[...], allow_loopback_for_tests=True)" in said, said
    assert "ask whoever runs the tool" not in said, said
