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
import sys

import httpx
import pytest

from ocp_users_photo import TransportError, UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.conftest import CANARY_TOKEN, inject
from tests.test_callers_client_lets_go import noisy_png


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
        # Room for the warm-up call on a busy machine (at 0.5 s it failed under a load of 3).
        timeout=2.0,
        max_retries=0,
    )
    try:
        await tool.call({"image": image})  # the connection, validators and caches made
        inject(emulator, Fault.delay(5))
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
