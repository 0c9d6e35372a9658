"""What the command line's undo refusals tell a person to run next: the listing of the same
history file (a plain ``history`` reads the default one, and says nothing is kept)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from tests.conftest import CANARY_TOKEN
from tests.test_cli import cli
from tests.undo_fixtures import picture


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def test_an_unknown_entry_names_the_listing_of_the_same_history_file(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    # A history given with --history, not the default one: the listing the refusal tells
    # the person to run must read that file, or it says nothing is kept.
    history = tmp_path / "mine.sqlite3"
    red = tmp_path / "red.png"
    red.write_bytes(picture((200, 30, 30)))
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "home" / "data"),
    }
    assert cli("set", str(red), "--history", str(history), env=env).returncode == 0

    missing = cli("undo", "--entry", "99", "--history", str(history), env=env)

    assert missing.returncode == 2
    advised = f"'ocp-users-photo history --history {history}'"
    assert f"list them with {advised}" in missing.stderr, missing.stderr
    # And that command lists the kept photo the refusal speaks of.
    listed = cli(*shlex.split(advised.strip("'"))[1:], env=env)
    assert listed.returncode == 0, listed.stderr
    assert "#1 " in listed.stdout, listed.stdout
