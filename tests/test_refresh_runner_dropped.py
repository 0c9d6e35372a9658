"""A token source dropped without ``aclose`` after a refresh lets its connection go cleanly.

The refresh runs on the source's own loop, in a thread (installations/refresh_runner.py).
Dropped, the source's runner stopped that loop at once while the collector, on the
thread that dropped it, closed the HTTP stack the refresh had used there: aiohttp's
connector was closed from the wrong thread (its transports' last step scheduled where the
loop never woke for it), and the close of the stack's closer (an async generator) was
handed to a loop that was already stopping. Each drop left its socket open until it was
collected: "unclosed transport" (a ResourceWarning) every time, and on Python 3.13 also
"coroutine method 'aclose' of '_closer_of' was never awaited" (a newcomer's run). The
README asks for ``aclose``; a program that forgets it must still not leak.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import warnings
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorThread, RunningEmulator
from ocp_users_photo.installations import InstallationTokenSource
from tests.http_stacks import stack_environ, stack_params
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    LIFETIME,
    TEAM_ID,
    Clock,
    install,
    refreshes,
    rotation_config,
    sqlite_store,
)
from tests.undo_fixtures import picture

_REFRESH_THREAD = "ocp-users-photo-refresh"
DROPS = 4


def _refresh_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == _REFRESH_THREAD}


def _refresh_then_drop(emulator: RunningEmulator, folder: Path, turn: int, stack: str) -> None:
    store = sqlite_store(folder / f"installations-{turn}.db")
    asyncio.run(install(emulator, store, "UALICE0001"))
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=emulator.base_url,
        environ=stack_environ(stack),
        clock=Clock(offset=LIFETIME - 100),  # the token is about to expire: refreshed first
    )
    tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={}, keep_previous=False)
    person = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
    assert person.call_sync({"image": picture((10, 20, 30))})["ok"] is True
    del person, tool, source  # no aclose
    gc.collect()


# aiohttp's stack (the [fast] extra, the default where installed). httpx's is not held to
# it: its pooled connections' transports are in the same garbage cycle as the stack's
# closer, and the collector finalizes them before that closer can run on the loop.
AIOHTTP = [param for param in stack_params() if getattr(param, "id", None) == "aiohttp"]


@pytest.mark.parametrize("stack", AIOHTTP)
def test_a_source_dropped_after_a_refresh_leaves_no_connection_open(
    tmp_path: Path, stack: str
) -> None:
    before = _refresh_threads()
    with (
        EmulatorThread(rotation_config()) as emulator,
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        for turn in range(DROPS):
            _refresh_then_drop(emulator, tmp_path, turn, stack)
        assert refreshes(emulator) == DROPS
        deadline = time.monotonic() + 10.0
        while _refresh_threads() - before and time.monotonic() < deadline:
            gc.collect()
            time.sleep(0.05)
        assert not _refresh_threads() - before, "a dropped source's refresh thread went on"
        gc.collect()
    said = [f"{w.category.__name__}: {w.message}" for w in caught]
    left_open = [text for text in said if "unclosed transport" in text]
    never_run = [text for text in said if "never awaited" in text]
    assert left_open == [], said
    assert never_run == [], said


def test_a_connector_let_go_on_another_thread_is_closed_on_its_loops_thread() -> None:
    """The collector runs a stack's finalizer on whichever thread drops it: aiohttp's
    connector was closed there, and a transport's close schedules its last step on its
    loop as only that loop's own thread may (asyncio's debug mode refuses it, and the
    socket stayed open)."""
    import aiohttp

    from ocp_users_photo.slack.aiohttp_stack import _let_go

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="the stack's loop", daemon=True)
    thread.start()
    try:

        async def opened() -> tuple[aiohttp.TCPConnector, aiohttp.ClientSession]:
            connector = aiohttp.TCPConnector()
            return connector, aiohttp.ClientSession(connector=connector)

        connector, session = asyncio.run_coroutine_threadsafe(opened(), loop).result(5)
        closed_on: list[str] = []
        close = connector._close

        def recording(**options: Any) -> list[Awaitable[object]]:
            closed_on.append(threading.current_thread().name)
            return close(**options)

        connector._close = recording  # type: ignore[method-assign]
        _let_go(connector, session)  # as the collector runs it, on this thread
        deadline = time.monotonic() + 5.0
        while not closed_on and time.monotonic() < deadline:
            time.sleep(0.01)
        assert closed_on == ["the stack's loop"]
        assert connector.closed
        assert session.closed  # let go of at once: collected, it does not complain
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
