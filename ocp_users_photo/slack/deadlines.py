"""``attempt_timeout(seconds)``: an ``async with`` block cancelled after ``seconds``, raising
TimeoutError: asyncio's own (a third of the CPU of anyio's cancel scope)."""

from __future__ import annotations

from asyncio import timeout as attempt_timeout

__all__ = ["attempt_timeout"]
