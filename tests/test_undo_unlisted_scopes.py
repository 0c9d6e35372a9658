"""A photo set since that kept nothing, then usersRestorePhoto's listing and ``history``
with a token lacking users.profile:read whose auth.test lists no scopes (no
x-oauth-scopes header): the read of the photo shown is refused (missing_scope), and the
listing still said undo undoes "the last change", as known (shown_unkept False)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from tests.test_cli import cli
from tests.test_undo_unread_shown_photo import _kept_then_unkept
from tests.undo_fixtures import NO_READ_TOKEN, auth_test_without_scopes, history_tool


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


async def test_restore_listing_with_unlisted_scopes_does_not_offer_the_last_changes_undo(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    history = tmp_path / "history.sqlite3"
    await _kept_then_unkept(slack_emulator, history)
    await auth_test_without_scopes(slack_emulator, NO_READ_TOKEN)
    async with history_tool(slack_emulator, history, token=NO_READ_TOKEN) as tool:
        listing = await tool.restore_tool().run({})
    assert listing["ok"] is True
    assert "To undo the last change" not in listing["message"], listing["message"]
    assert "lacks users.profile:read" in listing["message"], listing["message"]


async def test_history_with_unlisted_scopes_does_not_say_undo_undoes_the_last_change(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = await _kept_then_unkept(slack_emulator, tmp_path / "history.sqlite3")
    await auth_test_without_scopes(slack_emulator, NO_READ_TOKEN)
    listed = cli("history", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "lacks users.profile:read" in listed.stdout, listed.stdout
    await auth_test_without_scopes(slack_emulator, NO_READ_TOKEN)
    as_json = json.loads(cli("history", "--json", env=env).stdout)
    assert as_json["shown_unkept"] is None  # not known: Slack's photo shown was not read
