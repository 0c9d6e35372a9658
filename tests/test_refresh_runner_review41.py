"""The refresh runner's wind-down, each step bounded and each given its time (the review
of 2026-12-06 19:20 UTC)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import time
from collections.abc import AsyncIterator

from ocp_users_photo.installations.refresh_runner import RefreshRunner

_REFRESH_THREAD = "ocp-users-photo-refresh"
_LEFT: list[object] = []  # what work left on a runner's loop, kept alive past the work


def _refresh_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == _REFRESH_THREAD}


def _threads_end(threads: set[threading.Thread]) -> None:
    for thread in threads:
        thread.join(10)
    assert not [thread for thread in threads if thread.is_alive()], "a runner's thread went on"


async def _leave_a_stubborn_generator() -> None:
    """An async generator left open on the loop whose cleanup never ends and swallows
    every cancellation (a host's store client, badly written)."""

    async def stubborn() -> AsyncIterator[None]:
        try:
            yield
        finally:
            while True:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.sleep(3600)

    generator = stubborn()
    await anext(generator)
    _LEFT.append(generator)


async def test_aclose_with_a_wait_returns_though_a_generators_cleanup_never_ends() -> None:
    """The loop's generators were closed under wait_for, which, past its time, waits for
    the cancelled close to end: this one never does, and aclose(wait=1) never returned
    (nor did the program, waiting for the thread that joined the runner's)."""
    before = _refresh_threads()
    runner = RefreshRunner()
    await asyncio.wrap_future(runner.submit(_leave_a_stubborn_generator()))
    all_stopped = await asyncio.wait_for(runner.aclose(wait=1.0), timeout=10)
    assert all_stopped is False  # its thread still winds down (each step given its second)
    await asyncio.to_thread(_threads_end, _refresh_threads() - before)


async def _leave_a_task(seconds: float, ended: list[bool]) -> None:
    """A task left on the runner's loop (a save under way) that ends after ``seconds``."""

    async def later() -> None:
        await asyncio.sleep(seconds)
        ended.append(True)

    _LEFT.append(asyncio.get_running_loop().create_task(later()))


def test_a_dropped_runner_lets_the_work_left_on_its_loop_end() -> None:
    """Dropped without aclose, the runner's loop gives what is left on it its grace (a
    save of refreshed tokens, the close of the source's HTTP stack) before cancelling."""
    before = _refresh_threads()
    ended: list[bool] = []
    runner = RefreshRunner()
    runner.submit(_leave_a_task(0.3, ended)).result(5)
    left = _LEFT[-1]
    del runner
    gc.collect()
    _threads_end(_refresh_threads() - before)
    assert ended == [True]
    assert isinstance(left, asyncio.Task)
    assert not left.cancelled()


async def _leave_a_generator_whose_close_starts_a_task(ended: list[bool]) -> None:
    async def closer() -> AsyncIterator[None]:
        try:
            yield
        finally:  # its close hands the loop a task (as an HTTP stack's close may)
            await _leave_a_task(0.1, ended)

    generator = closer()
    await anext(generator)
    _LEFT.append(generator)


def test_a_task_a_generators_close_started_is_let_end_before_the_loop_closes() -> None:
    before = _refresh_threads()
    ended: list[bool] = []
    runner = RefreshRunner()
    runner.submit(_leave_a_generator_whose_close_starts_a_task(ended)).result(5)
    del runner
    gc.collect()
    time.sleep(0.05)
    _threads_end(_refresh_threads() - before)
    assert ended == [True]
