"""tool.acting_as and the per-call context: the host names the person, a model never does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import (
    ActingTool,
    InvalidArguments,
    TokenUnavailable,
    TransportError,
    UsersSetPhoto,
    register,
)
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.model_tool import checked_model_tools
from ocp_users_photo.tokens import ActingPerson, acting_as, acting_person
from ocp_users_photo.undo.restore_tool import UsersRestorePhoto
from tests.conftest import CANARY_TOKEN, photo_requests
from tests.installation_helpers import (
    CLIENT_ID,
    TEAM_ID,
    emulator_source,
    install,
    owner_of,
    photo_tokens,
    portrait,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
)

PEOPLE = ("UALICE0001", "UBOB000002", "UCAROL0003")
PERSON_WORDS = ("user", "team", "enterprise", "person", "acting")


@pytest.fixture
async def tool(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[UsersSetPhoto]:
    store = SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id=CLIENT_ID)
    for user_id in PEOPLE:
        await install(emulator, store, user_id)
    source = emulator_source(emulator, store)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as photo:
        yield photo


def owners(emulator: RunningEmulator) -> list[str]:
    return [owner_of(emulator, token) for token in photo_tokens(emulator)]


async def test_a_bound_tool_directly_and_as_async_with(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    as_alice = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
    assert isinstance(as_alice, ActingTool)
    assert as_alice.person == ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")
    await as_alice.call({"image": portrait()})
    assert acting_person() is None

    async with tool.acting_as(team_id=TEAM_ID, user_id="UBOB000002") as as_bob:
        await as_bob.call({"image": portrait()})
        # Inside the block the person is bound for everything, the plain tool included.
        assert acting_person() == as_bob.person
        await tool.call({"image": portrait()})
        assert (await as_bob.run({"image": portrait()}))["ok"] is True
    assert acting_person() is None
    assert owners(emulator) == ["UALICE0001", "UBOB000002", "UBOB000002", "UBOB000002"]
    assert "UALICE0001" in repr(as_alice)


async def test_one_tool_many_people_at_once_each_in_its_own_context(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    """A framework makes the tool once; the host binds each request's person around it."""

    async def request(user_id: str) -> str:
        with acting_as(ActingPerson(team_id=TEAM_ID, user_id=user_id)):
            reply = await tool.run({"image": portrait()})
        hash_: str = reply["profile"]["avatar_hash"]
        return hash_

    users = [PEOPLE[index % 3] for index in range(9)]
    hashes = await asyncio.gather(*(request(user_id) for user_id in users))
    assert sorted(owners(emulator)) == sorted(users)
    for user_id, avatar in zip(users, hashes, strict=True):
        person = emulator.state.person(user_id)
        assert person is not None
        assert person.avatar_hash == avatar  # same image each time, same hash for each


async def test_a_model_cannot_name_a_person(emulator: RunningEmulator, tool: UsersSetPhoto) -> None:
    schema = tool.input_schema
    named = [name for name in schema["properties"] if any(w in name for w in PERSON_WORDS)]
    assert named == []
    assert schema.get("additionalProperties") is False
    as_alice = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
    for smuggled in ({"user_id": "UBOB000002"}, {"user": "UBOB000002"}, {"team_id": "T1"}):
        result = await as_alice.run({"image": portrait(), **smuggled})
        assert result["error"] == "invalid_arguments", result
    assert photo_tokens(emulator) == []


async def test_an_agent_call_takes_no_person_either(
    emulator: RunningEmulator, tool: UsersSetPhoto, ocp_agent_library: Any
) -> None:
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, tool=tool)
    with acting_as(ActingPerson(team_id=TEAM_ID, user_id="UCAROL0003")):
        with pytest.raises(InvalidArguments, match="unknown argument 'user_id'"):
            await agent.call_tool("usersSetPhoto", {"image": portrait(), "user_id": "UALICE0001"})
        done = await agent.call_tool("usersSetPhoto", {"image": portrait()})
    assert done["ok"] is True
    assert owners(emulator) == ["UCAROL0003"]


def test_a_bound_tool_is_a_model_tool_for_the_framework_adapters() -> None:
    bound = UsersSetPhoto("xoxp-1-2-3", environ={}).acting_as(team_id="T1", user_id="U1")
    offered, undo = checked_model_tools([bound])
    assert offered is bound
    # The undo it brings acts for the same person.
    assert undo.name == "usersRestorePhoto"
    assert isinstance(undo, UsersRestorePhoto)
    assert undo.person == bound.person


