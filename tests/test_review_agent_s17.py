"""A multi-person Slack assistant on the real ocp-agent (review angle: agent builder, s17).

Each person's token comes from slack_sdk's SQLite installation store through an
``InstallationTokenSource``; the host binds the person around each model call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import ActingPerson, UsersSetPhoto, register
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.installations import InstallationTokenSource, NoActingPerson
from ocp_users_photo.undo import KeepingImpossible
from tests.installation_helpers import (
    CLIENT_ID,
    LIFETIME,
    TEAM_ID,
    emulator_source,
    install,
    photo_tokens,
    portrait,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store,
)

ALICE, DEVELOPER = "UALICE0001", "UDEVELOPER"


@pytest.fixture
async def tool(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[UsersSetPhoto]:
    """The assistant's one tool over every person's installation (Alice's)."""
    store = SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id=CLIENT_ID)
    await install(emulator, store, ALICE)
    source = emulator_source(emulator, store, install_url="https://example.com/slack/install")
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


async def test_an_unbound_call_does_not_act_for_the_owner_of_a_registered_header(
    emulator: RunningEmulator, tool: UsersSetPhoto, ocp_agent_library: Any, tmp_path: Path
) -> None:
    """The developer registered their own user token for the other Slack tools, and one
    code path forgot to bind the person: the tool's per-person source says nobody is
    bound (NoActingPerson), rather than changing the developer's photo."""
    developer = await install(emulator, sqlite_store(tmp_path / "developer.db"), DEVELOPER)
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, tool=tool)
    await agent.register_api("slack", headers={"Authorization": f"Bearer {developer.user_token}"})
    with pytest.raises(NoActingPerson):
        await agent.call_tool("usersSetPhoto", {"image": portrait()})
    with pytest.raises(NoActingPerson):
        await agent.call_tool("usersRestorePhoto", {})
    assert photo_tokens(emulator) == []


async def test_the_history_tells_the_install_page_after_a_full_stop(
    emulator: RunningEmulator, tool: UsersSetPhoto, ocp_agent_library: Any, tmp_path: Path
) -> None:
    """A person whose installation cannot read the profile: the agent's history says why
    the photo was not kept, then, as a sentence of its own, where to install again (it ran
    the two together: "...--no-keep-previous) The app's install page: ...")."""
    store = sqlite_store(tmp_path / "i.db")  # the store the tool's source reads
    await install(emulator, store, "UEVE000001", user_scope="users.profile:write")
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, tool=tool.acting_as(team_id=TEAM_ID, user_id="UEVE000001"))
    await agent.register_api("slack")
    with pytest.raises(KeepingImpossible):
        await agent.call_tool("usersSetPhoto", {"image": portrait()})
    told = agent.context.history[-1]["metadata"]["error_message"]
    assert "install page" in told
    assert ". The app's install page: " in told, told
    assert photo_tokens(emulator) == []


@pytest.mark.parametrize(
    ("field", "example"),
    [("user_id", "U0123ABCD"), ("team_id", "T0123ABCD"), ("enterprise_id", "E0123ABCD")],
)
def test_a_malformed_id_is_refused_with_an_example_of_its_own_kind(
    field: str, example: str
) -> None:
    """A host that passes Bolt's empty enterprise id is shown what an enterprise id looks
    like, not a user id (every field's refusal said "such as U0123ABCD")."""
    ids = {"team_id": "T0EMULATOR", "user_id": ALICE, field: ""}
    with pytest.raises(ValueError, match=f"{field} must be a Slack id such as {example}"):
        ActingPerson(**ids)


async def test_a_refresh_refused_for_the_apps_own_secret_gives_the_model_no_install_link(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The host's client_secret is wrong: no person mends that by installing again
    (``on_apps_side``), so the model is not handed the install page to send them to."""
    store = sqlite_store(tmp_path / "i.db")
    await install(emulator, store, ALICE)
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret="not-the-apps-secret",
        install_url="https://example.com/slack/install",
        base_url=emulator.base_url,
        environ={},
    )
    emulator.state.advance_clock(LIFETIME + 60)  # Slack now answers token_expired
    async with (
        source,
        UsersSetPhoto(
            source,
            base_url=emulator.base_url,
            environ={},
            photo_history=str(tmp_path / "history.sqlite3"),
        ) as tool,
    ):
        result = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE).run({"image": portrait()})
    assert result["error"] == "refresh_failed"
    assert "bad_client_secret" in result["message"]
    assert "install_url" not in result, result
    assert "example.com/slack/install" not in result["message"]
    assert photo_tokens(emulator) == []


async def test_a_refresh_slack_did_not_answer_gives_the_model_no_install_link(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    """Slack is down when Alice's expired token must be refreshed: the model is told to try
    again in a few minutes, and is not handed the install page as well (installing again
    is not what mends an outage)."""
    emulator.state.advance_clock(LIFETIME + 60)
    emulator.faults.inject(Fault.status(503, body="down"), times=5, path="oauth.v2.access")
    result = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE).run({"image": portrait()})
    assert result["error"] == "refresh_failed"
    assert "try again in a few minutes" in result["message"]
    assert "install_url" not in result, result
    assert photo_tokens(emulator) == []
