"""A call that fails keeps no image once its error has been handled.

``raise_alone`` (errors.py) raised the error while holding it in a local of its own
frame, which the error's traceback holds: a cycle, through which every frame of the
failed call (``_send_until_answered``'s files, their image among them) stayed alive until
the cyclic collector ran, on every stack. A model retrying a failing upload kept a
megabyte per attempt a while longer. Found by a review helper's test, kept here.

One turn of the loop is allowed before counting: aiohttp's own stack ends the cancelled
attempt's writer task on the loop's next turn, which lets go of the body by itself.
"""

from __future__ import annotations

import asyncio
import gc
import io
import random
import sys

import httpx
import pytest
from PIL import Image

from ocp_users_photo import TransportError, UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.conftest import CANARY_TOKEN, inject


def noisy_png() -> bytes:
    """A 600x600 PNG of noise: about a megabyte, its bytes unlike any other object's."""
    noise = random.Random(11).randbytes(600 * 600 * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (600, 600), noise).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("callers_client", [True, False], ids=["callers-client", "own-stack"])
async def test_a_call_that_timed_out_holds_no_reference_to_the_image(
    emulator: RunningEmulator, client: httpx.AsyncClient, callers_client: bool
) -> None:
    image = noisy_png()
    tool = UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        client=client if callers_client else None,
        environ={},
        keep_previous=False,
        timeout=0.5,
        max_retries=0,
    )
    try:
        await tool.call({"image": image})  # the connection, validators and caches made
        inject(emulator, Fault.delay(2))
        gc.collect()
        gc.disable()  # what only the cyclic collector would free stays, as between its runs
        try:
            before = sys.getrefcount(image)
            with pytest.raises(TransportError) as failed:
                await tool.call({"image": image})
            del failed  # the caller has handled the error and let it go
            await asyncio.sleep(0)
            after = sys.getrefcount(image)
        finally:
            gc.enable()
    finally:
        await tool.aclose()
    assert after == before, f"{after - before} reference(s) to the image left after the call"