@pytest.mark.parametrize(
    ("team_id", "user_id", "enterprise_id", "message"),
    [
        ("T1", "", None, "user_id must be a Slack id"),
        ("T1", "U1 in T2", None, "user_id must be a Slack id"),
        ("T1\n", "U1", None, "team_id must be a Slack id"),
        (None, "U1", None, "give team_id"),
        ("T1", 42, None, "user_id must be a Slack id"),
    ],
)
def test_acting_as_checks_the_ids(
    team_id: Any, user_id: Any, enterprise_id: Any, message: str
) -> None:
    tool = UsersSetPhoto("xoxp-1-2-3", environ={})
    with pytest.raises(ValueError, match=message):
        tool.acting_as(team_id=team_id, user_id=user_id, enterprise_id=enterprise_id)


async def test_an_org_wide_person_needs_no_team() -> None:
    tool = UsersSetPhoto("xoxp-1-2-3", environ={})
    bound = tool.acting_as(team_id=None, user_id="W0123", enterprise_id="E0456")
    assert bound.person.enterprise_id == "E0456"
    async with bound:
        with pytest.raises(RuntimeError, match="already in an 'async with' block"):
            await bound.__aenter__()


def test_call_sync_keeps_the_person(tmp_path: Path) -> None:
    seen: list[ActingPerson | None] = []

    class Recording:
        description = "recording"

        async def token_for(self, person: ActingPerson | None) -> Any:
            seen.append(person)
            from ocp_users_photo.credentials import SlackToken

            return SlackToken("xoxp-1-2-3")

        async def renew(self, person: ActingPerson | None, expired: Any) -> None:
            return None

    tool = UsersSetPhoto(Recording(), base_url="http://127.0.0.1:9/api", max_retries=0, environ={})
    with pytest.raises(TransportError, match="could not reach Slack"):
        tool.acting_as(team_id="T1", user_id="U1").call_sync({"image": portrait()})
    assert seen == [ActingPerson(team_id="T1", user_id="U1")]


class _DictSource:
    """A host's own source, as a first-time builder writes it: a dict of people's tokens,
    None for a person it has none for."""

    description = "the host's dict"

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens

    # Any: TokenSource types no None (mypy says so to a typed host), an untyped host's may.
    async def token_for(self, person: ActingPerson | None) -> Any:
        return None if person is None else self.tokens.get(person.user_id)

    async def renew(self, person: ActingPerson | None, expired: Any) -> None:
        return None


async def test_a_source_with_no_token_for_the_person_says_so_not_that_it_must_be_text(
    emulator: RunningEmulator,
) -> None:
    """None from a host's own source was refused as "the token ... must be text, not
    NoneType: give the user token as a string", to the model too: advice for a typo, where
    the host has no token for that person (a first-try audit)."""
    async with UsersSetPhoto(
        _DictSource({"UALICE0001": CANARY_TOKEN}),
        base_url=emulator.base_url,
        environ={},
        keep_previous=False,
    ) as tool:
        with pytest.raises(TokenUnavailable) as raised:
            await tool.acting_as(team_id="T1", user_id="UBOB000002").call({"image": portrait()})
        answered = await tool.acting_as(team_id="T1", user_id="UBOB000002").run(
            {"image": portrait()}
        )
    said = str(raised.value)
    assert "gave no token (None)" in said, said
    assert "raises TokenUnavailable" in said, said
    assert "must be text" not in said, said
    assert answered["ok"] is False, answered
    assert answered["error"] == "token_unavailable", answered
    assert "no Slack token for this person" in answered["message"], answered
    assert "host's dict" not in answered["message"], answered  # the host's words stay the host's
    assert not photo_requests(emulator)


async def test_a_block_left_in_another_task_does_not_leave_its_person_bound() -> None:
    """``async with`` entered in one task and left in another (an exit stack closed by a
    cleanup task): the reset cannot undo the binding where it was made. It raises, as it
    did before reset_in_its_context; quiet, the person stayed bound in the entering task,
    and each later call there acted for them."""
    as_alice = ActingTool(None, ActingPerson(team_id=TEAM_ID, user_id="UALICE0001"))  # type: ignore[arg-type]
    stack = contextlib.AsyncExitStack()
    await stack.enter_async_context(as_alice)
    with pytest.raises(ValueError, match="different Context"):
        await asyncio.create_task(stack.aclose())
    # Left bound here (this test's own context): loud, not quietly acting for Alice.
    assert acting_person() == as_alice.person
