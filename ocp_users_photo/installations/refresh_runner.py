"""Token refreshes on an event loop of their own, in a daemon thread, whatever loop asked.

Slack spends the refresh token when it answers: a refresh cut short between the answer
and the save leaves the store holding a spent token, and the person must install the app
again. A task on the caller's loop is not safe from that, shielded or not: a loop that
ends (``asyncio.run`` after a timeout, a test's loop, a web view's loop per request)
cancels every task left on it. So each refresh runs here, on a loop no caller ends, and
the caller waits for its result without being able to cancel it.

The thread starts at the first refresh. ``aclose`` detaches it first (a refresh asked for
meanwhile starts a new one), waits for what it runs, then stops it; a runner dropped
without ``aclose`` stops its thread when collected; a forked child starts its own (the
parent's thread is not in it).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
import time
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

T = TypeVar("T")

_THREAD_NAME = "ocp-users-photo-refresh"


@dataclass(eq=False)
class _Running:
    """One started loop, its thread, and the work submitted to it not done yet; once it is
    closing, no new work goes to it (it stays listed until stopped)."""

    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    under_way: set[concurrent.futures.Future[Any]] = field(default_factory=set)
    closing: bool = False


class RefreshRunner:
    """A loop in a daemon thread that runs coroutines to their end, started when needed."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        # A list the finalizer shares (not the runner): what to stop if it is collected.
        self._started: list[_Running] = []
        weakref.finalize(self, _stop_all, self._started)
        _RUNNERS.add(self)

    @property
    def started(self) -> bool:
        return bool(self._started)

    def submit(self, work: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``work`` on the runner's loop; its future, which no caller's loop can cancel."""
        with self._guard:
            if not self._started or self._started[-1].closing:
                self._started.append(_start())
            running = self._started[-1]
            future = asyncio.run_coroutine_threadsafe(work, running.loop)
            running.under_way.add(future)
        future.add_done_callback(lambda done: self._finished(running, done))
        return future

    def _finished(self, running: _Running, done: concurrent.futures.Future[Any]) -> None:
        with self._guard:  # on the runner's thread, while a caller may be listing
            running.under_way.discard(done)

    def under_way(self) -> list[concurrent.futures.Future[Any]]:
        """The futures of the work not done yet."""
        with self._guard:
            return [future for running in self._started for future in running.under_way]

    async def aclose(
        self,
        last: Callable[[], Coroutine[Any, Any, None]] | None = None,
        *,
        wait: float | None = None,
    ) -> bool:
        """Wait for the work under way, run ``last()`` on the loop (closing what the work
        opened there), then stop the loop and its thread; True once all are stopped. Work
        submitted meanwhile goes to a new loop, which this call does not stop. A loop stays
        listed until it is stopped: an aclose cancelled halfway leaves it to the next one,
        or to the finalizer. Past ``wait`` seconds (if given), a loop whose work is still
        under way (a store that never answers) is left running as it is, its thread a
        daemon, and False is returned: its work may still end, and save what it got."""
        ends = None if wait is None else time.monotonic() + wait
        with self._guard:
            closing = list(self._started)
            for running in closing:
                running.closing = True
        all_stopped = True
        for running in closing:
            while pending := self._pending(running):
                left = _left(ends)
                await asyncio.wait([wait_from_loop(future) for future in pending], timeout=left)
                if left == 0.0:
                    break
            if self._pending(running):
                all_stopped = False
                continue
            if not running.loop.is_closed():
                if last is not None:
                    ended = wait_from_loop(asyncio.run_coroutine_threadsafe(last(), running.loop))
                    await asyncio.wait([ended], timeout=_left(ends))
                    if not ended.done():  # past ``wait``: left running, as work under way
                        all_stopped = False
                        continue
                    ended.result()
                with contextlib.suppress(RuntimeError):  # stopped and closed meanwhile
                    # Two acloses at once each stop it: the later, winding down, stops nothing.
                    running.loop.call_soon_threadsafe(_stop_unless_winding_down, running.loop)
            # Its wind-down is bounded (``_wound_down``); the wait is kept all the same.
            await asyncio.to_thread(running.thread.join, _left(ends))
            if running.thread.is_alive():
                all_stopped = False
                continue
            with self._guard:
                if running in self._started:
                    self._started.remove(running)
        return all_stopped

    def _pending(self, running: _Running) -> list[concurrent.futures.Future[Any]]:
        with self._guard:
            return list(running.under_way)

    def _forget_after_fork(self) -> None:
        """In a forked child the parent's thread is gone (and its loop's selector is the
        parent's): the next refresh starts a new one."""
        self._guard = threading.Lock()
        self._started.clear()


def _left(ends: float | None) -> float | None:
    """The seconds left until ``ends`` (None: no end), never below zero."""
    return None if ends is None else max(ends - time.monotonic(), 0.0)


def _start() -> _Running:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=_serve, args=(loop,), name=_THREAD_NAME, daemon=True)
    thread.start()
    return _Running(loop, thread)


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    """The thread: the loop until it is stopped, then what was left on it wound down
    (``_wound_down``), then closed."""
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
        _WINDING_DOWN.add(loop)  # a finalizer's late stop no longer cuts the loop short
        loop.run_until_complete(_wound_down(dropped=loop in _DROPPED))
    finally:
        loop.close()


