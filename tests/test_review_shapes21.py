"""Review 21, shapes: the client meets the shapes real Slack sends, not only the emulator's.

Each test gives the client a value shaped as Slack's documentation or its real replies
show it, where the emulator's default shape differs, and checks the client reads it right.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo.crop import CropBox
from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.emulator.directory import Photo
from ocp_users_photo.emulator.renditions import avatar_hash, render_photo
from ocp_users_photo.observers import CallInfo, CallObserver
from tests.conftest import CANARY_TOKEN
from tests.test_cli import cli
from tests.undo_fixtures import history_tool, picture


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


class _SlackSetsIt(CallObserver):
    """Sets the photo in the emulator as the change is sent, as Slack would before its bare
    {"ok": true} (which a fault answers in its place)."""

    def __init__(self, emulator: RunningEmulator, image: bytes, crop: CropBox) -> None:
        self.emulator = emulator
        rendered = render_photo(
            image, crop, max_side=8192, max_frames=100, letterbox_color=(255, 255, 255)
        )
        self.photo = Photo(avatar_hash(image, crop), rendered, is_custom=True)

    def change_sending(self, call: CallInfo) -> None:
        person = self.emulator.state.person_for_token(CANARY_TOKEN)
        self.emulator.state.directory.set_photo(person.record.user_id, self.photo)


async def test_a_cut_photo_set_here_and_answered_with_a_bare_ok_is_kept_with_its_crop_box(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Slack's bare {"ok": true} names no avatar_hash: the history must still learn which
    photo the change made, or the next change keeps that photo without the crop box it is
    shown with, and an undo puts back the whole picture, not the square people saw."""
    red = tmp_path / "red.png"
    red.write_bytes(picture((200, 30, 30), size=800))
    green = tmp_path / "green.png"
    green.write_bytes(picture((30, 160, 60)))
    crop = {"crop_x": "100", "crop_y": "100", "crop_w": "600"}
    history = tmp_path / "history.sqlite3"
    setter = _SlackSetsIt(slack_emulator, red.read_bytes(), CropBox(100, 100, 600))
    slack_emulator.faults.inject(Fault.json({"ok": True}))
    async with history_tool(
        slack_emulator, history, keep_previous=True, observers=[setter]
    ) as tool:
        assert await tool.call({"image": str(red), **crop}) == {"ok": True}
    async with history_tool(slack_emulator, history, keep_previous=True) as tool:
        await tool.call({"image": str(green)})
        listed = await tool.history()

    assert [entry.kind for entry in listed] == ["custom", "default"]
    assert listed[0].crop_box == CropBox(100, 100, 600)
