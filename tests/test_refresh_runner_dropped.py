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
from collections.abc import AsyncIterator, Awaitable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorThread, RunningEmulator
from ocp_users_photo.installations import InstallationTokenSource
from ocp_users_photo.installations.refresh_runner import RefreshRunner
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
from tests.programs import assert_nothing_left_by
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


def drops_in_this_process(stack: str, folder: str) -> None:
    """The child's work: ``DROPS`` sources refreshed and dropped, their threads ended."""
    before = _refresh_threads()
    with EmulatorThread(rotation_config()) as emulator:
        for turn in range(DROPS):
            _refresh_then_drop(emulator, Path(folder), turn, stack)
        assert refreshes(emulator) == DROPS
        deadline = time.monotonic() + 10.0
        while _refresh_threads() - before and time.monotonic() < deadline:
            gc.collect()
            time.sleep(0.05)
        assert not _refresh_threads() - before, "a dropped source's refresh thread went on"
        gc.collect()


@pytest.mark.parametrize("stack", stack_params())
def test_a_source_dropped_after_a_refresh_leaves_no_connection_open(
    tmp_path: Path, stack: str
) -> None:
    assert_nothing_left_by(
        "from tests.test_refresh_runner_dropped import drops_in_this_process; "
        f"drops_in_this_process({stack!r}, {str(tmp_path)!r})"
    )


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
        assert session.closed  # let go of at once: collected, it does not complain
        assert session.connector is None  # detached here, not by the close on its loop
        deadline = time.monotonic() + 5.0
        while not closed_on and time.monotonic() < deadline:
            time.sleep(0.01)
        assert closed_on == ["the stack's loop"]
        assert connector.closed
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


# The runner's own wind-down (the review of 66f3d85) ---------------------------------------

_LEFT: list[object] = []  # what work left on a runner's loop, kept alive past the work


def _thread_ends(before: set[threading.Thread]) -> None:
    deadline = time.monotonic() + 10.0
    while _refresh_threads() - before and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.02)
    assert not _refresh_threads() - before, "the runner's thread went on"


def _leaving_a_task_slow_to_end(ended: list[bool], seconds: float) -> Coroutine[Any, Any, None]:
    """Work that leaves a task on the runner's loop whose cleanup, once cancelled, takes
    ``seconds`` (the wind-down's with it), then says so in ``ended``."""

    async def slow_to_end() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await asyncio.sleep(seconds)
            ended.append(True)
            raise

    async def leave() -> None:
        _LEFT.append(asyncio.get_running_loop().create_task(slow_to_end()))

    return leave()


def _thread_failures(monkeypatch: pytest.MonkeyPatch) -> list[BaseException | None]:
    """What a thread raised from here on (its excepthook's)."""
    failures: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda raised: failures.append(raised.exc_value))
    return failures


def _run_then_threads_end(
    main: Coroutine[Any, Any, None], failures: list[BaseException | None]
) -> None:
    """``main`` run; then the runner threads it started ended, none having raised."""
    before = _refresh_threads()
    try:
        asyncio.run(main)
        _thread_ends(before)
        assert failures == []
    finally:
        _LEFT.clear()


def test_a_dropped_runner_closes_the_async_generators_left_on_its_loop() -> None:
    """An HTTP stack's closer is an async generator on the runner's loop: a runner dropped
    without aclose closes it as its loop ends, as asyncio.run does (closed with the loop
    instead, the stack it closes was left open)."""
    closed: list[str] = []

    async def leave_a_generator() -> None:
        async def closer() -> AsyncIterator[None]:
            try:
                yield
            finally:
                await asyncio.sleep(0)  # its close awaits, as a stack's does
                closed.append(threading.current_thread().name)

        generator = closer()
        await anext(generator)
        _LEFT.append(generator)

    before = _refresh_threads()
    runner = RefreshRunner()
    runner.submit(leave_a_generator()).result(5)
    del runner  # no aclose
    try:
        _thread_ends(before)
        assert closed == [_REFRESH_THREAD]
    finally:
        _LEFT.clear()


def test_aclose_cancels_what_is_left_on_the_loop_as_asyncio_run_does() -> None:
    """After aclose the work has ended: a task a host's store left running is cancelled
    at once, not given the seconds a dropped runner's loop gives the collector's closes
    (aclose(wait=1) took 5 s, 20 s for a task that ignores its cancellation)."""
    finished: list[bool] = []

    async def leave_a_task() -> None:
        async def later() -> None:
            await asyncio.sleep(0.5)
            finished.append(True)

        _LEFT.append(asyncio.get_running_loop().create_task(later()))

    async def main() -> None:
        runner = RefreshRunner()
        await asyncio.wrap_future(runner.submit(leave_a_task()))
        assert await asyncio.wait_for(runner.aclose(wait=1.0), 10) is True

    try:
        asyncio.run(main())
        (task,) = _LEFT
        assert isinstance(task, asyncio.Task)
        assert task.cancelled()
        assert finished == []
    finally:
        _LEFT.clear()


def test_a_runner_dropped_while_its_loop_winds_down_lets_it_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """aclose stopped the loop and was cancelled while the loop wound down; the runner was
    then dropped, and its finalizer's stop landed in the wind-down: "Event loop stopped
    before Future completed" in the runner's thread, and the task being ended destroyed."""
    failures = _thread_failures(monkeypatch)
    ended: list[bool] = []

    async def main() -> None:
        runner = RefreshRunner()
        await asyncio.wrap_future(runner.submit(_leaving_a_task_slow_to_end(ended, 0.3)))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(runner.aclose(), 0.1)  # cancelled in the wind-down
        del runner
        gc.collect()  # the finalizer schedules its stop
        await asyncio.sleep(0.6)

    _run_then_threads_end(main(), failures)
    assert ended == [True]


def test_a_connector_let_go_on_its_own_loop_or_a_stopped_one_is_closed_at_once() -> None:
    """On the loop's own thread (the collector running there), or with its loop stopped,
    nothing is handed over: the connector is closed before ``_let_go`` returns."""
    import aiohttp

    from ocp_users_photo.slack.aiohttp_stack import _let_go

    async def on_its_own_loop() -> bool:
        connector = aiohttp.TCPConnector()
        _let_go(connector, aiohttp.ClientSession(connector=connector))
        return connector.closed

    assert asyncio.run(on_its_own_loop()) is True

    loop = asyncio.new_event_loop()
    try:

        async def opened() -> aiohttp.TCPConnector:
            return aiohttp.TCPConnector()

        connector = loop.run_until_complete(opened())  # the loop is stopped after it
        _let_go(connector)
        assert connector.closed
    finally:
        loop.close()


def test_a_second_aclose_during_the_wind_down_lets_it_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each aclose stops the loop: a second one, called while the first's stop had the
    loop winding down (an app's shutdown hook and a lifespan handler), cut the wind-down
    short ("Event loop stopped before Future completed" in the runner's thread)."""
    failures = _thread_failures(monkeypatch)
    ended: list[bool] = []

    async def main() -> None:
        runner = RefreshRunner()
        await asyncio.wrap_future(runner.submit(_leaving_a_task_slow_to_end(ended, 0.4)))
        first = asyncio.create_task(runner.aclose())
        await asyncio.sleep(0.1)  # its stop sent: the loop winds down
        await runner.aclose()
        await first

    _run_then_threads_end(main(), failures)
    assert ended == [True]
