"""One tool serving every person of a workspace at once (review angle tenants9): calls of
many people interleaved on one loop, tasks a host spawns in a bound block, rotation for
two people at once, and the agent doors, against the emulator and real SQLite files."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto, register
from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.errors import TokenNotUsable
from ocp_users_photo.installations import InstallationTokenSource
from ocp_users_photo.tokens import ActingPerson, acting_as
from ocp_users_photo.undo import PhotoHistory
from ocp_users_photo.undo.entries import HistoryOwner
from tests.installation_helpers import (
    TEAM_ID,
    emulator_source,
    install,
    owner_of,
    photo_tokens,
    portrait,
    rotation_config,
    sqlite_store,
)
from tests.undo_fixtures import shown

PEOPLE = tuple(f"UPERSON{index:03d}" for index in range(10))


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return rotation_config()


@pytest.fixture
def store(tmp_path: Path) -> SQLite3InstallationStore:
    return sqlite_store(tmp_path / "installations.db")


@pytest.fixture
async def source(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> AsyncIterator[InstallationTokenSource]:
    made = emulator_source(emulator, store)
    async with made:
        yield made


def colour(person: int, call: int) -> tuple[int, int, int]:
    return (20 * person + 5, 40 * call + 7, 200)


async def test_fifty_interleaved_calls_of_ten_people_each_land_on_their_own(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    source: InstallationTokenSource,
    tmp_path: Path,
) -> None:
    tokens = {}
    for user_id in PEOPLE:
        tokens[user_id] = (await install(emulator, store, user_id)).user_token
    images = {(p, c): portrait(colour(p, c)) for p in range(10) for c in range(5)}
    whose = {hashlib.sha256(data).hexdigest(): PEOPLE[p] for (p, _), data in images.items()}
    # Some of Slack's answers come late, so calls overtake one another.
    emulator.faults.inject(Fault.delay(0.3), times=7)
    emulator.faults.inject(Fault.delay(0.2), times=5, path="users.profile.get")
    history = PhotoHistory(tmp_path / "history.sqlite3")
    tool = UsersSetPhoto(
        source, base_url=emulator.base_url, environ={}, keep_previous=True, photo_history=history
    )
    async with tool, history:

        async def one(person: int, call: int) -> str:
            async with tool.acting_as(team_id=TEAM_ID, user_id=PEOPLE[person]) as bound:
                await asyncio.sleep(0)
                reply = await bound.run({"image": images[(person, call)]})
            assert reply.get("ok") is True, reply
            return str(reply["profile"]["avatar_hash"])

        order = [(p, c) for c in range(5) for p in range(10)]
        await asyncio.gather(*(one(p, c) for p, c in order))

        for request in emulator.requests.for_path("users.setPhoto"):
            token = (request.header("authorization") or "").removeprefix("Bearer ")
            part = request.file("image")
            assert part is not None
            assert whose[part.sha256] == owner_of(emulator, token)
        for index, user_id in enumerate(PEOPLE):
            now = await shown(emulator, tokens[user_id])
            assert now.original is not None
            assert hashlib.sha256(now.original).hexdigest() in {
                hashlib.sha256(images[(index, c)]).hexdigest() for c in range(5)
            }
            kept = await history.entries(HistoryOwner(TEAM_ID, user_id))
            assert len(kept) == 5
            for entry in kept:
                found = await history.entry(HistoryOwner(TEAM_ID, user_id), entry.entry)
                assert found is not None
                data = found[1]
                if entry.kind != "default":
                    assert whose[hashlib.sha256(data).hexdigest()] == user_id
            listed = await tool.acting_as(team_id=TEAM_ID, user_id=user_id).history()
            assert [k.entry for k in listed] == [k.entry for k in kept]


@pytest.mark.parametrize("keep_previous", [False, True])
async def test_a_registered_header_does_not_override_a_person_the_host_bound_per_request(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    source: InstallationTokenSource,
    tmp_path: Path,
    ocp_agent_library: Any,
    keep_previous: bool,
) -> None:
    """README: a framework that creates the tool once binds the person around each request
    with ``acting_as``. The Slack API's headers were registered for other Slack tools (the
    developer's own token): the bound person's photo is changed with their own token, as
    with ``register(agent, tool=tool.acting_as(...))``, never the header owner's."""
    alice = await install(emulator, store, "UALICE0001")
    developer = await install(emulator, store, "UDEVELOPER")
    tool = UsersSetPhoto(
        source,
        base_url=emulator.base_url,
        environ={},
        keep_previous=keep_previous,
        photo_history=tmp_path / "history.sqlite3",
    )
    async with tool:
        agent = ocp_agent_library.OCPAgent(enable_cache=False)
        register(agent, tool=tool)
        await agent.register_api(
            "slack", headers={"Authorization": f"Bearer {developer.user_token}"}
        )
        with acting_as(ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")):
            done = await agent.call_tool("usersSetPhoto", {"image": portrait()})
        assert done["ok"] is True
    assert [owner_of(emulator, token) for token in photo_tokens(emulator)] == ["UALICE0001"]
    assert photo_tokens(emulator) == [alice.user_token]


async def test_a_call_header_is_refused_for_a_person_the_host_bound_per_request(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    source: InstallationTokenSource,
    ocp_agent_library: Any,
) -> None:
    await install(emulator, store, "UALICE0001")
    other = await install(emulator, store, "UBOB000002")
    async with UsersSetPhoto(
        source, base_url=emulator.base_url, environ={}, keep_previous=False
    ) as tool:
        agent = ocp_agent_library.OCPAgent(enable_cache=False)
        register(agent, tool=tool)
        with (
            acting_as(ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")),
            pytest.raises(TokenNotUsable, match="acts for UALICE0001"),
        ):
            await agent.call_tool(
                "usersSetPhoto",
                {"image": portrait()},
                headers={"Authorization": f"Bearer {other.user_token}"},
            )
    assert photo_tokens(emulator) == []
