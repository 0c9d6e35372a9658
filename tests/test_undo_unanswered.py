"""A change Slack got but never answered (unknown): its upload may still land.

The review of 2026-12-05 found an undo run right after such a change read the photo shown
before the upload had landed, took the change for one that never happened, and dropped
its entry: the person's original, whose one copy it was. The late upload then set the
new photo, with nothing left to undo it. Both tests failed before the fix.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.errors import UsersPhotoError, may_have_taken_effect
from ocp_users_photo.undo import NothingToUndo
from tests.conftest import shown_avatar_hash
from tests.undo_fixtures import GREEN, history_tool, own_photo


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


async def test_an_undo_right_after_an_unanswered_change_waits_for_it_then_puts_back_the_original(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Slack sets GREEN 1.5 s after it got it; the call gave up at 0.5 s. The undo asked at
    once waits out the change's settle time (3 s here), sees GREEN, and puts RED back."""
    own = await own_photo(emulator)
    emulator.faults.inject(Fault.delay(1.5))
    history = tmp_path / "h.sqlite3"
    async with history_tool(
        emulator, history, keep_previous=True, timeout=0.5, max_retries=0
    ) as tool:
        tool._keeper(model_facing=False).settle_seconds = 3.0  # type: ignore[union-attr]
        with pytest.raises(UsersPhotoError) as raised:
            await tool.call({"image": GREEN})
        assert may_have_taken_effect(raised.value), repr(raised.value)
        assert shown_avatar_hash(emulator) == own, "the upload has not landed yet"
        started = time.monotonic()
        await tool.undo()
        assert time.monotonic() - started >= 2.0, "the undo did not wait for the change"
        assert shown_avatar_hash(emulator) == own
        kept = await tool.history()
        assert kept, "the undo's own entry (GREEN, replaced by RED) is kept"
        assert kept[0].avatar_hash != own, [k.describe() for k in kept]


async def test_an_undo_never_drops_the_persons_original_on_one_read(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The change after the original is dropped unanswered and not made: Slack still shows
    RED. Undo has nothing to put back and says so, and RED stays kept (were the upload to
    land later, it would be the one copy of the person's own photo)."""
    own = await own_photo(emulator)
    emulator.faults.inject(Fault.drop())
    history = tmp_path / "h.sqlite3"
    async with history_tool(emulator, history, keep_previous=True, max_retries=0) as tool:
        tool._keeper(model_facing=False).settle_seconds = 0.1  # type: ignore[union-attr]
        with pytest.raises(UsersPhotoError) as raised:
            await tool.call({"image": GREEN})
        assert may_have_taken_effect(raised.value), repr(raised.value)
        assert shown_avatar_hash(emulator) == own
        with pytest.raises(NothingToUndo) as refused:
            await tool.undo()
        assert "it stays kept" in str(refused.value), str(refused.value)
        kept = await tool.history()
        assert [(k.original, k.avatar_hash) for k in kept] == [(True, own)]
