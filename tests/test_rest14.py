"""Review of the fourteenth round's changes: what they let through, shown by tests.

A token-shaped text with an invisible or blank character at its start (a paste that
brought a zero-width space or a tab along) was kept out of messages by ``isprintable``;
quoted escaped, it is said in full. A line on stderr (the preview's, with ``--json``)
that stderr cannot take still ended ``set`` before it sent, and a closed reader's
BrokenPipeError was told as stdout's, exit 1 "what the command did stands".
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ocp_users_photo.arguments import parse_arguments
from ocp_users_photo.cli_options import undo_warnings_to
from ocp_users_photo.emulator import RunningEmulator
from tests.cli_fixtures import image_fixture, slack_emulator_config_fixture  # noqa: F401 (fixtures)
from tests.conftest import CANARY_TOKEN, photo_requests
from tests.programs import environment_without_slack


@pytest.mark.parametrize(
    "text",
    [
        "\u200bxoxp-1234567890",  # a zero-width space before it
        "\txoxp-123456789",  # a tab
        "x\u200boxp-12345678",  # an invisible character inside the prefix
        "\ufeffXOXB-123456789",  # a byte order mark, caps lock
        "\uff58oxp-12345",  # a fullwidth x, which NFKC reads as x
    ],
    ids=["zero-width", "tab", "inside", "bom", "fullwidth"],
)
def test_a_short_token_shaped_text_with_an_invisible_character_is_not_quoted(text: str) -> None:
    for arguments in (
        {"image": "me.png", text: 1},
        {"image": "me.png", "crop_x": text, "crop_y": 0, "crop_w": 512},
    ):
        _, problems = parse_arguments(
            arguments, configured_token=None, configured_token_problems=[], model_facing=True
        )
        said = " ".join(str(problem) for problem in problems)
        assert "-12345" not in said, said
        assert f"a text of {len(text)} characters" in said, said


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("stderr_is", ["full", "a closed reader"])
def test_the_preview_line_stderr_cannot_take_leaves_the_photo_to_be_set(
    slack_emulator: RunningEmulator, tmp_path: Path, image: Path, stderr_is: str
) -> None:
    """``set --json --preview``: the preview's line goes to stderr (stdout holds the
    answer). Unwritable, it ended the command before it sent: 2 with /dev/full, and 1,
    "stdout was closed ... what the command did stands", with a closed reader, where
    nothing was sent. The line is lost as a warning's is; the photo is set."""
    env = environment_without_slack(
        {
            "SLACK_USER_TOKEN": CANARY_TOKEN,
            "SLACK_API_URL": slack_emulator.base_url,
            "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "h.sqlite3"),
        }
    )
    preview = tmp_path / "preview.png"
    command = [sys.executable, "-m", "ocp_users_photo.cli", "set", "--json"]
    command += ["--preview", str(preview), str(image)]
    if stderr_is == "full":
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                command, stdout=subprocess.PIPE, stderr=full, text=True, env=env, timeout=60
            )
    else:
        reader, writer = os.pipe()
        os.close(reader)
        try:
            done = subprocess.run(
                command, stdout=subprocess.PIPE, stderr=writer, text=True, env=env, timeout=60
            )
        finally:
            os.close(writer)
    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout)["ok"] is True
    assert preview.exists()
    assert len(photo_requests(slack_emulator)) == 1


class _Unwritable(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")


def test_a_lost_undo_warning_is_not_counted_as_one_to_see() -> None:
    """``undo`` ends "The photo it replaced was not kept (see the warning)" when the undo
    warned: a warning stderr could not take was counted all the same, and stdout pointed
    at a line that is nowhere."""
    with undo_warnings_to(_Unwritable()) as warnings:
        logging.getLogger("ocp_users_photo.undo.keeper").warning("the photo was not kept")
    assert warnings.count == 0
    with undo_warnings_to(io.StringIO()) as warnings:
        logging.getLogger("ocp_users_photo.undo.keeper").warning("the photo was not kept")
    assert warnings.count == 1
