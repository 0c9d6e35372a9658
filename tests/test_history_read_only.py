"""A history this user may read but not write is listed, not refused.

``history`` opened the file as a change does, which writes (WAL mode, its -shm file in the
folder), so a history in a folder made read-only, or a copy on read-only media, could not
even be listed: "cannot be written ... make it writable". A listing now reads it through a
read-only connection that makes no file; what would write (undo, forget, a change) is
still refused, before Slack is asked for anything.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from tests.conftest import CANARY_TOKEN
from tests.programs import bound_by_permissions, environment_without_slack, run_cli
from tests.undo_fixtures import damage_table, picture


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def _as_reader(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command line, run by a user bound by the files' permissions (as root: setpriv)."""
    return subprocess.run(
        [*bound_by_permissions(), sys.executable, "-m", "ocp_users_photo.cli", *args],
        capture_output=True,
        text=True,
        env=environment_without_slack(env),
        timeout=60,
        check=False,
    )


def _kept_twice(
    emulator: RunningEmulator, folder: Path, *, newest: str = "changed"
) -> tuple[Path, dict[str, str]]:
    """A history holding two entries (the original and the first photo), the newest's
    status ``newest``, then made read-only with its folder, as copied onto read-only media."""
    folder.mkdir()
    history = folder / "history.sqlite3"
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": emulator.base_url}
    for name, color in (("red.png", (200, 30, 30)), ("blue.png", (30, 30, 200))):
        image = folder.parent / name
        image.write_bytes(picture(color))
        kept = run_cli("set", str(image), "--history", str(history), env=env)
        assert kept.returncode == 0, kept.stderr
    database = sqlite3.connect(history)
    try:
        with database:
            database.execute("UPDATE entries SET status = ? WHERE id = 2", (newest,))
    finally:
        database.close()
    history.chmod(0o444)
    folder.chmod(0o555)
    return history, env


def test_a_read_only_history_is_listed_and_left_as_it_is(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    history, env = _kept_twice(slack_emulator, tmp_path / "kept")
    before = {(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in history.parent.iterdir()}
    sets = len(slack_emulator.requests.for_path("/api/users.setPhoto"))

    listed = _as_reader("history", "--history", str(history), env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("Kept photos, newest first")
    assert lines[1].lstrip().startswith("#2")
    assert "PNG photo" in lines[1]
    assert lines[2].lstrip().startswith("#1")
    assert "(the original)" in lines[2]
    assert "puts back #2" in listed.stdout
    assert "This history can only be read here" in lines[-1]
    assert "make it writable to put one back" in lines[-1]

    as_json = _as_reader("history", "--json", "--history", str(history), env=env)
    assert as_json.returncode == 0, as_json.stderr
    answer = json.loads(as_json.stdout)
    assert [entry["entry"] for entry in answer["entries"]] == [2, 1]
    assert answer["undo_entry"] == 2

    # What writes is refused as before, Slack untouched.
    undone = _as_reader("undo", "--history", str(history), env=env)
    assert undone.returncode == 2, undone.stderr
    assert "cannot be written" in undone.stderr
    assert "nothing was changed in Slack" in undone.stderr
    assert len(slack_emulator.requests.for_path("/api/users.setPhoto")) == sets

    # Not a byte written, no file made beside it (no -wal, no -shm).
    after = {(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in history.parent.iterdir()}
    history.parent.chmod(0o755)
    assert after == before


def test_a_read_only_history_whose_last_change_is_in_doubt_is_listed(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A newest entry in doubt (a set interrupted before Slack answered) is told apart by
    what Slack shows, in the person's turn; a turn is written, so a history that cannot be
    written is listed without one (no change of this program can be under way in it)."""
    history, env = _kept_twice(slack_emulator, tmp_path / "kept", newest="pending")
    listed = _as_reader("history", "--json", "--history", str(history), env=env)
    history.parent.chmod(0o755)
    assert listed.returncode == 0, listed.stderr
    answer = json.loads(listed.stdout)
    assert [entry["status"] for entry in answer["entries"]] == ["pending", "changed"]
    # Slack shows the blue photo, not the red one #2 kept: #2's change happened.
    assert answer["undo_entry"] == 2
    assert sorted(p.name for p in history.parent.iterdir()) == ["history.sqlite3"]


@pytest.mark.parametrize("fault", ["newer", "another program's", "damaged"])
def test_a_read_only_file_is_checked_as_any_history(
    slack_emulator: RunningEmulator, tmp_path: Path, fault: str
) -> None:
    """Read-only or not, a file that is no history of this version is refused, not read."""
    folder = tmp_path / "kept"
    folder.mkdir()
    history = folder / "history.sqlite3"
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    if fault == "another program's":
        with sqlite3.connect(history) as database:
            database.execute("CREATE TABLE songs (title TEXT)")
    else:
        image = tmp_path / "red.png"
        image.write_bytes(picture((200, 30, 30)))
        kept = run_cli("set", str(image), "--history", str(history), env=env)
        assert kept.returncode == 0, kept.stderr
        if fault == "newer":
            with sqlite3.connect(history) as database:
                database.execute("PRAGMA user_version = 99")
        else:
            damage_table(history, "entries")
    history.chmod(0o444)
    folder.chmod(0o555)
    before = sorted(p.name for p in folder.iterdir())
    listed = _as_reader("history", "--history", str(history), env=env)
    folder.chmod(0o755)
    assert listed.returncode == 2, listed.stdout
    expected = {
        "newer": "was written by a newer ocp-users-photo (schema 99",
        "another program's": "is another program's SQLite database",
        "damaged": "is damaged (SQLite:",
    }[fault]
    assert expected in listed.stderr
    assert sorted(p.name for p in folder.iterdir()) == before
