"""The call's stated bounds against a slow or hostile Slack.

README, "The bounds every call keeps": "the whole call, retries and Retry-After waits
included | 120 s | deadline=". These tests give the tool ``timeout=1, deadline=3`` and a
loopback server that stays within what Slack may do, and expect the call to end within
the deadline plus 20%.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.errors import UsersPhotoError
from ocp_users_photo.tokens import StaticToken
from ocp_users_photo.undo import PhotoHistory

DEADLINE = 3.0
SLACK = 1.2
STACKS = ["httpx", "aiohttp"]
AUTH_TEST = {
    "ok": True,
    "user_id": "U1",
    "team_id": "T1",
    "user": "u",
    "team": "t",
    "url": "https://t.slack.com/",
}
REFRESH_TIMEOUT = 6.0
REFRESH_SECONDS = 2.9


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (512, 512), "blue").save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


def _json(writer: asyncio.StreamWriter, status: str, body: dict[str, Any], extra: str = "") -> None:
    data = json.dumps(body).encode()
    writer.write(
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(data)}\r\n\r\n".encode()
        + data
    )


class _Server:
    def __init__(self, script) -> None:  # type: ignore[no-untyped-def]
        self.script = script
        self.seen: list[str] = []
        self.port = 0
        self.tasks: set[asyncio.Task[None]] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            path = lines[0].split()[1].decode()
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in lines
                    if line.lower().startswith(b"content-length")
                ),
                0,
            )
            await reader.readexactly(length)
            self.seen.append(path)
            await self.script(self, path, writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self.tasks.discard(task)
            writer.close()


def png_file_reply(writer: asyncio.StreamWriter) -> None:
    """The original's download: the test PNG."""
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n" % len(PNG) + PNG
    )


def rate_limited_reply(writer: asyncio.StreamWriter, seconds: int) -> None:
    _json(
        writer,
        "429 Too Many Requests",
        {"ok": False, "error": "ratelimited"},
        f"Retry-After: {seconds}\r\n",
    )


def profile_reply(server: _Server) -> dict[str, Any]:
    """users.profile.get: a photo of the person's own, its original on this server."""
    return {
        "ok": True,
        "profile": {
            "is_custom_image": True,
            "avatar_hash": "abc123def456",
            "image_original": f"http://127.0.0.1:{server.port}/original.png",
        },
    }


async def keeping_call_seconds(  # type: ignore[no-untyped-def]
    script, image: Path, tmp_path: Path, **options: Any
) -> tuple[float, list[str]]:
    """How long a call with keeping on (timeout=1, deadline=DEADLINE) took against
    ``script``'s server, and the paths the server saw; the tool is opened beforehand."""
    measured: tuple[float, list[str]] | None = None
    async for server in _serve(script):  # runs once, then closes the server
        async with UsersSetPhoto(
            "xoxp-1-review",
            base_url=f"http://127.0.0.1:{server.port}/api",
            timeout=1,
            deadline=DEADLINE,
            keep_previous=True,
            photo_history=PhotoHistory(tmp_path / "history.db"),
            **options,
        ) as tool:
            async with tool.prepare({"image": str(image)}):
                pass
            started = time.monotonic()
            with contextlib.suppress(UsersPhotoError):
                await asyncio.wait_for(tool.call({"image": str(image)}), 60)
            measured = time.monotonic() - started, server.seen
    assert measured is not None, "the server did not start"
    return measured


async def _serve(script) -> AsyncIterator[_Server]:  # type: ignore[no-untyped-def]
    server = _Server(script)
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.port = listening.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        for task in list(server.tasks):
            task.cancel()
        listening.close()


class _RenewingSource:
    """A token source whose renew gives a fresh token at once."""

    description = "review"

    async def token_for(self, person: object) -> object:
        return await StaticToken("xoxp-1-first", origin="review").token_for(None)

    async def renew(self, person: object, expired: object) -> object:
        return await StaticToken("xoxp-1-second", origin="review").token_for(None)


