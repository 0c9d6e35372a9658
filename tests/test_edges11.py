"""Loose ends at the edges (review 11): Slack replies and web images.

A non-2xx HTTP reply whose JSON body carries no Slack error code says the status it got,
whether the photo may have been set, and what to do, on both HTTP stacks. A web image's
body is held once: the download does not end in a second full copy of it. A batch's ids
are answered as the MCP SDK reads a single request's (RequestId: a strict int or a text).
"""

from __future__ import annotations

import itertools
import json
import ssl
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from ocp_users_photo import SlackApiError, TransportError, UsersPhotoError
from ocp_users_photo.cli import next_step_for
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import may_have_taken_effect
from ocp_users_photo.hints import UNKNOWN_CODE_HINT
from ocp_users_photo.web_image import UrlPolicy, fetch_image
from tests.conftest import CANARY_TOKEN, inject, photo_requests
from tests.loopback import chunked, serve
from tests.test_mcp_batch import PING_8
from tests.test_mcp_wire_requests import PING_8_ANSWER, wire_server
from tests.test_reply import interpret
from tests.test_secrets import holds_part_of_the_token, texts_of_error
from tests.test_slack_client_hardening import IMAGE, quick_tool

# Each carries words of its own, which no message quotes: a front server's body is not
# Slack's, and is neither bounded nor known to be free of the token.
BODY_WORDS = "bad gateway, upstream said so"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, {"ok": False, "message": BODY_WORDS}),
        (403, {"message": BODY_WORDS}),
        (401, {"ok": False, "error": "", "message": BODY_WORDS}),
        (404, {"ok": True, "message": BODY_WORDS}),
        (400, {"ok": False, "error": 7, "detail": BODY_WORDS}),
    ],
    ids=["403 ok false", "403 no ok", "401 empty code", "404 ok true", "400 code no text"],
)
async def test_a_4xx_without_a_slack_code_says_its_status_that_nothing_changed_and_what_to_do(
    emulator: RunningEmulator, http_stack: str, status: int, body: dict[str, Any]
) -> None:
    """Slack's API answers its refusals with an error code: a 4xx without one is a server
    on the way (a proxy, a gateway) refusing the request before Slack handled it."""
    inject(emulator, Fault.json(body, status_code=status))
    async with quick_tool(emulator, http_stack) as tool:
        with pytest.raises(UsersPhotoError) as caught:
            await tool.call({"image": IMAGE})
        inject(emulator, Fault.json(body, status_code=status))
        result = await tool.run({"image": IMAGE})
    error = caught.value
    # The classes and codes stay what they were: an ok false is Slack's refusal's shape.
    if body.get("ok") is False:
        assert isinstance(error, SlackApiError)
        assert error.code == "unknown_error"
    else:
        assert isinstance(error, TransportError)
        assert error.code == "transport_error"
    for text in (str(error), result["message"]):
        assert f"HTTP {status}" in text, text
        assert "nothing changed" in text, text
        # A 404 is a wrong address (session 11), any other 4xx a server on the way.
        assert ("it ends in /api" if status == 404 else "proxy") in text, text
        assert "Slack address" in text, text
        assert BODY_WORDS not in text, text
    assert not may_have_taken_effect(error)
    assert len(photo_requests(emulator)) == 2  # once per call: a refusal is not sent again


@pytest.mark.parametrize(
    ("status", "body"),
    [(502, {"message": BODY_WORDS}), (503, {"ok": False, "message": BODY_WORDS})],
    ids=["502 no ok", "503 ok false"],
)
async def test_a_5xx_without_a_slack_code_says_its_status_that_it_may_be_set_and_when_to_retry(
    emulator: RunningEmulator, http_stack: str, status: int, body: dict[str, Any]
) -> None:
    fault = Fault.json(body, status_code=status)
    inject(emulator, fault, fault)
    async with quick_tool(emulator, http_stack, max_retries=1) as tool:
        with pytest.raises(TransportError) as caught:
            await tool.call({"image": IMAGE})
    text = str(caught.value)
    assert f"HTTP {status}" in text
    assert "may have taken effect" in text
    assert "try again in a few minutes" in text
    assert BODY_WORDS not in text
    assert may_have_taken_effect(caught.value)


@pytest.mark.parametrize("status", [403, 502])
@pytest.mark.parametrize("ok", [False, None])
async def test_a_non_2xx_body_without_a_code_brings_back_no_token_and_no_flood(
    emulator: RunningEmulator, http_stack: str, status: int, ok: bool | None
) -> None:
    body: dict[str, Any] = {"message": f"bad token {CANARY_TOKEN} " + "x" * 200_000}
    if ok is not None:
        body["ok"] = ok
    fault = Fault.json(body, status_code=status)
    inject(emulator, fault, fault, fault)
    async with quick_tool(emulator, http_stack, max_retries=0) as tool:
        with pytest.raises(UsersPhotoError) as caught:
            await tool.call({"image": IMAGE})
        inject(emulator, fault, fault, fault)
        result = await tool.run({"image": IMAGE})
    assert f"HTTP {status}" in caught.value.message
    assert len(caught.value.message) < 1000
    assert len(json.dumps(result)) < 4000
    for text in [*texts_of_error(caught.value), json.dumps(result)]:
        assert not holds_part_of_the_token(text), text[:300]


