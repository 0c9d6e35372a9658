"""Slack's reply cut off on the way (a proxy, a dropped connection), seen from every door.

It was told as "no Slack reply: check the Slack address", as if another server had
answered. The request reached Slack: a change may have been made, a read changed nothing.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from ocp_users_photo import TransportError, UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import may_have_taken_effect
from ocp_users_photo.exit_codes import ExitCode
from tests.cli_fixtures import image_fixture, slack_emulator_config_fixture  # noqa: F401 (fixtures)
from tests.conftest import CANARY_TOKEN, make_image, photo_requests
from tests.programs import run_cli

IMAGE = make_image((600, 600))


async def test_a_change_cut_short_may_have_acted_in_python_and_for_a_model(
    emulator: RunningEmulator,
) -> None:
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        emulator.faults.inject(Fault.truncated_json())
        with pytest.raises(TransportError) as raised:
            await tool.call({"image": IMAGE})
        emulator.faults.inject(Fault.truncated_json())
        result = await tool.run({"image": base64.b64encode(IMAGE).decode()})
    assert len(photo_requests(emulator)) == 2, "one request each, never sent again"
    assert may_have_taken_effect(raised.value)
    assert "a JSON reply cut short after 45 bytes" in str(raised.value)
    assert "check the Slack address" not in str(raised.value)
    assert result["ok"] is False
    assert "cut off on the way" in result["message"]
    assert "do not call again; tell the person to check their photo in Slack" in (result["message"])


async def test_the_photo_it_replaced_stays_kept_as_unknown(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        keep_previous=True,
        photo_history=tmp_path / "history.sqlite3",
    ) as tool:
        emulator.faults.inject(Fault.truncated_json())
        with pytest.raises(TransportError):
            await tool.call({"image": IMAGE})
        (entry,) = await tool.history()
    assert entry.status == "unknown"


def _set_cut_short(
    slack_emulator: RunningEmulator, tmp_path: Path, image: Path, method: str
) -> subprocess.CompletedProcess[str]:
    """``ocp-users-photo set`` with ``method`` answered by a JSON reply cut short: exit 5."""
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "history.sqlite3"),
    }
    slack_emulator.faults.inject(Fault.truncated_json(), path=method)
    done = run_cli("set", str(image), env=env)
    assert done.returncode == ExitCode.TRANSPORT, done.stderr
    return done


def test_the_command_line_says_the_photo_may_be_set_already(
    slack_emulator: RunningEmulator, tmp_path: Path, image: Path
) -> None:
    done = _set_cut_short(slack_emulator, tmp_path, image, "users.setPhoto")
    assert len(photo_requests(slack_emulator)) == 1
    assert "a JSON reply cut short" in done.stderr, done.stderr
    assert "the photo may be set already" in done.stderr, done.stderr
    assert "check SLACK_API_URL" not in done.stderr, done.stderr


def test_a_read_cut_short_on_the_command_line_changed_nothing(
    slack_emulator: RunningEmulator, tmp_path: Path, image: Path
) -> None:
    done = _set_cut_short(slack_emulator, tmp_path, image, "auth.test")
    assert photo_requests(slack_emulator) == [], "users.setPhoto was never sent"
    assert "auth.test only reads, so nothing changed" in done.stderr, done.stderr
    assert "may be set already" not in done.stderr, done.stderr
