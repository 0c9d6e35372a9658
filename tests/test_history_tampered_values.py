"""Found by fuzzing the photo history's row reading: values SQLite
stores in any column, whatever its declared type, are a damaged history
(HistoryUnavailable), never a stray exception."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.undo import KeptPhotoUnusable
from tests.test_undo_hostile_history import tamper
from tests.undo_fixtures import GREEN, RED, history_tool, rows


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


async def two_changes(emulator: RunningEmulator, history_file: Path) -> None:
    async with history_tool(emulator, history_file, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": GREEN, "crop_x": 0, "crop_y": 0, "crop_w": 512})


@pytest.mark.parametrize("data", ["not bytes", 1.5, 10**14])
async def test_kept_bytes_of_another_type_are_a_damaged_entry_on_undo(
    emulator: RunningEmulator, tmp_path: Path, data: object
) -> None:
    # store.py _entry: bytes(row[-1]) raises TypeError for TEXT or REAL, and for an INTEGER
    # allocates that many zero bytes (MemoryError at 10**14; 1e9 costs a second). Told as
    # that entry's damage: the history's other entries still go back.
    history_file = tmp_path / "history.sqlite3"
    await two_changes(emulator, history_file)
    tamper(history_file, "UPDATE photos SET data = ?", data)
    async with history_tool(emulator, history_file) as tool:
        with pytest.raises(KeptPhotoUnusable) as refused:
            await tool.undo()
        result = await tool.restore_tool().run({"entry": 2})
    assert refused.value.entry == 2
    assert "kept as something other than bytes" in str(refused.value)
    assert result["ok"] is False
    assert result["error"] == "invalid_arguments"
    assert "the photo kept as #2 cannot be sent" in result["message"]


@pytest.mark.parametrize(
    "replaced_by",
    [
        json.dumps({"image": {"crop": {"crop_x": 0, "crop_y": 0, "crop_w": 1}}}).replace(
            '"crop_w": 1', '"crop_w": 1e999'
        ),
        "[" * 100_000,
    ],
    ids=["infinite-crop", "deep-nesting"],
)
async def test_a_damaged_description_of_the_change_shown_is_no_stray_exception(
    emulator: RunningEmulator, tmp_path: Path, replaced_by: str
) -> None:
    # store.py _crop_in_force reads the description of the change that set the photo
    # shown now, catching ValueError/TypeError/KeyError/AttributeError only: 1e999 gives
    # OverflowError from int(inf), deep nesting RecursionError; either escapes tool.call
    # (and run), before the change.
    history_file = tmp_path / "history.sqlite3"
    await two_changes(emulator, history_file)
    tamper(history_file, "UPDATE entries SET replaced_by = ?", replaced_by)
    async with history_tool(emulator, history_file, keep_previous=True) as tool:
        result = await tool.run({"image": RED})  # run() never raises for an expected failure
    # run() returns a dict whatever happens: what it says is the check. The damaged
    # description is a damaged history, told before the change (not read as "set whole").
    assert result["ok"] is False, result
    assert result["error"] == "history_unavailable", result
    assert "the description of the change shown now" in result["message"], result["message"]
    assert "nothing was changed in Slack" in result["message"], result["message"]


async def test_a_kept_photos_size_written_of_another_type_is_not_read(
    emulator: RunningEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The entries are pushed out when a change ends (_evict): a size that is text raised
    # ValueError there, which reached the observers' "failed" log with a traceback. A kept
    # photo's size is now its bytes' own (store._PHOTO_SIZE): the column is not read.
    history_file = tmp_path / "history.sqlite3"
    await two_changes(emulator, history_file)
    tamper(history_file, "UPDATE photos SET byte_count = 'x'")
    async with history_tool(emulator, history_file, keep_previous=True) as tool:
        reply = await tool.call({"image": RED})
        kept = await tool.history()
    assert reply["ok"] is True
    assert [record for record in caplog.records if record.levelname == "WARNING"] == []
    assert [entry.entry for entry in kept] == [3, 2, 1]
    sizes = {
        key: size for key, size in rows(history_file, "SELECT sha256, length(data) FROM photos")
    }
    for entry in kept:
        assert entry.byte_count == (sizes[entry.sha256] if entry.sha256 else None)