def test_a_4xx_with_slacks_own_unknown_error_code_is_not_called_codeless() -> None:
    with pytest.raises(SlackApiError) as caught:
        interpret({"ok": False, "error": "unknown_error"}, status=400)
    assert caught.value.hint == UNKNOWN_CODE_HINT


@pytest.mark.parametrize("status", [404, 405])
def test_a_codeless_404_still_points_the_terminal_at_the_api_address(status: int) -> None:
    """The command line's advice for a 404 or 405 (no Web API at that address) holds when
    the body is JSON without a Slack code too, though it is now said to have changed nothing."""
    with pytest.raises(TransportError) as caught:
        interpret({"message": "Not Found"}, status=status)
    assert caught.value.reached is False
    advice = next_step_for(caught.value)
    assert advice is not None
    assert "it ends in /api" in advice


# --- a web image's body, held once --------------------------------------------------------

_CHUNK = 64 * 1024
_BODY_CHUNKS = 128  # 8 MiB


def _png_of_chunks() -> Iterator[bytes]:
    """An 8 MiB body that starts as a PNG, in chunks the server does not allocate anew
    (one zero chunk, sent again and again), so what is traced is the client's."""
    first = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(_CHUNK - 16)
    return itertools.chain([first], itertools.repeat(bytes(_CHUNK), _BODY_CHUNKS - 1))


async def test_a_downloaded_image_is_not_copied_whole_at_the_end(
    ca: trustme.CA, client_tls: ssl.SSLContext
) -> None:
    """The body was gathered in a bytearray and then copied into bytes: for a moment the
    process held twice the image (and twice the byte cap, at worst). Peak traced memory of
    the download is measured against the body's size: about 1x (a buffer growing in place),
    not 2x."""
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    size = _CHUNK * _BODY_CHUNKS
    policy = UrlPolicy(
        allowed_hosts=["127.0.0.1"], allow_loopback_for_tests=True, max_bytes=size + 1
    )
    async with serve(server_tls) as host:
        host.on("/small.png", chunked(itertools.islice(_png_of_chunks(), 2)))
        host.on("/big.png", chunked(_png_of_chunks()))
        # A first fetch loads what any fetch loads (the TLS and HTTP packages' state).
        await fetch_image(host.url("/small.png"), policy, ssl_context=client_tls)
        tracemalloc.start()
        try:
            fetched = await fetch_image(host.url("/big.png"), policy, ssl_context=client_tls)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert fetched.byte_count == size
    assert isinstance(fetched.data, bytes)
    assert fetched.data[:8] == bytes.fromhex("89504e470d0a1a0a")
    assert peak < 1.5 * size, f"the download peaked at {peak / size:.2f}x the body"


# --- a batch's ids, as the SDK reads a request's ---------------------------------------------


async def test_a_batchs_ids_are_answered_as_the_sdk_reads_a_single_requests(
    tmp_path: Path,
) -> None:
    """The SDK's RequestId is a strict int or a text: a negative or huge whole number is an
    id (a single request with one is answered by the SDK, a batch's by its refusal), while
    ``true`` and ``1.0`` are not, and a single request carrying one is read by the SDK as a
    notification (its id ignored) and never answered. A batch's member with such an id is
    left unanswered the same way, rather than answered by an id the host did not send."""
    huge = 10**30
    ids = ["-5", str(huge), "true", "1.0", "2.5"]
    batch = "[" + ", ".join(f'{{"jsonrpc": "2.0", "id": {i}, "method": "ping"}}' for i in ids) + "]"
    async with wire_server(tmp_path) as wire:
        await wire.send_line(batch)
        await wire.send_line('{"jsonrpc": "2.0", "id": 1.0, "method": "ping"}')
        await wire.send_line('{"jsonrpc": "2.0", "id": -6, "method": "ping"}')
        await wire.send_line(PING_8)
        assert await wire.answer(8) == PING_8_ANSWER, "the server stopped answering"
        received = list(wire.received)
    answered = [message["id"] for message in received if message.get("id") not in (0, 8)]
    assert answered == [-5, huge, -6], received
    by_id = {message["id"]: message for message in received}
    for refused in (-5, huge):
        assert by_id[refused]["error"]["code"] == -32600
    assert by_id[-6]["result"] == {}


async def test_a_4xx_page_that_is_no_json_says_nothing_changed_too(
    emulator: RunningEmulator, http_stack: str
) -> None:
    """A proxy's HTML 403 page: refused on the way as a JSON 4xx without a code is, so the
    same words (it had said the change might have acted)."""
    inject(emulator, Fault.html_page(status_code=403))
    async with quick_tool(emulator, http_stack) as tool:
        with pytest.raises(TransportError) as caught:
            await tool.call({"image": IMAGE})
    text = str(caught.value)
    assert "HTTP 403" in text
    assert "nothing changed" in text
    assert "proxy" in text
    assert not may_have_taken_effect(caught.value)
    assert caught.value.reached is False
    assert len(photo_requests(emulator)) == 1
