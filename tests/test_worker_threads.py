"""worker_threads.in_worker_thread: results, errors and context go along; a cancelled
caller's result is handed to ``discard`` once the thread is done with it. A first import
goes to a worker thread; a later one is a lookup."""

from __future__ import annotations

import asyncio
import contextvars
import sys
import threading
from pathlib import Path

import pytest

from ocp_users_photo import worker_threads
from ocp_users_photo.worker_threads import imported_off_loop, in_worker_thread

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


async def test_a_first_import_runs_in_a_worker_thread_and_a_second_is_a_lookup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "imported_here.py").write_text(
        "import threading\nIMPORTED_ON = threading.get_ident()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "imported_here", raising=False)
    module = await imported_off_loop("imported_here")
    assert threading.get_ident() != module.IMPORTED_ON, "imported off the loop's thread"
    trips: list[object] = []
    monkeypatch.setattr(worker_threads, "in_worker_thread", lambda *args: trips.append(args))
    assert await imported_off_loop("imported_here") is module
    assert trips == [], "an imported module is looked up, with no trip to a thread"


async def test_a_module_another_thread_is_still_importing_is_awaited_not_returned_half_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two first uses at once (parallel tool calls): the second must not get the module
    # while the first's worker thread is still running its body, nor wait for it on the loop.
    (tmp_path / "gate_here.py").write_text(
        "import threading\nSTARTED = threading.Event()\nGO = threading.Event()\n"
    )
    (tmp_path / "slow_here.py").write_text(
        "from gate_here import GO, STARTED\nSTARTED.set()\nGO.wait(30)\nDONE = True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("gate_here", "slow_here"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import gate_here  # type: ignore[import-not-found]

    first = asyncio.create_task(imported_off_loop("slow_here"))
    await asyncio.to_thread(gate_here.STARTED.wait, 30)
    second = asyncio.create_task(imported_off_loop("slow_here"))
    for _ in range(5):
        await asyncio.sleep(0)
    try:
        assert not second.done(), "the half-imported module was handed out"
    finally:
        gate_here.GO.set()
        await first
    assert (await second).DONE is True
