"""``in_worker_thread``: blocking work (a file's bytes, Pillow's header read, a first import) off
the event loop.

The package's own threads rather than asyncio's executor or anyio's: a call from a path
makes one or two trips, and a trip through ``run_in_executor`` builds a
``concurrent.futures.Future`` with its lock and condition, then chains it to an asyncio
future with callbacks both ways. Here a job goes on a ``queue.SimpleQueue`` and its
outcome comes back with one ``call_soon_threadsafe``: about two thirds of the CPU per trip
(benchmarks/thread_trip.py on a busy 2-core machine: 79 us against 115 us for the
executor, 119 us for ``asyncio.to_thread`` and 138 us for anyio's). The threads are as
many as the executor's default would have (``min(32, cores + 4)``) and daemons, so a read
stuck on a dead network filesystem cannot keep a finished program from exiting.
Conversions have one thread of their own (``in_conversion_thread``), and so has the
decoding of long base64 text (``in_decoding_thread``). Name lookups have
threads of their own too, in two pools: image hosts' (``in_lookup_thread``, up to 32: a
lookup waits on a name server and computes nothing) and those of the hosts the
configuration names, Slack's API and a proxy (``in_configured_lookup_thread``), so a
stalled lookup holds up no file read, no conversion, and an image host's none of Slack's.
Image-host lookups past 32 stalled ones wait their turn, each within its fetch's
deadline, and one whose fetch gave up before a thread took it is never run.

The context variables go along, as with anyio. A job whose caller was cancelled before a
thread took it is not run (a cancelled conversion would hold up every later one). A
cancelled caller does not wait for the thread; what the thread then returns is handed
to ``discard`` (a file it opened is closed,
not left to the collector): in the thread when it comes after the cancellation, so it
needs no further turn of the loop, which asyncio.run closes right after cancelling.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import importlib
import os
import queue
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = [
    "imported_off_loop",
    "in_configured_lookup_thread",
    "in_conversion_thread",
    "in_decoding_thread",
    "in_file_object_thread",
    "in_lookup_thread",
    "in_worker_thread",
]


async def in_worker_thread(
    function: Callable[..., T], *args: Any, discard: Callable[[T], object] | None = None
) -> T:
    """``function(*args)`` in a worker thread; its result, or what it raised."""
    return await _in_pool(_pool, function, args, discard)


async def in_conversion_thread(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in the one thread that decodes and re-encodes images.

    One, so that conversions take turns across every call of the process: each may decode
    50 million pixels (~755 MiB from a 2 KB lossless WebP), and a model's parallel calls
    on the worker threads multiplied that (six: 3.9 GiB). One thread also keeps what they
    allocate in one of the C library's per-thread heaps, which keep freed memory for their
    thread (four conversions in turn on four threads still grew the process by 700 MiB).
    """
    return await _in_pool(_conversions, function, args, None)


async def in_decoding_thread(
    function: Callable[..., T], *args: Any, discard: Callable[[T], object] | None = None
) -> T:
    """``function(*args)`` in the one thread that decodes long base64 text (and reads the
    header of what it decoded).

    One, so that decodings take turns across every call of the process. Each holds the
    interpreter's lock in C for most of its time, so two at once decode no faster than one
    after the other, and every thread that holds the lock is one more the event loop waits
    behind to get it back after each socket call: 24 calls of 16 MB of base64 at once, on
    the six worker threads, had their first image after 0.8 s and their last calls ended
    up to 0.7 s past their 1 s deadline; taking turns, the first was sent after 0.12 s,
    and each left ended at its deadline. A caller cancelled before its turn is never
    decoded.
    """
    return await _in_pool(_decodings, function, args, discard)


async def in_file_object_thread(
    function: Callable[..., T], *args: Any, discard: Callable[[T], object] | None = None
) -> T:
    """``function(*args)`` in a thread kept for reading callers' file objects.

    Not the path readers' threads: a caller's pipe or socket may never give its bytes nor
    end, and its read then holds its thread past the call's deadline for good. Six such
    calls held every worker thread, and each later call from a path, in the whole process,
    ended at its deadline unread. Up to 32, as image hosts' lookups; past that they wait.
    """
    return await _in_pool(_file_objects, function, args, discard)


