"""The tool end to end over loopback HTTP: what reaches the wire, configuration, clients."""

from __future__ import annotations

import asyncio
import base64
import gc
import hashlib
import io
import itertools
import json
import logging
import os
import re
import struct
import sys
import tracemalloc
import zlib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocp_users_photo import InvalidArguments, TransportError, UsersSetPhoto, __version__
from ocp_users_photo.deferred_close import DeferredCloseFile
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.hints import HINTS
from ocp_users_photo.images import upload as upload_module
from ocp_users_photo.images.paths import READ_WHOLE_BYTES
from ocp_users_photo.settings import HTTP_STACK_VARIABLE
from tests import loopback
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests, shown_avatar_hash
from tests.http_stacks import stack_environ, stack_of


async def test_a_png_on_disk_reaches_slack_as_a_correct_multipart_upload(
    emulator: RunningEmulator, tool: UsersSetPhoto, tmp_path: Path
) -> None:
    data = make_image((800, 700))
    path = tmp_path / "portrait.png"
    path.write_bytes(data)

    reply = await tool.call({"image": str(path), "crop_x": 10, "crop_y": "20", "crop_w": 600})

    assert reply["ok"] is True
    assert reply["profile"]["avatar_hash"] == shown_avatar_hash(emulator)
    (request,) = emulator.requests.all()
    assert request.method == "POST"
    assert request.path == "/api/users.setPhoto"
    content_type = request.header("content-type") or ""
    assert re.fullmatch(r"multipart/form-data; boundary=[0-9a-f]+", content_type)
    assert request.header("authorization") == f"Bearer {CANARY_TOKEN}"
    # The library named is the one that sent (the [fast] extra's aiohttp when installed).
    library = "aiohttp" if stack_of(tool) == "aiohttp" else "httpx"
    agent = request.header("user-agent") or ""
    assert agent.startswith(f"ocp-users-photo/{__version__} python/")
    assert agent.endswith(f" {library}/{sys.modules[library].__version__}"), agent
    assert dict(request.form) == {"crop_x": "10", "crop_y": "20", "crop_w": "600"}
    (image,) = request.files
    assert (image.field_name, image.filename, image.content_type) == (
        "image",
        "portrait.png",
        "image/png",
    )
    assert (image.size, image.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert request.body is not None
    assert int(request.header("content-length") or 0) == len(request.body) == request.body_size
    # The token is in the Authorization header and nowhere else: not in the body, not a field.
    assert CANARY_TOKEN.encode() not in request.body
    assert [key for key, value in request.headers if CANARY_TOKEN in value] == ["authorization"]


async def test_no_crop_box_sends_no_crop_fields(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    await tool.call({"image": make_image((600, 600), "JPEG")})
    (request,) = photo_requests(emulator)
    assert dict(request.form) == {}
    image = request.file("image")
    assert image is not None
    assert (image.content_type, image.filename) == ("image/jpeg", "image.jpg")


async def test_invalid_arguments_send_nothing(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    for arguments in (
        {"image": make_image((600, 600)), "crop_x": 1},
        {"image": "https://example.com/a.png"},
        {"image": make_image((100, 100))},
        {"image": make_image((600, 600)), "token": "xoxb-1-2-3"},
        {"imag": make_image((600, 600))},
    ):
        with pytest.raises(InvalidArguments):
            await tool.call(arguments)
    assert emulator.requests.all() == []


async def test_the_problems_of_arguments_and_image_come_together(tool: UsersSetPhoto) -> None:
    with pytest.raises(InvalidArguments) as caught:
        await tool.call({"image": make_image((300, 300)), "crop_x": "a", "extra": 1})
    paths = sorted(problem.path for problem in caught.value.problems)
    assert paths == ["$.crop_w", "$.crop_x", "$.crop_y", "$.extra", "$.image"]
    assert isinstance(caught.value, ValueError)


async def test_an_upload_from_a_path_streams(tmp_path: Path) -> None:
    """A 20 MB file that needs no change never sits whole in memory."""
    path = tmp_path / "big.png"
    path.write_bytes(padded_png(20 * 1024 * 1024))
    small = tmp_path / "small.png"
    small.write_bytes(padded_png(64 * 1024))
    async with loopback.serve() as server:
        server.on("/api/users.setPhoto", loopback.reply(200, OK_REPLY, JSON))
        tool = UsersSetPhoto(CANARY_TOKEN, base_url=server.base_url(), environ={})
        # A first call loads what a call imports on first use (the HTTP stack, TLS, Pillow's
        # plugins): run alone, that would count too; only the second call is measured.
        await tool.call({"image": small})
        tracemalloc.start()
        try:
            await tool.call({"image": path})
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            await tool.aclose()
    assert server.received_bytes > 20 * 1024 * 1024 + 64 * 1024
    assert peak < 5 * 1024 * 1024, f"peak {peak} bytes while sending a 20 MB file"


JSON = [("Content-Type", "application/json")]
OK_REPLY = json.dumps({"ok": True}).encode()


def padded_png(total: int) -> bytes:
    """A valid 600x600 PNG grown to ``total`` bytes by a private chunk after its pixel data.

    (Pillow reads every chunk before the pixel data when it opens a PNG, so that is where
    a file's bulk must not be for the measurement to be about the upload.)
    """
    png = make_image((600, 600))
    filler = total - len(png) - 12
    payload = bytes(filler)
    chunk = (
        struct.pack(">I", filler)
        + b"prVt"
        + payload
        + struct.pack(">I", zlib.crc32(b"prVt" + payload) & 0xFFFFFFFF)
    )
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + chunk + png[iend:]


def test_configuration_from_the_environment() -> None:
    tool = UsersSetPhoto(
        environ={
            "SLACK_TOKEN": "xoxp-2",
            "SLACK_USER_TOKEN": "xoxp-1",
            "SLACK_API_URL": "http://127.0.0.1:1/api/",
        }
    )
    assert tool.base_url == "http://127.0.0.1:1/api"
    assert "from $SLACK_USER_TOKEN" in repr(tool)
    assert "from $SLACK_TOKEN" in repr(UsersSetPhoto(environ={"SLACK_TOKEN": "xoxp-2"}))
    assert UsersSetPhoto(environ={}).base_url == "https://slack.com/api"
    explicit = UsersSetPhoto(
        "xoxp-3", base_url="https://slack-gov.com/api", environ={"SLACK_API_URL": "x"}
    )
    assert explicit.base_url == "https://slack-gov.com/api"


async def test_a_token_argument_overrides_the_configured_token(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    await tool.call({"image": make_image(), "token": "xoxp-9-9-9-override"})
    assert photo_requests(emulator)[0].header("authorization") == "Bearer xoxp-9-9-9-override"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"reply_check": "loose"}, "reply_check must be one of"),
        ({"fit": "stretch"}, "fit must be one of"),
        ({"timeout": 0}, "timeout must be a number of seconds above 0, got 0"),
        ({"timeout": float("nan")}, "timeout must be a number"),
        # Past a float's reach: OverflowError ('int too large to convert to float'), which
        # named no setting; pydantic_ai_toolset's own timeout check said so already.
        (
            {"timeout": 10**400},
            "timeout must be a number of seconds above 0, got a 1329-bit integer",
        ),
        # Within a float's reach, below 0: quoted whole (301 digits) by the second check.
        (
            {"timeout": -(10**300)},
            "timeout must be a number of seconds above 0, got a 997-bit integer",
        ),
        ({"max_retries": -1}, "max_retries must be a whole number"),
        ({"max_retries": True}, "max_retries must be a whole number"),
        (
            {"max_retries": -(10**5000)},
            "max_retries must be a whole number 0 or more, got a 16610-bit",
        ),
        ({"max_retry_wait": -1}, "max_retry_wait must be a number of seconds 0 or more, got -1"),
        # A number of another type: "must be a number ... got a Decimal" said not what to give.
        ({"timeout": Decimal("2.5")}, "got a Decimal: give it as an int or a float"),
        ({"retry_backoff": Fraction(1, 2)}, "got a Fraction: give it as an int or a float"),
        ({"base_url": "ftp://slack.com/api"}, "must be an http(s) URL"),
        ({"base_url": "http://slack.example.com/api"}, "unencrypted"),
        ({"base_url": "https://user:pw@slack.com/api"}, "user name or password"),
        ({"base_url": "https://slack.com/api?x=1"}, "query or fragment"),
        ({"image_roots": ["/no/such/folder"]}, "not an existing folder"),
    ],
)
def test_bad_configuration_is_refused_at_construction(
    options: dict[str, object], says: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        UsersSetPhoto("xoxp-1", environ={}, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("found", "version"), [(False, None), (True, "3.13.3"), (True, "3.9.5"), (True, "x")]
)
def test_an_explicit_aiohttp_stack_that_cannot_serve_is_refused_at_construction(
    monkeypatch: pytest.MonkeyPatch, found: bool, version: str | None
) -> None:
    # Missing, or older than the first aiohttp that bounds a reply's header lines: the
    # tool is not built, and the message says what to install. (Read once per process: the
    # cache is cleared here, and filled again from the real installation after.)
    import importlib.metadata
    import importlib.util

    from ocp_users_photo.slack import stacks

    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        if name == "aiohttp" and not found:
            return None
        return real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(importlib.metadata, "version", lambda name: version)
    stacks._usable_aiohttp.cache_clear()
    try:
        with pytest.raises(
            ValueError, match=re.escape("not installed at 3.13.4 or later")
        ) as refused:
            UsersSetPhoto("xoxp-1", environ={HTTP_STACK_VARIABLE: "aiohttp"})
        assert stacks.EXTRA_ADVICE in str(refused.value)
        # "auto" (the default) takes httpx's transport instead, without a word.
        assert stack_of(UsersSetPhoto("xoxp-1", environ={})) == "httpx"
    finally:  # read again, from the real installation, before any event loop asks
        monkeypatch.undo()
        stacks._usable_aiohttp.cache_clear()
        stacks.aiohttp_installed()


def test_loopback_http_is_allowed_for_a_local_emulator() -> None:
    for url in ("http://127.0.0.1:8080/api", "http://localhost/api", "http://[::1]:9/api"):
        assert UsersSetPhoto("xoxp-1", base_url=url, environ={}).base_url == url


def test_a_single_image_root_may_be_given_alone(tmp_path: Path) -> None:
    assert UsersSetPhoto("xoxp-1", image_roots=tmp_path, environ={}).image_roots == (
        tmp_path.resolve(),
    )


async def test_a_callers_client_is_used_and_left_open(emulator: RunningEmulator) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(str(request.url))

    async with httpx.AsyncClient(event_hooks={"request": [hook]}) as client:
        async with UsersSetPhoto(
            CANARY_TOKEN, base_url=emulator.base_url, client=client, environ={}
        ) as tool:
            await tool.call({"image": make_image()})
        assert not client.is_closed
        assert seen == [f"{emulator.base_url}/users.setPhoto"]


async def test_the_tools_own_client_is_closed_by_aclose(emulator: RunningEmulator) -> None:
    tool = UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={})
    await tool.call({"image": make_image()})
    client = tool._slack._owned.get(asyncio.get_running_loop())
    assert client is not None
    assert not client.is_closed
    await tool.aclose()
    assert client.is_closed


