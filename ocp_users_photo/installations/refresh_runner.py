"""Token refreshes on an event loop of their own, in a daemon thread, whatever loop asked.

Slack spends the refresh token when it answers: a refresh cut short between the answer
and the save leaves the store holding a spent token, and the person must install the app
again. A task on the caller's loop is not safe from that, shielded or not: a loop that
ends (``asyncio.run`` after a timeout, a test's loop, a web view's loop per request)
cancels every task left on it. So each refresh runs here, on a loop no caller ends, and
the caller waits for its result without being able to cancel it.

The thread starts at the first refresh and stops at ``aclose``; a forked child starts its
own (the parent's thread is not in it).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class RefreshRunner:
    """A loop in a daemon thread that runs coroutines to their end, started when needed."""

    def __init__(self, name: str = "ocp-users-photo-refresh") -> None:
        self._name = name
        self._guard = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._under_way: set[concurrent.futures.Future[Any]] = set()
        if hasattr(os, "register_at_fork"):
            forget = weakref.WeakMethod(self._forget_after_fork)
            os.register_at_fork(after_in_child=lambda: _call_if_alive(forget))

    def submit(self, work: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``work`` on the runner's loop; its future, which no caller's loop can cancel."""
        future = asyncio.run_coroutine_threadsafe(work, self._running_loop())
        self._under_way.add(future)
        future.add_done_callback(self._under_way.discard)
        return future

    def under_way(self) -> list[concurrent.futures.Future[Any]]:
        """The futures of the work not done yet."""
        return list(self._under_way)

    async def result(self, work: Coroutine[Any, Any, T]) -> T:
        """``work``'s result, run on the runner's loop; a cancelled caller stops waiting for
        it, the work goes on to its end."""
        return await wait_from_loop(self.submit(work))

    @property
    def started(self) -> bool:
        return self._loop is not None

    def stop(self) -> None:
        """Stop the loop and its thread (what runs on it should be done: ``aclose`` waits)."""
        with self._guard:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not threading.current_thread():
            thread.join()
        loop.close()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._guard:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def _forget_after_fork(self) -> None:
        """In a forked child the parent's thread is gone: the next refresh starts a new one
        (the old loop is dropped unclosed: its selector is the parent's too)."""
        self._guard = threading.Lock()
        self._loop = self._thread = None
        self._under_way = set()  # the parent's: never done here


def _call_if_alive(method: weakref.WeakMethod[Callable[[], None]]) -> None:
    bound = method()
    if bound is not None:
        bound()


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
