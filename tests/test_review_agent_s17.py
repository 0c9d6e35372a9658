"""A multi-person Slack assistant on the real ocp-agent (review angle: agent builder, s17).

Each person's token comes from slack_sdk's SQLite installation store through an
``InstallationTokenSource``; the host binds the person around each model call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from tests.installation_helpers import (
    CLIENT_ID,
    TEAM_ID,
    emulator_source,
    install,
    photo_tokens,
    portrait,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
)

ALICE = "UALICE0001"


@pytest.fixture
async def tool(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[UsersSetPhoto]:
    """The assistant's one tool over every person's installation (Alice's)."""
    store = SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id=CLIENT_ID)
    await install(emulator, store, ALICE)
    source = emulator_source(emulator, store)
    async with (
        source,
        UsersSetPhoto(
            source,
            base_url=emulator.base_url,
            environ={},
            photo_history=str(tmp_path / "history.sqlite3"),
        ) as photo,
    ):
        yield photo


async def test_a_token_argument_is_not_said_to_come_from_slack_user_token(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    """The tool's token comes from each person's installation, not $SLACK_USER_TOKEN: the
    model (and the person it talks to) must not be told to set that variable."""
    result = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE).run(
        {"image": portrait(), "token": "xoxp-1111-2222-3333-fakefakefake"}
    )
    assert result["error"] == "invalid_arguments"
    assert "token" in result["message"]
    assert "SLACK_USER_TOKEN" not in result["message"], result["message"]
    assert photo_tokens(emulator) == []
