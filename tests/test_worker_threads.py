"""worker_threads.in_worker_thread: results, errors and context go along; a cancelled
caller's result is handed to ``discard`` once the thread is done with it. A first import
goes to a worker thread; a later one is a lookup."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import multiprocessing
import sys
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVarTuple, Unpack

import pytest

from ocp_users_photo import worker_threads
from ocp_users_photo.worker_threads import imported_off_loop, in_worker_thread
from tests.conftest import FORKS_ON_PURPOSE

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


async def test_threads_start_as_jobs_need_them_up_to_the_bound_and_are_reused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = worker_threads._WorkerPool(most_threads=2)
    monkeypatch.setattr(worker_threads, "_pool", pool)
    release = threading.Event()
    started: list[int] = []
    started_lock = threading.Lock()

    def blocked() -> int:
        with started_lock:
            started.append(threading.get_ident())
        release.wait(10)
        return threading.get_ident()

    calls = [asyncio.create_task(in_worker_thread(blocked)) for _ in range(4)]
    for _ in range(500):
        if len(started) == 2:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert len(started) == 2, "two threads at most: the other jobs wait their turn"
    release.set()
    threads = set(await asyncio.gather(*calls))
    assert len(started) == 4
    assert len(threads) == 2, "the waiting jobs ran on the threads already started"
    again = {await in_worker_thread(threading.get_ident) for _ in range(20)}
    assert again <= threads, "one call at a time needs no new thread"


async def test_a_worker_thread_is_a_daemon_so_a_stuck_read_cannot_hold_up_the_exit() -> None:
    thread = await in_worker_thread(threading.current_thread)
    assert thread.daemon
    assert thread.name.startswith("ocp-users-photo-worker-")


def test_a_result_that_arrives_after_its_loop_closed_is_discarded_in_the_thread() -> None:
    release = threading.Event()
    started = threading.Event()
    discarded: list[tuple[object, int]] = []
    done = threading.Event()
    opened = object()

    def slow_open() -> object:
        started.set()
        release.wait(10)
        return opened

    def discard(value: object) -> None:
        discarded.append((value, threading.get_ident()))
        done.set()

    async def caller() -> None:
        call = asyncio.create_task(in_worker_thread(slow_open, discard=discard))
        await asyncio.to_thread(started.wait, 10)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(caller())
    finally:
        loop.close()
    release.set()
    assert done.wait(10), "the opened file was left to the collector"
    assert discarded[0][0] is opened
    assert discarded[0][1] != threading.get_ident(), "discarded in the worker thread"


async def test_what_the_function_raises_includes_base_exceptions() -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await in_worker_thread(interrupted)
    assert await in_worker_thread(lambda: 7) == 7, "the thread that raised still serves"


def _forked_child(answers: Any) -> None:
    answers.send(asyncio.run(in_worker_thread(lambda: 41)) + 1)


@pytest.mark.filterwarnings(FORKS_ON_PURPOSE)
async def test_a_forked_child_starts_its_own_threads() -> None:
    # The parent's threads are not in the child: without a new pool there, the child's
    # first job would wait for a thread that does not exist.
    await in_worker_thread(int)
    context = multiprocessing.get_context("fork")
    answers, child_end = context.Pipe()
    child = context.Process(target=_forked_child, args=(child_end,))
    child.start()
    await asyncio.to_thread(child.join, 30)
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0
    assert answers.poll(1)
    assert answers.recv() == 42


async def test_a_thread_that_cannot_start_is_the_callers_error_and_no_job_is_left_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = worker_threads._WorkerPool(most_threads=2)
    monkeypatch.setattr(worker_threads, "_pool", pool)
    ran: list[str] = []

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    with monkeypatch.context() as patched:
        patched.setattr(threading.Thread, "start", refuse)
        with pytest.raises(RuntimeError, match="can't start new thread"):
            await in_worker_thread(ran.append, "refused")
    served: object = await in_worker_thread(ran.append, "served")
    assert served is None
    assert ran == ["served"], "the refused job never ran, and the next one did"


class _Buffer:
    """Stands for what a failed job held (a block of an image): weakly referenceable."""


async def test_an_error_does_not_keep_what_the_failed_job_held_alive_until_the_collector_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A failed read's traceback holds the frames of the job; if those also hold the job
    # itself (whose future holds the error), the buffer lives until the cyclic collector.
    monkeypatch.setattr(worker_threads, "_pool", worker_threads._WorkerPool(most_threads=1))
    held: list[weakref.ref[_Buffer]] = []

    def fails() -> None:
        buffer = _Buffer()
        held.append(weakref.ref(buffer))
        raise OSError("disk on fire")

    collecting = gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(OSError, match="disk on fire"):
            await in_worker_thread(fails)
        await in_worker_thread(int)  # the one thread has let go of the error: it took this
        assert held[0]() is None, "the buffer waits for the collector"
    finally:
        if collecting:
            gc.enable()


async def test_a_function_that_raises_stop_iteration_ends_the_call_with_an_error() -> None:
    # A future refuses StopIteration; handed over as it is, the caller would wait forever.
    with pytest.raises(RuntimeError, match="StopIteration") as raised:
        await asyncio.wait_for(in_worker_thread(next, iter(())), 30)
    assert isinstance(raised.value.__cause__, StopIteration)


_Ts = TypeVarTuple("_Ts")


class _LoopSeeingHandBacks(asyncio.SelectorEventLoop):
    """A loop that sets ``seen`` when another thread hands it a callback, and runs ``then``
    (if set) right after that callback, in the same turn."""

    def __init__(self, seen: threading.Event) -> None:
        super().__init__()
        self.seen = seen
        self.then: Callable[[], object] | None = None

    def call_soon_threadsafe(
        self,
        callback: Callable[[Unpack[_Ts]], object],
        *args: *_Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        then = self.then
        if then is None:
            handle = super().call_soon_threadsafe(callback, *args, context=context)
        else:  # in the same callback: nothing of the loop's can come between the two
            handle = super().call_soon_threadsafe(lambda: (callback(*args), then()))
        self.seen.set()
        return handle


def test_a_result_that_arrives_after_the_loops_last_turn_but_before_it_closes_is_discarded() -> (
    None
):
    # asyncio.run's ending: the caller is cancelled, the loop turns for the last time, and
    # the file is opened just before the loop closes: no turn is left to discard it on.
    release = threading.Event()
    started = threading.Event()
    discarded: list[object] = []
    finished = threading.Event()  # handed back to the loop, or discarded in the thread
    opened = object()

    def slow_open() -> object:
        started.set()
        release.wait(30)
        return opened

    def discard(value: object) -> None:
        discarded.append(value)
        finished.set()

    async def caller() -> None:
        call = asyncio.create_task(in_worker_thread(slow_open, discard=discard))
        for _ in range(3000):  # not asyncio.to_thread: its thread would hand back too
            if started.is_set():
                break
            await asyncio.sleep(0.01)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call

    loop = _LoopSeeingHandBacks(finished)
    try:
        loop.run_until_complete(caller())
        finished.clear()
        release.set()
        assert finished.wait(30)
    finally:
        loop.close()
    assert discarded == [opened], "the opened file was left to the collector"


def test_a_caller_cancelled_just_after_its_result_arrived_has_the_result_discarded() -> None:
    # The result is set on the caller's future, and in the same turn of the loop (a
    # timeout, a failing sibling) the caller is cancelled before it could take it.
    discarded: list[object] = []
    opened = object()

    async def caller() -> None:
        call = asyncio.create_task(in_worker_thread(lambda: opened, discard=discarded.append))
        loop.then = call.cancel
        with pytest.raises(asyncio.CancelledError):
            await call

    loop = _LoopSeeingHandBacks(threading.Event())
    try:
        loop.run_until_complete(caller())
    finally:
        loop.close()
    assert discarded == [opened], "the opened file was left to the collector"


async def test_a_discard_that_raises_even_system_exit_leaves_the_thread_serving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The pool counts its threads: one that died would still be counted, and with the
    # bound reached, the jobs after it would wait for it forever.
    monkeypatch.setattr(worker_threads, "_pool", worker_threads._WorkerPool(most_threads=1))
    release = threading.Event()
    started = threading.Event()

    def slow_open() -> object:
        started.set()
        release.wait(30)
        return object()

    def discard(value: object) -> None:
        raise SystemExit("a discard that ends its thread")

    call = asyncio.create_task(in_worker_thread(slow_open, discard=discard))
    assert await asyncio.to_thread(started.wait, 30)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    release.set()
    assert await asyncio.wait_for(in_worker_thread(lambda: 7), 30) == 7
