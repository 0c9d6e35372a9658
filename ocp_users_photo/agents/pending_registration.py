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
from collections.abc import Awaitable, Callable, Generator
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


class PendingRegistration:
    """The discovery ``work`` makes, run when this is awaited (once)."""

    __slots__ = ("_awaited", "_work")

    def __init__(self, work: Callable[[], Awaitable[Any]]) -> None:
        self._work = work
        self._awaited = False

    def __await__(self) -> Generator[Any, None, Any]:
        if self._awaited:
            raise RuntimeError("this registration was awaited already")
        self._awaited = True
        return self._work().__await__()

    def __getattr__(self, name: str) -> Any:
        # Only names this class lacks come here: the spec's (tools, name, base_url...).
        raise TypeError(f"not registered yet, so no {name!r}: {NOT_AWAITED}")

    def __repr__(self) -> str:
        return "<PendingRegistration of the Slack API: await it>"

    def __del__(self) -> None:
        if not self._awaited:
            with contextlib.suppress(Exception):  # at interpreter exit logging may be gone
                logger.error("the Slack API was not registered: %s", NOT_AWAITED)
