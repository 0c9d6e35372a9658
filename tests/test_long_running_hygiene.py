"""Resource hygiene for long-running use: what a process serving everyone for days meets
(host observers that fail or stall, fork, Ctrl-C between processes, a synchronous agent's
own loops).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome
from ocp_users_photo.slack.client import DEFAULT_DEADLINE
from ocp_users_photo.undo import PhotoHistory
from ocp_users_photo.undo.entries import HistoryOwner, ShownPhoto
from tests.conftest import CANARY_TOKEN, FORKS_ON_PURPOSE
from tests.programs import environment_without_slack, run_cli
from tests.undo_fixtures import picture


class FailingMetrics(CallObserver):
    """A host's observer (metrics, audit) whose call_ended fails once."""

    def __init__(self) -> None:
        self.failures = 1

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("metrics backend down")


class SlowMetrics(CallObserver):
    """A host's observer that awaits I/O in call_ended (an audit log over the network)."""

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        await asyncio.sleep(5)


def keeping_tool(
    emulator: RunningEmulator,
    tmp_path: Path,
    observer: CallObserver,
    deadline: float = DEFAULT_DEADLINE,
) -> UsersSetPhoto:
    """A tool keeping what it replaces, ``observer`` told before its keeper."""
    return UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        keep_previous=True,
        photo_history=tmp_path / "history.sqlite3",
        observers=[observer],
        deadline=deadline,
    )


async def test_a_host_observer_failing_in_call_ended_does_not_hold_the_persons_turn(
    emulator: RunningEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The observers run in order, the keeper last: an earlier one raising in call_ended
    # skips the keeper's, which ends the person's turn (its asyncio lock and lease row).
    tool = keeping_tool(emulator, tmp_path, FailingMetrics())
    try:
        # The change was made: the host's observer failing afterwards is logged, and the
        # caller gets Slack's reply (an error here would read as "not changed").
        with caplog.at_level(logging.ERROR, logger="ocp_users_photo"):
            first = await tool.call({"image": picture((10, 20, 30))})
        assert first["ok"] is True
        assert "FailingMetrics failed when told the call ended" in caplog.text
        # The person's next change must not wait for ever on the turn the first one kept.
        reply = await asyncio.wait_for(tool.call({"image": picture((40, 50, 60))}), 15)
        assert reply["ok"] is True
    finally:
        await tool.aclose()


@pytest.mark.waits
async def test_a_call_cancelled_while_a_host_observer_awaits_in_call_ended_ends_the_turn(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # A framework's timeout around a tool call cancels it while an audit observer awaits.
    tool = keeping_tool(emulator, tmp_path, SlowMetrics())
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(tool.call({"image": picture((10, 20, 30))}), 2)
        tool.observers = ()  # the audit backend is gone; the next call does not wait on it
        reply = await asyncio.wait_for(tool.call({"image": picture((40, 50, 60))}), 25)
        assert reply["ok"] is True
    finally:
        await tool.aclose()


@pytest.mark.filterwarnings(FORKS_ON_PURPOSE)
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_history_used_before_fork_loses_no_entry_kept_in_the_child(tmp_path: Path) -> None:
    # A pre-fork server (or multiprocessing's fork) whose parent used the history: the
    # child must not go on with the parent's SQLite connection (SQLite: a connection must
    # not be carried across fork). Here the parent closes its own use of the file, which it
    # takes for the last one, checkpoints and deletes the WAL the child still writes to.
    path = tmp_path / "history.sqlite3"
    history = PhotoHistory(path)
    owner = HistoryOwner("T0EMULATOR", "U0CHILD")

    async def keep(avatar_hash: str) -> None:
        await history.keep(owner, ShownPhoto("default", avatar_hash), {"change": "set"})

    asyncio.run(keep("parent"))
    child_done_r, child_done_w = os.pipe()
    parent_done_r, parent_done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: keep, wait for the parent, keep twice more
        code = 1
        try:
            asyncio.run(keep("childfirst"))
            os.write(child_done_w, b"1")
            os.read(parent_done_r, 1)
            asyncio.run(keep("childsecond"))
            asyncio.run(keep("childthird"))
            code = 0
        finally:
            sys.stdout.flush()
            os._exit(code)
    os.read(child_done_r, 1)
    asyncio.run(history.aclose())
    os.write(parent_done_w, b"1")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    kept = {entry.avatar_hash for entry in asyncio.run(PhotoHistory(path).entries(owner))}
    assert kept == {"parent", "childfirst", "childsecond", "childthird"}


def _pending_entries(path: Path) -> int:
    import sqlite3

    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(path, timeout=5)) as database:
        try:
            return int(
                database.execute(
                    "SELECT COUNT(*) FROM entries WHERE status = 'pending'"
                ).fetchone()[0]
            )
        except sqlite3.OperationalError:
            return 0


@pytest.mark.waits
def test_ctrl_c_mid_upload_then_set_again_at_once_is_held_for_the_settle_time(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    # README (Undo): a change cancelled while on its way "holds the person's turn for 10 s
    # more ... in the history's lease, so on every loop and in every process sharing the
    # file": Slack may still set the upload it has. Ctrl-C ends the command line's process,
    # whose lease the next process takes over at once (its holder died), so the next
    # `set`, run at once, is overtaken by the cancelled upload landing after it.
    for name, color in (("zero", (0, 200, 0)), ("first", (200, 0, 0)), ("second", (0, 0, 200))):
        Image.new("RGB", (600, 600), color).save(tmp_path / f"{name}.png")
    history = tmp_path / "history.sqlite3"
    env = {
        "SLACK_API_URL": slack_emulator.base_url,
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "OCP_USERS_PHOTO_HISTORY": str(history),
    }
    assert run_cli("set", str(tmp_path / "zero.png"), env=env).returncode == 0
    slack_emulator.faults.inject(Fault.delay(5.0))
    first = subprocess.Popen(
        [sys.executable, "-m", "ocp_users_photo.cli", "set", str(tmp_path / "first.png")],
        env=environment_without_slack(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while _pending_entries(history) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # kept, and the upload on its way (the emulator holds it 5 s)
    first.send_signal(signal.SIGINT)
    assert first.wait(timeout=20) != 0
    second = run_cli("set", str(tmp_path / "second.png"), env=env)
    assert second.returncode == 0, second.stderr
    wanted = re.search(r"avatar_hash: (\w+)", second.stdout)
    assert wanted is not None, second.stdout
    time.sleep(6.0)  # the cancelled upload, held by the emulator, has landed by now
    shown = httpx.post(
        f"{slack_emulator.base_url}/users.profile.get",
        headers={"Authorization": f"Bearer {CANARY_TOKEN}"},
    ).json()["profile"]["avatar_hash"]
    assert shown == wanted.group(1), "the photo set last was overtaken by the cancelled one"
