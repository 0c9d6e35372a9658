"""What an attack on the Slack call found (issue 11: findings 3, 5, 7, 9, 12-15), kept fixed.

A hostile endpoint (or anything in between) is the emulator told to misbehave: it
echoes the token wherever text goes, drips its answer, nests JSON past any stack,
redirects, sends escape sequences and huge strings. Each test states the bound.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import importlib.util
import json
import logging
import os
import re
import socket
import ssl
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from ocp_users_photo import (
    InvalidArguments,
    ReplySchemaError,
    SlackApiError,
    TransportError,
    UsersPhotoError,
    UsersSetPhoto,
)
from ocp_users_photo.agents import safe_view
from ocp_users_photo.credentials import SlackToken
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.slack import SlackClient
from ocp_users_photo.slack.replies import MOST_REPLY_VALUES
from ocp_users_photo.slack.stacks import StackName
from tests import loopback
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests, success_reply
from tests.http_stacks import stack_environ, stack_of
from tests.json_nesting import PAST_JSON_DEPTH
from tests.test_secrets import holds_part_of_the_token, texts_of_error
from tests.test_tool import padded_png

CANARY_SECRET = CANARY_TOKEN.split("-", 1)[1]
IMAGE = make_image((600, 600))


def quick_tool(emulator: RunningEmulator, stack: str, **options: Any) -> UsersSetPhoto:
    """The tool against the emulator, its own client on ``stack``, retrying without delay."""
    settings: dict[str, Any] = {"retry_backoff": 0.01, "environ": stack_environ(stack), **options}
    tool = UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, **settings)
    assert stack_of(tool) == stack
    return tool


async def outcome_texts(tool: UsersSetPhoto) -> list[str]:
    """Everything a call, a model's run and their errors show."""
    texts: list[str] = []
    try:
        texts.append(json.dumps(await tool.call({"image": IMAGE})))
    except UsersPhotoError as error:
        texts.extend(texts_of_error(error))
    return texts