async def in_lookup_thread(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a thread kept for host name lookups (``socket.getaddrinfo``).

    Their own threads, daemons: a name server that never answers (an image host's may be
    anyone's) holds one of them until the system's resolver gives up. In asyncio's
    executor it would hold a thread httpx's own lookups of Slack's host need, and
    ``asyncio.run`` waits for that executor's threads as it ends, so a program past its
    deadline would not exit until the lookup did. Not the file readers' threads either: a
    stalled lookup never holds up a call from a path.
    """
    return await _in_pool(_lookups, function, args, None)


async def in_configured_lookup_thread(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a thread kept for looking up the hosts the configuration
    names (Slack's API host, a proxy): ``own_loop``'s ``getaddrinfo``.

    Not the image hosts' lookup threads: a model picks which allowed image host to fetch
    from (a suffix such as ``.example.com`` allows any name under it), and however many of
    those lookups stall, Slack's host is still looked up at once.
    """
    return await _in_pool(_configured_lookups, function, args, None)


async def _in_pool(
    pool: _WorkerPool,
    function: Callable[..., T],
    args: tuple[Any, ...],
    discard: Callable[[T], object] | None,
) -> T:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()
    job = _Job(loop, future, functools.partial(context.run, function, *args), discard)
    pool.submit(job)
    try:
        return await future
    except asyncio.CancelledError:
        job.abandon()
        raise
    finally:
        # An error raised here keeps this frame in its traceback: without the future and
        # the job (which hold the error) the two make no cycle, so what the failed call
        # held is freed when the caller lets the error go, not when the collector runs.
        del future, job


class _Job:
    """One blocking call and where its outcome goes (a plain class: cheap to define).

    Who discards a cancelled caller's result is settled under ``turn``: the thread hands
    its outcome to the loop only while the caller still waits, so a result that comes
    after the cancellation is discarded in the thread, with no turn of a loop that may
    never turn again (asyncio.run closes it right after cancelling what is left).
    """

    __slots__ = ("abandoned", "call", "discard", "future", "loop", "outcome", "turn")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[Any],
        call: Callable[[], Any],
        discard: Callable[[Any], object] | None,
    ) -> None:
        self.loop = loop
        self.future = future
        self.call = call
        self.discard = discard
        self.turn = threading.Lock()
        self.abandoned = False
        self.outcome: tuple[bool, Any] | None = None

    def hand_back(self, succeeded: bool, value: Any) -> None:
        """In a worker thread: the outcome to the loop, or to ``discard`` if nobody waits
        (the caller was cancelled, or the loop has closed)."""
        with self.turn:
            if not self.abandoned:
                self.outcome = succeeded, value
                try:
                    self.loop.call_soon_threadsafe(self.settle)
                    return
                except RuntimeError:  # the loop has closed
                    self.outcome = None
        if succeeded and self.discard is not None:
            # Nobody to tell, and the thread must live on whatever happens (even a
            # SystemExit): the pool counts it, and a dead one counted would be waited for.
            with contextlib.suppress(BaseException):
                self.discard(value)

    def settle(self) -> None:
        """On the loop: the caller's answer, or the discard if it was cancelled meanwhile."""
        outcome, self.outcome = self.outcome, None
        if outcome is None:  # the cancelled caller's abandon took it
            return
        succeeded, value = outcome
        if self.future.done():  # cancelled, the caller not yet told
            if succeeded and self.discard is not None:
                self.discard(value)
        elif succeeded:
            self.future.set_result(value)
        else:
            self.future.set_exception(value)

    def abandon(self) -> None:
        """On the loop, as the caller is cancelled: a result it will never take, discarded
        now if it is here (handed back, or even set just before the cancellation reached
        the caller), else by the thread when it comes."""
        with self.turn:
            self.abandoned = True
            outcome, self.outcome = self.outcome, None
        if self.discard is None:
            return
        future = self.future
        if outcome is None and future.done() and not future.cancelled() and not future.exception():
            outcome = True, future.result()
        if outcome is not None and outcome[0]:
            try:
                self.discard(outcome[1])
            except Exception as error:  # reported as a callback's would be; cancelled still
                self.loop.call_exception_handler(
                    {"message": "in_worker_thread: discard failed", "exception": error}
                )


def _outcome(call: Callable[[], Any]) -> tuple[bool, Any]:
    """In a worker thread: (True, what ``call`` returned) or (False, what it raised).

    A function of the call alone, not a method of its job: the error's traceback holds
    this frame, and a frame holding the job (whose future holds the error) would make a
    cycle that keeps whatever the failed call held until the cyclic collector runs.
    """
    try:
        return True, call()
    except StopIteration as stop:  # a future refuses it: the caller would wait forever
        return False, _as_runtime_error(stop)
    except BaseException as error:  # the caller gets it, as from run_in_executor
        return False, error


def _as_runtime_error(stop: StopIteration) -> RuntimeError:
    """What a coroutine's StopIteration becomes (PEP 479), the original as its cause."""
    error = RuntimeError("the function run in a worker thread raised StopIteration")
    error.__cause__ = stop
    return error


class _WorkerPool:
    """Daemon threads taking jobs from one queue, started as the jobs need them.

    A thread is started when a job arrives and no started thread is free to take it,
    up to ``most_threads``; past that, jobs wait their turn. Started threads stay.
    """

    def __init__(self, most_threads: int, kind: str = "worker") -> None:
        self.most_threads = most_threads
        self.kind = kind  # in the threads' names: a stack dump tells a stalled lookup apart
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._counts = threading.Lock()
        self._threads = 0
        self._busy = 0
        self._waiting_jobs = 0

    def submit(self, job: _Job) -> None:
        with self._counts:
            self._waiting_jobs += 1
            start = (
                self._threads < self.most_threads
                and self._waiting_jobs > self._threads - self._busy
            )
            if start:
                self._threads += 1
                name = f"ocp-users-photo-{self.kind}-{self._threads}"
        if start:
            try:
                threading.Thread(target=self._serve, name=name, daemon=True).start()
            except BaseException:  # e.g. "can't start new thread": the caller hears it
                with self._counts:
                    self._threads -= 1
                    self._waiting_jobs -= 1
                raise
        self._jobs.put(job)

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            with self._counts:
                self._waiting_jobs -= 1
                if job.abandoned:  # its caller was cancelled while it waited: not run
                    del job
                    continue
                self._busy += 1
            succeeded, value = _outcome(job.call)
            with self._counts:
                self._busy -= 1
            # Last before waiting again: the loop wakes to take the result, and finds the
            # GIL free rather than waiting for this thread's bookkeeping.
            job.hand_back(succeeded, value)
            del job, value


def _most_threads() -> int:
    return min(32, (os.cpu_count() or 1) + 4)


# Image hosts' lookups: each waits on a name server and computes nothing, so as many as
# asyncio's executor has on a large machine, whatever this one's cores.
_MOST_LOOKUP_THREADS = 32

_pool = _WorkerPool(_most_threads(), "worker")
_conversions = _WorkerPool(1, "conversion")
_decodings = _WorkerPool(1, "decoding")
_lookups = _WorkerPool(_MOST_LOOKUP_THREADS, "lookup")
_configured_lookups = _WorkerPool(_most_threads(), "configured-lookup")
_file_objects = _WorkerPool(_MOST_LOOKUP_THREADS, "file-object")


def _new_pool_after_fork() -> None:
    """A forked child has none of its parent's threads: it starts its own."""
    global _pool, _conversions, _decodings, _lookups, _configured_lookups, _file_objects
    _pool = _WorkerPool(_most_threads(), "worker")
    _conversions = _WorkerPool(1, "conversion")
    _decodings = _WorkerPool(1, "decoding")
    _lookups = _WorkerPool(_MOST_LOOKUP_THREADS, "lookup")
    _configured_lookups = _WorkerPool(_most_threads(), "configured-lookup")
    _file_objects = _WorkerPool(_MOST_LOOKUP_THREADS, "file-object")


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_pool_after_fork)


async def imported_off_loop(name: str) -> ModuleType:
    """Module ``name``, imported in a worker thread if it is not yet: a first import reads
    its files (and those of what it imports), which on the event loop stalls every task.

    A module another thread is still importing is in ``sys.modules`` already, half made:
    it is waited for in a worker thread too, or a ``from name import ...`` that follows
    would wait for it on the loop (its spec's ``_initializing`` is importlib's own mark).
    """
    module = sys.modules.get(name)
    if module is None or getattr(getattr(module, "__spec__", None), "_initializing", False):
        module = await in_worker_thread(importlib.import_module, name)
    return module
