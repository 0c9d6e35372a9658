"""Undo's choices: entries whose change never happened, an undo asked for during a set,
an overtaken undo without a readable photo, the closing line's entry, a lease just taken.

Each states what must hold (each failed on ea00cc3, the first form of these fixes).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator, user_id_for_token
from ocp_users_photo.undo import turns
from ocp_users_photo.undo.database import in_transaction as real_in_transaction
from ocp_users_photo.undo.database import open_history
from ocp_users_photo.undo.entries import HistoryOwner
from ocp_users_photo.undo.errors import NothingToUndo
from tests.conftest import CANARY_TOKEN, shown_avatar_hash
from tests.test_cli import cli
from tests.test_undo_crashes_and_locks import BLUE
from tests.test_undo_faults import crash_after_keeping, set_photo_requests
from tests.undo_fixtures import (
    GREEN,
    NO_READ_TOKEN,
    RED,
    auth_test_without_scopes,
    history_tool,
    picture,
)


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    """As tests/emulator_fixtures.py's ``emulator``: these tests outrun Slack's rate limit."""
    return EmulatorConfig(rate_limit_per_minute=None)


async def test_undo_when_every_entry_is_a_change_that_never_happened_sends_nothing(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The history's only entry is a set killed before its upload (pending, its photo the
    one shown). _newest_change finds no entry recording a change and returns None, which
    restore_kept reads as "the newest": the undo re-sends the photo shown and says it put
    it back, the very no-op 130b7d6 set out to end. Expected: NothingToUndo, nothing sent."""
    history = tmp_path / "history.sqlite3"
    async with history_tool(emulator, tmp_path / "unused.sqlite3", keep_previous=False) as tool:
        await tool.call({"image": RED})  # a photo of their own, set before keeping began
    red = shown_avatar_hash(emulator)
    blue = tmp_path / "blue.png"
    blue.write_bytes(BLUE)
    await crash_after_keeping(emulator, history, blue)
    assert shown_avatar_hash(emulator) == red
    sent = set_photo_requests(emulator)

    async with history_tool(emulator, history, keep_previous=True) as tool:
        (pending,) = await tool.history()
        assert pending.status == "pending"
        assert pending.avatar_hash == red
        with pytest.raises(NothingToUndo):
            await tool.undo()
    assert set_photo_requests(emulator) == sent, "the undo re-sent the photo already shown"


def _env(slack_emulator: RunningEmulator, tmp_path: Path, token: str) -> dict[str, str]:
    return {
        "SLACK_USER_TOKEN": token,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "history.sqlite3"),
    }


