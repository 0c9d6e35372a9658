"""The download of the photo a change replaces (undo's keeping) against a host that
echoes the token in a malformed header line: no exception in the chain may hold it.

`raise ... from None` hides the HTTP stack's error from a printed traceback but keeps it
as the raised error's ``__context__``, where an error reporter or a debugger walking the
chain reads it: httpx's, httpcore's and h11's errors quoted the line whole, the token
with it (a review of 2026-12-05; the Slack API's own path already cleared its chain).
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from PIL.PngImagePlugin import PngInfo

from ocp_users_photo import UsersPhotoError, UsersSetPhoto
from ocp_users_photo.credentials import SecretTexts, SlackToken, appears_in, token_secret_forms
from tests.conftest import CANARY_TOKEN, make_image
from tests.test_secrets import holds_part_of_the_token, texts_of_error


def _png_holding(text: str) -> bytes:
    """A 600x600 PNG, square and big enough to keep, with ``text`` in a tEXt chunk."""
    info = PngInfo()
    info.add_text("Comment", text)
    return make_image(pnginfo=info)


async def _slack_and_image_host(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    original: bytes | None = None,
    paths: list[bytes] | None = None,
) -> None:
    """Slack's reads answered well, the photo's original with the token as a header line
    (or ``original``, a whole answer's body, when given); each path asked noted in ``paths``."""
    head = await reader.readuntil(b"\r\n\r\n")
    path = head.split(b" ")[1]
    if paths is not None:
        paths.append(path)
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length"):
            await reader.readexactly(int(line.split(b":")[1]))
    port = writer.get_extra_info("sockname")[1]
    if path.startswith(b"/img/") and original is not None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % len(original) + original
        )
    elif path.startswith(b"/img/"):
        writer.write(b"HTTP/1.1 200 OK\r\n" + CANARY_TOKEN.encode() + b"\r\n\r\n")
    else:
        images = {f"image_{n}": f"http://127.0.0.1:{port}/img/{n}.png" for n in (72, 512)}
        body = json.dumps(
            {
                "ok": True,
                "user_id": "U0REVIEW01",
                "team_id": "T0REVIEW01",
                "user": "review",
                "team": "review",
                "url": "https://review.slack.com/",
                "profile": {
                    **images,
                    "is_custom_image": True,
                    "image_original": f"http://127.0.0.1:{port}/img/original.png",
                    "avatar_hash": "abcdefabcdef",
                },
            }
        ).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body
        )
    await writer.drain()
    writer.close()


@pytest.mark.parametrize("stack", ["httpx", "aiohttp"])
async def test_a_token_echoed_by_the_originals_host_is_in_no_error_of_the_chain(
    tmp_path: Path, stack: str
) -> None:
    refused = await _keeping_refused(
        _slack_and_image_host, tmp_path, {"OCP_USERS_PHOTO_HTTP_STACK": stack}
    )
    assert refused.value.code == "previous_photo_not_kept"
    shown = texts_of_error(refused.value)
    assert len(shown) > 8, "the chain was walked"
    leaking = [text[:120] for text in shown if holds_part_of_the_token(text)]
    assert leaking == []


@pytest.mark.parametrize(
    "echo", [CANARY_TOKEN, CANARY_TOKEN.upper()[5:]], ids=["as-sent", "upper-case-unprefixed"]
)
async def test_a_photo_holding_the_token_is_not_kept_and_nothing_is_sent(
    tmp_path: Path, echo: str
) -> None:
    """A server that wrote the token it was given into the photo it names (a PNG's text
    chunk): kept, the history file held the token, and an undo sent it on."""
    paths: list[bytes] = []
    serve = functools.partial(_slack_and_image_host, original=_png_holding(echo), paths=paths)
    refused = await _keeping_refused(serve, tmp_path, {})
    assert refused.value.code == "previous_photo_not_kept"
    assert "holds this call's token" in refused.value.message
    assert b"/img/original.png" in paths  # downloaded, then refused
    assert not any(path.endswith(b"users.setPhoto") for path in paths)
    assert not holds_part_of_the_token(_history_files(tmp_path).decode("latin-1"))


async def _keeping_refused(
    serve: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    folder: Path,
    environ: dict[str, str],
) -> pytest.ExceptionInfo[UsersPhotoError]:
    """A change against ``serve`` (Slack and its image host) with keeping on, refused: how."""
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with UsersSetPhoto(
            CANARY_TOKEN,
            base_url=f"http://127.0.0.1:{port}/api",
            keep_previous=True,
            photo_history=folder / "history.sqlite3",
            environ=environ,
        ) as tool:
            with pytest.raises(UsersPhotoError) as refused:
                await tool.call({"image": make_image()})
    finally:
        server.close()
    return refused


def _history_files(folder: Path) -> bytes:
    """Every byte of the history and its side files (-wal, -shm)."""
    return b"".join(path.read_bytes() for path in folder.glob("history.sqlite3*"))


@pytest.mark.parametrize("rotated", [False, True], ids=["plain-token", "rotated-with-companions"])
def test_every_secret_form_is_found_in_image_bytes_in_any_case(rotated: bool) -> None:
    """Both ways ``appears_in`` searches: form by form (a plain token's few forms), and by
    the printable runs of the bytes (the hundred forms of a rotated token beside its
    refresh token and the app's secret)."""
    noise = random.Random(7).randbytes(200_000)
    if rotated:
        token = SlackToken(
            "xoxe.xoxp-1-Mi0yLTk5OTktbmV3YWNjZXNzdG9rZW5zZWNyZXRwYXJ0YWJjZGVmZ2hpamts",
            companions=SecretTexts(
                token_secret_forms("xoxe-1-My0xLTEyMzQtcmVmcmVzaHNlY3JldHJ1bnNsb25nZW5vdWdo"),
                ("f00dfacecafe1234beef5678abcd9012",),
            ),
        )
    else:
        # A secret of 16 characters: few enough forms (base64 ones included) to be
        # searched one by one.
        token = SlackToken("xoxp-1111111111-2222222222-3333333333-0123456789abcdef")
    secrets = token.secret_texts()
    assert (len(secrets.texts()) > 30) is rotated  # the way under test
    assert not appears_in(noise, secrets)
    for form in secrets.texts():
        for spelled in (form, form.upper()):
            planted = noise[:5000] + spelled.encode() + noise[5000:]
            assert appears_in(planted, secrets), form
    # Across the edge of the pieces the runs are found in (1 MiB each): still found.
    edge = 1024 * 1024
    for form in secrets.texts():
        cut = len(form) // 2
        planted = bytes(edge - cut) + form.encode() + bytes(1000)
        assert appears_in(planted, secrets), form