async def test_a_call_after_aclose_opens_a_new_stack_which_aclose_closes_too(
    emulator: RunningEmulator, http_stack: str
) -> None:
    """README: a call after ``aclose()`` opens a new stack, so the tool is closed again."""
    tool = UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ=stack_environ(http_stack)
    )
    await tool.call({"image": make_image()})
    first = tool._slack._owned.get(asyncio.get_running_loop())
    await tool.aclose()
    assert (await tool.call({"image": make_image(color=(9, 9, 9))}))["ok"] is True
    second = tool._slack._owned.get(asyncio.get_running_loop())
    assert first is not None
    assert second is not None
    assert second is not first
    assert first.is_closed
    assert not second.is_closed
    await tool.aclose()
    assert second.is_closed
    assert len(photo_requests(emulator)) == 2


async def test_aclose_ends_a_call_still_waiting_for_its_answer(http_stack: str) -> None:
    # A program shutting down closes the tool while a call waits on a silent server: the
    # call ends then, as one whose answer never came (it may have acted), not at its timeout.
    answered = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)  # the request began to arrive
        answered.set()
        await reader.read()  # until the client goes; no answer
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        tool = UsersSetPhoto(
            CANARY_TOKEN,
            base_url=f"http://127.0.0.1:{port}/api",
            environ=stack_environ(http_stack),
            max_retries=0,
            timeout=60.0,
        )
        call = asyncio.create_task(tool.call({"image": make_image()}))
        await answered.wait()
        await tool.aclose()
        # The guard only stops a hang: without aclose's cut the call would wait 60 s.
        done, _ = await asyncio.wait({call}, timeout=20.0)
        assert done == {call}, "the call still waits after aclose"
        with pytest.raises(TransportError) as caught:
            call.result()
    assert caught.value.reached is True
    assert "may have taken effect" in str(caught.value)


