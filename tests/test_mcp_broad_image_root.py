"""An image folder written in full that is the whole disk or the home folder is served, as
the person chose, and the host's log says at start what it opens to a model.

The default refuses those folders (DEFAULTS.md: a model could send any image in them as a
profile photo the whole workspace sees); a root given in full stays the person's choice
(settings.py), so the server warns once rather than refusing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto, mcp_command
from tests.conftest import CANARY_TOKEN
from tests.programs import run_module

SERVER_LOG = "ocp_users_photo.mcp_server"


def _warnings_for(roots: tuple[Path, ...], caplog: pytest.LogCaptureFixture) -> list[str]:
    tool = UsersSetPhoto(CANARY_TOKEN, image_roots=list(roots))
    with caplog.at_level(logging.WARNING, logger=SERVER_LOG):
        mcp_command._warn_about_configuration(tool, roots, keeping=False)
    return [record.getMessage() for record in caplog.records]


def test_the_whole_disk_as_an_image_folder_is_said_at_start(
    caplog: pytest.LogCaptureFixture,
) -> None:
    (line,) = _warnings_for((Path("/"),), caplog)
    assert line.startswith("image folder / is the whole disk: a model may send any image in")
    assert "everyone in the workspace sees" in line
    assert line.endswith(f"then {mcp_command.RESTART_THE_HOST}")


def test_the_home_folder_and_what_holds_it_are_said_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home" / "someone"
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    lines = _warnings_for((home, home.parent), caplog)
    assert [line.split(" is ")[0] for line in lines] == [
        f"image folder {home}",
        f"image folder {home.parent}",
    ]
    assert all("is the home folder or holds it: a model may send" in line for line in lines)


def test_a_folder_of_photos_is_not_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    photos = home / "Pictures"
    photos.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    assert _warnings_for((photos,), caplog) == []


def test_the_server_started_with_the_whole_disk_says_so_and_serves(tmp_path: Path) -> None:
    """The real command, as a host starts it: the warning is in its log, and it served (it
    ended only because its stdin was closed)."""
    photos = tmp_path / "photos"
    photos.mkdir()
    done = run_module(
        "ocp_users_photo",
        "mcp",
        "--image-root",
        "/",
        "--image-root",
        str(photos),
        "--no-keep-previous",
        env={"HOME": str(tmp_path), "SLACK_USER_TOKEN": CANARY_TOKEN},
        cwd=tmp_path,
        stdin_closed=True,
    )
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines() if "image folder" in line]
    assert len(warned) == 1, done.stderr
    assert "image folder / is the whole disk" in warned[0]
    assert CANARY_TOKEN not in done.stderr
