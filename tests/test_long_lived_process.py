"""A process that serves for days (an MCP server, an agent service): what it remembers
between calls must not go on refusing what Slack now accepts."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.undo import PhotoHistory
from tests.emulator_fixtures import solid_png

WRITE_ONLY = "users.profile:write"
BOTH = "users.profile:read,users.profile:write"


async def test_a_read_scope_added_after_a_keeping_refusal_is_seen_without_restarting(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # A model door keeps the replaced photo (DEFAULTS.md): a token without
    # users.profile:read is refused with "add the user scope users.profile:read ...,
    # reinstall it". Slack keeps the token string when scopes are added, and the write
    # scope's refusal already asks auth.test afresh (test_fixes_reviewed.py). The read
    # scope's must too, or a long-running server refuses every change until it restarts.
    token = "xoxp-1234567890-1234567890123-readscopeaddedlater000000000"
    emulator.state.add_token(token, scopes=WRITE_ONLY)
    async with UsersSetPhoto(
        token,
        base_url=emulator.base_url,
        environ={},
        photo_history=tmp_path / "history.sqlite3",
    ) as tool:
        first = await tool.run({"image": solid_png()})
        assert first["error"] == "previous_photo_not_kept", first
        emulator.state.add_token(token, scopes=BOTH)
        assert "users.profile:read" in ((await tool.whoami()).scopes or ())
        second = await tool.run({"image": solid_png()})
    assert second["ok"] is True, second


async def test_a_read_scope_added_since_is_used_to_keep_with_keep_previous_true(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # The same through the Python door with keep_previous=True: the refusal's advice,
    # followed, must work in the same process.
    token = "xoxp-1234567890-1234567890123-readscopeaddedlater111111111"
    emulator.state.add_token(token, scopes=WRITE_ONLY)
    async with UsersSetPhoto(
        token,
        base_url=emulator.base_url,
        environ={},
        keep_previous=True,
        photo_history=tmp_path / "history.sqlite3",
    ) as tool:
        first = await tool.run({"image": solid_png()})
        assert first["ok"] is False
        emulator.state.add_token(token, scopes=BOTH)
        second = await tool.run({"image": solid_png((200, 10, 10))})
    assert second["ok"] is True, second


class _TimedOutAfterRecording(PhotoHistory):
    """A history whose first recorded outcome is followed at once by the caller's timeout
    (a host's asyncio.timeout, an MCP client's cancellation): the cancellation lands while
    the keeper ends the person's turn, after Slack answered and the entry was finished."""

    armed = True

    async def finish(self, *args: Any, **kwargs: Any) -> bool:
        recorded = await super().finish(*args, **kwargs)
        if self.armed:
            self.armed = False
            task = asyncio.current_task()
            assert task is not None
            task.cancel()
        return recorded


async def test_a_call_cancelled_as_its_turn_ends_does_not_hold_the_person_for_the_whole_lease(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # README (Undo): a call cancelled while its change is on its way holds the person's turn
    # for 10 s more (settle_seconds); any other lease of a living process is given back.
    # Cancelled after Slack answered, while the turn ends (anyio's thread limiter is a
    # checkpoint, so release_lease never reached its thread), the lease stayed for its
    # full 180 s: the person's next change waited that long, then failed at its 120 s
    # deadline ("no time was left ... for users.profile.get").
    history = _TimedOutAfterRecording(tmp_path / "history.sqlite3")
    async with UsersSetPhoto(
        "xoxp-1234567890-1234567890123-cancelledasturnends00000000",
        base_url=emulator.base_url,
        environ={},
        keep_previous=True,
        photo_history=history,
    ) as tool:
        with pytest.raises(asyncio.CancelledError):
            await tool.call({"image": solid_png()})
        assert not history.armed
        started = time.monotonic()
        reply = await asyncio.wait_for(tool.call({"image": solid_png((9, 99, 199))}), 30)
        assert reply["ok"] is True
        assert time.monotonic() - started < 15
    await history.aclose()