class TestTheTokenComesBackThroughNothingTheServerControls:
    """Finding 3: the Content-Type, the reason phrase, a header, a malformed header line."""

    @pytest.mark.parametrize(
        "fault",
        [
            Fault.status(200, body=b"<html>", headers={"content-type": "text/html; {token}"}),
            Fault.json({"ok": True}, headers={"x-echo": "{authorization}"}),
            Fault.raw(
                b"HTTP/1.1 200 {authorization}\r\ncontent-type: application/json\r\n"
                b"content-length: 11\r\n\r\n" + b'{"ok":true}'
            ),
            Fault.raw(b"HTTP/1.1 200 OK\r\nno colon here {authorization}\r\n\r\n"),
            Fault.raw(b"HTTP/1.1 999999999 {token}\r\n\r\n"),
            Fault.json({"ok": False, "error": "ratelimited"}, headers={"retry-after": "{token}"}),
            # Refused as a coding it cannot decode, the refusal once quoting 20 characters of it.
            Fault.json({"ok": True}, headers={"content-encoding": "{token}"}),
        ],
        ids=[
            "content-type",
            "header value",
            "reason phrase",
            "malformed header line",
            "malformed status line",
            "retry-after",
            "content-encoding",
        ],
    )
    async def test_nothing_derived_from_the_response_keeps_it(
        self,
        emulator: RunningEmulator,
        http_stack: str,
        fault: Fault,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        inject(emulator, fault, fault, fault, fault, fault, fault)
        async with quick_tool(emulator, http_stack, max_retries=0) as tool:
            texts = await outcome_texts(tool)
            texts.append(json.dumps(await tool.run({"image": IMAGE})))
        records = [record.getMessage() for record in caplog.records]
        if http_stack == "httpx":
            assert any(name.startswith("httpcore") for name in _names(caplog)), (
                "the HTTP stack's records were captured"
            )
        else:  # aiohttp logs nothing per request: the tool's own records are what a log holds
            assert "ocp_users_photo" in _names(caplog)
        for text in [*texts, *records]:
            assert not holds_part_of_the_token(text), text[:300]
        # The server did get the token, so what it echoed held it: the redaction did the work.
        assert photo_requests(emulator)[0].header("authorization") == f"Bearer {CANARY_TOKEN}"

    async def test_an_echoed_scopes_header_does_not_bring_it_back_through_whoami(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        # A reply's headers travel on beside its body (whoami reads X-OAuth-Scopes): the
        # token echoed there came back as one of the token's "scopes".
        identity_reply = {"ok": True, "user_id": "U1", "user": "a", "team_id": "T1", "team": "t"}
        echo = {"x-oauth-scopes": "users.profile:write,{token}", "x-echo": "{authorization}"}
        inject(emulator, Fault.json(identity_reply, headers=echo), method="auth.test")
        async with quick_tool(emulator, http_stack) as tool:
            identity = await tool.whoami()
        assert identity.scopes is not None
        assert "users.profile:write" in identity.scopes
        assert CANARY_SECRET not in repr(identity)


def _names(caplog: pytest.LogCaptureFixture) -> set[str]:
    return {record.name for record in caplog.records}


class TestEveryCallEnds:
    """Finding 5: a server dripping its answer holds no call past its bounds."""

    @pytest.mark.parametrize(
        "fault",
        [
            Fault.json(success_reply()).dripped(1, 0.3),
            Fault.raw(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: 11\r\n\r\n" + b'{"ok":true}'
            ).dripped(1, 0.3),
        ],
        ids=["body dripped", "headers dripped"],
    )
    async def test_an_attempt_ends_within_its_timeout(
        self, emulator: RunningEmulator, http_stack: str, fault: Fault
    ) -> None:
        inject(emulator, fault)
        async with quick_tool(emulator, http_stack, timeout=1, max_retries=0) as tool:
            started = time.monotonic()
            with pytest.raises(TransportError, match="no complete answer within the 1 s") as caught:
                await tool.call({"image": IMAGE})
            elapsed = time.monotonic() - started
        assert elapsed < 1.8, f"{elapsed:.2f} s"
        assert caught.value.reached is True
        assert "may have taken effect" in str(caught.value)

    async def test_the_whole_call_ends_within_its_deadline(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        dripping = Fault.json(success_reply()).dripped(1, 0.3)
        inject(emulator, *[dripping] * 6)
        async with quick_tool(emulator, http_stack, timeout=1, max_retries=5, deadline=2.5) as tool:
            started = time.monotonic()
            with pytest.raises(TransportError, match=r"deadline|1 s an attempt") as caught:
                await tool.call({"image": IMAGE})
            elapsed = time.monotonic() - started
        assert elapsed < 3.2, f"{elapsed:.2f} s"
        assert len(photo_requests(emulator)) <= 3
        assert caught.value.reached is True

    async def test_a_retry_after_past_the_deadline_is_not_waited_for(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        inject(emulator, Fault.rate_limited(5))
        async with quick_tool(emulator, http_stack, deadline=2, max_retry_wait=30) as tool:
            started = time.monotonic()
            with pytest.raises(SlackApiError, match="ratelimited"):
                await tool.call({"image": IMAGE})
        assert time.monotonic() - started < 1.0

    async def test_a_compressed_reply_is_bounded_on_what_it_inflates_to(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        inject(emulator, Fault.gzip_bomb(32 * 1024 * 1024))
        async with quick_tool(emulator, http_stack) as tool:
            with pytest.raises(TransportError, match="larger than 1048576 bytes"):
                await tool.call({"image": IMAGE})

    async def test_a_reply_with_megabytes_of_headers_is_refused(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        # h11 stops at 100 KB of head; aiohttp before 3.13.4 read any number of 8 KB header
        # lines (no max_headers), so this 8 MB head was taken whole as an ok reply.
        headers = b"".join(b"x-pad-%d: %s\r\n" % (n, b"a" * 8000) for n in range(1000))
        inject(
            emulator,
            Fault.raw(
                b"HTTP/1.1 200 OK\r\n" + headers + b"content-type: application/json\r\n"
                b"content-length: 11\r\n\r\n" + b'{"ok":true}'
            ),
        )
        async with quick_tool(emulator, http_stack, max_retries=0) as tool:
            with pytest.raises(TransportError, match="RemoteProtocolError"):
                await tool.call({"image": IMAGE})

    async def test_a_compressed_reply_within_the_cap_is_decoded_whole(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        reply = success_reply()
        # Eight image URLs of 2,032 characters (the schema check takes up to 2,048), random:
        # ~8 KB gzipped, 16 KB inflated.
        for key in [key for key in reply["profile"] if key.startswith("image_")]:
            reply["profile"][key] = f"https://avatars.example.com/{os.urandom(1000).hex()}.png"
        inject(emulator, Fault.gzip(json.dumps(reply)))
        async with quick_tool(emulator, http_stack) as tool:
            result = await tool.call({"image": IMAGE})
        assert result["ok"] is True
        assert result["profile"] == reply["profile"]

    async def test_a_compressed_reply_never_inflates_far_past_the_cap_in_memory(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        # 64 KB of gzip, 64 MB inflated: decoded a received chunk at a time, the cap was
        # checked only after a chunk had inflated whole (152 MB allocated on both stacks).
        inject(emulator, Fault.gzip_bomb(64 * 1024 * 1024))
        async with quick_tool(emulator, http_stack, max_retries=0) as tool:
            tracemalloc.start()
            try:
                with pytest.raises(TransportError, match="larger than 1048576 bytes"):
                    await tool.call({"image": IMAGE})
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        assert peak < 32 * 1024 * 1024, f"{peak / 1e6:.0f} MB allocated at the peak"

    @pytest.mark.parametrize("coding", ["gzip, gzip", "zstd", "br"])
    async def test_a_reply_in_a_coding_it_did_not_ask_for_is_refused_unread(
        self, emulator: RunningEmulator, http_stack: str, coding: str
    ) -> None:
        # 64 MB of JSON gzipped twice is 3 KB: httpx's decoders inflate each layer of a 1 KB
        # slice whole, so the second layer grew to 64 MB (150 MB allocated) before the cap
        # was checked. zstd (decoded by httpx when zstandard is installed) did the same.
        inner = zlib.compressobj(9, zlib.DEFLATED, 31)
        once = inner.compress(b'{"ok":true,"padding":"' + b"a" * (64 * 1024 * 1024)) + inner.flush()
        body = gzip.compress(once, 9) if coding == "gzip, gzip" else once
        headers = {"content-type": "application/json", "content-encoding": coding}
        inject(emulator, Fault.status(200, body=body, headers=headers))
        async with quick_tool(emulator, http_stack, max_retries=0) as tool:
            tracemalloc.start()
            try:
                with pytest.raises(TransportError) as caught:
                    await tool.call({"image": IMAGE})
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        assert peak < 32 * 1024 * 1024, f"{peak / 1e6:.0f} MB allocated at the peak"
        assert str(caught.value) == (
            f"Slack's reply to users.setPhoto cannot be read: it is compressed with {coding!r}, "
            "which is not decoded here; Slack sends JSON as it is or gzipped: check the Slack "
            "address (base_url, SLACK_API_URL or --base-url)"
        )
        assert photo_requests(emulator)[0].header("accept-encoding") == "identity"

    async def test_a_callers_client_asks_for_no_coding_either(
        self, emulator: RunningEmulator
    ) -> None:
        # httpx's client asks for gzip, deflate (and zstd, br when installed) unless told.
        async with (
            httpx.AsyncClient() as client,
            UsersSetPhoto(
                CANARY_TOKEN, base_url=emulator.base_url, client=client, environ={}
            ) as tool,
        ):
            await tool.call({"image": IMAGE})
        assert photo_requests(emulator)[0].header("accept-encoding") == "identity"


class TestBrokenHttpFraming:
    """Replies no HTTP server should send: each is a TransportError in one request, its text
    bounded and printable, on either stack (h11 and aiohttp's C parser differ on which
    they accept, never on whether the outcome is typed)."""

    @pytest.mark.parametrize(
        "raw",
        [
            b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n"
            b"connection: upgrade\r\n\r\n\x1b[2J",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nffffffffffffffffffff\r\nab",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\x1b[31m\r\nab",
            b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 11\r\n\r\n" + b'{"ok":true}',
            b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n" + b'{"ok":true}',
            b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n" + b'{"ok":true}',
            b"HTTP/1.1 200 OK\r\nx-a: b\x00\x1b[2Jc\r\ncontent-length: 11\r\n\r\n" + b'{"ok":true}',
        ],
        ids=[
            "101",
            "chunk size overflow",
            "chunk size junk",
            "two lengths",
            "negative length",
            "length longer than the body",
            "NUL in a header",
        ],
    )
    async def test_a_broken_reply_is_a_transport_error(
        self, emulator: RunningEmulator, http_stack: str, raw: bytes
    ) -> None:
        inject(emulator, Fault.raw(raw))
        async with quick_tool(emulator, http_stack, max_retries=0) as tool:
            with pytest.raises(TransportError) as caught:
                await tool.call({"image": IMAGE})
        text = str(caught.value)
        assert text.isprintable(), text
        assert len(text) < 600, text
        assert len(photo_requests(emulator)) == 1

    async def test_endless_interim_answers_end_within_the_attempts_timeout(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        interim = Fault.raw(b"HTTP/1.1 100 Continue\r\n\r\n" * 2000).dripped(25, 0.01)
        inject(emulator, interim)
        async with quick_tool(emulator, http_stack, timeout=1, max_retries=0) as tool:
            with pytest.raises(TransportError, match="no complete answer within the 1 s"):
                await tool.call({"image": IMAGE})


class TestDeepReplies:
    """Finding 7: a 900-deep JSON array with a \\u escape ends in a typed error."""

    @pytest.mark.parametrize(
        "depth",
        [
            40,
            900,
            # Past what Python's own JSON parser follows (990 levels on 3.11, but 3.13 reads
            # 9,998): the same typed error, in the same words for the same reply whatever
            # the Python. Past MOST_REPLY_VALUES brackets (as on 3.13 here), the reply is
            # refused before its parse for its values.
            PAST_JSON_DEPTH,
        ],
        ids=["40", "900", "past-json-depth"],
    )
    async def test_a_deep_reply_is_a_transport_error(
        self, emulator: RunningEmulator, http_stack: str, depth: int
    ) -> None:
        inject(emulator, *[Fault.deep_json(depth)] * 2)
        said = (
            "nested more than 32 levels"
            if depth <= MOST_REPLY_VALUES
            else r"JSON of some [\d,]+ values \(commas, arrays and objects counted\)"
        )
        async with quick_tool(emulator, http_stack) as tool:
            with pytest.raises(TransportError, match=said):
                await tool.call({"image": IMAGE})
            result = await tool.run({"image": IMAGE})
        assert result["error"] == "transport_error"

    async def test_a_deep_slack_error_is_a_transport_error_too(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        inject(emulator, Fault.deep_json(900, ok=False))
        async with quick_tool(emulator, http_stack) as tool:
            with pytest.raises(TransportError):
                await tool.call({"image": IMAGE})


class TestProxies:
    """Finding 9: no proxy for plain http; for https a tunnel only; from environ=.

    On every stack: a transport the tool opens itself reads no proxy variable, so the
    settings' proxy (environ=, https only) must be given to it, and it alone.
    """

    async def test_plain_http_never_goes_through_a_proxy(
        self, emulator: RunningEmulator, http_stack: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async with loopback.serve() as proxy:
            variables = {
                name: proxy.url("")
                for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy")
            }
            for name, value in variables.items():
                monkeypatch.setenv(name, value)
            async with UsersSetPhoto(
                CANARY_TOKEN,
                base_url=emulator.base_url,
                environ=stack_environ(http_stack, **variables),
            ) as tool:
                assert stack_of(tool) == http_stack
                assert (await tool.call({"image": IMAGE}))["ok"] is True
        assert proxy.requests == []
        assert len(photo_requests(emulator)) == 1

    def test_a_client_given_a_proxy_for_plain_http_is_refused(self) -> None:
        # The settings never choose one (proxies.py); a SlackClient made directly must not
        # either: the proxy would read the token in the request it forwards.
        with pytest.raises(ValueError, match="https base_url only") as caught:
            SlackClient(
                base_url="http://127.0.0.1:9/api",
                user_agent="test",
                proxy="http://user:s3cretpw@127.0.0.1:3128",
            )
        assert "s3cret" not in str(caught.value)

    async def test_a_short_proxy_password_leaves_slacks_reply_alone(self) -> None:
        # The proxy sees a TLS tunnel only: its credentials are kept out of error texts and
        # log records, not looked for in Slack's reply, where a password such as "ok" took
        # the reply's "ok" key away (so every reply was "not a Slack reply").
        async def slack(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json={"ok": True, "user_id": "U1", "note": "ok"})

        async with httpx.AsyncClient(transport=httpx.MockTransport(slack)) as client:
            slack_client = SlackClient(
                base_url="https://slack.invalid/api",
                user_agent="test",
                http_client=client,
                proxy="http://user:ok@proxy.example:3128",
            )
            reply = await slack_client.call("auth.test", token=SlackToken(CANARY_TOKEN))
        assert reply.body == {"ok": True, "user_id": "U1", "note": "ok"}

    async def test_https_goes_through_the_environments_proxy_as_a_tunnel(
        self, http_stack: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async with loopback.serve() as proxy, loopback.serve() as process_proxy:
            monkeypatch.setenv("HTTPS_PROXY", process_proxy.url(""))
            proxy.on("slack.invalid:443", loopback.reply(502, b"no"))
            async with UsersSetPhoto(
                CANARY_TOKEN,
                base_url="https://slack.invalid/api",
                environ=stack_environ(http_stack, HTTPS_PROXY=proxy.url("")),
                max_retries=0,
            ) as tool:
                assert stack_of(tool) == http_stack
                with pytest.raises(TransportError) as caught:
                    await tool.call({"image": IMAGE})
        (request,) = proxy.requests
        assert (request.method, request.target) == ("CONNECT", "slack.invalid:443")
        assert request.header("authorization") is None
        assert process_proxy.requests == [], "environ= decides, not os.environ"
        assert CANARY_SECRET not in " ".join(texts_of_error(caught.value))

    async def test_no_proxy_is_honoured(self, http_stack: str) -> None:
        # A closed port on this machine: the direct connection is refused at once, and no
        # name is looked up beyond the hosts file (slack.invalid went to the resolver).
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        async with (
            loopback.serve() as proxy,
            UsersSetPhoto(
                CANARY_TOKEN,
                base_url=f"https://localhost:{closed}/api",
                environ=stack_environ(http_stack, HTTPS_PROXY=proxy.url(""), NO_PROXY="localhost"),
                max_retries=0,
            ) as tool,
        ):
            with pytest.raises(TransportError, match="could not reach Slack") as caught:
                await tool.call({"image": IMAGE})
        assert proxy.requests == []
        assert caught.value.reached is False

    @pytest.mark.parametrize(
        ("user", "password"),
        [("user", "pr0xyPass"), ("ap1KeyAsTheUser0123", "")],
        ids=["password", "key as the user name"],
    )
    async def test_a_proxys_refusal_echoing_its_password_shows_none_of_it(
        self, http_stack: str, user: str, password: str
    ) -> None:
        # The proxy's reason phrase reached error texts and run()'s result as it came, so a
        # proxy echoing the credentials it was sent had them shown; and a refused tunnel
        # was said to have reached Slack. Some proxies take a key as the user name and no
        # password (http://KEY:@proxy): the key is then the secret.
        secret = password or user
        pair = base64.b64encode(f"{user}:{password}".encode())

        async def echo(writer: asyncio.StreamWriter) -> None:
            writer.write(
                f"HTTP/1.1 407 no entry for {user}:{password} ".encode() + pair + b"\r\n"
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            await writer.drain()

        async with loopback.serve(None) as proxy:
            proxy.on("slack.invalid:443", echo)
            with_password = proxy.url("").replace("http://", f"http://{user}:{password}@")
            async with UsersSetPhoto(
                CANARY_TOKEN,
                base_url="https://slack.invalid/api",
                environ=stack_environ(http_stack, HTTPS_PROXY=with_password),
                max_retries=0,
            ) as tool:
                with pytest.raises(TransportError, match="could not reach Slack") as caught:
                    await tool.call({"image": IMAGE})
                result = await tool.run({"image": IMAGE})
        assert proxy.requests[0].header("proxy-authorization") == f"Basic {pair.decode()}"
        assert caught.value.reached is False
        for text in [*texts_of_error(caught.value), json.dumps(result)]:
            assert secret not in text
            assert pair.decode() not in text

    async def test_a_proxy_that_refuses_the_connection_was_not_reached(
        self, http_stack: str
    ) -> None:
        # aiohttp's ClientProxyConnectionError was taken for a proxy's refusal of the tunnel
        # ("may have taken effect"); httpx's own transport says ConnectError for this fault.
        async with loopback.serve() as gone:
            closed_port_proxy = gone.url("")
        async with UsersSetPhoto(
            CANARY_TOKEN,
            base_url="https://slack.invalid/api",
            environ=stack_environ(http_stack, HTTPS_PROXY=closed_port_proxy),
            max_retries=0,
        ) as tool:
            assert stack_of(tool) == http_stack
            with pytest.raises(TransportError, match="could not reach Slack") as caught:
                await tool.call({"image": IMAGE})
        assert caught.value.reached is False

    async def test_a_socks_proxy_is_refused_for_the_aiohttp_stack_at_construction(
        self, http_stack: str
    ) -> None:
        # aiohttp sent HTTP's CONNECT, the proxy's password in a header, to the SOCKS proxy,
        # and its refusal read as Slack's answer: "the request reached Slack".
        proxy = "socks5://user:s3cretpw@127.0.0.1:1080"
        if http_stack == "httpx":
            client = SlackClient(
                base_url="https://slack.invalid/api",
                user_agent="t",
                proxy=proxy,
                http_stack="httpx",
            )
            assert client.http_stack == "httpx"
            return
        with pytest.raises(ValueError, match="SOCKS") as caught:
            SlackClient(
                base_url="https://slack.invalid/api",
                user_agent="t",
                proxy=proxy,
                http_stack="aiohttp",
            )
        assert str(caught.value) == (
            "http_stack is 'aiohttp', which cannot go through a SOCKS proxy: use 'httpx' or "
            "'auto' (setting OCP_USERS_PHOTO_HTTP_STACK), or give an http proxy"
        )

    @pytest.mark.parametrize(
        "proxy",
        [
            "user:s3cretpw@proxy.example:3128",  # no scheme: httpx's ValueError quoted it whole
            "ftp://user:s3cretpw@proxy.example:21",
            "http://user:s3cretpw@proxy.example:99999",
            "http://user:s3cretpw@:3128",
            "http://user:s3cret pw@proxy.example:3128",
            "socks5://user:s3cretpw@proxy.example:1080",  # on a machine without socksio
        ],
    )
    def test_a_proxy_that_cannot_be_used_is_refused_at_construction_without_its_password(
        self, proxy: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Before: accepted, then every call (run() too) raised ValueError, ImportError or an
        # ExceptionGroup from inside the HTTP stack, some quoting the password.
        found = importlib.util.find_spec
        monkeypatch.setattr(
            importlib.util,
            "find_spec",
            lambda name, *rest: None if name == "socksio" else found(name, *rest),
        )
        with pytest.raises(ValueError, match="HTTPS_PROXY") as caught:
            UsersSetPhoto(
                CANARY_TOKEN,
                base_url="https://slack.invalid/api",
                environ={"HTTPS_PROXY": proxy},
            )
        assert "s3cret" not in str(caught.value)
        assert "http://proxy.example:3128" in str(caught.value), "it says what to give"


@contextlib.asynccontextmanager
async def a_big_upload(
    tmp_path: Path, megabytes: int
) -> AsyncIterator[tuple[Path, loopback.LoopbackServer]]:
    """A PNG file of ``megabytes`` MB, and a plain-http loopback server that answers its
    upload with Slack's ok; the test scripts how the server reads it."""
    path = tmp_path / "big.png"
    path.write_bytes(padded_png(megabytes * 1024 * 1024))
    async with loopback.serve() as server:
        server.on("/api/users.setPhoto", loopback.reply(200, b'{"ok": true}'))
        yield path, server


class TestUploadsThatGoWrong:
    """Whatever the stack: a stalled upload ends in time, a reset one may have taken effect."""

    async def test_a_stalled_upload_ends_within_the_attempts_timeout(
        self, http_stack: str, tmp_path: Path
    ) -> None:
        # aiohttp has no write timeout: only the attempt's own bound stops this upload.
        async with a_big_upload(tmp_path, 16) as (path, slow):
            slow.read_delay = 0.1
            async with UsersSetPhoto(
                CANARY_TOKEN,
                base_url=slow.base_url(),
                environ=stack_environ(http_stack),
                timeout=1,
                max_retries=0,
            ) as tool:
                assert stack_of(tool) == http_stack
                started = time.monotonic()
                with pytest.raises(TransportError, match="within the 1 s") as caught:
                    await tool.call({"image": path})
                elapsed = time.monotonic() - started
            assert slow.received_bytes < path.stat().st_size, "the upload had stalled"
        assert elapsed < 1.8, f"{elapsed:.2f} s"
        assert caught.value.reached is True

    async def test_a_connection_reset_mid_upload_may_have_taken_effect(
        self, http_stack: str, tmp_path: Path
    ) -> None:
        # httpx-aiohttp reports this as httpx.ConnectTimeout: the type alone would say
        # "could not reach Slack", which is false once the body began to go out.
        async with a_big_upload(tmp_path, 8) as (path, server):
            server.reset_after = 256 * 1024
            async with UsersSetPhoto(
                CANARY_TOKEN,
                base_url=server.base_url(),
                environ=stack_environ(http_stack),
                max_retries=0,
            ) as tool:
                assert stack_of(tool) == http_stack
                with pytest.raises(TransportError) as caught:
                    await tool.call({"image": path})
            assert server.resets == 1
        assert caught.value.reached is True
        assert "may have taken effect" in str(caught.value)
        assert "could not reach" not in str(caught.value)

    async def test_a_callers_aiohttp_client_gets_the_same_answer(self, tmp_path: Path) -> None:
        # httpx-aiohttp itself says ConnectTimeout for the reset; its aiohttp cause says more.
        from httpx_aiohttp import AiohttpTransport  # the test extras install it

        async with a_big_upload(tmp_path, 8) as (path, server):
            server.reset_after = 256 * 1024
            async with (
                httpx.AsyncClient(transport=AiohttpTransport()) as client,
                UsersSetPhoto(
                    CANARY_TOKEN, base_url=server.base_url(), client=client, max_retries=0
                ) as tool,
            ):
                with pytest.raises(TransportError) as caught:
                    await tool.call({"image": path})
            assert server.resets == 1
        assert "NetworkError" in str(caught.value)
        assert caught.value.reached is True
        assert "may have taken effect" in str(caught.value)

    async def test_a_connect_error_after_the_body_began_is_not_believed(self) -> None:
        # A transport that reports any dropped connection as a connect error (httpx-aiohttp
        # does, for errors without an aiohttp cause): once the body began to go out, the
        # request may have reached Slack whatever the error says.
        async def misreporting(request: httpx.Request) -> httpx.Response:
            async for _ in request.stream:  # type: ignore[union-attr]
                break
            raise httpx.ConnectTimeout("connection dropped")

        async with (
            httpx.AsyncClient(transport=httpx.MockTransport(misreporting)) as client,
            UsersSetPhoto(
                CANARY_TOKEN, base_url="http://127.0.0.1:9/api", client=client, max_retries=0
            ) as tool,
        ):
            with pytest.raises(TransportError) as caught:
                await tool.call({"image": IMAGE})
        assert caught.value.reached is True
        assert "may have taken effect" in str(caught.value)

    async def test_a_connection_that_never_opens_was_not_reached(self, http_stack: str) -> None:
        # The connect stalls: the stack gives it up before the attempt's own timeout, and the
        # error says nothing was sent (so does the attempt's timeout: test_protocol_fidelity).
        # The stack's connect gets 90% of the attempt: at 1 s, 0.1 s apart, a loaded machine
        # (load 2.6, a fresh-clone CI run) let the attempt's timeout fire first.
        with loopback.unanswered_port() as port:
            async with UsersSetPhoto(
                CANARY_TOKEN,
                base_url=f"http://127.0.0.1:{port}/api",
                environ=stack_environ(http_stack),
                max_retries=0,
                timeout=4.0,
            ) as tool:
                with pytest.raises(TransportError, match="could not reach Slack") as caught:
                    await tool.call({"image": IMAGE})
        assert "ConnectTimeout" in str(caught.value), "the connect stalled, it was not refused"
        assert "Nothing was sent" in str(caught.value)
        assert caught.value.reached is False

    async def test_a_refused_connection_was_not_reached(self, http_stack: str) -> None:
        async with loopback.serve() as server:
            closed_port_url = server.base_url()
        async with UsersSetPhoto(
            CANARY_TOKEN,
            base_url=closed_port_url,
            environ=stack_environ(http_stack),
            max_retries=0,
        ) as tool:
            with pytest.raises(TransportError, match="could not reach Slack") as caught:
                await tool.call({"image": IMAGE})
        assert caught.value.reached is False


class TestOneToolOnSeveralEventLoopsAtOnce:
    """A tool shared by threads that each run their own event loop (``asyncio.run`` per
    request, as sync frameworks do): each loop gets a stack of its own, kept while it runs."""

    async def test_every_call_from_every_loop_is_answered(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        # Before: the stack was replaced whenever a call came from another loop, and the
        # replaced one, collected, closed its connections under the calls still using them
        # (aiohttp: a raw "RuntimeError: Connection closed." for 3-10 calls in 40).
        async with quick_tool(emulator, http_stack, max_retries=0) as tool:

            def calls_on_a_loop_of_its_own() -> list[str]:
                async def calls() -> list[str]:
                    outcomes = []
                    for _ in range(10):
                        try:
                            reply = await tool.call({"image": IMAGE})
                            outcomes.append("ok" if reply["ok"] else repr(reply))
                        except Exception as error:
                            outcomes.append(f"{type(error).__name__}: {error}")
                    return outcomes

                return asyncio.run(calls())

            threads = [asyncio.to_thread(calls_on_a_loop_of_its_own) for _ in range(4)]
            outcomes = [each for some in await asyncio.gather(*threads) for each in some]
        assert [each for each in outcomes if each != "ok"] == []
        assert len(photo_requests(emulator)) == 40


class TestRedirectsAreNeverFollowed:
    """Finding 13: whatever client is passed, a redirect is no answer and is not followed."""

    @pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
    async def test_a_redirect_is_a_transport_error_with_one_request(
        self, emulator: RunningEmulator, status: int
    ) -> None:
        target = f"{emulator.base_url}/users.profile.get"
        inject(emulator, Fault.redirect(target, status_code=status))
        async with (
            httpx.AsyncClient(follow_redirects=True) as client,
            UsersSetPhoto(
                CANARY_TOKEN, base_url=emulator.base_url, client=client, environ={}
            ) as tool,
        ):
            with pytest.raises(TransportError, match=f"HTTP {status}"):
                await tool.call({"image": IMAGE})
        assert [request.path for request in emulator.requests.all()] == ["/api/users.setPhoto"]

    @pytest.mark.parametrize("status", [302, 307])
    async def test_the_tools_own_stack_follows_none_either(
        self, emulator: RunningEmulator, http_stack: str, status: int
    ) -> None:
        target = f"{emulator.base_url}/users.profile.get"
        inject(emulator, Fault.redirect(target, status_code=status))
        async with quick_tool(emulator, http_stack) as tool:
            with pytest.raises(TransportError, match=f"HTTP {status}"):
                await tool.call({"image": IMAGE})
        assert [request.path for request in emulator.requests.all()] == ["/api/users.setPhoto"]


class TestTheBaseUrl:
    """Finding 14: a base URL is checked whole when the tool is made."""

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.\t1/api",
            "http://127.0.0.1/a\npi",
            "https://slack.com/ api",
            "https://slack.com/api\x00",
            "https://sl\u00e4ck.com/api",
            "https://[::1/api",
            "",
        ],
    )
    def test_a_url_that_is_no_url_is_refused_at_construction(self, url: str) -> None:
        with pytest.raises(ValueError, match="base_url"):
            UsersSetPhoto(CANARY_TOKEN, base_url=url, environ={})


class TestServerTextIsBoundedAndClean:
    """Finding 12: server strings are capped and cleaned; image URLs are http(s)."""

    async def test_a_huge_error_string_makes_a_small_result(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        inject(
            emulator,
            Fault.json(
                {
                    "ok": False,
                    "error": "x" * 100_000,
                    "needed": "y" * 100_000,
                    "warning": "w," * 50_000,
                    "response_metadata": {"warnings": ["z" * 100_000] * 5},
                }
            ),
        )
        async with quick_tool(emulator, http_stack) as tool:
            result = await tool.run({"image": IMAGE})
        assert result["ok"] is False
        assert len(json.dumps(result)) < 4000
        assert len(result["error"]) <= 64

    async def test_escape_sequences_never_reach_a_terminal(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        inject(
            emulator,
            Fault.json({"ok": False, "error": "\x1b]52;c;aGk=\x07\x1b[2Jbad\r\x1b[31m"}),
        )
        async with quick_tool(emulator, http_stack) as tool:
            with pytest.raises(SlackApiError) as caught:
                await tool.call({"image": IMAGE})
        for text in (caught.value.message, caught.value.error, str(caught.value)):
            assert "\x1b" not in text
            assert "\x07" not in text
            assert "\r" not in text

    @pytest.mark.parametrize(
        "fault",
        [
            Fault.json({"ok": False, "error": "\x1b[2Jdown\r\x1b[31m"}, status_code=503),
            Fault.status(200, body=b"<html>", headers={"content-type": "text/html\x1b[2J\x07"}),
            Fault.status(200, body=b"<html>\x1b]52;c;aGk=\x07\x1b[2J\r</html>"),
        ],
        ids=["5xx slack code", "content-type", "body excerpt"],
    )
    async def test_escape_sequences_never_reach_a_transport_errors_text(
        self, emulator: RunningEmulator, http_stack: str, fault: Fault
    ) -> None:
        inject(emulator, fault, fault, fault)
        async with quick_tool(emulator, http_stack, max_retries=0) as tool:
            with pytest.raises(TransportError) as caught:
                await tool.call({"image": IMAGE})
        assert "HTTP" in str(caught.value)
        for control in ("\x1b", "\x07", "\r"):
            assert control not in str(caught.value)

    @pytest.mark.parametrize(
        "url",
        ["javascript:alert(1)", "file:///etc/passwd", "data:image/png;base64,AAAA", "ftp://a/b"],
    )
    async def test_an_image_url_must_be_http_or_https(
        self, emulator: RunningEmulator, http_stack: str, url: str
    ) -> None:
        reply = success_reply()
        reply["profile"]["image_192"] = url
        inject(emulator, Fault.json(reply))
        async with quick_tool(emulator, http_stack) as tool:
            with pytest.raises(ReplySchemaError) as caught:
                await tool.call({"image": IMAGE})
        assert [problem.path for problem in caught.value.problems] == ["$.profile.image_192"]

    async def test_schema_problems_are_bounded(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        # Each value a long text that is no URI: a validator quotes it in its message.
        long_text = "not a uri " * 5000
        profile = {key: long_text for key in success_reply()["profile"]}
        reply: dict[str, Any] = {"ok": True, "profile": profile}
        inject(emulator, Fault.json(reply))
        async with quick_tool(emulator, http_stack) as tool:
            result = await tool.run({"image": IMAGE})
        assert result["error"] == "invalid_reply"
        assert len(result["problems"]) <= 20
        assert len(json.dumps(result)) < 20_000


class TestSmallerFindings:
    """Finding 15: names that look like credentials, and replies that are no Slack reply."""

    def test_an_argument_named_like_a_token_is_not_kept(self) -> None:
        view = safe_view({CANARY_TOKEN: 1, "image": "me.png", "x" * 60: 2, "crop_x": 3})
        text = json.dumps(view)
        assert "xoxp" not in text
        assert CANARY_SECRET[:10] not in text
        assert view["crop_x"] == 3
        assert re.fullmatch(r"<argument \d+>", next(iter(view)))

    @pytest.mark.parametrize("body", [{"ok": "true"}, {"profile": {}}, {"ok": 1}])
    async def test_a_reply_without_a_boolean_ok_does_not_say_the_photo_was_set(
        self, emulator: RunningEmulator, http_stack: str, body: dict[str, Any]
    ) -> None:
        inject(emulator, Fault.json(body))
        async with quick_tool(emulator, http_stack) as tool:
            with pytest.raises(ReplySchemaError) as caught:
                await tool.call({"image": IMAGE})
        assert "probably" not in str(caught.value)
        assert "unknown" in str(caught.value)


async def test_a_bad_argument_is_refused_before_anything_is_sent(
    emulator: RunningEmulator,
    http_stack: str,
) -> None:
    async with quick_tool(emulator, http_stack) as tool:
        with pytest.raises(InvalidArguments):
            await tool.call({"image": IMAGE, CANARY_TOKEN: 1})
    assert emulator.requests.all() == []


def test_a_fault_while_aiohttp_is_half_imported_is_mapped_without_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another thread's first import of aiohttp puts the module in sys.modules before its
    # names exist; an attempt that times out then must not fail on aiohttp.ClientError.
    import sys
    import types

    from ocp_users_photo.slack.aiohttp_stack import httpx_error_of

    monkeypatch.setitem(sys.modules, "aiohttp", types.ModuleType("aiohttp"))
    assert httpx_error_of(TimeoutError()) is None
    timeout = httpx.ReadTimeout("slow")
    assert httpx_error_of(timeout) is timeout


class TestTrustedRootsAreLoadedOnlyWhereTlsIsUsed:
    """A plain-http base URL (the loopback emulator) never opens TLS: its client reads no
    certificate store (~17 ms of CPU each), and what it is given instead fails closed.
    (aiohttp's own import makes its default contexts once per process, whatever the client.)"""

    @staticmethod
    def counted_stores(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
        loaded: list[bool] = []
        real = httpx.create_ssl_context

        def counting(*args: Any, **kwargs: Any) -> Any:
            loaded.append(True)
            return real(*args, **kwargs)

        monkeypatch.setattr(httpx, "create_ssl_context", counting)
        return loaded

    async def test_a_plain_http_base_url_loads_no_certificate_store(
        self, emulator: RunningEmulator, http_stack: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        loaded = self.counted_stores(monkeypatch)
        async with quick_tool(emulator, http_stack) as tool:
            reply = await tool.call({"image": IMAGE})
            context = tool._slack._ssl_context
        assert reply["ok"] is True
        assert loaded == []
        assert context is not None, "the stack was opened with a context of its own"
        assert context.cert_store_stats()["x509_ca"] == 0, "one that trusts no roots"

    async def test_an_https_base_url_loads_it_once(
        self, http_stack: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        loaded = self.counted_stores(monkeypatch)
        with socket.socket() as closed:  # a port nothing listens on: the connect is refused
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        async with UsersSetPhoto(
            CANARY_TOKEN,
            base_url=f"https://127.0.0.1:{port}/api",
            environ=stack_environ(http_stack),
            max_retries=0,
        ) as tool:
            for _ in range(2):
                with pytest.raises(TransportError):
                    await tool.call({"image": IMAGE})
        assert loaded == [True]

    async def test_the_plain_http_context_refuses_a_tls_server(
        self, ca: trustme.CA, client_tls: ssl.SSLContext
    ) -> None:
        from ocp_users_photo.slack.stacks import loaded_for

        server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("localhost").configure_cert(server_tls)

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_tls)
        port = server.sockets[0].getsockname()[1]
        plain_http = await asyncio.to_thread(loaded_for, "httpx", None, False)
        async with server:
            _, trusted = await asyncio.open_connection(
                "127.0.0.1", port, ssl=client_tls, server_hostname="localhost"
            )
            trusted.close()  # the server is sound: a client that trusts its CA gets through
            with pytest.raises(ssl.SSLCertVerificationError):
                await asyncio.open_connection(
                    "127.0.0.1", port, ssl=plain_http, server_hostname="localhost"
                )

    async def test_a_base_url_not_plainly_http_gets_the_trusted_roots(
        self, http_stack: StackName
    ) -> None:
        # SlackClient is given its base URL as it is: yarl (aiohttp) reads one with a
        # leading space as https, and a context without roots would refuse every server.
        client = SlackClient(
            base_url=" https://127.0.0.1:9/api", user_agent="test", http_stack=http_stack
        )
        try:
            await client._owned_stack("auth.test")
            assert client._ssl_context is not None
            assert client._ssl_context.cert_store_stats()["x509_ca"] > 0
        finally:
            await client.aclose()


class TestWhatAReplyCanPutBeforeAModel:
    """A real call's result, not only the reply check: what run() hands a model."""

    async def test_a_hostile_envelope_reaches_run_bounded(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        escape = "\x1b]52;c;QUFB\x07\x1b[2J"
        reply = {
            **success_reply(),
            "warning": escape + "w" * 200_000,
            "response_metadata": {"warnings": [escape + "x" * 500] * 1000, "messages": ["m"]},
        }
        inject(emulator, Fault.json(reply))
        async with quick_tool(emulator, http_stack) as tool:
            result = await tool.run({"image": IMAGE})
        assert result["ok"] is True
        text = json.dumps(result)
        assert len(text) < 6000
        assert "\\u001b" not in text
        assert len(result["warning"]) <= 300
        assert result["response_metadata"] == {
            "warnings": [result["response_metadata"]["warnings"][0]] * 10
        }

    async def test_a_token_echoed_cut_short_is_masked_in_slacks_fields(
        self, emulator: RunningEmulator, http_stack: str
    ) -> None:
        """No exact form of the token is in a text cut at 60 characters: its shape is."""
        cut = CANARY_TOKEN[:60]
        inject(
            emulator,
            Fault.json(
                {
                    "ok": False,
                    "error": "missing_scope",
                    "needed": cut,
                    "provided": cut,
                    "warning": cut,
                }
            ),
        )
        async with quick_tool(emulator, http_stack) as tool:
            result = await tool.run({"image": IMAGE})
        assert result["error"] == "missing_scope"
        # Nothing but redaction marks: the piece of the secret, then the token's shape.
        assert result["needed"].startswith("[redacted]")
        assert result["needed"].replace("[redacted]", "") == ""
        assert not holds_part_of_the_token(json.dumps(result))


# Header values are Latin-1: these are its digits that are not ASCII ones.
@pytest.mark.parametrize("declared", ["\u00b2", "\u00b9\u00b3"])
async def test_a_content_length_of_non_ascii_digits_is_no_declared_size(declared: str) -> None:
    # Both shipped stacks refuse such a header; a caller's own transport may pass it on, and
    # str.isdigit() says True to it while int() fails: it used to escape as a bare ValueError.
    def answer(request: httpx.Request) -> httpx.Response:
        headers = [
            (b"content-length", declared.encode("latin-1")),
            (b"content-type", b"application/json"),
        ]
        return httpx.Response(200, headers=headers, content=json.dumps(success_reply()).encode())

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        tool = UsersSetPhoto(CANARY_TOKEN, client=client, environ={})
        reply = await tool.call({"image": make_image((600, 600))})
    assert reply["ok"] is True
