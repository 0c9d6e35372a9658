"""The refresh runner closing: aclose cancelled, aclose twice at once,
under_way() while work finishes on the runner's thread."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorThread
from ocp_users_photo.installations.refresh_runner import RefreshRunner
from tests.installation_helpers import (
    LIFETIME,
    TEAM_ID,
    Clock,
    emulator_source,
    install,
    refreshes,
    rotation_config,
    sqlite_store,
)
from tests.undo_fixtures import picture

_NAME = "ocp-users-photo-refresh"


def _refresh_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == _NAME]


def _threads_end(before: set[threading.Thread], within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        gc.collect()
        if not set(_refresh_threads()) - before:
            return True
        time.sleep(0.05)
    return False


def test_a_runner_whose_aclose_was_cancelled_stops_its_thread_when_collected() -> None:
    """aclose() detaches its loops from the runner first, then waits for their work. Cancelled
    in that wait (a shutdown timeout, asyncio.run ending), the detached loop is in no list
    any more: no later aclose stops it, and the finalizer (which stops only what is still
    in the runner's list) does not either. The thread and its loop run forever."""
    before = set(_refresh_threads())

    async def slow() -> int:
        await asyncio.sleep(0.5)
        return 1

    async def main() -> None:
        runner = RefreshRunner()
        runner.submit(slow())
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(runner.aclose(), 0.1)
        await asyncio.sleep(0.7)  # the work is done by now
        await runner.aclose()  # a second aclose: nothing left to stop, says the runner
        del runner

    asyncio.run(main())
    assert _threads_end(before), "the refresh thread outlived its runner and two acloses"


def _refresh_then_time_out_aclose(emulator: Any, store: Any) -> None:
    source = emulator_source(emulator, store, clock=Clock(offset=LIFETIME - 100))
    tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={})
    person = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
    assert person.call_sync({"image": picture((1, 2, 3))})["ok"] is True
    assert refreshes(emulator) == 1
    real_close = source._slack.aclose

    async def slow_close() -> None:
        await asyncio.sleep(0.5)
        await real_close()

    source._slack.aclose = slow_close  # type: ignore[method-assign]

    async def shutdown() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(source.aclose(), 0.2)

    asyncio.run(shutdown())


def test_a_source_whose_aclose_timed_out_stops_its_thread_when_collected(tmp_path: Path) -> None:
    """README: "a source dropped unclosed stops its thread when collected". A source whose
    aclose() was cut short while it closed the runner's HTTP client (a TLS close that takes
    a while; asyncio.wait_for(source.aclose(), ...) at shutdown) keeps its thread, its loop
    and its connection after it is dropped, for the life of the process."""
    before = set(_refresh_threads())
    with EmulatorThread(rotation_config()) as emulator:
        store = sqlite_store(tmp_path / "i.db")
        asyncio.run(install(emulator, store, "UALICE0001"))
        _refresh_then_time_out_aclose(emulator, store)
        assert _threads_end(before), "the dropped source's refresh thread still runs"


def test_aclose_returns_only_once_the_thread_is_stopped_even_when_called_twice() -> None:
    """Two aclose() at once (an app's shutdown hook and a lifespan handler): the second
    finds nothing to detach and returns at once, while the work is still under way and
    the loop still runs; its caller goes on (ends its loop, exits) as if it were closed."""

    async def slow() -> int:
        await asyncio.sleep(0.5)
        return 1

    before = set(_refresh_threads())

    async def main() -> None:
        runner = RefreshRunner()
        work = runner.submit(slow())
        first = asyncio.create_task(runner.aclose())
        await asyncio.sleep(0)
        await runner.aclose()
        still = work.done(), [t for t in _refresh_threads() if t not in before and t.is_alive()]
        await first
        assert still[0], "the second aclose returned with the work still under way"
        assert not still[1], "the second aclose returned with the thread still running"

    asyncio.run(main())


def test_under_way_while_work_ends_on_the_runners_thread() -> None:
    """under_way() walks each loop's set under the runner's guard, but the work's done
    callback discards from that set on the runner's thread without it: 'RuntimeError: Set
    changed size during iteration'. under_way() is what settle() calls, and call_sync
    awaits settle() in a finally: its successful reply is replaced by that RuntimeError."""
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)

    async def quick() -> None:
        await asyncio.sleep(0)

    runner = RefreshRunner()
    try:
        ends = time.monotonic() + 3
        while time.monotonic() < ends:
            for _ in range(20):
                runner.submit(quick())
            for _ in range(20):
                runner.under_way()  # raises RuntimeError within milliseconds
    finally:
        sys.setswitchinterval(switch)
        asyncio.run(runner.aclose())
