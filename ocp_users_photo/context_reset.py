"""``reset_in_its_context``: a context variable put back, where its token was made.

A call's coroutine sets variables for its own duration (its deadline, the secrets its
logs redact, the person it acts for) and resets them in ``finally``. A task dropped
under way (its loop stopped and closed in a worker thread, the task let go) is closed
by the collector, in whatever context and thread it runs: there ``reset`` raised
ValueError ("created in a different Context") over the GeneratorExit, and each dropped
call printed "Exception ignored in: <coroutine object UsersSetPhoto.call ...>" with a
traceback. That context ends with its task: there is nothing to put back.

Only there: a reset outside its context while no coroutine is being closed (a block
entered in one task and left in another) still raises, as it left the variable set (the
acting person bound) where the block began.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import TypeVar

__all__ = ["reset_in_its_context"]

T = TypeVar("T")


def reset_in_its_context(variable: ContextVar[T], token: Token[T]) -> None:
    """``variable.reset(token)``; nothing outside the context ``token`` was made in while a
    coroutine is being closed (GeneratorExit), the only time its context is gone."""
    try:
        variable.reset(token)
    except ValueError as error:
        if not _closing(error):
            raise


def _closing(error: BaseException) -> bool:
    """Whether ``error`` was raised while a coroutine was being closed: a GeneratorExit
    among the exceptions it was raised over (the call's own cleanup may have raised on the
    closed loop in between)."""
    seen: set[int] = set()
    cause = error.__context__
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, GeneratorExit):
            return True
        seen.add(id(cause))
        cause = cause.__context__
    return False
