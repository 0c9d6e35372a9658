"""One deployment, several worker processes: the history's turns and the token refreshes
as real OS processes sharing one history file and one installation store see them."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo.emulator import RunningEmulator, run_emulator
from ocp_users_photo.undo.entries import is_default_avatar
from tests.conftest import shown_avatar_hash
from tests.installation_helpers import (
    LIFETIME,
    TEAM_ID,
    install,
    refreshes,
    rotation_config,
    sqlite_store,
)
from tests.undo_fixtures import picture

ROOT = Path(__file__).resolve().parent.parent
_NAMESPACE = ["unshare", "--user", "--map-root-user", "--pid", "--fork"]
USER = "UALICE0001"


@pytest.fixture
async def emulator_with_rotation() -> AsyncIterator[RunningEmulator]:
    async with run_emulator(rotation_config()) as running:
        yield running


def _namespaces_usable() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        done = subprocess.run([*_NAMESPACE, "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _turn_worker(mode: str, history: Path, *, prefix: tuple[str, ...] = ()) -> list[str]:
    return [*prefix, sys.executable, "-m", "tests.history_turn_worker", mode, str(history)]


@pytest.mark.skipif(not _namespaces_usable(), reason="needs unprivileged user+PID namespaces")
@pytest.mark.waits
def test_a_turn_held_in_another_pid_namespace_of_the_same_hostname_is_not_taken(
    tmp_path: Path,
) -> None:
    """Two containers on one host with the host's hostname (``--network host``, a pod with
    ``hostNetwork``) sharing a history volume: each has its own PID namespace, so the
    holder's pid is no process there. The lease must still hold, not be taken "at once"
    as a dead process's would, while the other container's change is under way."""
    history = tmp_path / "history.sqlite3"
    holder = subprocess.Popen(
        _turn_worker("hold", history),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        same_namespace = subprocess.run(
            _turn_worker("try", history), cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert same_namespace.stdout.strip() == "waited", same_namespace.stderr
        other_namespace = subprocess.run(
            _turn_worker("try", history, prefix=tuple(_NAMESPACE)),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert other_namespace.stdout.strip() == "waited", (
            "a process in another PID namespace took the turn another process holds "
            f"({other_namespace.stdout.strip()!r}; {other_namespace.stderr[-500:]})"
        )
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=30)


async def _first_line(worker: asyncio.subprocess.Process) -> dict[str, Any]:
    assert worker.stdout is not None
    line = await asyncio.wait_for(worker.stdout.readline(), timeout=120)
    assert line, "the worker ended without an answer"
    answer: dict[str, Any] = json.loads(line)
    return answer


async def test_a_refresh_whose_save_failed_reaches_the_store_without_waiting_for_that_process(
    emulator_with_rotation: RunningEmulator, tmp_path: Path
) -> None:
    """Worker A refreshes a person's token (Slack spends the stored refresh token) while the
    store refuses writes for a moment; the store takes writes again while A sits idle. The
    live refresh token must reach the store, not wait in A's memory for the person's next
    call to land in A: worker B, serving the person meanwhile, would find the spent refresh
    token, and the person would be told to install the app again."""
    emulator = emulator_with_rotation
    database = tmp_path / "installations.db"
    store = sqlite_store(database)
    first = await install(emulator, store, USER)
    locked = tmp_path / "store-locked"
    locked.touch()

    def worker() -> Any:
        return asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.unsaved_refresh_worker",
            str(database),
            emulator.base_url,
            TEAM_ID,
            USER,
            str(LIFETIME),  # the stored token looks expired to both workers
            str(locked),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )

    a = await worker()
    b: asyncio.subprocess.Process | None = None
    try:
        assert (await _first_line(a))["outcome"] == "installation_store_error"
        assert refreshes(emulator) == 1  # the stored refresh token is spent now
        locked.unlink()  # the store takes writes again; A stays alive, idle

        rotated = False  # never the tokens themselves in an assertion's text
        for _ in range(150):  # a bounded wait, not a measured one
            found = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=USER)
            assert found is not None
            rotated = found.user_refresh_token != first.user_refresh_token
            if rotated:
                break
            await asyncio.sleep(0.1)

        b = await worker()
        b_outcome = (await _first_line(b))["outcome"]
        assert rotated, (
            "15 s after the store took writes again it still held the spent refresh token: "
            f"the live one is only in worker A's memory (worker B: {b_outcome})"
        )
        assert b_outcome == "ok"
    finally:
        for each in (a, b):
            if each is not None and each.returncode is None:
                assert each.stdin is not None
                each.stdin.close()
                try:
                    await asyncio.wait_for(each.wait(), timeout=30)
                except TimeoutError:
                    each.kill()
                    await each.wait()


async def test_sets_and_undos_from_four_processes_leave_one_unbroken_history(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Four workers change one person's photo at once (sets and undos) through one history
    file: every change keeps what the one before it produced, none is lost, no lease is
    left behind, and the newest entry's result is what Slack shows."""
    images = []
    for number, color in enumerate(
        [(200, 0, 0), (0, 200, 0), (0, 0, 200), (200, 200, 0), (0, 200, 200), (200, 0, 200)]
    ):
        image = tmp_path / f"image{number}.png"
        image.write_bytes(picture(color))
        images.append(str(image))
    history = tmp_path / "history.sqlite3"
    plans = [
        images[:3],
        images[3:],
        [images[0], "undo", images[1], "undo", "undo"],
        [images[2], "undo", "undo", "undo"],
    ]
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.photo_change_worker",
            emulator.base_url,
            str(history),
            *plan,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for plan in plans
    ]
    outputs = await asyncio.wait_for(
        asyncio.gather(*(worker.communicate(b"go\n") for worker in workers)), timeout=180
    )
    outcomes = []
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err.decode()[-2000:]
        outcomes.extend(json.loads(out.decode().strip().splitlines()[-1]))
    assert set(outcomes) <= {"ok", "UndoOvertaken", "NothingToUndo"}
    with contextlib.closing(sqlite3.connect(history)) as database:
        rows = database.execute(
            "SELECT avatar_hash, result_avatar_hash, status FROM entries ORDER BY id"
        ).fetchall()
        leases = database.execute("SELECT holder FROM leases").fetchall()
    assert leases == []
    # Every change made is kept once, but for one that set the photo already shown (the same
    # image twice), whose entry goes: nothing to undo.
    assert 0 < len(rows) <= outcomes.count("ok")
    assert {status for _, _, status in rows} == {"changed"}
    for before, after in itertools.pairwise(rows):
        # An undo back to the default avatar (users.deletePhoto) names no result hash.
        produced = before[1]
        if produced is None:
            assert is_default_avatar(after[0]), "a change after a deletePhoto kept a photo"
        else:
            assert after[0] == produced, "a change kept another photo than the one Slack showed"
    if rows[-1][1] is not None:
        assert rows[-1][1] == shown_avatar_hash(emulator)
