"""Loose ends of the eleventh sitting, each shown failing before its fix.

A relative ``--image-root`` that the MCP host's working directory turns into the home
folder or ``/`` is refused, as the default root is there: ``"--image-root", "."`` in a
host's configuration opened every image under the home folder to the model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CANARY_TOKEN
from tests.programs import run_cli, run_module


@pytest.mark.parametrize("root", [".", "Pictures/..", "~/Pictures/.."])
def test_a_relative_image_root_the_host_makes_the_home_folder_is_refused(
    tmp_path: Path, root: str
) -> None:
    (tmp_path / "Pictures").mkdir()
    done = run_module(
        "ocp_users_photo.mcp_server",
        "--image-root",
        root,
        env={"SLACK_USER_TOKEN": CANARY_TOKEN, "HOME": str(tmp_path)},
        cwd=tmp_path,  # the host started the server in the home folder
        stdin_closed=True,
    )
    if root.startswith("~"):  # written from the home folder: the person's own choice
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2, done.stderr
    assert "is relative" in done.stderr, done.stderr
    assert str(tmp_path) in done.stderr, done.stderr
    assert "full path" in done.stderr, done.stderr
    assert CANARY_TOKEN not in done.stderr


def test_a_relative_image_root_below_the_home_folder_is_taken(tmp_path: Path) -> None:
    (tmp_path / "Pictures").mkdir()
    done = run_module(
        "ocp_users_photo.mcp_server",
        "--image-root",
        "Pictures",
        env={"SLACK_USER_TOKEN": CANARY_TOKEN, "HOME": str(tmp_path)},
        cwd=tmp_path,
        stdin_closed=True,
    )
    assert done.returncode == 0, done.stderr
    assert "is relative" not in done.stderr


@pytest.mark.parametrize(
    "written", ["١٢", "\uff11\uff12", "1_2", " 12", "12 ", "+12", "inf", "1e999"]
)
def test_timeout_is_a_number_in_the_digits_0_9(written: str) -> None:
    """float() took other scripts' digits, '_' and spaces: '--timeout ١٢' was 12 seconds."""
    done = run_cli("whoami", "--timeout", written, env={"SLACK_USER_TOKEN": CANARY_TOKEN})
    assert done.returncode == 2, done.stderr
    assert "is not a number of seconds over 0, such as 30 or 2.5" in done.stderr
    assert CANARY_TOKEN not in done.stderr


@pytest.mark.parametrize(("written", "seconds"), [("30", 30.0), ("2.5", 2.5), (".5", 0.5)])
def test_timeout_written_as_numbers_are_is_taken(written: str, seconds: float) -> None:
    from ocp_users_photo.cli import build_parser

    args = build_parser().parse_args(["whoami", "--timeout", written])
    assert args.timeout == seconds
