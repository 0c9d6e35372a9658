"""A change cancelled at every stage of its way: what follows is still right.

One tool with a host's ``PhotoKeeper`` (settling in 0.3 s rather than 10, so that the
sweep runs in seconds) sets a photo, cancelled after k turns of the event loop, for k
from 0 (before it starts) to past its end: while it checks, keeps the photo shown,
uploads, waits for Slack, records. After each, the person's next change must go
through and be what Slack shows, and undoing it must put back exactly the photo shown
before it, whether or not the cancelled one had landed; and the tool, once closed,
holds no file descriptor more than before.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.undo import PhotoHistory
from ocp_users_photo.undo.keeper import PhotoKeeper
from tests.conftest import CANARY_TOKEN, shown_avatar_hash
from tests.undo_fixtures import picture, shown

SETTLE_SECONDS = 0.3


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.runs_long
async def test_a_change_cancelled_at_any_point_leaves_the_next_change_and_its_undo_right(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history = PhotoHistory(tmp_path / "history.sqlite3")
    keeper = PhotoKeeper(history, settle_seconds=SETTLE_SECONDS)
    tool = UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        observers=[keeper],
        retry_backoff=0.01,
    )
    outcomes: list[str] = []
    try:
        await tool.call({"image": picture((1, 2, 3))})
        before_sweep = open_descriptors()
        for turns in range(0, 240, 16):
            cancelled = asyncio.create_task(tool.call({"image": picture((200, turns, 0))}))
            for _ in range(turns):
                await asyncio.sleep(0)
            cancelled.cancel()
            try:
                await cancelled
                outcomes.append("done")
            except asyncio.CancelledError:
                outcomes.append("cancelled")
            await asyncio.sleep(SETTLE_SECONDS + 0.05)  # a landed upload has settled
            before = await shown(emulator, CANARY_TOKEN)
            reply = await asyncio.wait_for(tool.call({"image": picture((0, 200, turns))}), 15)
            assert shown_avatar_hash(emulator) == reply["profile"]["avatar_hash"], turns
            await asyncio.wait_for(tool.undo(), 15)
            after = await shown(emulator, CANARY_TOKEN)
            assert after.renditions == before.renditions, f"undo after {turns} turns"
    finally:
        await tool.aclose()
        history.close()
    assert "cancelled" in outcomes, outcomes
    assert open_descriptors() <= before_sweep, "a cancelled change left a descriptor open"
