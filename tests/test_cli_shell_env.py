"""The command line run in shells unlike the developer's: a full or closed stdout, a closed
stderr, an ASCII locale, file names holding escape sequences."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.exit_codes import ExitCode
from tests.cli_fixtures import image_fixture, slack_emulator_config_fixture  # noqa: F401 (fixtures)
from tests.conftest import CANARY_TOKEN, make_image, photo_requests
from tests.programs import environment_without_slack

USER_TOKEN = "xoxp-1234567890-1234567890123-shellenv0123456789abcdef0123456789"


def slack_env(emulator: RunningEmulator, **more: str) -> dict[str, str]:
    return {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": emulator.base_url, **more}


def run_in_shell(
    script: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``sh -c script`` where ``$CLI`` is the command line (``"$@"`` its arguments)."""
    environment = environment_without_slack(env)
    environment["CLI"] = f"{sys.executable} -m ocp_users_photo.cli"
    return subprocess.run(
        ["sh", "-c", script, "sh", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_set_whose_stdout_is_full_does_not_exit_2_after_setting_the_photo(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path
) -> None:
    """Exit 2 means "nothing was sent"; here the photo was set, then the output failed."""
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    done = run_in_shell(
        '$CLI set "$1" --no-keep-previous > /dev/full',
        str(image),
        env=slack_env(slack_emulator),
    )
    assert len(photo_requests(slack_emulator)) == 1  # the photo was set
    assert done.returncode == ExitCode.INTERNAL, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "ocp-users-photo: stdout could not be written (No space left on device) before all "
        "output was written; what the command did stands"
    )


def test_whoami_in_an_ascii_locale_answers_for_a_name_with_accents(
    slack_emulator: RunningEmulator,
) -> None:
    """LC_ALL=C without UTF-8 mode (cron, ssh to a minimal host): stdout is ASCII."""
    control = slack_emulator.base_url.removesuffix("/api") + "/_emulator"
    httpx.post(f"{control}/tokens", json={"token": USER_TOKEN, "user_id": "UZOE000001"})
    httpx.post(f"{control}/users", json={"user_id": "UZOE000001", "display_name": "zoë"})
    environment = slack_env(slack_emulator, LC_ALL="C", PYTHONUTF8="0")
    environment["SLACK_USER_TOKEN"] = USER_TOKEN
    done = run_in_shell("unset PYTHONIOENCODING LANG; $CLI whoami", env=environment)
    assert done.returncode == ExitCode.OK, done.stderr
    assert "Can set a photo: yes" in done.stdout


def test_an_unrecognized_file_name_is_not_echoed_with_its_escape_sequences(
    image: Path, tmp_path: Path
) -> None:
    """``ocp-users-photo set *.png`` in a folder where someone left a crafted file name."""
    crafted = tmp_path / "b\x1b]0;PWNED\x07\x1b[2J.png"
    crafted.write_bytes(image.read_bytes())
    done = run_in_shell('$CLI set "$1" "$2" --dry-run', str(image), str(crafted))
    assert done.returncode == ExitCode.INVALID
    assert "unrecognized arguments" in done.stderr
    assert "\x1b" not in done.stderr
    assert "\x07" not in done.stderr


def test_an_unrecognized_argument_is_echoed_bounded() -> None:
    done = run_in_shell('$CLI manifest "$1"', "A" * 100_000)
    assert done.returncode == ExitCode.INVALID
    assert len(done.stderr) < 10_000


def test_set_with_stderr_closed_still_sets_the_photo(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    """``2>&-`` (a daemon, a script silencing errors): Python's sys.stderr is None."""
    done = run_in_shell(
        '$CLI set "$1" --no-keep-previous 2>&-', str(image), env=slack_env(slack_emulator)
    )
    assert done.returncode == ExitCode.OK
    assert len(photo_requests(slack_emulator)) == 1


def test_manifest_with_stdout_closed_is_not_a_traceback() -> None:
    done = run_in_shell("$CLI manifest >&-")
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == ExitCode.INTERNAL  # the README: "stdout closed early"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX shells")
def test_undo_whose_stdout_is_full_does_not_exit_2_after_putting_the_photo_back(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path
) -> None:
    history = tmp_path / "history.sqlite3"
    env = slack_env(slack_emulator)
    other = tmp_path / "other.png"
    other.write_bytes(make_image((700, 700)))
    for photo in (image, other):  # the second keeps the first: undo sets it again
        done = run_in_shell('$CLI set "$1" --history "$2"', str(photo), str(history), env=env)
        assert done.returncode == 0, done.stderr
    done = run_in_shell('$CLI undo --history "$1" > /dev/full', str(history), env=env)
    assert len(photo_requests(slack_emulator)) == 3  # the undo was sent and made
    assert done.returncode == ExitCode.INTERNAL, done.stderr
    assert "what the command did stands" in done.stderr


def test_undo_of_an_entry_number_past_sqlites_integers_is_a_usage_error(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path
) -> None:
    """--entry 2**63 (a typo, a pasted hash): exit 2 with one line, as for any unknown entry."""
    history = tmp_path / "history.sqlite3"
    env = slack_env(slack_emulator)
    done = run_in_shell('$CLI set "$1" --history "$2"', str(image), str(history), env=env)
    assert done.returncode == 0, done.stderr
    done = run_in_shell(
        '$CLI undo --history "$1" --entry 9223372036854775808', str(history), env=env
    )
    assert "Traceback" not in done.stderr, done.stderr[-300:]
    assert done.returncode == ExitCode.INVALID
    assert len(photo_requests(slack_emulator)) == 1  # nothing more was sent


def test_a_dry_run_whose_stdout_is_full_says_nothing_was_sent(image: Path) -> None:
    """Output written before anything is sent (a dry run's answer, a preview line) that
    cannot be written ends the command as 2, "nothing was sent": that is what happened."""
    done = run_in_shell('$CLI set "$1" --dry-run > /dev/full', str(image))
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert done.stderr.strip() == (
        "ocp-users-photo: stdout could not be written (No space left on device); nothing was sent"
    )


@pytest.mark.parametrize("development_mode", ["", "1"])
def test_mcp_whose_stdout_is_full_says_so_in_a_line(tmp_path: Path, development_mode: str) -> None:
    """The MCP server's stdout a file on a full disk (or a terminal gone, EIO): not the host
    closing it (exit 0, test_mcp_wire_unreadable.py), so exit 1 with one line, as a command
    whose stdout cannot be written. It ended with an ExceptionGroup traceback (the SDK's
    stdout writer's OSError, up through its task group). On Python 3.13 (and on 3.11 and
    3.12 in development mode, PYTHONDEVMODE=1) two more lines followed it, "Exception
    ignored in: <_io.BufferedWriter ...>" and the OSError again: the SDK's buffer of stdout,
    collected at exit, failed to flush the answer once more."""
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    initialize = (
        '{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": '
        '"2025-06-18", "capabilities": {}, "clientInfo": {"name": "host", "version": "1"}}}'
    )
    done = run_in_shell(
        """printf '%s\\n' "$1" | $CLI mcp --image-root "$2" > /dev/full""",
        initialize,
        str(tmp_path),
        env={"PYTHONDEVMODE": development_mode},
    )
    assert "Traceback" not in done.stderr, done.stderr[-1500:]
    assert "Exception ignored" not in done.stderr, done.stderr[-1500:]
    assert done.returncode == ExitCode.INTERNAL, done.stderr
    assert done.stderr.strip().endswith(
        "ocp-users-photo mcp: stdin or stdout failed (No space left on device): the server "
        "stopped; an MCP host starts this command with both connected to it, as pipes"
    )


def test_mcp_server_module_with_stderr_closed_keeps_its_error_off_stdout(tmp_path: Path) -> None:
    """``python -m ocp_users_photo.mcp_server`` (docs/mcp.md's way without the console script)
    started with stderr closed: its one-line refusal is lost, as the command line's is, not
    written on stdout, the protocol's channel (print's file=None is stdout: the host read
    "ocp-users-photo mcp: error: ..." where it waited for JSON-RPC)."""
    done = run_in_shell(
        '"$1" -m ocp_users_photo.mcp_server --image-root "$2" 2>&-',
        sys.executable,
        str(tmp_path / "no-such-folder"),
    )
    assert done.returncode == ExitCode.INVALID
    assert done.stdout == ""
