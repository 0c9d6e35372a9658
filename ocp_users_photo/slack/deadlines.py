"""How long Slack requests may take: each attempt, and the whole call around them.

``attempt_timeout(seconds)``: an ``async with`` block cancelled after ``seconds``, raising
TimeoutError: asyncio's own (a third of the CPU of anyio's cancel scope).

``call_deadline(seconds)``: the end of a whole tool call (its ``deadline=``), which every
Slack request and download made within it keeps to (``call_ends``, ``seconds_left``):
auth.test, the photo shown read for undo, its original's download, the change, a
renewed token's second sending. A context variable naming the call's task: it holds
there, never in another call, nor in a task the call starts (an observer's later work).
``outside_call_deadline`` lifts it for a token refresh, which is never cut short (Slack
spends the refresh token it is given: an answer lost is the person's token lost); its
own timeout bounds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from asyncio import timeout as attempt_timeout
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

__all__ = [
    "attempt_timeout",
    "call_deadline",
    "call_ends",
    "outside_call_deadline",
    "seconds_left",
]

# The call's end and the task that runs the call: a task the call starts copies the
# context, and must not be held to the call's end (an observer's later work, its own call).
_CALL_ENDS: ContextVar[tuple[float, asyncio.Task[Any] | None] | None] = ContextVar(
    "ocp_users_photo_call_ends", default=None
)


@contextlib.contextmanager
def call_deadline(seconds: float) -> Iterator[None]:
    """Within the block, requests end by ``seconds`` from now (or an enclosing call's end)."""
    ends = time.monotonic() + seconds
    enclosing = _ends_here()
    task = _current_task()
    reset = _CALL_ENDS.set((ends if enclosing is None else min(enclosing, ends), task))
    try:
        yield
    finally:
        _CALL_ENDS.reset(reset)


@contextlib.contextmanager
def outside_call_deadline() -> Iterator[None]:
    """Within the block, no call's deadline applies (a token refresh: see the module)."""
    reset = _CALL_ENDS.set(None)
    try:
        yield
    finally:
        _CALL_ENDS.reset(reset)


def call_ends(own_end: float) -> float:
    """The earlier of ``own_end`` (a ``time.monotonic()`` value) and the call's end."""
    ends = _ends_here()
    return own_end if ends is None else min(own_end, ends)


def _ends_here() -> float | None:
    """The end of the call this task runs; None in any other task (one it started)."""
    found = _CALL_ENDS.get()
    if found is None:
        return None
    ends, task = found
    return ends if task is _current_task() else None


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop
        return None


def seconds_left(own_seconds: float) -> float:
    """The earlier of ``own_seconds`` from now and the call's end, in seconds from now."""
    now = time.monotonic()
    return call_ends(now + own_seconds) - now
