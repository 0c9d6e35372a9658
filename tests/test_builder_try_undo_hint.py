"""Builder try (builder-try): undo after the Python door's call() says how to keep.

The README's "Tokens per person" program sets photos with ``tool.acting_as(...).call(...)``,
the Python door, whose keeping is off unless ``UsersSetPhoto(keep_previous=True)``. A
builder who then adds ``await person.undo()`` gets ``NothingToUndo`` saying only "a photo
is kept when a change replaces it with keeping on": it names neither that ``call`` kept
nothing by default nor the option that turns keeping on, so the builder cannot tell
whether the history, the person or the tool is at fault. Expected: the message names
``keep_previous`` when the tool's own keeping is off for ``call``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.undo import NothingToUndo
from tests.undo_fixtures import RED, history_tool


async def test_undo_after_call_with_default_keeping_names_keep_previous(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        await tool.call({"image": RED})  # the Python door: keeping off by default
        with pytest.raises(NothingToUndo) as raised:
            await tool.undo()
    assert "keep_previous" in str(raised.value), str(raised.value)
    # A model or the command line cannot set the option: they are told the rest only.
    for told in (raised.value.model_message, raised.value.terminal_message):
        assert told is not None
        assert "keep_previous" not in told
        assert told in str(raised.value)


@pytest.mark.parametrize(("keeping", "said"), [(False, "keep_previous=False"), (True, None)])
async def test_undo_with_nothing_kept_says_what_the_tools_keeping_is(
    emulator: RunningEmulator, tmp_path: Path, keeping: bool, said: str | None
) -> None:
    async with history_tool(emulator, tmp_path / "history.sqlite3", keep_previous=keeping) as tool:
        with pytest.raises(NothingToUndo) as raised:
            await tool.undo()
    message = str(raised.value)
    if said is None:  # keeping on: nothing to name
        assert "keep_previous" not in message
    else:
        assert said in message
