"""Images from URLs through the tool's doors: off by default, on for the hosts a host allows.

The fetch itself (addresses, redirects, caps, TLS) is tested in test_web_image_*.py;
here: the tool's option, its refusal wording, what models are told and what history
keeps, that the bytes then meet every usual check, and that the Slack token never
travels to the image host. Image hosts are loopback https servers with trustme
certificates; the test-only loopback permission is off by default and named so.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trustme

from ocp_users_photo import InvalidArguments, UsersSetPhoto, register
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images.url_resolver import UrlResolver
from ocp_users_photo.web_image import UrlPolicy
from tests.conftest import CANARY_TOKEN, make_image, photo_requests
from tests.loopback import LoopbackServer, reply, serve
from tests.standin_agent import AsyncStandInAgent

CANARY_SECRET = CANARY_TOKEN.split("-", 1)[1]
PNG = make_image((640, 640))
SIGNED = "/photo.png?X-Amz-Signature=c2VjcmV0LXNpZ25hdHVyZQ&expires=9"


@pytest.fixture
async def images(ca: trustme.CA) -> AsyncIterator[LoopbackServer]:
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    async with serve(server_tls) as running:
        running.on("/photo.png", reply(200, PNG, [("Content-Type", "image/png")]))
        running.on("/small.png", reply(200, make_image((100, 100)), []))
        running.on("/page.html", reply(200, b"<!doctype html><p>hi", []))
        yield running


def allowing(client_tls: ssl.SSLContext, *hosts: str) -> dict[str, Any]:
    """Tool options: URLs on ``hosts`` (loopback, so the test-only permission is on)."""
    policy = UrlPolicy(allowed_hosts=hosts or ("127.0.0.1",), allow_loopback_for_tests=True)
    return {"image_resolvers": {"url": UrlResolver(policy, ssl_context=client_tls)}}


def tool_allowing(
    emulator: RunningEmulator, client_tls: ssl.SSLContext, *hosts: str
) -> UsersSetPhoto:
    """The tool against the emulator, fetching image URLs on ``hosts`` (``allowing``)."""
    return UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, **allowing(client_tls, *hosts)
    )


async def test_urls_are_refused_by_default_with_how_to_allow_them(
    emulator: RunningEmulator, images: LoopbackServer
) -> None:
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        for door in ("call", "run"):
            for url in (images.url("/photo.png"), "https://images.example.com/photo.png"):
                if door == "call":
                    with pytest.raises(InvalidArguments) as caught:
                        await tool.call({"image": url})
                    message = caught.value.problems[0].message
                else:
                    result = await tool.run({"image": url})
                    message = result["problems"][0]["message"]
                if url.startswith("https://images.example.com"):
                    assert "does not fetch URLs" in message
                    assert "url_hosts=[...]" in message
                    assert "--allow-url-host" in message
                else:  # the loopback server: no allowing could ever let it through
                    assert "a loopback address, which this tool never fetches from" in message
                    assert "--allow-url-host" not in message
    assert images.requests == [], "nothing was fetched"
    assert emulator.requests.all() == []


def test_the_option_checks_its_hosts_and_the_schema_says_what_is_accepted() -> None:
    plain = UsersSetPhoto(CANARY_TOKEN, environ={})
    assert "Web URLs are not fetched" in plain.input_schema["properties"]["image"]["description"]
    allowed = UsersSetPhoto(CANARY_TOKEN, url_hosts=["images.example.com", ".cdn.test"], environ={})
    text = allowed.input_schema["properties"]["image"]["description"]
    assert (
        "https URL of an image on one of these hosts: images.example.com, .cdn.test (a leading "
        "dot allows every name under it); URLs on hosts not allowed are refused." in text
    )
    assert "not fetched" not in text
    # One host, none with a leading dot: said of that host alone, with no note on dots.
    one = UsersSetPhoto(CANARY_TOKEN, url_hosts=["images.example.com"], environ={})
    text = one.input_schema["properties"]["image"]["description"]
    assert (
        "https URL of an image on this host: images.example.com; URLs on hosts not allowed are "
        "refused." in text
    ), text
    assert "leading dot" not in text
    # Shown as they are matched: lower case, IDNA.
    odd = UsersSetPhoto(CANARY_TOKEN, url_hosts=["Images.Example.COM", "bücher.test"], environ={})
    assert odd.url_hosts == ("images.example.com", "xn--bcher-kva.test")
    with pytest.raises(ValueError, match="allowed"):
        UsersSetPhoto(CANARY_TOKEN, url_hosts=["https://images.example.com/"], environ={})


async def test_an_allowed_url_sets_the_photo_and_the_token_stays_home(
    emulator: RunningEmulator, images: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    async with tool_allowing(emulator, client_tls) as tool:
        reply_body, summary = await tool.call_with_summary({"image": images.url(SIGNED)})
    assert reply_body["ok"] is True
    assert summary["format"] == "PNG"
    assert summary["bytes"] == len(PNG)
    (sent,) = photo_requests(emulator)
    upload = sent.file("image")
    assert upload is not None
    assert upload.size == len(PNG)
    assert upload.filename == "photo.png"
    (fetched,) = images.requests
    assert fetched.header("authorization") is None
    assert fetched.header("cookie") is None
    assert CANARY_SECRET not in json.dumps(fetched.headers)


async def test_fetched_bytes_meet_every_usual_check(
    emulator: RunningEmulator, images: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    async with tool_allowing(emulator, client_tls) as tool:
        too_small = await tool.run({"image": images.url("/small.png")})
        not_an_image = await tool.run({"image": images.url("/page.html")})
        crop_outside = await tool.run(
            {"image": images.url("/photo.png"), "crop_x": 600, "crop_y": 0, "crop_w": 600}
        )
    assert "Slack needs at least 512x512" in too_small["problems"][0]["message"]
    assert not_an_image["error"] == "invalid_arguments"
    assert "$.crop_x" in [problem["path"] for problem in crop_outside["problems"]]
    assert photo_requests(emulator) == []


async def test_a_host_not_on_the_list_is_refused_before_any_connection(
    emulator: RunningEmulator, images: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    async with tool_allowing(emulator, client_tls, "images.example.com") as tool:
        result = await tool.run({"image": images.url("/photo.png")})
    (problem,) = result["problems"]
    assert "127.0.0.1" in problem["message"]
    assert "images.example.com" in problem["message"]
    assert images.connections == 0


async def test_history_and_results_name_the_host_never_the_query(
    emulator: RunningEmulator, images: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    agent = AsyncStandInAgent()
    register(
        agent, token=CANARY_TOKEN, base_url=emulator.base_url, environ={}, **allowing(client_tls)
    )
    reply_body = await agent.call_tool("usersSetPhoto", {"image": images.url(SIGNED)})
    assert isinstance(reply_body, dict)  # the tool's answer, not the stand-in's HTTP response
    assert reply_body["ok"] is True
    tool_call = agent.context.history[0]
    assert tool_call["metadata"]["parameters"]["image"].startswith("<url https://127.0.0.1")
    refused = await UsersSetPhoto(CANARY_TOKEN, environ={}).run(
        {"image": "https://elsewhere.example/photo.png" + SIGNED[10:]}
    )
    for text in (json.dumps(agent.context.history), json.dumps(refused)):
        assert "c2VjcmV0LXNpZ25hdHVyZQ" not in text
        assert "X-Amz-Signature" not in text


@pytest.mark.parametrize("door", ["cli", "mcp"])
def test_the_cli_and_the_mcp_server_take_the_same_option(door: str) -> None:
    from ocp_users_photo import cli

    parser = cli.build_parser(door if door == "mcp" else "set")
    words = ["set", "me.png"] if door == "cli" else ["mcp"]
    args = parser.parse_args([*words, "--allow-url-host", "a.test", "--allow-url-host", ".b.test"])
    assert args.url_hosts == ["a.test", ".b.test"]


async def test_one_tls_context_serves_every_fetch_and_a_refused_url_makes_none(
    images: LoopbackServer, client_tls: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocp_users_photo.images import url_resolver

    made: list[str] = []

    def counted(stack: str, *trust: object) -> ssl.SSLContext:
        made.append(stack)
        return client_tls  # the trust the test's image host needs, in place of certifi's

    monkeypatch.setattr(url_resolver, "loaded_for", counted)
    policy = UrlPolicy(allowed_hosts=["127.0.0.1"], allow_loopback_for_tests=True)
    resolvers = {"url": UrlResolver(policy)}
    async with UsersSetPhoto(CANARY_TOKEN, environ={}, image_resolvers=resolvers) as tool:
        with pytest.raises(InvalidArguments):
            await tool.prepare({"image": "https://elsewhere.example/photo.png"})
        assert made == [], "a URL refused offline made no TLS context"
        for _ in range(2):
            upload = await tool.prepare({"image": images.url("/photo.png")})
            assert upload.image.byte_count == len(PNG)
    assert made == ["httpx"]
    assert len(images.requests) == 2


def test_a_url_resolver_given_tells_the_model_its_own_hosts() -> None:
    # image_resolvers={"url": UrlResolver(UrlPolicy(...))} (to raise the byte cap, or give
    # TLS roots) fetches from its hosts, and the schema a model sees said "Web URLs are
    # not fetched": no model would ever offer one.
    from ocp_users_photo.images.url_resolver import UrlResolver
    from ocp_users_photo.web_image import UrlPolicy

    policy = UrlPolicy(allowed_hosts=["images.example.com"], max_bytes=5_000_000)
    tool = UsersSetPhoto(CANARY_TOKEN, image_resolvers={"url": UrlResolver(policy)}, environ={})
    text = tool.input_schema["properties"]["image"]["description"]
    assert "https URL of an image on this host: images.example.com" in text, text
    assert "not fetched" not in text
    assert tool.url_hosts == ("images.example.com",)


REFUSED_ANYWAY = {
    "partial crop box": ({"crop_x": 0}, "$.crop_y"),
    "negative crop_x": ({"crop_x": -1, "crop_y": 0, "crop_w": 512}, "$.crop_x"),
    "unknown argument": ({"bogus": 1}, "$.bogus"),
}


@pytest.mark.parametrize(
    ("extra", "named"), REFUSED_ANYWAY.values(), ids=list(REFUSED_ANYWAY.keys())
)
async def test_a_call_refused_for_its_other_arguments_fetches_nothing(
    emulator: RunningEmulator,
    images: LoopbackServer,
    client_tls: ssl.SSLContext,
    extra: dict[str, Any],
    named: str,
) -> None:
    """The URL was fetched before the refusal was made (a review): the model's host heard of
    a call that sent nothing, and the tool waited on it for nothing."""
    async with tool_allowing(emulator, client_tls) as tool:
        refused = await tool.run({"image": images.url(SIGNED), **extra})
        assert refused["error"] == "invalid_arguments"
        assert named in [problem["path"] for problem in refused["problems"]]
        assert images.connections == 0
        assert (await tool.run({"image": images.url(SIGNED)}))["ok"] is True
    assert len(images.requests) == 1  # the call that was not refused
    assert len(photo_requests(emulator)) == 1


@pytest.mark.parametrize(
    "token", [None, "xoxb-1111111111-2222222222-abcdefabcdefabcdef", "xoxp-your-user-token"]
)
async def test_a_call_with_no_usable_token_fetches_nothing(
    emulator: RunningEmulator,
    images: LoopbackServer,
    client_tls: ssl.SSLContext,
    token: str | None,
) -> None:
    options = allowing(client_tls)
    async with UsersSetPhoto(token, base_url=emulator.base_url, environ={}, **options) as tool:
        refused = await tool.run({"image": images.url(SIGNED)})
        off_the_list = await tool.run({"image": "https://elsewhere.example/photo.png"})
    assert refused["error"] == "token_not_usable"
    assert images.connections == 0
    # Still checked offline: a URL that could never be fetched says so beside the token.
    said = json.dumps(off_the_list["problems"])
    assert "elsewhere.example" in said, said
    assert emulator.requests.all() == []
