"""The undo command a message names is the one that reads the same history: shown exactly
as it must be typed, or, where it cannot be (a control character, a byte that is no UTF-8,
a token's shape, a path over 600 characters), named with PATH and what PATH is. Shown
through the message cleaner, "my  photos" became "my photos" and the command a person
copied read another file, finding nothing to undo."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from ocp_users_photo.cli_options import undo_command
from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from tests.conftest import CANARY_TOKEN
from tests.programs import run_cli
from tests.undo_fixtures import picture


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


@pytest.mark.parametrize(
    "history",
    [
        "/tmp/my  photos/kept.sqlite3",
        "/tmp/it's/kept.sqlite3",
        "/tmp/plain/kept.sqlite3",
        "/tmp/\u00e9t\u00e9/kept.sqlite3",
        "relative/kept.sqlite3",
        "$X/kept.sqlite3",  # no shell expanded it: the command made a folder named "$X"
        "~/kept.sqlite3",
    ],
)
def test_a_shown_command_reads_back_as_the_same_history(history: str) -> None:
    said = undo_command(history, "--entry", "N")
    assert said[0] == said[-1]
    assert said[0] in "'\""
    words = shlex.split(said[1:-1])
    assert words == [
        "ocp-users-photo",
        "undo",
        "--entry",
        "N",
        "--history",
        os.path.abspath(os.path.expanduser(history)),
    ]


@pytest.mark.parametrize(
    "history",
    [
        "/tmp/a\nb/kept.sqlite3",
        "/tmp/tab\there/kept.sqlite3",
        "/tmp/h\udcff/kept.sqlite3",
        "/tmp/xoxb-1234-abcd/kept.sqlite3",
        "/tmp/" + "long/" * 130 + "kept.sqlite3",
        "/tmp/\x1b[31mred/kept.sqlite3",
    ],
)
def test_a_history_that_cannot_be_shown_as_typed_is_named_with_path(history: str) -> None:
    said = undo_command(history)
    assert said == (
        "'ocp-users-photo undo --history PATH' (PATH: the full path of the same --history file)"
    )


def test_a_relative_variable_that_cannot_be_shown_names_the_variable_not_a_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No --history was given: "the same --history file" named a flag the person never used.
    monkeypatch.setenv("OCP_USERS_PHOTO_HISTORY", "my\u00a0photos/kept.sqlite3")
    said = undo_command(None)
    assert said == (
        "'ocp-users-photo undo --history PATH' (PATH: the full path of the file "
        "$OCP_USERS_PHOTO_HISTORY names)"
    )


def test_no_history_given_names_the_plain_command() -> None:
    assert undo_command(None) == "'ocp-users-photo undo'"
    assert undo_command(None, "--entry", "N") == "'ocp-users-photo undo --entry N'"


def test_the_history_listing_says_what_path_stands_for_once(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    image = tmp_path / "red.png"
    image.write_bytes(picture((200, 30, 30)))
    history = tmp_path / "a\nb\x1b[31m" / "h.sqlite3"
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    assert run_cli("set", str(image), "--history", str(history), env=env).returncode == 0
    done = run_cli("history", "--history", str(history), env=env)
    assert done.returncode == 0, done.stderr
    (line,) = [text for text in done.stdout.splitlines() if text.startswith("Put one back")]
    assert line == (
        "Put one back with 'ocp-users-photo undo --entry N --history PATH' (PATH: the full "
        "path of the same --history file) ('ocp-users-photo undo --history PATH' puts back "
        "#1, the photo before the last change)."
    )
