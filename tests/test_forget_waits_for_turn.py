"""Forgetting a person while a change of their photo is under way.

The change kept its photo (a pending entry) before it was sent. A forget that did not
wait for the person's turn removed that entry under it; the change then recorded its
end on no row, and its caller was still told "the photo it replaced is kept as #3",
which undo could not find. Forget now waits for the turn; and a change whose entry was
removed anyway (a whole workspace forgotten, another program) says nothing was kept.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome, ChangeInfo, KeptRecord
from ocp_users_photo.slack.deadlines import call_deadline
from ocp_users_photo.undo import HistoryBusy, HistoryOwner, NothingToUndo, PhotoHistory
from ocp_users_photo.undo.entries import ShownPhoto
from ocp_users_photo.undo.restore import forget_kept
from tests.undo_fixtures import GREEN, RED, history_tool, picture


def seconds_waited(said: str) -> float:
    """The seconds a forget's HistoryBusy says it waited: measured, so a tenth either way of
    the bound it waited for (a lease attempt 50 ms late on a busy machine said 0.6 s)."""
    found = re.search(r"did not end within the (\d+\.\d) s waited", said)
    assert found is not None, said
    return float(found[1])


BLUE = picture((30, 60, 200))


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


class _Watch(CallObserver):
    """Says when the change goes to Slack (an event, not a sleep), keeps the change's
    kept record, and, as the call ends (before the keeper, told last, ends the turn),
    whether ``other`` had finished by then."""

    def __init__(self) -> None:
        self.sending = asyncio.Event()
        self.record: KeptRecord | None = None
        self.other: asyncio.Task[int] | None = None
        self.other_done_before_the_end: bool | None = None

    async def before_change(self, call: CallInfo, change: ChangeInfo) -> None:
        self.record = change.kept

    def change_sending(self, call: CallInfo) -> None:
        self.sending.set()

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        if self.other is not None:
            self.other_done_before_the_end = self.other.done()


async def test_forget_waits_for_the_change_under_way_and_forgets_its_entry_too(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history = PhotoHistory(tmp_path / "h.sqlite3")
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": GREEN})
        emulator.faults.inject(Fault.delay(1.5), path="users.setPhoto")
        watch = _Watch()
        change = asyncio.create_task(tool.call_with_summary({"image": BLUE}, observers=(watch,)))
        await watch.sending.wait()  # its entry (#3, pending) is written, the upload sent
        watch.other = forgetting = asyncio.create_task(forget_kept(tool))
        await change
        removed = await forgetting
        assert watch.other_done_before_the_end is False, (
            "forget did not wait for the change under way"
        )
        assert removed == 3, "the change's own entry is forgotten with the others"
        assert await tool.history() == []
        with pytest.raises(NothingToUndo):
            await tool.undo()


async def test_a_change_whose_entry_was_removed_meanwhile_does_not_say_it_was_kept(
    emulator: RunningEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """forget_workspace (an app uninstalled) takes no person's turn: the change's end finds
    its entry gone, and the keeper tells no entry, and warns, rather than name #2."""
    history = PhotoHistory(tmp_path / "h.sqlite3")
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        who = await tool.whoami()
        emulator.faults.inject(Fault.delay(1.0), path="users.setPhoto")
        watch = _Watch()
        change = asyncio.create_task(tool.call_with_summary({"image": GREEN}, observers=(watch,)))
        await watch.sending.wait()
        assert await history.forget_workspace(who.enterprise_id or who.team_id) == 2
        with caplog.at_level(logging.WARNING, logger="ocp_users_photo.undo"):
            await change
        assert watch.record is not None
        assert watch.record.entry is None, "told of a kept photo that no longer exists"
        warned = caplog.text
        assert "was removed from the photo history while the change was under way" in warned
        assert await tool.history() == []


