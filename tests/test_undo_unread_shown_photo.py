"""A photo set since that kept nothing (a Python ``call()``, keeping off by default), then
``history`` and usersRestorePhoto's listing with a token lacking users.profile:read: they
said undo puts back "the photo before the last change", as known, when the photo shown
could not be read (whether a change since kept nothing is not known) nor kept first.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator, user_id_for_token
from tests.conftest import CANARY_TOKEN, shown_avatar_hash
from tests.test_cli import cli
from tests.undo_fixtures import NO_READ_TOKEN, history_tool, picture


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


async def _kept_then_unkept(emulator: RunningEmulator, history: Path) -> dict[str, str]:
    """A set kept by the command line, a Python call() keeping nothing since; the same
    person's token without users.profile:read, in the command line's environment."""
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(history),
    }
    red = history.parent / "red.png"
    red.write_bytes(picture((200, 30, 30)))
    assert cli("set", str(red), env=env).returncode == 0
    async with history_tool(emulator, history) as tool:
        await tool.call({"image": picture((30, 160, 60))})  # keeps nothing: its default
    emulator.state.add_token(
        NO_READ_TOKEN, user_id=user_id_for_token(CANARY_TOKEN), scopes="users.profile:write"
    )
    return {**env, "SLACK_USER_TOKEN": NO_READ_TOKEN}


async def test_history_without_the_read_scope_does_not_say_undo_undoes_the_last_change(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = await _kept_then_unkept(slack_emulator, tmp_path / "history.sqlite3")
    listed = cli("history", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "the photo before the last change kept here" in listed.stdout, listed.stdout
    assert "lacks users.profile:read" in listed.stdout, listed.stdout
    assert "would not keep the photo shown now" in listed.stdout, listed.stdout
    as_json = json.loads(cli("history", "--json", env=env).stdout)
    assert as_json["undo_entry"] == 1
    assert as_json["shown_unkept"] is None  # not known: Slack's photo shown was not read
    shown = shown_avatar_hash(slack_emulator)
    undone = cli("undo", env=env)  # what the line said: the photo shown now is lost
    assert undone.returncode == 0, undone.stderr
    assert "was not kept" in undone.stdout, undone.stdout
    assert shown_avatar_hash(slack_emulator) != shown


async def test_restore_listing_without_the_read_scope_does_not_offer_the_last_changes_undo(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    history = tmp_path / "history.sqlite3"
    await _kept_then_unkept(slack_emulator, history)
    async with history_tool(slack_emulator, history, token=NO_READ_TOKEN) as tool:
        listing = await tool.restore_tool().run({})
    assert listing["ok"] is True
    assert "To undo the last change" not in listing["message"], listing["message"]
    assert "lacks users.profile:read" in listing["message"], listing["message"]
    assert "Nothing was changed" in listing["message"]


def test_undo_help_says_the_last_change_kept_here() -> None:
    """Its help said undo puts back "the photo the last change replaced": after a change
    that kept nothing, it is the photo before the last change kept here."""
    listed = cli("--help")
    assert "undo the last change kept here" in listed.stdout, listed.stdout
    entry_help = " ".join(cli("undo", "--help").stdout.split())
    assert "which undoes the last change kept here" in entry_help, entry_help


async def test_restore_listing_without_the_read_scope_says_a_restore_is_refused_and_why(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Keeping on, a restore keeps the photo shown first and cannot read it: it is refused.
    The listing said the photo shown would not be kept, as if a restore went ahead."""
    history = tmp_path / "history.sqlite3"
    await _kept_then_unkept(slack_emulator, history)
    async with history_tool(slack_emulator, history, token=NO_READ_TOKEN) as tool:
        restore = tool.restore_tool()
        listing = await restore.run({})
        restored = await restore.run({"entry": listing["entries"][0]["entry"]})
    assert restored["ok"] is False
    assert restored["error"] == "previous_photo_not_kept"
    message = listing["message"]
    assert "putting an entry back is refused" in message, message
    assert "add the user scope users.profile:read" in message, message
    assert "Nothing was changed." in message


async def test_restore_listing_without_the_read_scope_when_keeping_if_readable_says_loss(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """keep_previous="if_readable" (the command line's) puts an entry back unkept: the
    listing says the photo shown would be lost, not that putting back is refused."""
    history = tmp_path / "history.sqlite3"
    await _kept_then_unkept(slack_emulator, history)
    async with history_tool(
        slack_emulator, history, token=NO_READ_TOKEN, keep_previous="if_readable"
    ) as tool:
        restore = tool.restore_tool()
        listing = await restore.run({})
        restored = await restore.run({"entry": listing["entries"][0]["entry"]})
    assert restored["ok"] is True, restored
    assert "would lose it, kept nowhere" in listing["message"], listing["message"]
    assert "is refused" not in listing["message"], listing["message"]
    assert "tell the person so" not in listing["message"], listing["message"]
