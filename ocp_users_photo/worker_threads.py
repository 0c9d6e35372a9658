"""``in_worker_thread``: blocking work (a file's bytes, Pillow's header read, a first import) off
the event loop.

asyncio's own executor rather than anyio's worker threads: a trip costs about two
thirds of anyio's CPU (measured: 42-53 us against 76 us on a busy 2-core machine),
and a call from a path makes one or two. The context variables go along, as with
anyio. A cancelled caller does not wait for the thread; what the thread then returns
is handed to ``discard`` (a file it opened is closed, not left to the collector).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import importlib
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")


async def in_worker_thread(
    function: Callable[..., T], *args: Any, discard: Callable[[T], object] | None = None
) -> T:
    """``function(*args)`` in a worker thread; its result, or what it raised."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, function, *args)
    future = loop.run_in_executor(None, call)
    if discard is None:
        return await future
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(functools.partial(_discard_result, discard))
        raise


def _discard_result(discard: Callable[[Any], object], done: asyncio.Future[Any]) -> None:
    if not done.cancelled() and done.exception() is None:
        discard(done.result())


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