# How long what is left on a dropped runner's loop has to end before it is cancelled, and
# how long the loop's async generators have to close.
_WIND_DOWN_SECONDS: Final = 1.0
# The loops of runners collected without ``aclose`` (``_stop_all``), and those winding down.
_DROPPED: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
_WINDING_DOWN: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


async def _wound_down(*, dropped: bool) -> None:
    """What was left on a runner's loop when it stopped, ended as ``asyncio.run`` ends its
    own: its tasks cancelled, its async generators (each HTTP stack's closer, which closes
    it) closed, and the transports given their last turns; each step bounded. A runner
    dropped with its token source, without ``aclose``, is stopped by its finalizer while
    the collector hands the loop the close of the source's HTTP stack (a task not yet
    run): its tasks first get ``_WIND_DOWN_SECONDS`` to end. Closed before, that stack's
    connection was left open ("unclosed transport"; on Python 3.13 "coroutine ... 'aclose'
    of '_closer_of' was never awaited"). After ``aclose`` the work has ended: what is left
    (a host store's own task) is cancelled at once."""
    grace = _WIND_DOWN_SECONDS if dropped else 0.0
    await _tasks_ended(grace)
    # Waited for by asyncio.wait, not wait_for: wait_for, past its time, waits for the
    # cancelled shutdown to end, and a generator whose cleanup swallows its cancellation
    # held the wind-down (and an aclose(wait=...) joining its thread) for ever.
    closing = asyncio.ensure_future(asyncio.get_running_loop().shutdown_asyncgens())
    _, unfinished = await asyncio.wait([closing], timeout=_WIND_DOWN_SECONDS)
    for stuck in unfinished:
        stuck.cancel()  # left, if it will not end: the loop closes without it
    # The closes those generators started (a connection's transport closes on the next
    # turns of the loop), and any task the collector handed over meanwhile.
    await _tasks_ended(grace)
    for _ in range(_TURNS_TO_CLOSE):
        await asyncio.sleep(0)


# Turns of the loop a closed transport takes to let its socket go.
_TURNS_TO_CLOSE: Final = 2


async def _tasks_ended(grace: float) -> None:
    """Every task of the loop but this one ended: given ``grace`` seconds, then cancelled
    (and given ``_WIND_DOWN_SECONDS`` to end so; one that will not is left)."""
    current = asyncio.current_task()
    left = [task for task in asyncio.all_tasks() if task is not current]
    if not left:
        return
    if grace > 0:
        _, still = await asyncio.wait(left, timeout=grace)
        left = list(still)
    for task in left:
        task.cancel()
    if left:
        await asyncio.wait(left, timeout=_WIND_DOWN_SECONDS)


def _stop_all(started: list[_Running]) -> None:
    """A runner collected without ``aclose``: its loops stop, and their threads end. Each
    stops a moment later: the collector that dropped the runner may still be finalizing,
    on this thread, what its token source held, and hands each loop the close of the HTTP
    stack the source used there."""
    for running in started:
        if not running.loop.is_closed():
            _DROPPED.add(running.loop)
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                running.loop.call_soon_threadsafe(
                    running.loop.call_later,
                    _COLLECTOR_SECONDS,
                    _stop_unless_winding_down,
                    running.loop,
                )
    started.clear()


def _stop_unless_winding_down(loop: asyncio.AbstractEventLoop) -> None:
    """Stop ``loop``, unless it stopped already and is winding down: a stop then would cut
    its wind-down short ("Event loop stopped before Future completed", in its thread)."""
    if loop not in _WINDING_DOWN:
        loop.stop()


# How long a dropped runner's loop goes on for the collector before it stops.
_COLLECTOR_SECONDS: Final = 0.05


# Every runner of the process, for the fork handler (one registration, not one a runner).
_RUNNERS: weakref.WeakSet[RefreshRunner] = weakref.WeakSet()


def _forget_in_child() -> None:
    for runner in list(_RUNNERS):
        runner._forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def wait_from_loop(future: concurrent.futures.Future[T]) -> asyncio.Future[T]:
    """An asyncio future of the running loop that takes ``future``'s outcome; cancelling
    it leaves ``future`` running. Unlike ``asyncio.wrap_future``, a loop closed before the
    outcome came (its caller gone) is left alone, not written to from the other thread."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[T] = loop.create_future()

    def settle(done: concurrent.futures.Future[T]) -> None:
        if waiter.done():
            return
        if done.cancelled():
            waiter.cancel()
            return
        error = done.exception()
        if error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(done.result())

    def hand_over(done: concurrent.futures.Future[T]) -> None:
        if loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(settle, done)
        except RuntimeError:  # closed between the check and the call
            return

    future.add_done_callback(hand_over)
    # Its outcome is retrieved here when its caller was cancelled meanwhile: no "exception
    # was never retrieved" for a refresh that failed after its caller left.
    waiter.add_done_callback(lambda done: done.cancelled() or done.exception())
    return asyncio.shield(waiter)
