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
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_command"]

T = TypeVar("T")


def run_command(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``; KeyboardInterrupt for SIGTERM, as for Ctrl-C."""
    return asyncio.run(_stopped_by_sigterm(main))


async def _stopped_by_sigterm(main: Coroutine[Any, Any, T]) -> T:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    terminated = False

    def terminate() -> None:
        nonlocal terminated
        terminated = True
        if task is not None:
            task.cancel()

    installed = False
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGTERM, terminate)  # not on Windows, nor off the
        installed = True  # main thread
    try:
        return await main
    except asyncio.CancelledError:
        if terminated:
            raise KeyboardInterrupt from None
        raise
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGTERM)
