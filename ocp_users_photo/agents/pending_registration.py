"""What ``agent.register_api('slack', spec_url=...)`` returns inside an event loop, once
``register(agent)`` wraps ocp-agent's synchronous library: an awaitable.

Awaited, the agent's own discovery of the spec runs in a worker thread, the loop free.
Called the library's own way instead (its ``register_api`` is synchronous, and returns
the spec), nothing would run, and nothing would say so but Python's "never awaited"
warning: the Slack tools the discovery finds never appeared. So a use of it as the spec
(``spec.tools``) raises, and one dropped without being awaited logs an error, each
saying what to do.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Generator
from types import TracebackType
from typing import Any, Final

__all__ = ["PendingRegistration"]

logger = logging.getLogger("ocp_users_photo.agents.register")

NOT_AWAITED: Final = (
    "agent.register_api('slack', spec_url=...) inside an event loop returns an awaitable "
    "once register(agent) is in place: await it (spec = await agent.register_api(...)), "
    "which runs the spec's discovery in a worker thread, or call it from a thread with no "
    "event loop (await asyncio.to_thread(agent.register_api, 'slack', spec_url=...)), "
    "where it returns the spec as ocp-agent's does"
)


class PendingRegistration(Coroutine[Any, Any, Any]):
    """The discovery ``work`` makes, run when this is awaited or stepped as a coroutine
    (``asyncio.create_task`` takes it, as it took the coroutine this once was)."""

    __slots__ = ("_dropped", "_steps", "_work")

    def __init__(self, work: Callable[[], Awaitable[Any]]) -> None:
        self._work = work
        self._steps: Generator[Any, None, Any] | None = None
        self._dropped = False

    def _started(self) -> Generator[Any, None, Any]:
        if self._steps is None:
            self._steps = self._work().__await__()
        return self._steps

    def __await__(self) -> Generator[Any, None, Any]:
        return self._started()

    def send(self, value: Any, /) -> Any:
        return self._started().send(value)

    def throw(
        self,
        typ: type[BaseException] | BaseException,
        val: BaseException | object = None,
        tb: TracebackType | None = None,
        /,
    ) -> Any:
        if val is None and tb is None:
            return self._started().throw(typ)
        return self._started().throw(typ, val, tb)  # type: ignore[arg-type]

    def close(self) -> None:
        if self._steps is None:
            self._dropped = True  # closed before its first step: nothing was registered
            return
        self._steps.close()

    def __getattr__(self, name: str) -> Any:
        # Only names this class lacks come here. A coroutine's own (cr_code, which asyncio
        # looks up with hasattr to show a task) and any dunder are plainly absent; any
        # other is the spec's (tools, name, base_url...), used as if it were registered.
        if name.startswith(("_", "cr_", "gi_")):
            raise AttributeError(name)
        raise TypeError(f"not registered yet, so no {name!r}: {NOT_AWAITED}")

    def __repr__(self) -> str:
        return "<PendingRegistration of the Slack API: await it>"

    def __del__(self) -> None:
        if self._steps is None or self._dropped:
            with contextlib.suppress(Exception):  # at interpreter exit logging may be gone
                logger.error("the Slack API was not registered: %s", NOT_AWAITED)
