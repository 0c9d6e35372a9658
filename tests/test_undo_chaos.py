"""Faults injected between keeping, setting and recording a change.

Each test states an invariant a person relies on and fails where the package breaks it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.errors import UsersPhotoError, may_have_taken_effect
from tests.conftest import shown_avatar_hash
from tests.test_undo_crashes_and_locks import _cli
from tests.undo_fixtures import (
    GREEN,
    LONG_RATE_LIMIT,
    RED,
    AppliedThen,
    briefly_held_history,
    history_tool,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


async def test_a_change_applied_before_a_5xx_keeps_its_photo_when_the_retry_is_rate_limited(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The photo RED is replaced by GREEN in Slack (the first attempt, answered 503); the
    retry is rate-limited. The history must still hold RED (undo must give it back), and
    the answer must not say Slack refused the change."""
    transport = AppliedThen(LONG_RATE_LIMIT)
    async with (
        httpx.AsyncClient(transport=transport) as http,
        history_tool(emulator, tmp_path / "h.sqlite3", client=http, retry_backoff=0.01) as tool,
    ):
        red = (await tool.call({"image": RED}))["profile"]["avatar_hash"]
        transport.armed = True
        answer = await tool.run({"image": GREEN})
        assert shown_avatar_hash(emulator) != red, "the emulator applied the change"
        kept = [entry.avatar_hash for entry in await tool.history()]
        assert red in kept, f"the photo replaced in Slack was not kept: {kept}; {answer}"
        assert answer.get("error") != "ratelimited" or "may have" in answer["message"], answer


@pytest.mark.parametrize(
    "first", [Fault.status(503), Fault.drop()], ids=["http_503", "dropped_after_the_body"]
)
async def test_a_5xx_then_a_long_rate_limit_is_told_as_may_have_taken_effect(
    emulator: RunningEmulator, tmp_path: Path, first: Fault
) -> None:
    """Emulator faults alone: the first attempt is answered HTTP 503, or its connection is
    dropped once the whole request was sent (either may have taken effect: the package's
    own rule, and why it sends it again), the retry 429 with Retry-After 120. The error and the
    history must say the change may have happened, not drop the entry."""
    history = tmp_path / "h.sqlite3"
    async with history_tool(emulator, history, keep_previous=True, retry_backoff=0.01) as tool:
        await tool.call({"image": RED})
        emulator.faults.inject(first)
        emulator.faults.inject(Fault.rate_limited(120))
        with pytest.raises(UsersPhotoError) as raised:
            await tool.call({"image": GREEN})
        assert may_have_taken_effect(raised.value), repr(raised.value)
        newest = (await tool.history())[0]
        assert newest.status == "unknown", newest.describe()


async def test_history_names_the_entry_undo_will_put_back_after_a_lost_answer(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Set RED, then GREEN whose answer is lost (Slack did not apply it). `history` says
    "'ocp-users-photo undo' puts back #N": the next `undo` must put back that entry."""
    history = tmp_path / "h.sqlite3"
    async with (
        briefly_held_history(history) as kept_in,
        history_tool(emulator, kept_in, keep_previous=True, max_retries=0) as tool,
    ):
        await tool.call({"image": RED})
        emulator.faults.inject(Fault.drop())
        with pytest.raises(UsersPhotoError):
            await tool.call({"image": GREEN})
    listed = await asyncio.to_thread(_cli, emulator, history, "history")
    assert listed.returncode == 0, listed.stderr
    named = listed.stdout.rsplit("'ocp-users-photo undo' puts back #", 1)[1].split(",", 1)[0]
    undone = await asyncio.to_thread(_cli, emulator, history, "undo")
    assert undone.returncode == 0, undone.stderr
    assert undone.stdout.startswith(f"Put back #{named} "), (listed.stdout, undone.stdout)


async def test_the_model_is_told_an_entry_that_undoes_the_last_change_after_a_lost_answer(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """usersRestorePhoto's listing says "To undo the last change, call usersRestorePhoto
    with entry N". After a change whose answer was lost and which Slack did not make,
    following that advice must undo the last change made (RED over the default avatar),
    not put back the photo shown now and change nothing."""
    async with (
        briefly_held_history(tmp_path / "h.sqlite3") as history,
        history_tool(emulator, history, max_retries=0) as tool,
    ):
        before = shown_avatar_hash(emulator)
        assert (await tool.run({"image": RED})).get("ok") is not False
        red = shown_avatar_hash(emulator)
        emulator.faults.inject(Fault.drop())
        lost = await tool.run({"image": GREEN})
        assert lost.get("ok") is False
        assert shown_avatar_hash(emulator) == red
        restore = tool.restore_tool()
        listing = await restore.run({})
        advised = int(listing["message"].split("with entry ", 1)[1].split(";", 1)[0])
        restored = await restore.run({"entry": advised})
        assert restored.get("ok") is True, restored
        assert shown_avatar_hash(emulator) == before, (listing["message"], restored["message"])