def test_a_tool_never_closed_lets_go_of_its_stack_quietly(
    slack_emulator: RunningEmulator, http_stack: str, caplog: pytest.LogCaptureFixture
) -> None:
    # aiohttp complains on stderr about a session collected unclosed; httpx's client never did.
    # An earlier test's garbage (a task left pending on a stopped loop) is collected first:
    # only this tool's own collection is judged.
    gc.collect()
    caplog.clear()
    environ = stack_environ(http_stack)
    tool = UsersSetPhoto(CANARY_TOKEN, base_url=slack_emulator.base_url, environ=environ)
    assert asyncio.run(tool.call({"image": make_image()}))["ok"] is True
    assert asyncio.run(tool.call({"image": make_image()}))["ok"] is True  # a second loop
    with caplog.at_level(logging.WARNING):
        del tool
        gc.collect()
    assert [record.getMessage() for record in caplog.records] == []


def test_call_sync_runs_without_an_event_loop_and_again(slack_emulator: RunningEmulator) -> None:
    tool = UsersSetPhoto(CANARY_TOKEN, base_url=slack_emulator.base_url, environ={})
    replies = [tool.call_sync({"image": make_image()}) for _ in range(2)]
    assert [reply["ok"] for reply in replies] == [True, True]
    assert len(photo_requests(slack_emulator)) == 2


