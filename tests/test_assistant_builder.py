"""An agent builder's Slack assistant, built from the README (review angle: assistant_builder).

README, "Use it from an agent": "an agent given the plain tool acts for the person bound
around each `call_tool` (`with acting_as(ActingPerson(...)):`)". The person is read when
the awaitable call_tool returned is *awaited*, not when call_tool is called: a host that
takes Alice's model call under Alice's binding and awaits it later, under Bob's (a queue
of model tool calls worked through per person, say), sets Bob's photo to Alice's image.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto, register
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.tokens import ActingPerson, acting_as
from tests.installation_helpers import (
    CLIENT_ID,
    TEAM_ID,
    emulator_source,
    install,
    owner_of,
    photo_tokens,
    portrait,
    rotation_config,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
)

ALICE, BOB = "UALICE0001", "UBOB000002"


@pytest.fixture
async def tool(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[UsersSetPhoto]:
    store = SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id=CLIENT_ID)
    for user_id in (ALICE, BOB):
        await install(emulator, store, user_id)
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


def owners(emulator: RunningEmulator) -> list[str]:
    return [owner_of(emulator, token) for token in photo_tokens(emulator)]


async def _alice_call_awaited_under_bob(agent: Any, emulator: RunningEmulator) -> None:
    with acting_as(ActingPerson(team_id=TEAM_ID, user_id=ALICE)):
        pending = agent.call_tool("usersSetPhoto", {"image": portrait((220, 30, 30))})
    # Refusing is acceptable; acting for Bob is not.
    with acting_as(ActingPerson(team_id=TEAM_ID, user_id=BOB)), contextlib.suppress(Exception):
        await pending
    assert BOB not in owners(emulator), (
        "call_tool made under Alice's binding changed Bob's photo: "
        f"users.setPhoto was sent for {owners(emulator)}"
    )


async def test_register_call_tool_acts_for_the_person_bound_around_the_call(
    ocp_agent_library: Any, emulator: RunningEmulator, tool: UsersSetPhoto, tmp_path: Path
) -> None:
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, tool=tool)
    await agent.register_api("slack")
    await _alice_call_awaited_under_bob(agent, emulator)


async def test_package_ocpagent_call_tool_acts_for_the_person_bound_around_the_call(
    ocp_agent_library: Any, emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    from ocp_users_photo import OCPAgent

    async with OCPAgent(tool=tool, enable_cache=False) as agent:
        await agent.register_api("slack")
        await _alice_call_awaited_under_bob(agent, emulator)


async def test_a_grid_person_bound_without_enterprise_id_is_not_told_to_install_again(
    tmp_path: Path,
) -> None:
    """README, "Tokens per person": the snippet binds `acting_as(team_id=..., user_id=...)`
    and nothing says to pass Bolt's `context.enterprise_id`. In a workspace of an
    Enterprise Grid org every installation is stored under its enterprise id, so each
    person who installed is told they have "not installed the app" and to install it
    again, which changes nothing. The refusal should point at the missing enterprise id."""
    from ocp_users_photo.emulator.server import start_emulator_in_thread

    grid = dataclasses.replace(rotation_config(), enterprise_id="E0ENTERPRISE")
    with start_emulator_in_thread(grid) as emulator:
        store = SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id=CLIENT_ID)
        installed = await install(emulator, store, ALICE)
        assert installed.enterprise_id == "E0ENTERPRISE"
        source = emulator_source(emulator, store)
        async with (
            source,
            UsersSetPhoto(
                source, base_url=emulator.base_url, environ={}, keep_previous=False
            ) as tool,
        ):
            answer = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE).run({"image": portrait()})
    assert answer["ok"] is False
    assert "enterprise" in answer["message"].lower(), answer["message"]


def test_a_slack_shared_files_sign_in_page_says_to_download_it_with_the_bot_token() -> None:
    """A fetch of files.slack.com's url_private gets Slack's sign-in page (no token goes
    with image fetches): the refusal said to give "the URL of the image file itself", so a
    model tried the same URL again."""
    from ocp_users_photo.web_image.fetch import _require_image
    from ocp_users_photo.web_image.refusals import NotAnImage
    from ocp_users_photo.web_image.urls import ImageUrl

    page = b"<!DOCTYPE html><html><head><title>Slack</title>"
    for host in ("files.slack.com", "acme.files.slack.com", "slack-files.com"):
        with pytest.raises(NotAnImage) as refused:
            _require_image(page, ImageUrl("https", host, 443, "/files-pri/T1-F1/me.png"))
        assert "bot token" in str(refused.value)
        assert "do not try this URL again" in str(refused.value)
    with pytest.raises(NotAnImage) as elsewhere:
        _require_image(page, ImageUrl("https", "images.example.com", 443, "/me"))
    assert "bot token" not in str(elsewhere.value)


def test_ocpagents_call_tool_is_awaitable_and_marked_async_where_python_can(
    ocp_agent_library: Any,
) -> None:
    """call_tool is a plain method returning a coroutine (it notes the person when called);
    where Python can mark it (3.12+), a host that inspects it sees a coroutine function."""
    import inspect
    import sys

    from ocp_users_photo.agents.agent import OCPAgent

    if sys.version_info >= (3, 12):
        assert inspect.iscoroutinefunction(OCPAgent.call_tool)
    else:
        assert not hasattr(inspect, "markcoroutinefunction")
    # Made outside a loop: the library's agent reads its files as it is made.
    agent = OCPAgent(enable_cache=False, environ={"SLACK_USER_TOKEN": "xoxp-1-test"})
    called = agent.call_tool("usersSetPhoto", {"image": "me.png"})
    assert inspect.iscoroutine(called)  # what `await agent.call_tool(...)` awaits
    called.close()  # not run: nothing sent
    asyncio.run(agent.aclose())
