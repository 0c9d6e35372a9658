"""A caller's httpx client keeps no image once the call that sent it returns.

httpx's ``AsyncClient.send`` ties each response to its stream in a reference cycle (the
response holds the stream, the stream the response), and the response holds its request,
body and all: the image stayed in memory until the cyclic collector ran, a megabyte a
call from a 1 MB photo, many at once under a model's parallel calls. The tool's own
stacks send without that cycle; with ``client=`` the form now lets go of its image when
each attempt ends, once the image has begun to go out, so what the cycle holds is a few
small objects.
"""

from __future__ import annotations

import gc
import io
import random
import sys

import httpx
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.slack.form import FilePart, encode_form
from tests.conftest import CANARY_TOKEN, inject, photo_requests

IMAGE_PART = FilePart("me.png", "image/png", b"\x89PNG" * 40_000)  # 160 KB: pieces, not one


def noisy_png() -> bytes:
    """A 600x600 PNG of noise: about a megabyte, its bytes unlike any other object's."""
    noise = random.Random(7).randbytes(600 * 600 * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (600, 600), noise).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_a_callers_client_holds_no_reference_to_the_image_after_the_call(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    image = noisy_png()
    tool = UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, client=client, environ={}, keep_previous=False
    )
    await tool.call({"image": image})  # the connection, validators and caches made
    gc.collect()
    gc.disable()  # what only the cyclic collector would free stays, as between its runs
    try:
        before = sys.getrefcount(image)
        reply = await tool.call({"image": image})
        after = sys.getrefcount(image)
    finally:
        gc.enable()
    assert reply["ok"] is True
    assert after == before, f"{after - before} reference(s) to the image left after the call"


async def test_after_an_attempt_lets_go_the_retry_sends_the_whole_image(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    """The form lets go of its image when an attempt ends; a retry encodes its own, whole."""
    image = noisy_png()
    inject(emulator, Fault.status(503))
    tool = UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        client=client,
        environ={},
        keep_previous=False,
        retry_backoff=0.01,
    )
    reply = await tool.call({"image": image})
    assert reply["ok"] is True
    sent = [request.files[0].size for request in photo_requests(emulator)]
    assert sent == [len(image), len(image)]


async def test_a_body_not_yet_begun_keeps_every_piece_when_its_attempt_ends() -> None:
    """A transport whose writer had not begun when the attempt ended (aiohttp writes in a
    task of its own) writes the whole body still: a short one under the declared
    Content-Length would leave the server reading the next request as its rest."""
    form = encode_form({"crop_x": "0"}, {"image": IMAGE_PART})
    declared = int(form.headers["Content-Length"])
    form.content.let_go()
    written = b"".join([piece async for piece in form.content])
    assert len(written) == declared
    assert b"\x89PNG" * 40_000 in written


async def test_a_body_begun_lets_go_and_its_iteration_under_way_still_ends_whole() -> None:
    form = encode_form({"crop_x": "0"}, {"image": IMAGE_PART})
    declared = int(form.headers["Content-Length"])
    pieces = aiter(form.content)
    first = await anext(pieces)
    form.content.let_go()
    rest = [piece async for piece in pieces]
    assert len(first) + sum(map(len, rest)) == declared
    assert [piece async for piece in form.content] == []  # held no longer
