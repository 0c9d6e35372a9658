"""One tool serving every person of a workspace at once (review angle tenants9): calls of
many people interleaved on one loop, tasks a host spawns in a bound block, rotation for
two people at once, and the agent doors, against the emulator and real SQLite files."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto, register
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import TokenNotUsable, TokenUnavailable
from ocp_users_photo.installations import (
    InstallationTokenSource,
    NoActingPerson,
    NotInstalled,
    TokenRefreshFailed,
)
from ocp_users_photo.tokens import ActingPerson, acting_as
from ocp_users_photo.undo import EntryRefused, PhotoHistory
from ocp_users_photo.undo.entries import HistoryOwner
from tests.installation_helpers import (
    LIFETIME,
    TEAM_ID,
    Clock,
    emulator_source,
    install,
    owner_of,
    photo_tokens,
    portrait,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
)
from tests.undo_fixtures import shown

PEOPLE = tuple(f"UPERSON{index:03d}" for index in range(10))


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
    tokens: dict[str, str] = {}
    for user_id in PEOPLE:
        token = (await install(emulator, store, user_id)).user_token
        assert token is not None
        tokens[user_id] = token
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


async def test_two_people_refreshing_at_once_keep_their_own_tokens_and_failures(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tmp_path: Path
) -> None:
    """Both tokens expire; calls of both people interleave, Slack answers the refreshes
    late, and one person's refresh is refused: the other's goes through with their own
    new token, nothing of one is saved as the other's."""
    alice = await install(emulator, store, "UALICE0001")
    bob = await install(emulator, store, "UBOB000002")
    emulator.state.advance_clock(LIFETIME)
    clock = Clock(LIFETIME)
    source = emulator_source(emulator, store, clock=clock)
    # Bob's stored refresh token is one Slack no longer takes (spent elsewhere).
    bob.user_refresh_token = "xoxe-1-spent-elsewhere-0000000000000000"
    store.save(bob)
    emulator.faults.inject(Fault.delay(0.2), times=2, path="oauth.v2.access")
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:

        async def one(user_id: str) -> object:
            try:
                return await tool.acting_as(team_id=TEAM_ID, user_id=user_id).call(
                    {"image": portrait()}
                )
            except TokenUnavailable as failed:
                return failed

        people = ["UALICE0001", "UBOB000002"] * 5
        results = await asyncio.gather(*(one(user_id) for user_id in people))
    for user_id, result in zip(people, results, strict=True):
        if user_id == "UALICE0001":
            assert isinstance(result, dict), result
        else:
            assert isinstance(result, TokenRefreshFailed), result
            assert "UBOB000002" in str(result)
            assert "UALICE0001" not in str(result)
    assert {owner_of(emulator, token) for token in photo_tokens(emulator)} == {"UALICE0001"}
    fresh_alice = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id="UALICE0001")
    still_bob = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id="UBOB000002")
    assert fresh_alice is not None
    assert still_bob is not None
    assert fresh_alice.user_token != alice.user_token
    assert owner_of(emulator, fresh_alice.user_token or "") == "UALICE0001"
    assert still_bob.user_token == bob.user_token
    assert still_bob.user_refresh_token == bob.user_refresh_token


async def test_tasks_a_host_starts_in_a_bound_block_act_for_that_person(
    emulator: RunningEmulator, store: SQLite3InstallationStore, source: InstallationTokenSource
) -> None:
    for user_id in ("UALICE0001", "UBOB000002"):
        await install(emulator, store, user_id)
    async with UsersSetPhoto(
        source, base_url=emulator.base_url, environ={}, keep_previous=False
    ) as tool:
        loop = asyncio.get_running_loop()
        from_callback: asyncio.Future[asyncio.Task[dict[str, Any]]] = loop.create_future()
        async with tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001"):
            later = asyncio.create_task(tool.call({"image": portrait((1, 2, 3))}))
            async with asyncio.TaskGroup() as group:
                group.create_task(tool.call({"image": portrait((4, 5, 6))}))
            loop.call_soon(
                lambda: from_callback.set_result(
                    asyncio.ensure_future(tool.call({"image": portrait((7, 8, 9))}))
                )
            )
            # A thread of the default executor carries no context: nobody is bound there.
            in_executor = loop.run_in_executor(
                None, lambda: tool.call_sync({"image": portrait((10, 11, 12))})
            )
            in_thread = asyncio.to_thread(
                lambda: tool.acting_as(team_id=TEAM_ID, user_id="UBOB000002").call_sync(
                    {"image": portrait((13, 14, 15))}
                )
            )
            await in_thread
        with pytest.raises(NoActingPerson):
            await in_executor
        await later
        await (await from_callback)
        with pytest.raises(NoActingPerson):
            await tool.call({"image": portrait()})
    assert [owner_of(emulator, token) for token in photo_tokens(emulator)].count("UALICE0001") == 3
    assert [owner_of(emulator, token) for token in photo_tokens(emulator)].count("UBOB000002") == 1


