"""worker_threads.in_worker_thread: results, errors and context go along; a cancelled
caller's result is handed to ``discard`` once the thread is done with it."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from ocp_users_photo.worker_threads import in_worker_thread

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


async def test_the_result_comes_from_another_thread_with_the_callers_context() -> None:
    WHO.set("alice")
    loop_thread = threading.get_ident()
    thread, who = await in_worker_thread(lambda: (threading.get_ident(), WHO.get()))
    assert thread != loop_thread
    assert who == "alice"


async def test_what_the_function_raises_is_raised() -> None:
    def fails() -> None:
        raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        await in_worker_thread(fails)


async def test_a_cancelled_callers_result_is_discarded_when_it_arrives() -> None:
    release = threading.Event()
    started = threading.Event()
    discarded: list[object] = []
    opened = object()

    def slow_open() -> object:
        started.set()
        release.wait(5)
        return opened

    call = asyncio.create_task(in_worker_thread(slow_open, discard=discarded.append))
    assert await asyncio.to_thread(started.wait, 5)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert discarded == [], "the thread is still at work"
    release.set()
    for _ in range(200):
        if discarded:
            break
        await asyncio.sleep(0.01)
    assert discarded == [opened]