@pytest.mark.parametrize("http_stack", STACKS)
async def test_a_renewed_token_does_not_start_the_deadline_again(
    http_stack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """429 (Retry-After: 2) then token_expired, renew, then 429 (Retry-After: 2) then ok:
    each half stays within the 3 s deadline, the whole call took ~4.5-5.5 s."""
    monkeypatch.setenv("OCP_USERS_PHOTO_HTTP_STACK", http_stack)
    image = tmp_path / "me.png"
    image.write_bytes(PNG)

    async def script(server: _Server, path: str, writer: asyncio.StreamWriter) -> None:
        step = len(server.seen)
        if step in (1, 3):
            rate_limited_reply(writer, 2)
        elif step == 2:
            _json(writer, "200 OK", {"ok": False, "error": "token_expired"})
        else:
            _json(writer, "200 OK", {"ok": True})

    async for server in _serve(script):
        async with UsersSetPhoto(
            _RenewingSource(),  # type: ignore[arg-type]
            base_url=f"http://127.0.0.1:{server.port}/api",
            timeout=1,
            deadline=DEADLINE,
            max_retries=3,
            max_retry_wait=5,
        ) as tool:
            async with tool.prepare({"image": str(image)}):  # image modules loaded first
                pass
            started = time.monotonic()
            with contextlib.suppress(UsersPhotoError):
                await tool.call({"image": str(image)})
            elapsed = time.monotonic() - started
        assert elapsed <= DEADLINE * SLACK, (elapsed, server.seen)


@pytest.mark.parametrize("mode", ["stall", "trickle"])
async def test_keeping_the_shown_photo_stays_within_the_calls_deadline(
    mode: str, tmp_path: Path
) -> None:
    """keep_previous=True: the original's download (undo/shown_photo.py) has its own fixed
    30 s total and 10 s read timeout, whatever timeout= and deadline= say."""
    image = tmp_path / "me.png"
    image.write_bytes(PNG)

    async def script(server: _Server, path: str, writer: asyncio.StreamWriter) -> None:
        if path.endswith("auth.test"):
            _json(writer, "200 OK", AUTH_TEST)
        elif path.endswith("users.profile.get"):
            _json(writer, "200 OK", profile_reply(server))
        elif path == "/original.png":
            if mode == "stall":
                await asyncio.sleep(3600)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n"
                b"Content-Length: %d\r\n\r\n" % len(PNG)
            )
            for index in range(len(PNG)):
                writer.write(PNG[index : index + 1])
                await writer.drain()
                await asyncio.sleep(1)
        else:
            _json(writer, "200 OK", {"ok": True})

    elapsed, seen = await keeping_call_seconds(script, image, tmp_path)
    assert elapsed <= DEADLINE * SLACK, (elapsed, seen)


