"""Review 21, shapes: the client meets the shapes real Slack sends, not only the emulator's.

Each test gives the client a value shaped as Slack's documentation or its real replies
show it, where the emulator's default shape differs, and checks the client reads it right.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from tests.conftest import CANARY_TOKEN
from tests.test_cli import cli
from tests.undo_fixtures import picture


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def test_undo_of_a_photo_answered_with_slacks_bare_ok_does_not_say_the_default_is_back(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Slack documents users.setPhoto's typical success reply as a bare {"ok": true}: an undo
    that put the person's own photo back, so answered, must not say the default avatar is."""
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "history.sqlite3"),
    }
    red, green = tmp_path / "red.png", tmp_path / "green.png"
    red.write_bytes(picture((200, 30, 30)))
    green.write_bytes(picture((30, 160, 60)))
    assert cli("set", str(red), env=env).returncode == 0
    assert cli("set", str(green), env=env).returncode == 0
    slack_emulator.faults.inject(Fault.json({"ok": True}))

    undone = cli("undo", env=env)

    assert undone.returncode == 0, undone.stderr
    assert undone.stdout.startswith("Put back #2")
    assert "default avatar" not in undone.stdout