def test_cli_undo_not_kept_does_not_claim_an_older_entry_kept_it(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """`undo --entry 2` twice: the first keeps GREEN as #3; then YELLOW is set; the second,
    with a token that cannot read the photo, keeps nothing (its warning says so). Its last
    line must say the photo it replaced (YELLOW) was not kept; _kept_by finds the first
    restore's entry (#3, GREEN) and prints 'was kept as #3 ... undo again goes back'."""
    env = _env(slack_emulator, tmp_path, CANARY_TOKEN)
    for color in ((200, 30, 30), (30, 160, 60)):
        image = tmp_path / f"{color}.png"
        image.write_bytes(picture(color))
        assert cli("set", str(image), env=env).returncode == 0
    assert cli("undo", "--entry", "2", env=env).returncode == 0  # RED back; GREEN kept as #3
    yellow = tmp_path / "yellow.png"
    yellow.write_bytes(picture((230, 210, 40)))
    assert cli("set", str(yellow), env=env).returncode == 0
    yellow_hash = shown_avatar_hash(slack_emulator)

    slack_emulator.state.add_token(
        NO_READ_TOKEN, user_id=user_id_for_token(CANARY_TOKEN), scopes="users.profile:write"
    )
    done = cli("undo", "--entry", "2", env=_env(slack_emulator, tmp_path, NO_READ_TOKEN))
    assert done.returncode == 0, done.stderr
    assert "was not kept" in done.stderr  # the keeper's warning: YELLOW was not kept
    last = done.stdout.splitlines()[-1]
    assert last == "The photo it replaced was not kept (see the warning): this cannot be undone.", (
        f"YELLOW ({yellow_hash}) was not kept, yet stdout says: {last!r}"
    )


def test_a_lease_just_taken_by_one_thread_is_not_taken_by_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """try_lease commits the lease, then adds its holder to _HELD_HERE. A second thread of
    the same process (another loop: call_sync, a second PhotoHistory on the file) that
    reads the row in between finds a lease naming this pid that is not in _HELD_HERE,
    judges it dead, and takes it too: two changes of one person at once. Expected: the
    second taker is refused while the first holds the lease."""
    path = tmp_path / "history.sqlite3"
    open_history(path, 5.0, check=True).close()
    owner = HistoryOwner("T0001", "U0001")
    committed, second_done = threading.Event(), threading.Event()
    real = real_in_transaction

    def in_transaction(database: sqlite3.Connection, operation):  # type: ignore[no-untyped-def]
        result = real(database, operation)
        if threading.current_thread().name == "first":
            committed.set()  # a thread switch here, as the GIL allows
            second_done.wait(5)
        return result

    monkeypatch.setattr(turns, "in_transaction", in_transaction)
    results: dict[str, bool] = {}

    def take(name: str) -> None:
        database = open_history(path, 5.0, check=False)
        try:
            results[name] = turns.try_lease(database, owner, turns.lease_holder(), 180.0)
        finally:
            database.close()

    first = threading.Thread(target=take, args=("first",), name="first")
    first.start()
    assert committed.wait(5)
    second = threading.Thread(target=take, args=("second",), name="second")
    second.start()
    second.join(5)
    second_done.set()
    first.join(5)
    assert results["first"] is True
    assert results["second"] is False, "both threads hold the person's lease"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _leases(path: Path) -> list[tuple[str, float]]:
    with contextlib.closing(sqlite3.connect(path)) as database:
        return [
            (str(h), float(e)) for h, e in database.execute("SELECT holder, expires_at FROM leases")
        ]


@pytest.mark.parametrize("left_for", [3.0, 170.0], ids=["ending-soon", "whole-lease"])
def test_a_dead_processes_lease_is_held_for_the_settle_time_then_taken(
    tmp_path: Path, left_for: float
) -> None:
    """A process here killed outright (SIGKILL) while it held a person's turn may have left
    its upload with Slack, still to land. The first taker to find it dead does not take it:
    the lease is marked settling, to run out SETTLE_SECONDS from then, or at its own end if
    sooner; then it is taken. A lease of this process that it no longer holds is taken at
    once (nothing of it is on its way). Takers with 1 s leases: settle_within(1.0), 0.5 s."""
    assert turns.settle_within(1.0) == 0.5
    assert turns.settle_within(180.0) == turns.SETTLE_SECONDS == 10.0
    path = tmp_path / "history.sqlite3"
    open_history(path, 5.0, check=True).close()
    owner = HistoryOwner("T0001", "U0001")
    dead = turns.lease_holder(180.0).replace(f"|{os.getpid()}|", f"|{_dead_pid()}|")
    now = time.time()
    with contextlib.closing(sqlite3.connect(path)) as database, database:
        database.execute(
            "INSERT INTO leases (workspace, user_id, holder, expires_at) VALUES (?, ?, ?, ?)",
            (owner.workspace, owner.user_id, dead, now + left_for),
        )
    takers = [turns.lease_holder(1.0) for _ in range(4)]
    database = open_history(path, 5.0, check=False)
    try:
        assert not turns.try_lease(database, owner, takers[0], 1.0)
        ((holder, expires_at),) = _leases(path)
        assert holder == "settling:" + dead
        assert now + 0.4 < expires_at <= min(now + left_for, time.time() + 0.5)
        assert not turns.try_lease(database, owner, takers[1], 1.0)
        assert _leases(path) == [(holder, expires_at)], "a second look moved the hold"
        time.sleep(max(0.0, expires_at - time.time()) + 0.05)
        assert turns.try_lease(database, owner, takers[2], 1.0)
        assert _leases(path)[0][0] == takers[2]
        turns._HELD_HERE.discard(takers[2])  # this process gave it back (a write that failed)
        assert turns.try_lease(database, owner, takers[3], 1.0), (
            "this process's own lease, no longer held, waited"
        )
    finally:
        turns._HELD_HERE.difference_update(takers)
        database.close()


def test_a_lease_of_an_earlier_process_with_this_pid_is_held_for_the_settle_time(
    tmp_path: Path,
) -> None:
    """A process killed outright (SIGKILL, the OOM killer) whose pid a later process here
    has again: a container restarted under the same host name numbers its processes anew
    (the server as pid 1 again, and a new PID namespace may get the freed one's number).
    Its lease names this machine and this pid, but no turn of this process: its upload may
    still land, so it is held for the settle time as any dead process's. It was taken at
    once, as if this process had given it back."""
    path = tmp_path / "history.sqlite3"
    open_history(path, 5.0, check=True).close()
    owner = HistoryOwner("T0001", "U0001")
    host, pid, _, seconds = turns.lease_holder(180.0).split("|")
    earlier = f"{host}|{pid}|{'0' * 32}|{seconds}"  # this pid, another process's turn
    with contextlib.closing(sqlite3.connect(path)) as database, database:
        database.execute(
            "INSERT INTO leases (workspace, user_id, holder, expires_at) VALUES (?, ?, ?, ?)",
            (owner.workspace, owner.user_id, earlier, time.time() + 170.0),
        )
    taker = turns.lease_holder(1.0)
    database = open_history(path, 5.0, check=False)
    try:
        assert not turns.try_lease(database, owner, taker, 1.0), (
            "an earlier process's lease, this pid again, was taken at once"
        )
        ((holder, _),) = _leases(path)
        assert holder == "settling:" + earlier
    finally:
        turns._HELD_HERE.discard(taker)
        database.close()


async def test_an_undo_asked_for_while_a_set_uploads_undoes_that_set(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Set RED; set GREEN, whose upload Slack takes 2 s over; an undo asked for meanwhile
    waits for the turn and then undoes GREEN (as on eb02478: "set B, undo gives A").
    Now _newest_change passes over GREEN's entry (pending, its photo RED still shown:
    'stale'), chooses the one before, and once GREEN has landed _still_newest refuses:
    UndoOvertaken, nothing put back."""
    from ocp_users_photo.emulator import Fault

    history = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        red = shown_avatar_hash(emulator)
        emulator.faults.inject(Fault.delay(2.0))
        setting = asyncio.create_task(tool.call({"image": GREEN}))
        for _ in range(200):  # until GREEN's entry is kept: its upload is on its way
            if len(await tool.history()) == 2:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)
        assert not setting.done()
        await tool.undo()
        await setting
    assert shown_avatar_hash(emulator) == red, "the undo did not undo GREEN"


async def test_an_overtaken_undo_without_a_readable_photo_is_still_refused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """keep_previous="if_readable" (the CLI's undo) with a token whose photo cannot be read
    and whose auth.test lists no scopes: the undo chooses entry #2 (RED), then YELLOW is
    set before it has the turn. On eb02478 _still_newest ran first under the turn and
    refused (UndoOvertaken); now it runs after read_shown_photo, whose missing_scope makes
    the keeper give up quietly, so the undo puts RED over YELLOW."""

    from ocp_users_photo.undo import PhotoHistory
    from ocp_users_photo.undo.errors import UndoOvertaken

    chosen, go = asyncio.Event(), asyncio.Event()

    class Pausing(PhotoHistory):
        pause = False

        async def entry(self, owner, number):  # type: ignore[no-untyped-def]
            found = await super().entry(owner, number)
            if self.pause:
                chosen.set()
                await go.wait()
            return found

    history = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": GREEN})
    emulator.state.add_token(
        NO_READ_TOKEN, user_id=user_id_for_token(CANARY_TOKEN), scopes="users.profile:write"
    )
    await auth_test_without_scopes(emulator, NO_READ_TOKEN)
    pausing = Pausing(history)
    pausing.pause = True
    async with history_tool(
        emulator, pausing, token=NO_READ_TOKEN, keep_previous="if_readable"
    ) as undoer:
        undoing = asyncio.create_task(undoer.undo())
        await asyncio.wait_for(chosen.wait(), 10)
        async with history_tool(emulator, history, keep_previous=True) as tool:
            yellow = await tool.call({"image": picture((230, 210, 40))})
        go.set()
        with pytest.raises(UndoOvertaken):
            await undoing
    assert shown_avatar_hash(emulator) == yellow["profile"]["avatar_hash"]
