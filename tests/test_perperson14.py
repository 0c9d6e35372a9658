"""A Slack assistant acting for every person of a workspace, each with the user token of
their own OAuth installation (review angle perperson14): what a model using ocp-agent is
told when a person must install the app again."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.errors import UsersPhotoError
from tests.installation_helpers import (
    CLIENT_ID,
    TEAM_ID,
    emulator_source,
    install,
    portrait,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
)

INSTALL_URL = "https://photos.example.com/slack/install"


async def _agents_last_error(tool: UsersSetPhoto, user_id: str) -> tuple[str, dict[str, Any]]:
    """An agent made for ``user_id`` (README: an agent per conversation over one tool) calls
    usersSetPhoto; the error it raises, and the metadata of the history entry the model sees."""
    from ocp_users_photo import OCPAgent

    acting = tool.acting_as(team_id=TEAM_ID, user_id=user_id)
    async with OCPAgent(tool=acting, enable_cache=False) as agent:  # no ~/.ocp in the home
        await agent.register_api("slack")
        with pytest.raises(UsersPhotoError) as raised:
            await agent.call_tool("usersSetPhoto", {"image": portrait()})
        entry = agent.context.history[-1]
    assert entry["action"] == "tool_error:usersSetPhoto", entry
    return raised.value.code, entry["metadata"]


@pytest.mark.parametrize(
    ("user_scope", "revoke", "code"),
    [
        ("users.profile:read,users.profile:write", True, "token_revoked"),
        ("users.profile:write", False, "previous_photo_not_kept"),
    ],
)
@pytest.mark.usefixtures("ocp_agent_library")
async def test_an_agents_model_is_given_the_install_page_when_installing_again_mends_it(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    tmp_path: Path,
    user_scope: str,
    revoke: bool,
    code: str,
) -> None:
    """Bob removed the app (his token is revoked), or installed it without
    users.profile:read. README: for Slack refusals installing again mends, a model is given
    the source's install_url, as run() gives it; ocp-agent's call_tool is a model door too
    (DEFAULTS.md), and what its model sees is the history entry. It named no link: the
    model could only say "install the app again", not where."""
    installed = await install(emulator, store, "UBOB00002", user_scope=user_scope)
    if revoke:
        assert installed.user_token is not None
        emulator.state.revoke(installed.user_token)
    source = emulator_source(emulator, store, install_url=INSTALL_URL)
    history = tmp_path / "history.sqlite3"
    async with (
        source,
        UsersSetPhoto(source, base_url=emulator.base_url, photo_history=history) as tool,
    ):
        ran = await tool.acting_as(team_id=TEAM_ID, user_id="UBOB00002").run({"image": portrait()})
        assert ran["error"] == code, ran
        assert ran["install_url"] == INSTALL_URL, ran
        raised_code, told = await _agents_last_error(tool, "UBOB00002")
    assert raised_code == code
    assert told["error_code"] == code
    assert told.get("install_url") == INSTALL_URL, told
    assert INSTALL_URL in told["error_message"], told


async def test_the_installation_database_the_sources_first_read_makes_is_its_owners_only(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """README's snippet gives the source a SQLite3InstallationStore on "installations.db";
    before anyone installed, the file does not exist, and slack_sdk's store makes it at the
    source's first read, with the process's umask: readable by every local user, and then
    filled with every person's access and refresh tokens (the refreshes the source saves,
    Bolt's installs). The example Bolt app makes its own database owner-only; the source
    must not leave the one it makes open either."""
    database = tmp_path / "installations.db"
    store = SQLite3InstallationStore(database=str(database), client_id=CLIENT_ID)
    source = emulator_source(emulator, store, install_url=INSTALL_URL)
    previous = os.umask(0o022)
    try:
        async with source, UsersSetPhoto(source, base_url=emulator.base_url) as tool:
            told = await tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001").run(
                {"image": portrait()}
            )
    finally:
        os.umask(previous)
    assert told["error"] == "not_installed", told
    assert database.exists()
    assert stat.S_IMODE(database.stat().st_mode) & 0o077 == 0, oct(database.stat().st_mode)
    await install(emulator, store, "UALICE0001")  # the store still works in it
    assert store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id="UALICE0001")
