"""Review 18 of the photo history: defects found with real files and processes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from tests.conftest import CANARY_TOKEN
from tests.test_undo_hostile_history import tamper
from tests.undo_fixtures import GREEN, RED, history_tool, picture, shown


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


async def test_keeping_a_photo_whose_stored_copy_was_changed_keeps_the_real_bytes(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history_file = tmp_path / "history.sqlite3"
    blue = picture((40, 60, 200))
    async with history_tool(emulator, history_file, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": GREEN})  # keeps RED
        await tool.call({"image": RED})  # keeps GREEN; RED shown
    # Other bytes under RED's key (a damaged page, a restored backup, another program).
    red_original = (await shown(emulator, CANARY_TOKEN)).original
    assert red_original is not None
    tamper(
        history_file,
        "UPDATE photos SET data = ? WHERE sha256 = ?",
        blue,
        hashlib.sha256(red_original).hexdigest(),
    )
    async with history_tool(emulator, history_file, keep_previous=True) as tool:
        await tool.call({"image": GREEN})  # keeps RED (shown) again: its bytes are at hand
        # Observed: the keep reused the changed row (INSERT OR IGNORE), the change was sent,
        # and this undo refused the entry as damaged: RED, kept a moment ago, was lost.
        await tool.undo()
    assert (await shown(emulator, CANARY_TOKEN)).original == red_original
