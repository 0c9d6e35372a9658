"""The HTTP stacks a client owns, one per event loop, kept on the loop they belong to.

Connections belong to the loop that opened them, so a client shared by threads (each
``call_sync`` or ``asyncio.run`` runs a loop of its own) keeps a stack per loop. Held in
a dict of the client's, they would hold their loops: a loop its program stopped but never
closed (``new_event_loop()`` and ``run_until_complete`` per request, an old-style sync
view) would be kept for good, with its selector, its self-pipe and its connections,
where without this package it is collected (and closed) once unreferenced. So each
stack is held by its loop (an attribute the loop carries), and the client keeps only
weak references: loop and stack go together. A loop that takes no attribute (uvloop's)
keeps its stack in the client, as before, until it is closed.

A client dropped without ``aclose`` hands each stack a loop still runs to that loop to
close (``close_on_their_loops``, its finalizer): left to the collector, httpx's pooled
connections were collected with the stack, each an "unclosed transport".
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Final

from ocp_users_photo.fork_safe_lock import ForkSafeLock
from ocp_users_photo.slack.stacks import OwnedStack

# The attribute a loop carries: the stacks of every client that used it, by client.
_ON_THE_LOOP: Final = "_ocp_users_photo_stacks"
# The closes handed to loops by dropped clients, held until done (a loop holds its tasks
# weakly).
_CLOSING: Final[set[asyncio.Task[None]]] = set()


class LoopStacks:
    """``get``/``set``/``pop`` a stack per loop; true while any loop still holds one."""

    def __init__(self) -> None:
        self._loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
        # Loops that carry no attribute: held here until they are closed.
        self._held: dict[asyncio.AbstractEventLoop, OwnedStack] = {}
        # Other threads' loops add and drop theirs as this one walks them: a WeakSet is
        # walked a step at a time ("Set changed size during iteration" from call_sync in
        # several threads), so changes and copies are made under the lock.
        self._lock = ForkSafeLock()  # a forked child's is free

    def get(self, loop: asyncio.AbstractEventLoop) -> OwnedStack | None:
        held = self._held.get(loop)
        if held is not None:
            return held
        on_loop = getattr(loop, _ON_THE_LOOP, None)
        return None if on_loop is None else on_loop.get(self)

    def set(self, loop: asyncio.AbstractEventLoop, stack: OwnedStack) -> None:
        on_loop: weakref.WeakKeyDictionary[LoopStacks, OwnedStack] | None
        on_loop = getattr(loop, _ON_THE_LOOP, None)
        if on_loop is None:
            on_loop = weakref.WeakKeyDictionary()
            try:
                setattr(loop, _ON_THE_LOOP, on_loop)
            except AttributeError:  # a loop with no __dict__ (uvloop)
                with self._lock:
                    self._held[loop] = stack
                return
        on_loop[self] = stack
        with self._lock:
            self._loops.add(loop)

    def pop(self, loop: asyncio.AbstractEventLoop) -> OwnedStack | None:
        with self._lock:
            held = self._held.pop(loop, None)
            if held is not None:
                return held
            self._loops.discard(loop)
        on_loop = getattr(loop, _ON_THE_LOOP, None)
        return None if on_loop is None else on_loop.pop(self, None)

    def let_go_of_closed(self) -> None:
        """Drop the stacks of loops that have been closed: their connections close as they are
        collected (slack/aiohttp_stack.py), with no call left to use them."""
        with self._lock:
            loops = [*self._held, *self._loops]
        for loop in loops:
            if loop.is_closed():
                stack = self.pop(loop)
                if stack is not None:
                    stack.let_go()

    def __bool__(self) -> bool:
        with self._lock:
            held, loops = bool(self._held), list(self._loops)
        return held or any(self.get(loop) is not None for loop in loops)

    def close_on_their_loops(self) -> None:
        """Close each stack on its loop, where that loop still runs: the client that owns
        them was dropped without ``aclose``. Run by its finalizer, on whichever thread the
        collector ran in; a stack may only be closed on its own loop's thread. A loop that
        is not running lets its stack go, as before (collected with it)."""
        with self._lock:
            loops = [*self._held, *self._loops]
        for loop in loops:
            stack = self.pop(loop)
            if stack is None or stack.is_closed:
                continue
            if not loop.is_running():
                stack.let_go()
            elif _runs_here(loop):
                _close_on(loop, stack)
            else:
                with contextlib.suppress(RuntimeError):  # closed meanwhile: let go, below
                    loop.call_soon_threadsafe(_close_on, loop, stack)
                    continue
                stack.let_go()


def _close_on(loop: asyncio.AbstractEventLoop, stack: OwnedStack) -> None:
    """Close ``stack`` in a task of ``loop``'s, called in that loop's thread."""
    closing = loop.create_task(stack.aclose())
    _CLOSING.add(closing)
    closing.add_done_callback(_closed)


def _closed(closing: asyncio.Task[None]) -> None:
    """A close's end: its failure read (nobody awaits it; the loop would say it was not)."""
    _CLOSING.discard(closing)
    if not closing.cancelled():
        closing.exception()


def _runs_here(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``loop`` is the event loop running in this thread."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
