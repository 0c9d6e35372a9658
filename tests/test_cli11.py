"""CLI review 11: the command line's and the undo's loose ends, each shown before it was mended.

The command line runs as a subprocess against the emulator on 127.0.0.1 (the test's own),
the history in a file under tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from tests.conftest import CANARY_TOKEN, shown_avatar_hash
from tests.test_cli import cli
from tests.test_terminal_and_log_echoes import env_for
from tests.undo_fixtures import GREEN, RED, history_tool


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


@pytest.fixture
def two_kept(slack_emulator: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    """Red, then green set from the command line: #1 keeps the default avatar, #2 red."""
    env = env_for(slack_emulator, tmp_path)
    for name, data in (("red.png", RED), ("green.png", GREEN)):
        (tmp_path / name).write_bytes(data)
        done = cli("set", str(tmp_path / name), env=env)
        assert done.returncode == 0, done.stderr
    return env


# 1. An entry number is written with the digits 0-9 --------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param("\uff12", id="full-width-2"),
        pytest.param("\u0662", id="arabic-indic-2"),
        pytest.param("\u0968", id="devanagari-2"),
        pytest.param(" 2", id="leading-space"),
        pytest.param("0_2", id="underscore"),
        pytest.param("+2", id="plus-sign"),
    ],
)
def test_undo_entry_written_other_than_with_ascii_digits_is_refused_and_nothing_changes(
    slack_emulator: RunningEmulator, two_kept: dict[str, str], entry: str
) -> None:
    """int() takes every script's digits, spaces, '+' and '_': a full-width 2 put back #2.
    An entry number is what 'history' prints, digits 0-9: anything else is argparse's
    usage error (exit 2) saying what to give, before Slack is asked anything."""
    before = shown_avatar_hash(slack_emulator)
    asked = len(slack_emulator.requests)
    done = cli("undo", "--entry", entry, env=two_kept)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "argument --entry" in done.stderr, done.stderr
    assert "digits 0-9" in done.stderr, done.stderr
    assert "ocp-users-photo history" in done.stderr, done.stderr
    assert done.stdout == ""
    assert len(slack_emulator.requests) == asked, "Slack was asked"
    assert shown_avatar_hash(slack_emulator) == before


def test_undo_entry_of_thousands_of_digits_is_refused_without_echoing_them(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Python's int() refuses over 4300 digits, and argparse then quoted all of them."""
    done = cli("undo", "--entry", "9" * 5000, env=env_for(slack_emulator, tmp_path))
    assert done.returncode == 2, done.stderr
    assert "digits 0-9" in done.stderr, done.stderr
    assert "9" * 100 not in done.stderr
    assert len(slack_emulator.requests) == 0


def test_undo_entry_in_ascii_digits_still_puts_that_entry_back(
    slack_emulator: RunningEmulator, two_kept: dict[str, str]
) -> None:
    green = shown_avatar_hash(slack_emulator)
    done = cli("undo", "--entry", "02", env=two_kept)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Put back #2"), done.stdout  # red, kept when green came
    assert shown_avatar_hash(slack_emulator) != green


@pytest.mark.parametrize("entry", ["\uff12", "\u0662", " 2", "2_0", "+2"])
async def test_the_model_door_already_refuses_an_entry_in_other_digits(
    emulator: RunningEmulator, tmp_path: Path, entry: str
) -> None:
    """Confirmed, not changed: usersRestorePhoto takes a string entry of ASCII digits only."""
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        assert (await tool.run({"image": RED}))["ok"]
        assert (await tool.run({"image": GREEN}))["ok"]
        sets = len(emulator.requests.for_path("/api/users.setPhoto"))
        answer = await tool.restore_tool().run({"entry": entry})
    assert answer["ok"] is False
    assert answer["error"] == "invalid_arguments"
    assert answer["problems"][0]["path"] == "$.entry"
    assert len(emulator.requests.for_path("/api/users.setPhoto")) == sets
    assert CANARY_TOKEN not in str(answer)


def test_undo_entry_given_a_token_by_mistake_does_not_print_it(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    done = cli("undo", "--entry", CANARY_TOKEN, env=env_for(slack_emulator, tmp_path))
    assert done.returncode == 2, done.stderr
    assert "digits 0-9" in done.stderr, done.stderr
    assert "xoxp-" not in done.stderr + done.stdout
