"""A call's deadline= bounds its wait for the person's turn too, not only its requests.

The person's turn (one change of their photo at a time, in this process and across
processes sharing the history file) used to be waited for up to the lease's length
plus 5 s (185 s by default) whatever the call's deadline said: a call given
deadline=1 sat for minutes behind another change. Against the emulator over HTTP,
with a real SQLite history.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.undo import HistoryOwner, PhotoHistory
from ocp_users_photo.undo.errors import HistoryBusy
from ocp_users_photo.undo.turns import try_lease
from tests.programs import run_python
from tests.undo_fixtures import GREEN, RED, history_tool

# The histories here hold a turn for 20 s (lease_seconds): before, a call waited that
# plus 5 s for another's turn in the file, and for ever for one in this process.
LEASE_SECONDS = 20.0
DEADLINE = 2.0
BOUND_SECONDS = 15.0


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def set_photo_requests(emulator: RunningEmulator) -> int:
    return len(emulator.requests.for_path("/api/users.setPhoto"))


async def owner_of_token(emulator: RunningEmulator, history: PhotoHistory) -> HistoryOwner:
    async with history_tool(emulator, history) as tool:
        identity = await tool.whoami()
    return HistoryOwner(identity.team_id, identity.user_id)


async def test_a_turn_held_in_this_process_ends_the_wait_at_the_deadline(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history = PhotoHistory(tmp_path / "history.sqlite3", lease_seconds=LEASE_SECONDS)
    owner = await owner_of_token(emulator, history)
    turn = await history.turn(owner)  # another change of this person's, under way
    try:
        async with history_tool(emulator, history, deadline=DEADLINE) as tool:
            started = time.monotonic()
            result = await asyncio.wait_for(tool.run({"image": RED}), BOUND_SECONDS * 2)
            waited = time.monotonic() - started
        assert result["error"] == "history_busy"
        assert "deadline" in result["message"]
        assert "nothing was changed in Slack" in result["message"]
        assert waited < BOUND_SECONDS
        assert set_photo_requests(emulator) == 0
    finally:
        await turn.end()
    async with history_tool(emulator, history) as tool:  # free again: it goes through
        assert (await tool.call({"image": GREEN}))["ok"] is True
    assert set_photo_requests(emulator) == 1
    await history.aclose()


async def test_a_lease_held_by_another_process_ends_the_wait_at_the_deadline(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "history.sqlite3"
    history = PhotoHistory(path, lease_seconds=LEASE_SECONDS)
    owner = await owner_of_token(emulator, history)
    await asyncio.to_thread(history.check_usable)  # the file made, as by the other process
    assert await history.entries(owner) == []

    def take_elsewhere() -> bool:  # another process's change holds the lease
        other = sqlite3.connect(path)
        try:
            return try_lease(other, owner, "another-host:4242:1", LEASE_SECONDS)
        finally:
            other.close()

    assert await asyncio.to_thread(take_elsewhere)
    async with history_tool(emulator, history, deadline=DEADLINE, keep_previous=True) as tool:
        started = time.monotonic()
        with pytest.raises(HistoryBusy) as caught:
            await asyncio.wait_for(tool.call({"image": RED}), BOUND_SECONDS * 2)
        waited = time.monotonic() - started
    assert "deadline" in str(caught.value)
    assert str(path) in str(caught.value)
    assert waited < BOUND_SECONDS
    assert set_photo_requests(emulator) == 0
    await history.aclose()


async def test_outside_a_call_a_turn_in_this_process_is_waited_for_until_it_ends(
    tmp_path: Path,
) -> None:
    # No call, no deadline: the history used directly waits as before (here past the
    # lease's length, since this process's own change still runs).
    history = PhotoHistory(tmp_path / "history.sqlite3", lease_seconds=0.2)
    owner = HistoryOwner("T1", "U1")
    turn = await history.turn(owner)
    try:
        waiting = asyncio.ensure_future(history.turn(owner))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # same process: the lock is held until the turn ends
    finally:
        await turn.end()
    second = await asyncio.wait_for(waiting, BOUND_SECONDS)
    await second.end()
    await history.aclose()


def test_a_forked_process_is_another_run_of_its_own() -> None:
    """The holders a process names begin with its host, pid and a random part of its run: a
    process forked from it (multiprocessing's fork, a test's program server) takes a new
    random part, so that a pid its parent's children had once is not taken for this run."""
    statement = (
        "import os\n"
        "from ocp_users_photo.undo import turns\n"
        "read, write = os.pipe()\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    os.write(write, turns._THIS_RUN.encode())\n"
        "    os._exit(0)\n"
        "os.waitpid(child, 0)\n"
        "print(turns._THIS_RUN, os.read(read, 64).decode())\n"
    )
    done = run_python(statement)
    assert done.returncode == 0, done.stderr
    parent_run, child_run = done.stdout.split()
    assert len(parent_run) == len(child_run) == 8
    assert parent_run != child_run
