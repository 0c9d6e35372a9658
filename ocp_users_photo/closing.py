"""AsyncClosing: ``async with`` for what owns connections or files and closes them in ``aclose``."""

from __future__ import annotations

from typing import TypeVar

_Closing = TypeVar("_Closing", bound="AsyncClosing")


class AsyncClosing:
    """``async with obj:`` gives ``obj`` and awaits ``obj.aclose()`` however the block ends.

    One definition for the tool, the agent, the token source and the photo history, which
    each own something (an HTTP client, a database connection) that must not outlive them.
    """

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self: _Closing) -> _Closing:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
