"""The command line as the audit of 2026-12-06 20:15 UTC met it: a preview written over
the photo history, a demo folder that is a link loop, an entry number with white space.
Each runs the program as a subprocess (against the emulator on 127.0.0.1 where it sends).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ocp_users_photo.emulator import RunningEmulator
from tests.cli_fixtures import image_fixture, slack_emulator_config_fixture  # noqa: F401 (fixtures)
from tests.conftest import make_image, photo_requests
from tests.programs import run_cli
from tests.test_terminal_and_log_echoes import env_for


def _kept(history: Path) -> int:
    with sqlite3.connect(history) as database:
        count: int = database.execute("SELECT count(*) FROM entries").fetchone()[0]
    return count


@pytest.mark.parametrize("through", ["its own name", "a link to it", "a link to its -wal"])
def test_a_preview_named_as_the_photo_history_is_refused_and_the_history_kept(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path, through: str
) -> None:
    """``--preview`` naming the history ($OCP_USERS_PHOTO_HISTORY named *.png, or a link
    to it) wrote the square over it: every photo kept for undo lost, and in a dry run,
    exit 0."""
    history = tmp_path / "kept.png"
    env = {**env_for(slack_emulator, tmp_path), "OCP_USERS_PHOTO_HISTORY": str(history)}
    other = tmp_path / "other.png"
    other.write_bytes(make_image((600, 600), color=(20, 200, 40)))
    for picture in (image, other):
        assert run_cli("set", str(picture), env=env).returncode == 0
    assert _kept(history) == 2
    target = history
    if through != "its own name":
        target = tmp_path / "view.png"
        pointed = history if through == "a link to it" else Path(f"{history}-wal")
        if not pointed.exists():
            pytest.skip("no -wal file left by the last change")
        target.symlink_to(pointed)
    sets = len(photo_requests(slack_emulator))
    done = run_cli("set", str(image), "--dry-run", "--preview", str(target), env=env)
    assert done.returncode == 2, done.stderr
    assert "is the photo history" in done.stderr
    assert "give --preview another file name" in done.stderr
    assert _kept(history) == 2
    assert len(photo_requests(slack_emulator)) == sets


def test_a_demo_folder_that_is_a_link_loop_is_refused_in_words(tmp_path: Path) -> None:
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    for out in ("loop1", "loop1/sub"):
        done = run_cli("demo", "--out", str(tmp_path / out), cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert "a symbolic link in it leads back to itself" in done.stderr


def test_an_entry_number_with_white_space_is_quoted_as_typed(tmp_path: Path) -> None:
    done = run_cli("undo", "--entry", " 1", cwd=tmp_path)
    assert done.returncode == 2
    assert "'1' (with white space around it) is not an entry number" in done.stderr


def test_a_preview_at_the_place_of_a_history_not_made_yet_is_refused(
    image: Path, tmp_path: Path
) -> None:
    """samefile cannot compare with a file not there yet: a preview written where the
    history would be was taken for the history by every later change."""
    history = tmp_path / "kept.png"
    env = {"OCP_USERS_PHOTO_HISTORY": str(history)}
    done = run_cli("set", str(image), "--dry-run", "--preview", str(history), env=env)
    assert done.returncode == 2, done.stderr
    assert "is the photo history" in done.stderr
    assert not history.exists()


def test_a_demo_folder_whose_name_is_too_long_is_said_so(tmp_path: Path) -> None:
    done = run_cli("demo", "--out", str(tmp_path / ("a" * 300) / "x"), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "cannot be used as a folder (File name too long)" in done.stderr


def test_a_dry_run_names_a_history_path_through_a_link_loop_as_one(
    image: Path, tmp_path: Path
) -> None:
    """The dry run said "No such file or directory" where ``history`` says the links loop."""
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    history = tmp_path / "loop1" / "history.sqlite3"
    done = run_cli("set", str(image), "--dry-run", "--history", str(history), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "(Too many levels of symbolic links)" in done.stderr


def test_a_dry_run_refuses_a_history_that_is_itself_a_link_loop(
    image: Path, tmp_path: Path
) -> None:
    """A history path that is a loop of links passed the dry run ("Checked", exit 0),
    where the change itself refuses it: the dry run checks the history file."""
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    history = tmp_path / "loop1"
    done = run_cli("set", str(image), "--dry-run", "--history", str(history), cwd=tmp_path)
    assert done.returncode == 2, done.stdout
    assert "(Too many levels of symbolic links)" in done.stderr
    assert "Checked" not in done.stdout
