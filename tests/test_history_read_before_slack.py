"""``history`` and ``undo`` read the history file before asking Slack whose the token is.

A damaged history was hidden behind "could not reach Slack" offline, and behind a token's
refusal without one; with Slack reachable, auth.test was asked for a file that could not
be read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.undo import HistoryUnavailable
from tests.conftest import CANARY_TOKEN
from tests.programs import run_cli

UNREACHABLE = "http://127.0.0.1:9/api"


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    history = tmp_path / "history.sqlite3"
    history.write_bytes(b"SQLite format 3\x00" + b"\x07" * 4000)
    return history


@pytest.mark.parametrize("command", [["history"], ["undo"], ["history", "--forget", "--yes"]])
def test_a_damaged_history_is_told_offline(damaged: Path, command: list[str]) -> None:
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": UNREACHABLE}
    done = run_cli(*command, "--history", str(damaged), env=env)
    assert done.returncode == 2, done.stderr
    assert "is damaged" in done.stderr, done.stderr
    assert "reach" not in done.stderr, done.stderr


@pytest.mark.parametrize("command", [["history"], ["undo"]])
def test_a_damaged_history_is_told_without_a_token(damaged: Path, command: list[str]) -> None:
    done = run_cli(*command, "--history", str(damaged), env={"SLACK_API_URL": UNREACHABLE})
    assert done.returncode == 2, done.stderr
    assert "is damaged" in done.stderr, done.stderr


@pytest.mark.parametrize("command", [["history"], ["undo"]])
def test_slack_is_not_asked_for_a_history_that_cannot_be_read(
    slack_emulator: RunningEmulator, damaged: Path, command: list[str]
) -> None:
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    done = run_cli(*command, "--history", str(damaged), env=env)
    assert done.returncode == 2, done.stderr
    assert slack_emulator.requests.all() == []


def test_no_history_file_is_still_none_kept_and_makes_no_file(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    missing = tmp_path / "none.sqlite3"
    done = run_cli("history", "--history", str(missing), env=env)
    assert done.returncode == 0, done.stderr
    assert "No photo kept yet" in done.stdout
    assert not missing.exists()


def test_an_empty_history_file_is_named_as_one_that_may_have_been_emptied(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Every command is a new program: the refusal of a file this program saw holding
    photos and finds emptied never met ``truncate -s 0`` between two commands."""
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    emptied = tmp_path / "history.sqlite3"
    emptied.write_bytes(b"")
    done = run_cli("history", "--history", str(emptied), env=env)
    assert done.returncode == 0, done.stderr
    assert "No photo kept yet" in done.stdout
    assert "another program emptied it and they are gone" in done.stdout
    # A listing writes nothing into it: a new history there would hide that it was emptied.
    assert emptied.stat().st_size == 0
    again = run_cli("history", "--history", str(emptied), env=env)
    assert "another program emptied it and they are gone" in again.stdout
    missing = run_cli("history", "--history", str(tmp_path / "none.sqlite3"), env=env)
    assert "emptied" not in missing.stdout


def test_a_link_to_an_empty_file_with_a_log_beside_the_target_is_a_history(
    tmp_path: Path,
) -> None:
    """SQLite keeps the -wal file beside the file a link names: looked for beside the link,
    an empty main file whose log holds pages (what a crash may leave) read as none kept."""
    from ocp_users_photo.undo.store import _no_file_at

    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "history.sqlite3"
    target.write_bytes(b"")
    link = tmp_path / "link.sqlite3"
    link.symlink_to(target)
    assert _no_file_at(link)  # an empty file alone: no history yet
    target.with_name("history.sqlite3-wal").write_bytes(b"\x37\x7f\x06\x82" + bytes(28))
    assert not _no_file_at(link)  # its log: opened, and SQLite reads what it holds
    assert not _no_file_at(target)


# The same at the Python and model doors: the command line alone read the file first, so
# ``tool.history()``, ``undo()`` and usersRestorePhoto said "could not reach Slack" offline
# for a damaged file, and asked Slack's auth.test for one they could not read.


def _tool_at(base_url: str, history: Path) -> UsersSetPhoto:
    return UsersSetPhoto(
        CANARY_TOKEN, base_url=base_url, photo_history=history, keep_previous=True, environ={}
    )


_PYTHON_DOORS: dict[str, Callable[[UsersSetPhoto], Awaitable[Any]]] = {
    "history": lambda tool: tool.history(),
    "undo": lambda tool: tool.undo(),
    "restore": lambda tool: tool.restore(1),
}


@pytest.mark.parametrize("door", list(_PYTHON_DOORS))
async def test_the_python_door_tells_a_damaged_history_offline(damaged: Path, door: str) -> None:
    async with _tool_at(UNREACHABLE, damaged) as tool:
        with pytest.raises(HistoryUnavailable, match="is damaged"):
            await _PYTHON_DOORS[door](tool)


@pytest.mark.parametrize("arguments", [{}, {"entry": 1}])
async def test_the_restore_tool_asks_slack_nothing_for_a_damaged_history(
    slack_emulator: RunningEmulator, damaged: Path, arguments: dict[str, int]
) -> None:
    async with _tool_at(slack_emulator.base_url, damaged) as tool:
        answer = await tool.restore_tool().run(arguments)
    assert answer["ok"] is False
    assert answer["error"] == "history_unavailable"
    assert "is damaged" in answer["message"]
    assert slack_emulator.requests.all() == []
