"""CLI review 11: the command line's and the undo's loose ends, each shown before it was mended.

The command line runs as a subprocess against the emulator on 127.0.0.1 (the test's own),
the history in a file under tmp_path.
"""

from __future__ import annotations

import hashlib
import json
import os
import pty
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ocp_users_photo.emulator import RunningEmulator, user_id_for_token
from ocp_users_photo.errors import InvalidArguments
from ocp_users_photo.images.limits import ImageLimits
from tests.cli_fixtures import slack_emulator_config_fixture  # noqa: F401 (fixtures)
from tests.conftest import CANARY_TOKEN, photo_requests, shown_avatar_hash
from tests.programs import environment_without_slack, run_module
from tests.test_cli import cli
from tests.test_terminal_and_log_echoes import env_for
from tests.undo_fixtures import GREEN, RED, history_tool


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
    # Refused as a pasted token (cli.py), with where a token goes; an entry that is no
    # number otherwise says "digits 0-9".
    assert "a Slack token was given as an argument" in done.stderr, done.stderr
    assert "read -rs SLACK_USER_TOKEN" in done.stderr, done.stderr
    assert "xoxp-" not in done.stderr + done.stdout
    done = cli("undo", "--entry", "7a", env=env_for(slack_emulator, tmp_path))
    assert done.returncode == 2, done.stderr
    assert "digits 0-9" in done.stderr, done.stderr


# 2. A restore refused for its kept image names what was not done ------------------------


async def kept_red_then_green(emulator: RunningEmulator, history_file: Path) -> None:
    async with history_tool(emulator, history_file) as tool:
        assert (await tool.run({"image": RED}))["ok"]
        assert (await tool.run({"image": GREEN}))["ok"]  # red kept as #2