async def test_call_sync_inside_an_event_loop_says_to_await() -> None:
    with pytest.raises(RuntimeError, match=r"await tool\.call"):
        UsersSetPhoto(CANARY_TOKEN, environ={}).call_sync({"image": make_image()})


async def test_one_tool_serves_concurrent_calls(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    replies = await asyncio.gather(*(tool.call({"image": make_image()}) for _ in range(20)))
    assert all(reply["ok"] is True for reply in replies)
    assert {reply["profile"]["avatar_hash"] for reply in replies} == {shown_avatar_hash(emulator)}
    assert len(photo_requests(emulator)) == 20


async def test_debug_logs_summarise_each_attempt(
    emulator: RunningEmulator, tool: UsersSetPhoto, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="ocp_users_photo"):
        await tool.call({"image": make_image((640, 600)), "crop_x": 0, "crop_y": 0, "crop_w": 512})
    (record,) = [r for r in caplog.records if r.name == "ocp_users_photo"]
    text = record.getMessage()
    assert f"attempt 1/3: POST {emulator.base_url}/users.setPhoto" in text
    assert "image=PNG 640x600" in text
    assert re.search(r"\d+ bytes crop=x=0 y=0 w=512: HTTP 200 in \d+\.\d ms", text)


def expected_fingerprint(data: bytes) -> str:
    """images/upload.py's definition, restated: SHA-256 of the size, first and last 4 KB."""
    span = 4 * 1024
    material = len(data).to_bytes(8, "big") + data[:span] + data[-span:]
    return hashlib.sha256(material).hexdigest()[:12]


# Reading the header (Pillow's parse up to the pixel data, the last 4 KB for completeness)
# takes this much at most; anything more would be a second read of the file.
HEADER_READS = 64 * 1024


class CountingReader(DeferredCloseFile):
    """A file the tool opened whose ``read`` calls add their sizes to ``counted``."""

    counted: list[int]

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.counted.append(len(data))
        return data


def count_reads_of(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of what the tool reads of ``path`` from now on: whole when opened, or from
    the open file it streams (images/paths.py), in one list."""
    from ocp_users_photo.images import paths

    target = path.stat()
    counted: list[int] = []
    real_file, real_read_up_to = DeferredCloseFile, paths._read_up_to

    def is_target(descriptor: int) -> bool:
        status = os.fstat(descriptor)
        return (status.st_dev, status.st_ino) == (target.st_dev, target.st_ino)

    def opened(raw: io.RawIOBase) -> DeferredCloseFile:
        if not is_target(raw.fileno()):
            return real_file(raw)
        file = CountingReader(raw)
        file.counted = counted
        return file

    def read_up_to(descriptor: int, limit: int) -> bytes:
        data: bytes = real_read_up_to(descriptor, limit)
        if is_target(descriptor):
            counted.append(len(data))
        return data

    monkeypatch.setattr(paths, "DeferredCloseFile", opened)
    monkeypatch.setattr(paths, "_read_up_to", read_up_to)
    return counted


@pytest.mark.parametrize("size", ["small", "streamed"])
async def test_a_fingerprint_of_what_was_sent_without_reading_twice(
    tool: UsersSetPhoto, tmp_path: Path, size: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small file is read whole when opened; a larger one is fingerprinted as it streams.
    data = make_image((600, 600)) if size == "small" else padded_png(READ_WHOLE_BYTES + 99_999)
    path = tmp_path / "me.png"
    path.write_bytes(data)
    reads = count_reads_of(path, monkeypatch)
    for image in (path, data):
        _, summary = await tool.call_with_summary({"image": image}, digest=True)
        if image is path:  # the file's bytes were read once: none again for the fingerprint
            if size == "small":
                assert reads == [len(data)]
            else:
                assert len(data) <= sum(reads) <= len(data) + HEADER_READS
        assert summary == {
            "format": "PNG",
            "width": 600,
            "height": 600,
            "bytes": len(data),
            "fingerprint": expected_fingerprint(data),
        }
    _, other = await tool.call_with_summary({"image": make_image((601, 600))}, digest=True)
    assert other["fingerprint"] != expected_fingerprint(data)


async def test_a_retried_upload_is_fingerprinted_once_whole(
    emulator: RunningEmulator, tool: UsersSetPhoto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = padded_png(READ_WHOLE_BYTES + 99_999)
    path = tmp_path / "me.png"
    path.write_bytes(data)
    reads = count_reads_of(path, monkeypatch)
    inject(emulator, Fault.drop())  # the first attempt's reply is lost: the file is sent again
    _, summary = await tool.call_with_summary({"image": path}, digest=True)
    assert len(photo_requests(emulator)) == 2
    assert summary["fingerprint"] == expected_fingerprint(data)
    # Read once per attempt, never more: two attempts, two reads of the file.
    assert 2 * len(data) <= sum(reads) <= 2 * len(data) + HEADER_READS


async def test_run_takes_a_models_arguments_only_so_a_token_is_refused(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    result = await tool.run({"image": make_image(), "token": "xoxp-9-9-9-from-a-model"})
    assert result["ok"] is False
    assert result["error"] == "invalid_arguments"
    (problem,) = result["problems"]
    assert problem["path"] == "$.token"
    assert "takes image, crop_x, crop_y and crop_w" in problem["message"]
    assert "comes from the tool's own configuration: leave it out" in problem["message"]
    assert "xoxp-9-9-9-from-a-model" not in problem["message"]
    assert "xoxp-9-9-9-from-a-model" not in json.dumps(result)
    assert emulator.requests.all() == []


async def test_run_returns_the_reply_or_an_error_object(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    reply = await tool.run({"image": make_image()})
    assert reply["ok"] is True
    assert reply["profile"]["avatar_hash"] == shown_avatar_hash(emulator)
    emulator.faults.inject(
        Fault.json(
            {
                "ok": False,
                "error": "missing_scope",
                "needed": "users.profile:write",
                "provided": "users.profile:read",
            }
        )
    )
    assert await tool.run({"image": make_image()}) == {
        "ok": False,
        "error": "missing_scope",
        "message": "Slack refused users.setPhoto: missing_scope. " + HINTS["missing_scope"],
        "problems": [],
        "needed": "users.profile:write",
        "provided": "users.profile:read",
    }
    emulator.faults.inject(
        Fault.json(
            {"ok": False, "error": "ratelimited"}, status_code=429, headers={"Retry-After": "90"}
        )
    )
    limited = await tool.run({"image": make_image()})
    assert (limited["error"], limited["retry_after"]) == ("ratelimited", 90)


async def test_a_token_handed_over_for_one_call_is_never_swapped_for_the_tools_own(
    emulator: RunningEmulator,
) -> None:
    # An agent's headers= token that Slack calls expired fails the call: it is not
    # "renewed" into the token the tool's own source holds for the person.
    from ocp_users_photo.credentials import SlackToken
    from ocp_users_photo.errors import SlackApiError
    from ocp_users_photo.tokens import ActingPerson
    from ocp_users_photo.tool import TokenOverride

    class RenewingSource:
        description = "renewing"
        renewed = 0

        async def token_for(self, person: ActingPerson | None) -> SlackToken:
            return SlackToken(CANARY_TOKEN)

        async def renew(self, person: ActingPerson | None, expired: SlackToken) -> SlackToken:
            self.renewed += 1
            return SlackToken(CANARY_TOKEN)

    handed = "xoxp-1-2-handedover"
    source = RenewingSource()
    inject(emulator, Fault.json({"ok": False, "error": "token_expired"}))
    async with UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(SlackApiError, match="token_expired"):
            await tool.call_with_summary(
                {"image": make_image()},
                token_override=TokenOverride(handed, origin="the agent's headers"),
            )
    assert source.renewed == 0
    (request,) = photo_requests(emulator)
    assert request.header("authorization") == f"Bearer {handed}"


def test_a_token_handed_over_for_one_call_stays_out_of_its_repr() -> None:
    from ocp_users_photo.tool import TokenOverride

    handed = TokenOverride(CANARY_TOKEN, origin="the Authorization header of a call")
    secret = CANARY_TOKEN.split("-", 1)[1]
    assert secret not in repr(handed)
    assert secret not in str(handed)
    assert "the Authorization header of a call" in repr(handed)


async def test_what_observers_are_told_shows_no_token_or_image_in_its_repr(
    emulator: RunningEmulator,
) -> None:
    from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome

    told: list[str] = []

    class Recorder(CallObserver):
        async def call_started(self, call: CallInfo) -> None:
            told.append(repr(call))

        async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
            told.append(repr(call))

    data = make_image()
    async with UsersSetPhoto(
        None, base_url=emulator.base_url, environ={}, observers=[Recorder()]
    ) as tool:
        await tool.call({"image": data, "token": CANARY_TOKEN})
    assert len(told) == 2
    secret = CANARY_TOKEN.split("-", 1)[1]
    for text in told:
        assert "usersSetPhoto" in text
        assert secret not in text
        assert repr(data[:16])[2:-1] not in text


async def test_observers_are_given_a_safe_view_of_the_arguments(
    emulator: RunningEmulator,
) -> None:
    from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome

    seen: list[dict[str, object]] = []

    class Recorder(CallObserver):
        async def call_started(self, call: CallInfo) -> None:
            seen.append(dict(call.arguments))

        async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
            seen.append(dict(call.arguments))

    data = make_image()
    async with UsersSetPhoto(
        None, base_url=emulator.base_url, environ={}, observers=[Recorder()]
    ) as tool:
        await tool.call({"image": data, "token": CANARY_TOKEN, "crop_x": None})
    expected = {"image": f"<{len(data)} bytes>", "token": "[redacted]", "crop_x": "<NoneType>"}
    assert seen == [expected, expected]


def test_an_image_as_base64_text_is_told_as_text_never_as_a_piece_of_it() -> None:
    # base64's alphabet has "/": such a text is no path, and no piece of it is kept.
    from ocp_users_photo.argument_view import safe_view

    text = base64.b64encode(make_image()).decode()
    assert "/" in text, "the case in question: base64 with a /"
    assert len(text) <= 4096, "short enough to be a path's length"
    assert safe_view({"image": text}) == {"image": f"<text, {len(text)} characters>"}
    assert safe_view({"image": "file:///pictures/me%20too.png"}) == {"image": "<path me too.png>"}


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(min_value=0, max_value=40_000),
    reads=st.lists(st.integers(min_value=1, max_value=20_000), min_size=1, max_size=30),
)
def test_the_streamed_fingerprint_is_the_whole_files_however_it_is_read(
    size: int, reads: list[int]
) -> None:
    # The sampler copies only what reaches into the first and last 4 KB; read in any
    # pieces, rewound once as a retry does, it gives the fingerprint of the whole bytes.
    data = bytes((index * 7 + index // 251) % 256 for index in range(size))
    sampler = upload_module._SamplingFile(io.BytesIO(data), size)
    for _attempt in range(2):
        sampler.seek(0)
        got = b""
        for wanted in itertools.cycle(reads):
            piece = sampler.read(wanted)
            if not piece:
                break
            got += piece
        assert got == data
        assert sampler.fingerprint() == expected_fingerprint(data)
