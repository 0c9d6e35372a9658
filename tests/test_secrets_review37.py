"""Three ways the token slipped past redaction, found by the review of 2026-12-06:

- a reply in UTF-16 or UTF-32, which JSON readers take (``json.loads`` does): the search
  for the token's forms ran on the bytes as they came, where every ASCII character has
  NULs beside it, so nothing was found and nothing redacted (a reply that is no JSON was
  quoted with NULs shown as "?", the token readable between them);
- base64 of the token wrapped across lines whose indent is JSON's escaped tab (``\\t``);
- a ``token=`` argument, when a refusal quotes the caller's words (a path) holding it.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import pickle
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import pytest
from PIL import Image

from ocp_users_photo import UsersPhotoError, UsersSetPhoto

TOKEN = "xoxp-1234567890-1234567890123-0123456789abcdef0123456789abcdef"
SECRET = TOKEN.rsplit("-", 1)[1]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (512, 512), "red").save(out, "PNG")
    return out.getvalue()


@asynccontextmanager
async def _answering(
    body: bytes,
    content_type: bytes = b"application/json",
    *,
    headers: tuple[tuple[str, str], ...] = (),
    requests: list[bytes] | None = None,
) -> AsyncIterator[str]:
    """A server on loopback that answers every request with ``body`` (and ``headers``); its
    API's URL. Each request's head goes into ``requests`` when given."""
    extra = b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        if requests is not None:
            requests.append(head)
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                await reader.readexactly(int(line.split(b":", 1)[1]))
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s"
            b"Connection: close\r\n\r\n%s" % (content_type, len(body), extra, body)
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/api"
    finally:
        server.close()


def _everything_said(error: UsersPhotoError) -> str:
    """All an error holds and says, as a log, a pickle or an error reporter would see it."""
    copied = pickle.loads(pickle.dumps(error))
    return " ".join((str(error), repr(error), repr(vars(error)), repr(vars(copied))))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
async def test_a_refusal_in_utf16_or_utf32_is_redacted(encoding: str) -> None:
    reply = {
        "ok": False,
        "error": "invalid_auth",
        "warning": "echo " + SECRET,
        "response_metadata": {"messages": ["got " + TOKEN]},
    }
    async with (
        _answering(json.dumps(reply).encode(encoding)) as url,
        UsersSetPhoto(TOKEN, base_url=url, max_retries=0, environ={}) as tool,
    ):
        with pytest.raises(UsersPhotoError) as raised:
            await tool.call({"image": _png()})
        told: dict[str, Any] = await tool.run({"image": _png()})
    assert raised.value.code == "invalid_auth"  # the reply was read
    said = _everything_said(raised.value)
    assert "echo " in said
    assert SECRET not in said
    assert SECRET not in json.dumps(told)


async def test_a_success_in_utf32_is_redacted() -> None:
    reply = {"ok": True, "profile": {"image_24": f"https://a.example/{SECRET}.png"}}
    async with (
        _answering(json.dumps(reply).encode("utf-32")) as url,
        UsersSetPhoto(TOKEN, base_url=url, max_retries=0, environ={}, reply_check="warn") as tool,
    ):
        answer = await tool.call({"image": _png()})
    assert answer["ok"] is True
    assert SECRET not in repr(answer)


async def test_a_body_in_utf16_that_is_no_json_is_quoted_without_the_token() -> None:
    body = ("bad token " + TOKEN).encode("utf-16-le")
    async with (
        _answering(body, b"text/plain") as url,
        UsersSetPhoto(TOKEN, base_url=url, max_retries=0, environ={}) as tool,
    ):
        with pytest.raises(UsersPhotoError) as raised:
            await tool.call({"image": _png()})
    said = str(raised.value)
    assert "bad token" in said  # quoted, its NULs left out
    assert SECRET not in said.replace("?", "")


async def test_wrapped_base64_indented_with_a_json_tab_is_redacted() -> None:
    encoded = base64.b64encode(TOKEN.encode()).decode()
    wrapped = f"saw {encoded[:60]}\n\t{encoded[60:]}"  # json.dumps writes \n and \t
    reply = {"ok": False, "error": "invalid_auth", "warning": wrapped}
    async with (
        _answering(json.dumps(reply).encode()) as url,
        UsersSetPhoto(TOKEN, base_url=url, max_retries=0, environ={}) as tool,
    ):
        with pytest.raises(UsersPhotoError) as raised:
            await tool.call({"image": _png()})
    said = _everything_said(raised.value)
    assert encoded[:60] not in said
    assert encoded[60:] not in said


# ASCII letters, digits and "-" as their full-width forms (U+FF01..U+FF5E).
_FULL_WIDTH: Final = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}


async def _refusal_quoting(path: str, token: object) -> str:
    """All a refusal of a call with ``token=`` says, when it quotes the image's path."""
    async with UsersSetPhoto(base_url="http://127.0.0.1:9/api", environ={}) as tool:
        with pytest.raises(UsersPhotoError) as raised:
            await tool.call({"image": path, "token": token})
    said = _everything_said(raised.value)
    assert "no file at" in said
    return said


@pytest.mark.parametrize("hyphen", ["-", "\u2010"])
async def test_a_token_argument_is_kept_out_of_a_refusal_quoting_a_path(hyphen: str) -> None:
    assert SECRET not in await _refusal_quoting(f"/nonexistent/{hyphen}{SECRET}.png", TOKEN)


@pytest.mark.parametrize(
    "given",
    [
        TOKEN.encode(),
        bytearray(TOKEN.encode()),
        memoryview(TOKEN.encode()),
        TOKEN.replace("-", "\u2010"),
        TOKEN.replace("-", "\u2212"),
        TOKEN.replace("-", "\u02d7"),
        TOKEN.translate(_FULL_WIDTH),
    ],
    ids=[
        "bytes",
        "bytearray",
        "memoryview",
        "look-alike hyphens",
        "minus signs",
        "modifier minus signs",
        "full-width letters",
    ],
)
async def test_a_token_argument_in_another_shape_is_kept_out_too(given: object) -> None:
    # Refused as no usable token, and quoted beside the path: its secret is found all the
    # same (the review of the fix found bytes and look-alike hyphens let through).
    assert SECRET not in await _refusal_quoting(f"/tmp/{SECRET}.png", given)


def test_a_token_typed_as_a_plain_http_host_is_not_echoed() -> None:
    from ocp_users_photo.settings import check_base_url

    with pytest.raises(ValueError, match="uses plain http to") as refused:
        check_base_url(f"http://{TOKEN}/api", origin="SLACK_API_URL")
    assert SECRET not in str(refused.value)


async def test_a_short_token_argument_cuts_nothing_out_of_the_refusal() -> None:
    # "image" is no token: redacted, every "image" of the refusal went.
    said = await _refusal_quoting("/tmp/nope/image.png", "image")
    assert "'/tmp/nope/image.png'" in said
