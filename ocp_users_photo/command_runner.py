"""The commands' event loop: SIGTERM ends a command as Ctrl-C does.

``timeout``, systemd, a closing terminal's session stop a program with SIGTERM, whose
default ends the process on the spot: a change whose upload Slack already has would
then hold no one's turn, and the person's next change could be overtaken by it. Here
SIGTERM cancels the command's task, so the change ends as a Ctrl-C'd one does (its
turn held for the settle time, its entry left pending), and the command exits as
interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

from ocp_users_photo.own_loop import run_own_loop

__all__ = ["run_command", "signal_handled"]

T = TypeVar("T")


def run_command(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on a loop of the package's own (own_loop.py: a stalled name
    lookup does not hold the command's exit); KeyboardInterrupt for SIGTERM, as for Ctrl-C."""
    return run_own_loop(_stopped_by_sigterm(main))


async def _stopped_by_sigterm(main: Coroutine[Any, Any, T]) -> T:
    task = asyncio.current_task()
    terminated = False

    def terminate() -> None:
        nonlocal terminated
        terminated = True
        if task is not None:
            task.cancel()

    with signal_handled(signal.SIGTERM, terminate):
        try:
            return await main
        except asyncio.CancelledError:
            if terminated:
                raise KeyboardInterrupt from None
            raise


@contextlib.contextmanager
def signal_handled(number: int, callback: Callable[..., object], *args: Any) -> Iterator[None]:
    """While the block runs, ``callback(*args)`` runs on the running loop when signal
    ``number`` arrives: through the loop's own handler, or, where the loop takes none
    (asyncio's Windows loops), through Python's, which hands it to the loop; the handler
    before is put back after. Off the main thread no signal can be handled: nothing is set.
    """
    loop = asyncio.get_running_loop()
    try:
        # The loop's remove_signal_handler sets the default action, not the handler before
        # (the console script's SIGTERM-as-Ctrl-C, for what runs after the loop): put back.
        before = signal.getsignal(number)
        loop.add_signal_handler(number, callback, *args)
    except (NotImplementedError, RuntimeError, ValueError):
        try:
            previous = signal.signal(
                number, lambda _number, _frame: loop.call_soon_threadsafe(callback, *args)
            )
        except (ValueError, OSError, RuntimeError):
            yield
            return
        try:
            yield
        finally:
            signal.signal(number, previous)
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(number)
        if before is not None:
            signal.signal(number, before)
