"""How long Slack requests may take: each attempt, and the whole call around them.

``attempt_timeout(seconds)``: an ``async with`` block cancelled after ``seconds``, raising
TimeoutError: asyncio's own (a third of the CPU of anyio's cancel scope).

``call_deadline(seconds)``: the end of a whole tool call (its ``deadline=``), which every
Slack request and download made within it keeps to (``call_ends``, ``seconds_left``):
auth.test, the photo shown read for undo, its original's download, the change, a
renewed token's second sending. A context variable, so it follows the call into the
tasks it awaits, and holds only while the call runs (an observer's later work is free).
``outside_call_deadline`` lifts it for a token refresh, which is never cut short (Slack
spends the refresh token it is given: an answer lost is the person's token lost); its
own timeout bounds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import numbers
import time
from asyncio import timeout as attempt_timeout
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import TypeVar

from ocp_users_photo.context_reset import reset_in_its_context

T = TypeVar("T")

__all__ = [
    "attempt_timeout",
    "call_deadline",
    "call_ends",
    "call_seconds",
    "call_started",
    "call_timeout",
    "check_seconds",
    "finite_seconds",
    "outside_call_deadline",
    "seconds_left",
    "within_call",
]


def finite_seconds(value: object) -> float | None:
    """``value`` as a finite number of seconds; None when it is none (a bool, no number,
    NaN, infinity, or a whole number past a float's reach, on which math.isfinite raises
    OverflowError). One check for every setting in seconds, at every door."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return None
    return seconds if math.isfinite(seconds) else None


def check_seconds(name: str, value: object, *, allow_zero: bool = False) -> float:
    """``value`` as seconds, or ValueError naming ``name``: one check and one wording for
    every setting in seconds (the tool's, a token source's, a lock's, the history's, the
    keeper's, an image URL policy's, a framework door's), a huge number said by its size."""
    seconds = finite_seconds(value)
    if seconds is None or seconds < 0 or (seconds == 0 and not allow_zero):
        from ocp_users_photo.arguments import describe_value  # not at import: a cycle

        bound = "0 or more" if allow_zero else "above 0"
        # A number of another type (Decimal, Fraction, numpy's float32) is a number: told
        # only "must be a number ... got a Decimal", its giver was not told what to give.
        kind = (
            ": give it as an int or a float, such as 30 or 2.5"
            if isinstance(value, numbers.Number) and not isinstance(value, int | float)
            else ""
        )
        raise ValueError(
            f"{name} must be a number of seconds {bound}, got {describe_value(value)}{kind}"
        )
    return seconds


class _CallEnd:
    """A call's end, and whether the call still runs: tasks the call starts copy the
    context; while the call runs they keep to its end (its TaskGroup, gather), after it
    they do not (an observer's later work, its own call)."""

    __slots__ = ("ends", "running", "started")

    def __init__(self, ends: float, started: float) -> None:
        self.ends = ends
        self.started = started
        self.running = True


_CALL_ENDS: ContextVar[_CallEnd | None] = ContextVar("ocp_users_photo_call_ends", default=None)


@contextlib.contextmanager
def call_deadline(seconds: float) -> Iterator[None]:
    """Within the block, requests end by ``seconds`` from now (or an enclosing call's end)."""
    started = time.monotonic()
    ends = started + seconds
    enclosing = _CALL_ENDS.get()
    if enclosing is not None and enclosing.running:
        end = _CallEnd(min(enclosing.ends, ends), enclosing.started)
    else:
        end = _CallEnd(ends, started)
    reset = _CALL_ENDS.set(end)
    try:
        yield
    finally:
        end.running = False
        reset_in_its_context(_CALL_ENDS, reset)


@contextlib.contextmanager
def outside_call_deadline() -> Iterator[None]:
    """Within the block, no call's deadline applies (a token refresh: see the module)."""
    reset = _CALL_ENDS.set(None)
    try:
        yield
    finally:
        reset_in_its_context(_CALL_ENDS, reset)


def call_ends(own_end: float) -> float:
    """The earlier of ``own_end`` (a ``time.monotonic()`` value) and the call's end."""
    ends = _ends_now()
    return own_end if ends is None else min(own_end, ends)


def _ends_now() -> float | None:
    """The end of the call under way in this context; None once that call has ended."""
    found = _CALL_ENDS.get()
    return found.ends if found is not None and found.running else None


def call_started() -> float | None:
    """When (``time.monotonic()``) the call under way in this context began; None outside one."""
    found = _CALL_ENDS.get()
    return found.started if found is not None and found.running else None


def call_seconds() -> float | None:
    """How long the call under way may take in all (its deadline, an enclosing call's if
    shorter), for messages; None outside one."""
    found = _CALL_ENDS.get()
    return found.ends - found.started if found is not None and found.running else None


def seconds_left(own_seconds: float) -> float:
    """The earlier of ``own_seconds`` from now and the call's end, in seconds from now."""
    now = time.monotonic()
    return call_ends(now + own_seconds) - now


async def within_call(work: Awaitable[T], ran_out: Callable[[], BaseException]) -> T:
    """``work``, awaited no longer than the call under way may still run; ``ran_out()``
    raised when the call's deadline ends first (a timeout of ``work``'s own goes on as it
    is). Local work that waits (a conversion's turn, a budget, a token source) keeps to the
    deadline as the call's requests do."""
    in_time = call_timeout()
    try:
        async with in_time:
            return await work
    except TimeoutError:
        if not in_time.expired():
            raise
    raise ran_out()


def call_timeout() -> asyncio.Timeout:
    """An ``async with`` block cancelled at the end of the call under way (never outside
    one): the call's local work (an image's decoding, its conversion, taking turns with
    other calls') keeps to its deadline as its requests do. ``expired()`` tells it was."""
    ends = _ends_now()
    if ends is None:
        return asyncio.timeout(None)
    loop = asyncio.get_running_loop()
    return asyncio.timeout_at(loop.time() + (ends - time.monotonic()))
