"""The HTTP data path to Slack, reviewed as an attacker and for correctness (review 21).

Each test here failed before the fix it names (checked against the unfixed package).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ocp_users_photo import TransportError, UsersSetPhoto
from ocp_users_photo.credentials import SecretTexts, SlackToken
from ocp_users_photo.errors import may_have_taken_effect
from ocp_users_photo.slack import SlackClient
from ocp_users_photo.slack.replies import NO_SLACK_REPLY_ADVICE
from ocp_users_photo.slack.retry import RetryPolicy
from ocp_users_photo.slack.stacks import EXTRA_ADVICE, aiohttp_installed
from tests import loopback
from tests.conftest import CANARY_TOKEN, company_ca, make_image, success_reply
from tests.http_stacks import stack_environ, stack_of

IMAGE = make_image((600, 600))


def _slack_ok() -> loopback.Answer:
    body = json.dumps(success_reply()).encode()
    return loopback.reply(200, body, [("Content-Type", "application/json")])


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, ssl.SSLError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    sink.close()


@contextlib.asynccontextmanager
async def connect_proxy(server_tls: ssl.SSLContext | None) -> AsyncIterator[list[bytes]]:
    """A proxy that opens every CONNECT tunnel it is asked for, an https one (TLS to the
    proxy itself, as https://proxy.corp:3129 is) with ``server_tls``, else plain http;
    yields the request lines it saw, its port first."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ssl.SSLError, asyncio.IncompleteReadError, ValueError):
            head = await reader.readuntil(b"\r\n\r\n")
            seen.append(head.split(b"\r\n", 1)[0])
            host, _, port = head.split(b" ")[1].decode("ascii").rpartition(":")
            target_reader, target_writer = await asyncio.open_connection(host, int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(_pipe(reader, target_writer), _pipe(target_reader, writer))
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_tls)
    seen.append(str(server.sockets[0].getsockname()[1]).encode())
    try:
        yield seen
    finally:
        server.close()


class TestAnHttpsProxyBehindTheCompanyCa:
    """HTTPS_PROXY=https://... (TLS to the proxy) on a network whose CA the operator gave in
    SSL_CERT_FILE: ``auto`` picks httpx for such a proxy, whose transport verified the
    proxy's own certificate against certifi's store, never the operator's. Every call
    failed "the TLS certificate ... could not be verified ... set SSL_CERT_FILE", which was
    set (and certifi's store was read from disk on the event loop at each new tunnel)."""

    async def test_the_proxys_certificate_is_verified_against_the_operators_ca(
        self, http_stack: str, tmp_path: Path
    ) -> None:
        server_tls, bundle = company_ca(tmp_path)
        async with loopback.serve(server_tls) as slack, connect_proxy(server_tls) as seen:
            slack.on("/api/users.setPhoto", _slack_ok())
            environ = stack_environ(
                http_stack,
                HTTPS_PROXY=f"https://127.0.0.1:{seen[0].decode()}",
                SSL_CERT_FILE=str(bundle),
            )
            async with UsersSetPhoto(
                CANARY_TOKEN,
                base_url=slack.base_url(),
                environ=environ,
                max_retries=0,
                keep_previous=False,
            ) as tool:
                assert stack_of(tool) == http_stack
                result = await tool.run({"image": IMAGE})
        assert result["ok"] is True, result
        assert seen[1:] == [f"CONNECT 127.0.0.1:{slack.port} HTTP/1.1".encode()]
        assert [request.target for request in slack.requests] == ["/api/users.setPhoto"]


def _head_of_percent_signs(lines: int, *, in_names: bool = False) -> loopback.Answer:
    """Slack's ok answer after ``lines`` header lines of 8,000 percent signs each (in their
    values, or ``in_names``, in their names, 1,000 each): within aiohttp's bounds (128 lines
    of 8,190 bytes), past httpx's (100 KB) beyond a dozen."""
    body = json.dumps(success_reply()).encode()
    head = [
        (f"X-{number}-" + "%" * 1000, "1") if in_names else (f"X-Padding-{number}", "%" * 8000)
        for number in range(lines)
    ]
    return loopback.reply(200, body, [("Content-Type", "application/json"), *head])


class TestAHostileHeadIsSearchedOffTheLoop:
    """The reply's headers are searched for the token, escapes read back (a percent-escaped
    echo), before anything reads them. On the event loop, aiohttp's head of up to 1 MB of
    percent signs took that search 0.37 s (urllib's unquote raises and catches an error
    for each): every other task of the process stood still, at every such reply. A head
    over 64 KiB is searched in a worker thread, as a reply's body over it is decoded
    there; Slack's own head, a few hundred bytes, stays on the loop (no thread trip).
    Where the search ran is recorded, not timed."""

    @pytest.mark.skipif(not aiohttp_installed(), reason=EXTRA_ADVICE)
    @pytest.mark.parametrize(
        ("lines", "in_names", "off_the_loop"),
        # A head's size counts its names as well as its values: a server can put its bulk
        # in either, and names are searched for the token too (the mutation round of
        # session 22: with only values counted, 100 KB of names were searched on the loop).
        [(1, False, False), (100, False, True), (100, True, True)],
    )
    async def test_where_the_reply_head_is_searched(
        self, monkeypatch: pytest.MonkeyPatch, lines: int, in_names: bool, off_the_loop: bool
    ) -> None:
        from ocp_users_photo.slack import client as slack_client

        searched_in: list[threading.Thread] = []
        search = slack_client._headers_without

        def recorded(headers: httpx.Headers, secrets: SecretTexts) -> httpx.Headers:
            searched_in.append(threading.current_thread())
            return search(headers, secrets)

        monkeypatch.setattr(slack_client, "_headers_without", recorded)
        async with loopback.serve() as slack:
            slack.on("/api/users.setPhoto", _head_of_percent_signs(lines, in_names=in_names))
            async with UsersSetPhoto(
                CANARY_TOKEN,
                base_url=slack.base_url(),
                environ=stack_environ("aiohttp"),
                max_retries=0,
                keep_previous=False,
            ) as tool:
                assert stack_of(tool) == "aiohttp"
                result = await tool.run({"image": IMAGE})
        assert result["ok"] is True, result
        assert len(searched_in) == 1
        assert (searched_in[0] is not threading.current_thread()) is off_the_loop


def _oversized_reply(*, declared: bool) -> loopback.Answer:
    """Slack-shaped JSON of 2 MiB, past the 1 MiB a reply is read to: its Content-Length
    said, or the body ending when the connection closes."""
    body = b'{"ok":true,"padding":"' + b"a" * (2 << 20) + b'"}'
    return loopback.reply(200, body, [("Content-Type", "application/json")], length=declared)


class TestAReplyTooLargeToReadSaysWhatToDo:
    """A users.setPhoto whose answer was too large to read went whole to the server, which
    answered: the photo may have been set. The error said only "Slack's reply is larger
    than 1048576 bytes, more than a reply to users.setPhoto can need; reading stopped" (or
    "declares N bytes ...; not read"): neither what to check nor that the change may have
    been made, where every other answer that is no Slack reply says both."""

    @pytest.mark.parametrize("declared", [True, False], ids=["declared", "read-to-the-cap"])
    async def test_the_message_says_to_check_the_address_and_the_photo(
        self, http_stack: str, declared: bool
    ) -> None:
        async with loopback.serve() as slack:
            slack.on("/api/users.setPhoto", _oversized_reply(declared=declared))
            async with UsersSetPhoto(
                CANARY_TOKEN,
                base_url=slack.base_url(),
                environ=stack_environ(http_stack),
                max_retries=0,
                keep_previous=False,
            ) as tool:
                with pytest.raises(TransportError) as caught:
                    await tool.call({"image": IMAGE})
        said = str(caught.value)
        assert "1048576" in said, said
        assert may_have_taken_effect(caught.value), said
        assert said.endswith(NO_SLACK_REPLY_ADVICE), said

    async def test_a_read_says_nothing_changed(self, http_stack: str) -> None:
        async with loopback.serve() as slack:
            slack.on("/api/auth.test", _oversized_reply(declared=False))
            client = SlackClient(
                base_url=slack.base_url(),
                user_agent="review",
                http_stack="httpx" if http_stack == "httpx" else "aiohttp",
                retry=RetryPolicy(max_retries=0),
            )
            try:
                with pytest.raises(TransportError) as caught:
                    await client.call("auth.test", token=SlackToken(CANARY_TOKEN))
            finally:
                await client.aclose()
        said = str(caught.value)
        assert "auth.test only reads, so nothing changed: check the Slack address" in said, said