async def test_a_persons_agent_neither_lists_nor_restores_a_neighbours_entries(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    source: InstallationTokenSource,
    tmp_path: Path,
    ocp_agent_library: Any,
) -> None:
    await install(emulator, store, "UALICE0001")
    bob = await install(emulator, store, "UBOB000002")
    history = PhotoHistory(tmp_path / "history.sqlite3")
    tool = UsersSetPhoto(
        source, base_url=emulator.base_url, environ={}, keep_previous=True, photo_history=history
    )
    async with tool, history:
        as_alice = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
        as_bob = tool.acting_as(team_id=TEAM_ID, user_id="UBOB000002")
        for shade in range(3):  # entries interleaved: 1 Alice, 2 Bob, 3 Alice...
            await as_alice.call({"image": portrait((shade, 0, 200))})
            await as_bob.call({"image": portrait((shade, 200, 0))})
        bob_entries = {k.entry for k in await as_bob.history()}
        alice_entries = {k.entry for k in await as_alice.history()}
        assert len(bob_entries) == 3
        assert not bob_entries & alice_entries
        bob_before = await shown(emulator, bob.user_token or "")
        for agent_tool, register_as in (
            (as_alice, {"tool": as_alice}),
            (None, {"tool": tool}),
        ):
            agent = ocp_agent_library.OCPAgent(enable_cache=False)
            register(agent, **register_as)
            bound = (
                acting_as(ActingPerson(team_id=TEAM_ID, user_id="UALICE0001"))
                if agent_tool is None
                else contextlib.nullcontext()
            )
            with bound:
                listed = await agent.call_tool("usersRestorePhoto", {})
                assert {e["entry"] for e in listed["entries"]} == alice_entries
                for number in sorted(bob_entries):
                    with pytest.raises(EntryRefused):
                        await agent.call_tool("usersRestorePhoto", {"entry": number})
                    refused = await as_alice.restore_tool().run({"entry": number})
                    assert refused["ok"] is False
        assert await shown(emulator, bob.user_token or "") == bob_before
        assert {k.entry for k in await as_bob.history()} == bob_entries
    assert len(photo_tokens(emulator)) == 6  # the six changes made above, nothing more


@pytest.mark.parametrize(
    ("team_id", "enterprise_id"),
    [("T0OTHERTEAM", None), (TEAM_ID, "E0SOMEORG1"), (None, "E0SOMEORG1")],
)
async def test_the_same_user_id_elsewhere_is_not_installed_and_nothing_is_sent(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    source: InstallationTokenSource,
    team_id: str | None,
    enterprise_id: str | None,
) -> None:
    await install(emulator, store, "UALICE0001")
    async with UsersSetPhoto(
        source, base_url=emulator.base_url, environ={}, keep_previous=False
    ) as tool:
        elsewhere = tool.acting_as(
            team_id=team_id, user_id="UALICE0001", enterprise_id=enterprise_id
        )
        with pytest.raises(NotInstalled):
            await elsewhere.call({"image": portrait()})
        result = await elsewhere.run({"image": portrait()})
        assert result["error"] == "not_installed"
    assert emulator.requests.for_path("users.setPhoto") == []
    assert emulator.requests.for_path("auth.test") == []
