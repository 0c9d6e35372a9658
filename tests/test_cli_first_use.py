"""What a person meets at the command line on first use, found walking the README.

A listing whose reader leaves early (``history | head``) exits 0 without a word: the
reader took what it wanted, and nothing the command did is lost. A line and exit 1 told a
failure, and failed ``set -o pipefail`` scripts. A command that changes something still
says its output was cut (what it did stands) and exits 1. Setting the photo Slack shows
already says that nothing new was kept, where every other set names the kept entry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ocp_users_photo.emulator import RunningEmulator
from tests.conftest import CANARY_TOKEN, make_image
from tests.hostile_images import oriented
from tests.programs import environment_without_slack
from tests.test_cli_first_steps import run_with_stdout_closed
from tests.undo_fixtures import picture


@pytest.fixture
def env(slack_emulator: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    return environment_without_slack(
        {
            "SLACK_USER_TOKEN": CANARY_TOKEN,
            "SLACK_API_URL": slack_emulator.base_url,
            "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "h.sqlite3"),
        }
    )


@pytest.mark.parametrize(
    "words", [("history",), ("history", "--json"), ("manifest", "--format", "mcp")]
)
def test_a_listing_whose_reader_left_exits_0_quietly(
    env: dict[str, str], tmp_path: Path, words: tuple[str, ...]
) -> None:
    image = tmp_path / "red.png"
    image.write_bytes(picture((200, 30, 30)))
    assert (
        subprocess.run(
            [sys.executable, "-m", "ocp_users_photo.cli", "set", str(image)],
            capture_output=True,
            env=env,
            timeout=60,
        ).returncode
        == 0
    )
    done = run_with_stdout_closed(*words, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr


def test_a_change_whose_reader_left_still_says_so(env: dict[str, str], tmp_path: Path) -> None:
    image = tmp_path / "green.png"
    image.write_bytes(picture((30, 160, 60)))
    done = run_with_stdout_closed("set", str(image), env=env)
    assert done.returncode == 1, done.stderr
    assert "stdout was closed before all output was written" in done.stderr, done.stderr
    assert "what the command did stands" in done.stderr, done.stderr


def test_setting_the_photo_shown_already_says_nothing_new_was_kept(
    env: dict[str, str], tmp_path: Path
) -> None:
    # Every other set ends with the line naming the kept entry; this one ended with none,
    # leaving the person to wonder whether undo would work.
    image = tmp_path / "blue.png"
    image.write_bytes(picture((30, 60, 200)))
    command = [sys.executable, "-m", "ocp_users_photo.cli", "set", str(image)]
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "kept as #1" in first.stdout, first.stdout
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == (
        "Slack showed this very photo already (the same image and crop box), so nothing new "
        "was kept: the photos kept before it stay as they were."
    ), again.stdout


def _set(env: dict[str, str], *words: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ocp_users_photo.cli", "set", *words]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def test_a_photo_that_is_not_square_is_told_how_slack_shows_it_and_the_middle_square(
    env: dict[str, str], tmp_path: Path
) -> None:
    # Slack letterboxes it (bars): the person saw that only in Slack. The box named cuts
    # the middle square, and given, it leaves no such line.
    image = tmp_path / "wide.png"
    image.write_bytes(make_image((900, 700)))
    done = _set(env, str(image))
    assert done.returncode == 0, done.stderr
    hint = (
        "Not square: Slack shows all of it, with bars above and below. --crop-x 100 "
        "--crop-y 0 --crop-w 700 cuts the middle square; --dry-run --preview square.png "
        "shows what Slack will show."
    )
    assert hint in done.stdout.splitlines(), done.stdout
    cut = _set(env, str(image), "--crop-x", "100", "--crop-y", "0", "--crop-w", "700")
    assert cut.returncode == 0, cut.stderr
    assert "Not square" not in cut.stdout, cut.stdout
    tall = tmp_path / "tall.png"
    tall.write_bytes(make_image((600, 800)))
    dry = _set(env, str(tall), "--dry-run")
    assert "with bars at the sides. --crop-x 0 --crop-y 100 --crop-w 600" in dry.stdout, dry.stdout


def test_a_dry_run_with_json_says_it_too_beside_its_answer(
    env: dict[str, str], tmp_path: Path
) -> None:
    """``--dry-run --json`` dropped the line; a change with ``--json`` has it on stderr,
    stdout holding the one answer a program reads."""
    image = tmp_path / "wide.png"
    image.write_bytes(make_image((900, 700)))
    done = _set(env, str(image), "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["dry_run"] is True
    assert "--crop-x 100 --crop-y 0 --crop-w 700 cuts the middle square" in done.stderr


def test_the_box_named_counts_in_the_upright_photo_before_scaling(
    env: dict[str, str], tmp_path: Path
) -> None:
    # Stored 800x600 and turned by EXIF (shown 600x800), and 2400x1200 scaled to
    # 1024x512: the box is in the pixels a crop box counts in (upright, unscaled), and
    # given back it is taken. "In the file's pixels" named the stored ones, which the
    # rotated photo refused, and a scaled one got no box at all.
    turned = tmp_path / "turned.jpg"
    turned.write_bytes(oriented("JPEG", 6, (800, 600)))
    big = tmp_path / "big.png"
    big.write_bytes(make_image((2400, 1200)))
    for image, box in (
        (turned, ("0", "100", "600")),
        (big, ("600", "0", "1200")),
    ):
        done = _set(env, str(image), "--dry-run")
        assert done.returncode == 0, done.stderr
        hint = f"--crop-x {box[0]} --crop-y {box[1]} --crop-w {box[2]} cuts the middle square"
        assert hint in done.stdout, done.stdout
        cut = _set(
            env, str(image), "--dry-run", "--crop-x", box[0], "--crop-y", box[1], "--crop-w", box[2]
        )
        assert cut.returncode == 0, cut.stderr
        assert "Not square" not in cut.stdout, cut.stdout
    square = tmp_path / "square.png"
    square.write_bytes(make_image((700, 700)))
    assert "Not square" not in _set(env, str(square), "--dry-run").stdout


def test_whoami_whose_reader_left_never_exits_0(env: dict[str, str]) -> None:
    # Its exit code is its answer (2: the token cannot set a photo): 0 when the reader
    # left would tell a script the token works.
    done = run_with_stdout_closed("whoami", env=env)
    assert done.returncode != 0, done.stderr
    assert "stdout was closed" in done.stderr, done.stderr