async def test_a_forget_that_cannot_get_the_turn_says_nothing_was_forgotten(
    tmp_path: Path,
) -> None:
    """Another holder (here a second PhotoHistory on the file, as another process would)
    keeps the person's turn past the call's deadline: HistoryBusy, saying what to do, and
    every entry stays."""
    path = tmp_path / "h.sqlite3"
    owner = HistoryOwner("T0WORKSPACE", "UALICE")
    history, other = PhotoHistory(path), PhotoHistory(path)
    try:
        shown = ShownPhoto("custom", "a00000000001", RED, "image/png")
        kept = await history.keep(owner, shown, {"change": "set"})
        await history.finish(kept.entry, "changed", "b00000000001")
        turn = await other.turn(owner)
        try:
            with call_deadline(0.3), pytest.raises(HistoryBusy) as busy:
                await history.forget(owner)
        finally:
            await turn.end()
        said = str(busy.value)
        assert seconds_waited(said) < 1, said  # the caller's 0.3 s, not 30 s
        assert "nothing was forgotten" in said, said
        assert "run the forget again" in said, said
        assert len(await history.entries(owner)) == 1
        assert await history.forget(owner) == 1  # the turn free again: forgotten
    finally:
        await history.aclose()
        await other.aclose()


async def test_a_forget_waits_a_bounded_time_and_says_what_may_hold_the_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside any call's deadline the turn was waited for up to the lease (185 s), in
    silence (a program that stopped during a change holds it that long): now for
    FORGET_WAIT_SECONDS, then HistoryBusy saying what may hold it."""
    from ocp_users_photo.undo import store

    monkeypatch.setattr(store, "FORGET_WAIT_SECONDS", 0.5)
    path = tmp_path / "h.sqlite3"
    owner = HistoryOwner("T0WORKSPACE", "UALICE")
    history, other = PhotoHistory(path), PhotoHistory(path)
    try:
        shown = ShownPhoto("custom", "a00000000001", RED, "image/png")
        await history.keep(owner, shown, {"change": "set"})
        turn = await other.turn(owner)
        try:
            started = time.monotonic()
            with pytest.raises(HistoryBusy) as busy:
                await history.forget(owner)
            assert time.monotonic() - started < 5
        finally:
            await turn.end()
        said = str(busy.value)
        assert 0.5 <= seconds_waited(said) < 1.5, said
        assert "or a program that stopped during one holds it for up to" in said, said
        assert "nothing was forgotten" in said, said
    finally:
        await history.aclose()
        await other.aclose()


async def test_a_forget_meeting_the_files_lock_says_the_file_is_locked(tmp_path: Path) -> None:
    """Another program holding the file's write lock is no change under way: said as the
    history's own lock refusal, not as a change of the person's photo that did not end."""
    path = tmp_path / "h.sqlite3"
    owner = HistoryOwner("T0WORKSPACE", "UALICE")
    history = PhotoHistory(path, busy_timeout=0.5)
    try:
        await history.keep(owner, ShownPhoto("custom", "a00000000001", RED, "image/png"), {})
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(HistoryBusy) as busy:
                await history.forget(owner)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        said = str(busy.value)
        assert "locked by another program" in said, said
        assert "another change of" not in said, said
        assert len(await history.entries(owner)) == 1
    finally:
        await history.aclose()


async def test_a_forget_says_the_wait_it_had_not_the_callers_whole_deadline(
    tmp_path: Path,
) -> None:
    """Two of a call's three seconds gone before forget began: it waited one, and said 3."""
    path = tmp_path / "h.sqlite3"
    owner = HistoryOwner("T0WORKSPACE", "UALICE")
    history, other = PhotoHistory(path), PhotoHistory(path)
    try:
        await history.keep(owner, ShownPhoto("custom", "a00000000001", RED, "image/png"), {})
        turn = await other.turn(owner)
        try:
            with call_deadline(1.5):
                await asyncio.sleep(1.0)
                with pytest.raises(HistoryBusy) as busy:
                    await history.forget(owner)
        finally:
            await turn.end()
        assert seconds_waited(str(busy.value)) < 1, str(busy.value)  # ~0.5 s, not 1.5
    finally:
        await history.aclose()
        await other.aclose()
