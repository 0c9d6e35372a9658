"""Why a history cannot be opened or written, said by its cause.

Every such failure was "cannot be written ... make it writable": for a full disk, a named
pipe or a device given as the history, a path too long for SQLite, and a run that left
the -wal and -shm files read-only, where making the file alone writable changed nothing
(a history this user cannot write is now refused before SQLite makes them).
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.undo import HistoryUnavailable
from ocp_users_photo.undo.database import translated_failures
from tests.conftest import CANARY_TOKEN
from tests.programs import bound_by_permissions, run_cli
from tests.undo_fixtures import picture

ROOT = Path(__file__).resolve().parent.parent
RED = picture((200, 30, 30))


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


async def refusal_of(emulator: RunningEmulator, history: Path) -> HistoryUnavailable:
    refused = await refusal_after(emulator, history)
    assert emulator.requests.for_path("/api/users.setPhoto") == []
    return refused


async def refusal_after(emulator: RunningEmulator, history: Path) -> HistoryUnavailable:
    """The refusal of a change kept in ``history``, whatever was sent before it."""
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        photo_history=history,
        keep_previous=True,
    ) as tool:
        with pytest.raises(HistoryUnavailable) as refused:
            await asyncio.wait_for(tool.call({"image": RED}), timeout=30)
    return refused.value


async def test_a_named_pipe_is_told_as_one(emulator: RunningEmulator, tmp_path: Path) -> None:
    pipe = tmp_path / "history.sqlite3"
    os.mkfifo(pipe)
    said = str(await refusal_of(emulator, pipe))
    assert "is a named pipe (FIFO), not a file" in said
    assert "give a file's path" in said
    assert "make it writable" not in said


async def test_a_device_is_told_as_one(emulator: RunningEmulator) -> None:
    said = str(await refusal_of(emulator, Path("/dev/null")))
    assert "is a device, not a file" in said


def test_a_full_disk_says_to_free_space(tmp_path: Path) -> None:
    import sqlite3

    with pytest.raises(HistoryUnavailable) as refused, translated_failures(tmp_path / "h"):
        raise sqlite3.OperationalError("database or disk is full")
    assert "cannot be written: the disk is full" in str(refused.value)
    assert "free space" in str(refused.value)


async def test_a_path_too_long_for_sqlite_says_so(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    deep = tmp_path.joinpath(*["d" * 200] * 5) / "history.sqlite3"
    said = str(await refusal_of(emulator, deep))
    assert "the path is not too long for SQLite" in said, said


def _as_nobody_usable() -> bool:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    done = subprocess.run(["unshare", "--user", "true"], capture_output=True, timeout=30)
    return done.returncode == 0


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


@pytest.mark.skipif(not _as_nobody_usable(), reason="needs root and user namespaces (unshare)")
@pytest.mark.parametrize(
    ("file_mode", "folder_mode", "named"),
    [
        (0o444, 0o777, ["history.sqlite3"]),
        (0o666, 0o555, ["its folder"]),
    ],
)
def test_read_only_files_and_folders_are_each_named(
    slack_emulator: RunningEmulator,
    tmp_path: Path,
    file_mode: int,
    folder_mode: int,
    named: list[str],
) -> None:
    """Run as nobody (a user namespace without a mapping), where file modes hold."""
    tmp_path.chmod(0o755)
    folder = tmp_path / "kept"
    folder.mkdir(mode=0o777)
    history = folder / "history.sqlite3"
    image = tmp_path / "green.png"
    image.write_bytes(picture((30, 160, 60)))
    image.chmod(0o644)
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    command = [sys.executable, "-m", "ocp_users_photo.cli", "set", str(image)]
    command += ["--history", str(history), "--base-url", slack_emulator.base_url]
    kept = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert kept.returncode == 0, kept.stderr
    history.chmod(file_mode)
    folder.chmod(folder_mode)
    sets = len(slack_emulator.requests.for_path("/api/users.setPhoto"))
    # Twice: a first run that SQLite was asked to open the file in left the -wal and -shm
    # files behind, read-only as the file (then named too, and making the file alone
    # writable changed nothing). Now it is refused before SQLite is asked: none are made.
    for _ in range(2):
        done = subprocess.run(
            ["unshare", "--user", *command], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2, done.stderr
    folder.chmod(0o755)
    assert "cannot be written (the file, its -wal or -shm file, or its folder is read-only)" in (
        done.stderr
    )
    said = done.stderr.split("nothing was changed in Slack: make ", 1)[1].split(" writable")[0]
    for name in named:
        assert name in said, said
    assert sorted(p.name for p in folder.iterdir()) == ["history.sqlite3"]
    assert len(slack_emulator.requests.for_path("/api/users.setPhoto")) == sets


def _read_only_mount_usable() -> bool:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    done = subprocess.run([*_READ_ONLY_MOUNT, "true"], capture_output=True, timeout=30)
    return done.returncode == 0


# A mount namespace of the test's own (a user namespace mapping this user to root) in which
# a folder is bound read-only on itself: a read-only file system, chmod or not.
_READ_ONLY_MOUNT = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c"]


def test_a_history_on_a_read_only_file_system_is_said_so(tmp_path: Path) -> None:
    """A new history on a read-only mount was "Permission denied" to the dry run and the
    listing (the change itself said "Read-only file system"): no chmod helps there."""
    if not _read_only_mount_usable():
        pytest.skip("needs user and mount namespaces (unshare) to mount a folder read-only")
    folder = tmp_path / "media"
    folder.mkdir()
    image = tmp_path / "red.png"
    image.write_bytes(RED)
    history = folder / "photos" / "history.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    env.pop("OCP_USERS_PHOTO_HISTORY", None)
    said: dict[str, str] = {}
    for command in (["history"], ["set", str(image), "--dry-run"]):
        run = [sys.executable, "-m", "ocp_users_photo.cli", *command, "--history", str(history)]
        script = (
            f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" && '
            'exec "$@"'
        )
        done = subprocess.run(
            [*_READ_ONLY_MOUNT, script, "sh", *run],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        said[command[0]] = done.stderr
    for stderr in said.values():
        assert "cannot be created or written (Read-only file system)" in stderr, stderr
        assert "Permission denied" not in stderr
    assert list(folder.iterdir()) == []


def test_a_history_this_user_may_not_read_says_so(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """ "Check that its folder can be written" was the advice for a file of mode 000, in a
    folder that could be written."""
    history, image = tmp_path / "history.sqlite3", tmp_path / "red.png"
    image.write_bytes(RED)
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    kept = run_cli("set", str(image), "--history", str(history), env=env)
    assert kept.returncode == 0, kept.stderr
    history.chmod(0)
    done = run_cli("history", "--history", str(history), env=env, prefix=bound_by_permissions())
    assert done.returncode == 2, done.stderr
    assert "this user may not read the file (its permissions)" in done.stderr
    assert "chmod u+rw" in done.stderr
    assert "its folder can be written" not in done.stderr


async def test_a_disk_that_fills_as_a_large_photo_is_kept_says_so(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keeping a photo larger than SQLite's page cache (3 MB of noise) on a full disk:
    SQLite rolled the transaction back itself, and the ROLLBACK after it raised "cannot
    rollback - no transaction is active", which said "check the file" (a review)."""
    from ocp_users_photo.undo import store
    from ocp_users_photo.undo.database import open_history

    noise = Image.frombytes("RGB", (1000, 1000), random.Random(7).randbytes(3_000_000))
    shown = io.BytesIO()
    noise.save(shown, format="PNG")
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, keep_previous=False
    ) as tool:
        await tool.call({"image": shown.getvalue()})  # what Slack shows, kept next
    opened = open_history

    def on_a_full_disk(path: Path, busy_timeout: float, *, check: bool) -> sqlite3.Connection:
        database = opened(path, busy_timeout, check=check)
        pages = database.execute("PRAGMA page_count").fetchone()[0]
        database.execute(f"PRAGMA max_page_count = {pages + 4}")  # a few pages more: no room
        return database

    monkeypatch.setattr(store, "open_history", on_a_full_disk)
    sent_before = len(emulator.requests.for_path("/api/users.setPhoto"))
    said = str(await refusal_after(emulator, tmp_path / "history.sqlite3"))
    assert "cannot be written: the disk is full" in said, said
    assert "cannot rollback" not in said
    assert len(emulator.requests.for_path("/api/users.setPhoto")) == sent_before
