"""``attempt_timeout(seconds)``: an ``async with`` block cancelled after ``seconds``, raising
TimeoutError: asyncio's own on Python 3.11+ (a third of the CPU of anyio's cancel scope,
which Python 3.10 still uses)."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    from asyncio import timeout as attempt_timeout
else:
    import contextlib
    from collections.abc import AsyncIterator

    import anyio

    @contextlib.asynccontextmanager
    async def attempt_timeout(seconds: float) -> AsyncIterator[None]:
        with anyio.fail_after(seconds):
            yield


__all__ = ["attempt_timeout"]
