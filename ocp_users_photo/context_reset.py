"""``reset_in_its_context``: a context variable put back, where its token was made.

A call's coroutine sets variables for its own duration (its deadline, the secrets its
logs redact, the person it acts for) and resets them in ``finally``. A task dropped
under way (its loop stopped and closed in a worker thread, the task let go) is closed
by the collector, in whatever context and thread it runs: there ``reset`` raised
ValueError ("created in a different Context") over the GeneratorExit, and each dropped
call printed "Exception ignored in: <coroutine object UsersSetPhoto.call ...>" with a
traceback. That context ends with its task: there is nothing to put back.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar, Token
from typing import TypeVar

__all__ = ["reset_in_its_context"]

T = TypeVar("T")


def reset_in_its_context(variable: ContextVar[T], token: Token[T]) -> None:
    """``variable.reset(token)``, nothing outside the context ``token`` was made in."""
    with contextlib.suppress(ValueError):
        variable.reset(token)