async def test_a_restore_refused_for_its_image_names_the_restore_tool_to_a_model(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A host whose limits the kept photo is over (here 1000 bytes): usersRestorePhoto was
    called and refused, but the model was told 'usersSetPhoto was not called'."""
    history_file = tmp_path / "history.sqlite3"
    await kept_red_then_green(emulator, history_file)
    sets = len(photo_requests(emulator))
    small = ImageLimits(max_bytes=1000)
    async with history_tool(emulator, history_file, limits=small) as tool:
        answer = await tool.restore_tool().run({"entry": 2})
    assert answer["ok"] is False
    assert answer["message"].startswith("usersRestorePhoto sent nothing to Slack"), answer[
        "message"
    ]
    assert "usersSetPhoto" not in answer["message"]
    assert "1,000-byte limit" in answer["message"]
    # Said of the entry, the argument a restore has (session 11): the model was told
    # "$.image: ... send a smaller file", an argument usersRestorePhoto does not have.
    assert answer["error"] == "invalid_arguments"
    assert [problem["path"] for problem in answer["problems"]] == ["$.entry"]
    assert "the photo kept as #2 cannot be sent" in answer["message"]
    assert "choose another entry" in answer["message"]
    assert "send a smaller file" not in answer["message"]
    assert len(photo_requests(emulator)) == sets


async def test_a_restore_refused_for_its_image_in_python_says_nothing_was_put_back(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history_file = tmp_path / "history.sqlite3"
    await kept_red_then_green(emulator, history_file)
    async with history_tool(emulator, history_file, limits=ImageLimits(max_bytes=1000)) as tool:
        for attempt in (tool.restore(2), tool.undo()):
            with pytest.raises(InvalidArguments) as refused:
                await attempt
            assert str(refused.value).startswith("nothing was put back: the photo kept as #2"), str(
                refused.value
            )
            assert "usersSetPhoto" not in str(refused.value)


def replace_kept_bytes(history_file: Path, entry: int, data: bytes) -> None:
    """What another program may write: other bytes for ``entry``, under their own SHA-256
    (so the history's own check passes and the image check is the one that refuses)."""
    digest = hashlib.sha256(data).hexdigest()
    with sqlite3.connect(history_file) as database:
        (old,) = database.execute(
            "SELECT photo_sha256 FROM entries WHERE id = ?", (entry,)
        ).fetchone()
        database.execute(
            "UPDATE photos SET sha256 = ?, data = ?, byte_count = ? WHERE sha256 = ?",
            (digest, data, len(data), old),
        )
        database.execute("UPDATE entries SET photo_sha256 = ? WHERE id = ?", (digest, entry))
    database.close()


def test_undo_of_a_kept_photo_that_is_no_image_does_not_name_usersSetPhoto(
    slack_emulator: RunningEmulator, two_kept: dict[str, str]
) -> None:
    replace_kept_bytes(Path(two_kept["OCP_USERS_PHOTO_HISTORY"]), 2, b"not an image at all")
    before = shown_avatar_hash(slack_emulator)
    sets = len(photo_requests(slack_emulator))
    done = cli("undo", "--entry", "2", env=two_kept)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "usersSetPhoto" not in done.stderr, done.stderr
    assert "nothing was put back" in done.stderr, done.stderr
    # Said of the entry, not as an entry that does not exist (session 11).
    assert "the photo kept as #2 cannot be sent" in done.stderr, done.stderr
    assert "'ocp-users-photo history' and --entry N" in done.stderr, done.stderr
    assert "no kept photo #2" not in done.stderr, done.stderr
    assert len(photo_requests(slack_emulator)) == sets
    assert shown_avatar_hash(slack_emulator) == before


# 3. history --forget asks first: the kept photos are the only copies -------------------


def kept_count(env: dict[str, str]) -> int:
    listed = cli("history", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    return len(json.loads(listed.stdout)["entries"])


def forget_at_a_terminal(
    env: dict[str, str], typed: bytes, *options: str
) -> subprocess.CompletedProcess[str]:
    """``history --forget`` with a pseudo-terminal as stdin, ``typed`` typed ahead (the
    terminal holds the line until the program reads it); stdout and stderr captured."""
    terminal, program_side = pty.openpty()
    try:
        os.write(terminal, typed)
        return subprocess.run(
            [sys.executable, "-m", "ocp_users_photo.cli", "history", "--forget", *options],
            stdin=program_side,
            capture_output=True,
            text=True,
            env=environment_without_slack(env),
            timeout=60,
            check=False,
        )
    finally:
        os.close(program_side)
        os.close(terminal)


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(b"n\n", id="no"),
        pytest.param(b"\n", id="enter-is-no"),
        pytest.param(b"whatever\n", id="anything-else-is-no"),
        pytest.param(b"\x04", id="end-of-input"),
    ],
)
def test_forget_at_a_terminal_asks_naming_how_many_and_whose_and_no_keeps_them(
    slack_emulator: RunningEmulator, two_kept: dict[str, str], typed: bytes
) -> None:
    """It removed the only copies of the person's earlier photos without a word."""
    done = forget_at_a_terminal(two_kept, typed)
    assert done.returncode == 0, done.stderr
    assert "Forget 2 kept photo(s) of " in done.stderr, done.stderr
    assert f"({user_id_for_token(CANARY_TOKEN)})" in done.stderr
    assert two_kept["OCP_USERS_PHOTO_HISTORY"] in done.stderr
    assert "[y/N]" in done.stderr
    assert done.stdout == "Nothing was forgotten.\n"
    assert kept_count(two_kept) == 2


@pytest.mark.parametrize("typed", [b"y\n", b"YES\n"])
def test_forget_at_a_terminal_answered_yes_forgets(
    slack_emulator: RunningEmulator, two_kept: dict[str, str], typed: bytes
) -> None:
    shown = shown_avatar_hash(slack_emulator)
    done = forget_at_a_terminal(two_kept, typed)
    assert done.returncode == 0, done.stderr
    assert "Forget 2 kept photo(s) of " in done.stderr
    assert done.stdout.startswith("Removed 2 kept photo(s) from "), done.stdout
    assert kept_count(two_kept) == 0
    assert shown_avatar_hash(slack_emulator) == shown


def test_forget_at_a_terminal_with_yes_does_not_ask(
    slack_emulator: RunningEmulator, two_kept: dict[str, str]
) -> None:
    done = forget_at_a_terminal(two_kept, b"n\n", "--yes")
    assert done.returncode == 0, done.stderr
    assert "[y/N]" not in done.stderr
    assert done.stdout.startswith("Removed 2 kept photo(s) from "), done.stdout
    assert kept_count(two_kept) == 0


def test_forget_without_a_terminal_is_refused_unless_yes(
    slack_emulator: RunningEmulator, two_kept: dict[str, str]
) -> None:
    """A script (stdin not a terminal) cannot answer: refused, saying to pass --yes."""
    asked = len(slack_emulator.requests)
    done = run_module("ocp_users_photo.cli", "history", "--forget", env=two_kept, stdin_closed=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--yes" in done.stderr, done.stderr
    assert "nothing was forgotten" in done.stderr
    assert done.stdout == ""
    assert len(slack_emulator.requests) == asked  # refused before Slack is asked
    assert kept_count(two_kept) == 2
    given = run_module(
        "ocp_users_photo.cli", "history", "--forget", "--yes", env=two_kept, stdin_closed=True
    )
    assert given.returncode == 0, given.stderr
    assert kept_count(two_kept) == 0


def test_forget_at_a_terminal_with_nothing_kept_does_not_ask(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    done = forget_at_a_terminal(env_for(slack_emulator, tmp_path), b"n\n")
    assert done.returncode == 0, done.stderr
    assert "[y/N]" not in done.stderr
    assert done.stdout.startswith("Removed 0 kept photo(s) from "), done.stdout


def test_forget_declined_with_json_says_so_in_json(
    slack_emulator: RunningEmulator, two_kept: dict[str, str]
) -> None:
    done = forget_at_a_terminal(two_kept, b"n\n", "--json")
    assert done.returncode == 0, done.stderr
    assert "[y/N]" in done.stderr
    assert json.loads(done.stdout) == {
        "history": two_kept["OCP_USERS_PHOTO_HISTORY"],
        "forgotten": 0,
        "declined": True,
    }
    assert kept_count(two_kept) == 2