# httpx's own transport says "Server disconnected without sending a response" of a head
# cut short as of no answer at all (a keep-alive connection the server had closed, which
# is sent again by design): that one case cannot be told apart, and is not listed here.
ANSWERS_BEGUN = [
    pytest.param(stack, answer, id=f"{name}-{stack}")
    for name, answer in [
        ("head-cut-short", b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"),
        ("bad-status-line", b"HTTP/1.1 2OO OK\r\n\r\n"),  # a status line that is none
        ("too-many-headers", b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 20000),
    ]
    for stack in STACKS
    if (name, stack) != ("head-cut-short", "httpx")
]


@pytest.mark.parametrize(("http_stack", "answer"), ANSWERS_BEGUN)
async def test_an_upload_whose_answer_began_is_not_sent_again(
    http_stack: str, answer: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: a photo change is sent again only when "the connection dropped before any
    answer began"; "once Slack had the whole upload ... or had begun to answer, the call
    ends at once". Here the server read the whole upload and began to answer (bytes of a
    status line and headers came back): the upload went 3 times."""
    monkeypatch.setenv("OCP_USERS_PHOTO_HTTP_STACK", http_stack)
    image = tmp_path / "me.png"
    image.write_bytes(PNG)

    async def script(server: _Server, path: str, writer: asyncio.StreamWriter) -> None:
        writer.write(answer)

    async for server in _serve(script):
        async with UsersSetPhoto(
            "xoxp-1-review", base_url=f"http://127.0.0.1:{server.port}/api", timeout=2
        ) as tool:
            with pytest.raises(UsersPhotoError):
                await tool.call({"image": str(image)})
        assert server.seen == ["/api/users.setPhoto"]


async def test_each_slack_method_of_one_change_gets_a_deadline_of_its_own(tmp_path: Path) -> None:
    """keep_previous=True, the original served at once: auth.test and users.profile.get each
    time out twice (1 s each; reads are sent again) and answer the third time, then
    users.setPhoto meets a 429 with Retry-After: 2. Each Slack request stays within 3 s;
    the call took ~5.5 s against deadline=3."""
    image = tmp_path / "me.png"
    image.write_bytes(PNG)
    counts: dict[str, int] = {}

    async def script(server: _Server, path: str, writer: asyncio.StreamWriter) -> None:
        counts[path] = counts.get(path, 0) + 1
        if path.startswith("/api/") and counts[path] < 2 and not path.endswith("setPhoto"):
            await asyncio.sleep(3600)
        if path.endswith("auth.test"):
            _json(writer, "200 OK", AUTH_TEST)
        elif path.endswith("users.profile.get"):
            _json(writer, "200 OK", profile_reply(server))
        elif path == "/original.png":
            png_file_reply(writer)
        elif counts[path] == 1:
            rate_limited_reply(writer, 2)
        else:
            _json(writer, "200 OK", {"ok": True})

    elapsed, seen = await keeping_call_seconds(script, image, tmp_path, max_retries=2)
    assert elapsed <= DEADLINE * SLACK, (elapsed, seen)


@pytest.mark.parametrize(("lists", "off_the_loop"), [(10, False), (340_000, True)])
async def test_a_big_reply_is_decoded_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lists: int, off_the_loop: bool
) -> None:
    """A 1 MiB reply (under the cap) of 340,000 empty lists: parsing it and walking its
    nesting on the event loop held every other task ~1 s. Decoded in a worker thread
    above 64 KiB; a reply of Slack's usual size is decoded on the loop (no thread trip).
    Where decode_reply ran is recorded, not timed."""
    from ocp_users_photo.slack import client as slack_client
    from ocp_users_photo.slack.replies import decode_reply

    image = tmp_path / "me.png"
    image.write_bytes(PNG)
    body = b'{"ok":true,"x":[' + b",".join([b"[]"] * lists) + b"]}"
    assert len(body) < 1024 * 1024

    async def script(server: _Server, path: str, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body
        )

    decoded_in: list[threading.Thread] = []
    decode = decode_reply

    def recorded(*args: Any, **kwargs: Any) -> Any:
        decoded_in.append(threading.current_thread())
        return decode(*args, **kwargs)

    monkeypatch.setattr(slack_client, "decode_reply", recorded)
    async for server in _serve(script):
        async with UsersSetPhoto(
            "xoxp-1-review", base_url=f"http://127.0.0.1:{server.port}/api", timeout=5
        ) as tool:
            with contextlib.suppress(UsersPhotoError):
                await tool.call({"image": str(image)})
    assert len(decoded_in) == 1
    assert (decoded_in[0] is not threading.current_thread()) is off_the_loop


async def test_a_refresh_before_the_call_counts_against_the_calls_deadline(tmp_path: Path) -> None:
    """An InstallationTokenSource whose person's token expires within the margin: the
    refresh (oauth.v2.access) is never cut short (an answer lost is the person's token
    lost; its own timeout bounds it), but it counts against the tool's deadline=3: a
    refresh answered in 2.9 s leaves the change 0.1 s, not its 1 s timeout."""
    from slack_sdk.oauth.installation_store import Installation
    from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

    from ocp_users_photo.installations import InstallationTokenSource

    image = tmp_path / "me.png"
    image.write_bytes(PNG)

    async def script(server: _Server, path: str, writer: asyncio.StreamWriter) -> None:
        if path.endswith("oauth.v2.access"):  # answered, slowly: most of the deadline
            await asyncio.sleep(REFRESH_SECONDS)
            _json(
                writer,
                "200 OK",
                {
                    "ok": True,
                    "token_type": "user",
                    "access_token": "xoxe.xoxp-1-new",
                    "refresh_token": "xoxe-1-new",
                    "expires_in": 43200,
                    "scope": "users.profile:write",
                },
            )
        elif path.endswith("auth.test"):  # the new token's owner, confirmed at once
            _json(writer, "200 OK", {"ok": True, "user_id": "U1", "team_id": "T1"})
        else:
            await asyncio.sleep(3600)  # the change itself: never answered

    store = SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id="111.222")
    store.save(
        Installation(
            app_id="A1",
            team_id="T1",
            user_id="U1",
            user_token="xoxe.xoxp-1-old",
            user_refresh_token="xoxe-1-refresh",
            user_token_expires_at=int(time.time()) + 10,
            user_scopes=["users.profile:write"],
        )
    )
    async for server in _serve(script):
        base = f"http://127.0.0.1:{server.port}/api"
        async with (
            InstallationTokenSource(
                store,
                client_id="111.222",
                client_secret="secret",
                base_url=base,
                timeout=REFRESH_TIMEOUT,
            ) as source,
            UsersSetPhoto(source, base_url=base, timeout=1, deadline=DEADLINE) as tool,
        ):
            started = time.monotonic()
            with contextlib.suppress(UsersPhotoError):
                await asyncio.wait_for(
                    tool.acting_as(team_id="T1", user_id="U1").call({"image": str(image)}), 60
                )
            elapsed = time.monotonic() - started
        assert server.seen[0] == "/api/oauth.v2.access", server.seen
        # Before, the change had its whole timeout after the refresh: 2.9 + 1 s.
        assert elapsed <= DEADLINE * SLACK, (elapsed, server.seen)
