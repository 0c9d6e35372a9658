"""usersRestorePhoto at every model door: the tool itself, each person's own history, the
frameworks, every export (checked by the providers' own code), OCP agents, the MCP server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker

from ocp_users_photo import UsersSetPhoto, register
from ocp_users_photo.credentials import SlackToken
from ocp_users_photo.emulator import Fault, RunningEmulator, user_id_for_token
from ocp_users_photo.errors import TokenNotUsable
from ocp_users_photo.exports import (
    FORMATS,
    export_tool,
    export_tools,
    restore_definition,
    restore_result_schema,
)

# Imported here, not in the async tests: a first import reads files on the event loop.
from ocp_users_photo.frameworks.langchain import langchain_tools
from ocp_users_photo.frameworks.openai_agents import openai_agents_tools
from ocp_users_photo.frameworks.pydantic_ai import pydantic_ai_toolset
from ocp_users_photo.model_tool import checked_model_tools
from ocp_users_photo.tokens import ActingPerson
from tests.conftest import CANARY_TOKEN, inject
from tests.standin_agent import AsyncStandInAgent
from tests.test_mcp_server import mcp_session
from tests.test_provider_checks import (
    anthropic_strict_changes,
    check_gemini,
    openai_agents_sdk_changes,
)
from tests.test_web_image_fetch import eventually
from tests.undo_fixtures import GREEN, NO_READ_TOKEN, RED, exists, picture, rows, shown

DATA = Path(__file__).parent / "data"
BOTH = ["usersSetPhoto", "usersRestorePhoto"]


@pytest.fixture
async def tool(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[UsersSetPhoto]:
    """A host's tool at model doors: keeping on by default, its own history file."""
    (tmp_path / "red.png").write_bytes(RED)
    (tmp_path / "green.png").write_bytes(GREEN)
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        image_roots=[tmp_path],
        photo_history=tmp_path / "history.sqlite3",
    ) as photo_tool:
        yield photo_tool


def restore_results() -> Draft202012Validator:
    return Draft202012Validator(restore_result_schema(), format_checker=FormatChecker())


# The model tool ---------------------------------------------------------------------


async def test_without_entry_it_lists_with_entry_it_puts_back(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    restore = tool.restore_tool()
    empty = await restore.run({})
    assert empty == {"ok": True, "entries": [], "message": empty["message"]}
    assert "Nothing was changed" in empty["message"]
    before = await shown(emulator, CANARY_TOKEN)
    assert (await tool.run({"image": "red.png"}))["ok"] is True
    assert (await tool.run({"image": "green.png"}))["ok"] is True

    listing = await restore.run({"entry": None})
    assert [entry["kind"] for entry in listing["entries"]] == ["custom", "default"]
    assert "entry" in listing["message"]
    assert "Nothing was changed" in listing["message"]
    for result in (empty, listing):
        assert restore_results().is_valid(result), list(restore_results().iter_errors(result))

    oldest = listing["entries"][-1]["entry"]
    restored = await restore.run({"entry": oldest})
    assert restored["ok"] is True
    assert restored["restored"]["entry"] == oldest
    assert restore_results().is_valid(restored)
    assert await shown(emulator, CANARY_TOKEN) == before
    newest = (await restore.run({}))["entries"][0]
    assert newest["replaced_by"] == {
        "change": "restore",
        "restores": oldest,
        "default_avatar": True,
    }

    custom = await restore.run({"entry": str(newest["entry"])})  # decimal text is taken too
    assert custom["profile"]["avatar_hash"] == newest["avatar_hash"]
    assert restore_results().is_valid(custom)


async def test_a_restore_repeated_says_nothing_changed_not_that_a_photo_was_lost(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    """A model calling the same restore twice: the second put back the photo Slack showed
    already. Told "not kept, cannot be undone", it would tell the person a photo was lost."""
    restore = tool.restore_tool()
    assert (await tool.run({"image": "red.png"}))["ok"] is True
    assert (await tool.run({"image": "green.png"}))["ok"] is True
    listing = (await restore.run({}))["entries"]
    red = next(entry["entry"] for entry in listing if entry["kind"] == "custom")
    first = await restore.run({"entry": red})
    assert "was kept as #" in first["message"]
    entries_before = (await restore.run({}))["entries"]
    again = await restore.run({"entry": red})
    assert again["ok"] is True
    assert "Slack showed this photo already: nothing changed" in again["message"]
    assert "not kept" not in again["message"]
    assert restore_results().is_valid(again)
    assert (await restore.run({}))["entries"] == entries_before


async def test_a_listing_after_a_change_that_kept_nothing_does_not_offer_its_undo(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    """Red, then green with keeping off (the command line's --no-keep-previous, a host's
    call(), or Slack's own app): the listing said "To undo the last change, call
    usersRestorePhoto with entry N", and entry N put back the photo before red, not red,
    which nothing kept; the model told the person their last change was undone."""
    restore = tool.restore_tool()
    assert (await tool.run({"image": "red.png"}))["ok"] is True
    await tool.call({"image": GREEN})  # call() keeps nothing unless keep_previous=True
    listing = await restore.run({})
    assert listing["ok"] is True
    assert [entry["kind"] for entry in listing["entries"]] == ["default"]
    assert "To undo the last change" not in listing["message"], listing["message"]
    assert "kept nothing" in listing["message"]
    assert "Nothing was changed" in listing["message"]
    assert restore_results().is_valid(listing)
    assert (await tool.run({"image": "red.png"}))["ok"] is True  # kept again: no such note
    assert "To undo the last change" in (await restore.run({}))["message"]


async def test_a_listing_with_keeping_off_does_not_promise_to_keep_the_photo_shown(
    emulator: RunningEmulator, tool: UsersSetPhoto, tmp_path: Path
) -> None:
    """Kept twice, then green with keeping off, listed by a tool with keeping off: the
    listing said any entry puts its photo back "keeping the one shown now first", and the
    entry put back said "The photo it replaced was not kept": green, kept nowhere, was lost."""
    assert (await tool.run({"image": "red.png"}))["ok"] is True
    assert (await tool.run({"image": "green.png"}))["ok"] is True
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        photo_history=tmp_path / "history.sqlite3",
        keep_previous=False,
    ) as off:
        await off.call({"image": GREEN, "crop_x": 0, "crop_y": 0, "crop_w": 32})
        restore = off.restore_tool()
        listing = await restore.run({})
        assert "kept nothing" in listing["message"], listing["message"]
        assert "keeping the one shown now" not in listing["message"], listing["message"]
        assert "keeping is off here" in listing["message"], listing["message"]
        assert restore_results().is_valid(listing)
        put_back = await restore.run({"entry": listing["entries"][0]["entry"]})
        assert "was not kept" in put_back["message"]  # as the listing now says beforehand
    assert "keeping the one shown now first" in (await tool.restore_tool().run({}))["message"]


@pytest.mark.parametrize(
    "shown_hash", ["\x1b[2Jnot a hash", "c0ffee" * 20], ids=["escapes", "120-hex-digits"]
)
async def test_a_listing_takes_no_garbage_hash_for_a_change_that_kept_nothing(
    emulator: RunningEmulator, tool: UsersSetPhoto, shown_hash: object
) -> None:
    """Both changes kept, then users.profile.get answering an avatar_hash of no hash's shape
    (or past 64 characters, which the keeper records cut to 64): the listing told the model
    a change that kept nothing came since, and to tell the person so."""
    assert (await tool.run({"image": "red.png"}))["ok"] is True
    assert (await tool.run({"image": "green.png"}))["ok"] is True
    inject(
        emulator,
        Fault.json({"ok": True, "profile": {"avatar_hash": shown_hash}}),
        method="users.profile.get",
    )
    listing = await tool.restore_tool().run({})
    assert not emulator.faults.pending()  # the garbage was read
    assert "kept nothing" not in listing["message"], listing["message"]
    assert "To undo the last change" in listing["message"], listing["message"]


async def test_a_listing_while_a_kept_change_lands_does_not_call_it_one_that_kept_nothing(
    emulator: RunningEmulator, tool: UsersSetPhoto, tmp_path: Path
) -> None:
    """Both changes kept, then a listing whose read of the photo shown is slow while a third
    change, kept too, lands: the listing told the model a change that kept nothing came
    since, and to tell the person so; that change's photo was kept (entry 3)."""
    assert (await tool.run({"image": "red.png"}))["ok"] is True
    assert (await tool.run({"image": "green.png"}))["ok"] is True
    (tmp_path / "blue.png").write_bytes(picture((30, 60, 220)))
    inject(emulator, Fault.delay(1.0), method="users.profile.get")
    listing = asyncio.create_task(tool.restore_tool().run({}))
    await eventually(lambda: not emulator.faults.pending())  # the listing's read, held
    assert (await tool.run({"image": "blue.png"}))["ok"] is True
    listed = await listing
    assert "kept nothing" not in listed["message"], listed["message"]
    assert [entry["entry"] for entry in listed["entries"]] == [3, 2, 1]


async def test_a_listing_asks_no_photo_of_a_token_that_may_not_read_it(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    """Kept with a token that reads, listed with one of the same person without
    users.profile:read (auth.test lists its scopes): the listing still sent
    users.profile.get, which Slack could only refuse (missing_scope), at every listing."""
    assert (await tool.run({"image": "red.png"}))["ok"] is True
    assert (await tool.run({"image": "green.png"}))["ok"] is True
    emulator.state.add_token(
        NO_READ_TOKEN, user_id=user_id_for_token(CANARY_TOKEN), scopes="users.profile:write"
    )
    reads = len(emulator.requests.for_path("/api/users.profile.get"))
    async with UsersSetPhoto(
        NO_READ_TOKEN, base_url=emulator.base_url, environ={}, photo_history=tool.photo_history
    ) as unread:
        listing = await unread.restore_tool().run({})
    assert [entry["kind"] for entry in listing["entries"]] == ["custom", "default"]
    # Not "To undo the last change": a change since may have kept nothing, unseen, and the
    # photo shown cannot be kept before the entry replaces it (the put-back is refused).
    assert "lacks users.profile:read" in listing["message"], listing["message"]
    assert "To undo the last change" not in listing["message"], listing["message"]
    assert len(emulator.requests.for_path("/api/users.profile.get")) == reads


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ({"entry": 0}, "$.entry"),
        ({"entry": -3}, "$.entry"),
        ({"entry": True}, "$.entry"),
        ({"entry": 1.5}, "$.entry"),
        ({"entry": "one"}, "$.entry"),
        ({"entry": [1]}, "$.entry"),
        ({"entry": 1, "image": "red.png"}, "$.image"),  # named, as usersSetPhoto names one
        ({"token": CANARY_TOKEN}, "$.token"),
        ("entry 1", "$"),
    ],
)
async def test_bad_entries_are_correctable_and_change_nothing(
    emulator: RunningEmulator, tool: UsersSetPhoto, arguments: Any, path: str
) -> None:
    # Entry 1 exists, so a bad entry read as 1 (True, 1.5) would put it back.
    assert (await tool.run({"image": "red.png"}))["ok"] is True
    (kept,) = await tool.history()
    assert kept.entry == 1
    changes = len(emulator.requests.for_path("/api/users.setPhoto"))

    result = await tool.restore_tool().run(arguments)

    assert result["ok"] is False
    assert result["error"] == "invalid_arguments"
    assert [problem["path"] for problem in result["problems"]] == [path]
    assert result["message"].startswith("usersRestorePhoto sent nothing to Slack")
    assert "no kept photo" not in result["message"]  # refused as given, not looked up
    assert CANARY_TOKEN not in json.dumps(result)
    assert restore_results().is_valid(result)
    assert len(emulator.requests.for_path("/api/users.setPhoto")) == changes
    assert not emulator.requests.for_path("/api/users.deletePhoto")
    assert len(await tool.history()) == 1


async def test_an_entry_that_is_not_this_persons_is_refused(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:
    await tool.run({"image": "red.png"})
    result = await tool.restore_tool().run({"entry": 99})
    assert result["error"] == "invalid_arguments"
    assert "no kept photo #99" in result["message"]
    assert len(emulator.requests.for_path("/api/users.setPhoto")) == 1  # red.png's only
    assert not emulator.requests.for_path("/api/users.deletePhoto")


class PersonTokens:
    """A token source serving two people, as an installation store does."""

    description = "two people"

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens

    async def token_for(self, person: ActingPerson | None) -> SlackToken:
        assert person is not None
        return SlackToken(self.tokens[person.user_id])

    async def renew(self, person: ActingPerson | None, expired: SlackToken) -> SlackToken | None:
        return None


async def test_each_person_has_a_history_of_their_own(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    tokens = {"UALICE": "xoxp-1-2-3-alicealicealicealice", "UBOB": "xoxp-4-5-6-bobbobbobbobbob"}
    for user_id, token in tokens.items():
        emulator.state.add_token(token, user_id=user_id)
    async with UsersSetPhoto(
        PersonTokens(tokens),
        base_url=emulator.base_url,
        environ={},
        photo_history=tmp_path / "people.sqlite3",
    ) as photo_tool:
        alice = photo_tool.acting_as(team_id="T0EMULATOR", user_id="UALICE")
        bob = photo_tool.acting_as(team_id="T0EMULATOR", user_id="UBOB")
        assert (await alice.run({"image": RED}))["ok"] is True
        assert (await alice.run({"image": GREEN}))["ok"] is True
        assert (await bob.run({"image": GREEN}))["ok"] is True
        assert len(await alice.history()) == 2
        assert len(await bob.history()) == 1
        # Bob's model cannot put back one of Alice's photos.
        alices_entry = (await alice.history())[0].entry
        bob_before = await shown(emulator, tokens["UBOB"])
        refused = await bob.restore_tool().run({"entry": alices_entry})
        assert refused["error"] == "invalid_arguments"
        await alice.undo()
    assert (await shown(emulator, tokens["UALICE"])).original == RED
    assert await shown(emulator, tokens["UBOB"]) == bob_before


# Frameworks ---------------------------------------------------------------------------


def test_the_adapters_offer_both_tools_unless_keeping_is_off(tool: UsersSetPhoto) -> None:

    assert [t.name for t in checked_model_tools([tool])] == BOTH
    assert [t.name for t in openai_agents_tools(tool)] == BOTH
    assert [t.name for t in langchain_tools(tool)] == BOTH
    assert sorted(pydantic_ai_toolset(tool).tools) == sorted(BOTH)
    bound = tool.acting_as(team_id="T1", user_id="U1")
    assert [t.name for t in openai_agents_tools(bound)] == BOTH
    # Given explicitly, the undo is not offered twice.
    assert [t.name for t in checked_model_tools([tool, tool.restore_tool()])] == BOTH
    off = UsersSetPhoto(CANARY_TOKEN, environ={}, keep_previous=False)
    assert [t.name for t in openai_agents_tools(off)] == ["usersSetPhoto"]


async def test_a_langchain_agent_tool_lists_and_restores(
    emulator: RunningEmulator, tool: UsersSetPhoto
) -> None:

    await tool.run({"image": "red.png"})
    _, restore = langchain_tools(tool)
    listed = json.loads(await restore.ainvoke({}))
    (entry,) = listed["entries"]
    restored = json.loads(await restore.ainvoke({"entry": entry["entry"]}))
    assert restored["ok"] is True
    assert not (await shown(emulator, CANARY_TOKEN)).is_custom


# Exports ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_export_holds_both_tools(fmt: str) -> None:
    exported = export_tools(fmt)
    assert json.loads(json.dumps(exported)) == exported
    names = [item.get("name") or item.get("function", {}).get("name") for item in exported]
    assert names == BOTH
    assert exported[0] == export_tool(fmt)
    if fmt != "ocp":  # the OCP definition describes the API, whose token is a header
        assert '"token"' not in json.dumps(exported[1])


def test_the_restore_exports_pass_each_providers_own_checks() -> None:
    openai = export_tools("openai")[1]["function"]
    assert openai["strict"] is True
    assert openai_agents_sdk_changes(openai["parameters"]) == []
    assert anthropic_strict_changes(export_tools("anthropic-strict")[1]["input_schema"]) is None
    check_gemini(export_tools("gemini")[1])
    import mcp.types

    mcp_restore = export_tools("mcp")[1]
    assert mcp.types.Tool.model_validate(mcp_restore).output_schema == restore_result_schema()


def test_the_restore_ocp_export_is_a_valid_ocp_tool_as_it_stands() -> None:
    schema = json.loads((DATA / "ocp-tool.schema.json").read_text())
    exported = export_tool("ocp", restore_definition())
    assert exported["name"] == "usersRestorePhoto"
    assert list(Draft7Validator(schema).iter_errors(exported)) == []
    assert set(restore_definition().input_schema["properties"]) == {"entry"}
    Draft202012Validator.check_schema(restore_result_schema())


# OCP agents ---------------------------------------------------------------------------


@pytest.fixture
def library_loaded() -> None:
    """ocp-agent imported before the event loop runs, when installed (its import reads files)."""
    import contextlib
    import importlib

    with contextlib.suppress(ImportError):
        importlib.import_module("ocp_agent")


async def test_an_async_agent_offers_and_calls_the_undo(
    emulator: RunningEmulator, tool: UsersSetPhoto, library_loaded: None
) -> None:
    agent = AsyncStandInAgent()
    register(agent, tool=tool)
    await agent.register_api("slack")
    assert [t.name for t in agent.list_tools("slack")] == BOTH
    before = await shown(emulator, CANARY_TOKEN)
    await agent.call_tool("usersSetPhoto", {"image": "red.png"})
    listing = await agent.call_tool("usersRestorePhoto", {})
    assert isinstance(listing, dict)  # the tool's answer, not the stand-in's HTTP response
    (entry,) = listing["entries"]
    restored = await agent.call_tool("usersRestorePhoto", {"entry": entry["entry"]})
    assert isinstance(restored, dict)
    assert restored["restored"]["entry"] == entry["entry"]
    assert await shown(emulator, CANARY_TOKEN) == before
    history = json.dumps(agent.context.history, default=str)
    assert "tool_response:usersRestorePhoto" in history
    assert CANARY_TOKEN not in history


async def test_ocp_agents_own_agent_offers_the_undo(
    emulator: RunningEmulator,
    tool: UsersSetPhoto,
    ocp_agent_library: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, tool=tool)
    await agent.register_api("slack")
    assert [t.name for t in agent.list_tools("slack")] == BOTH
    await agent.call_tool("usersSetPhoto", {"image": "green.png"})
    listing = await agent.call_tool("usersRestorePhoto", {})
    assert listing["ok"] is True
    assert len(listing["entries"]) == 1


# The MCP server ------------------------------------------------------------------------


# mcp_session also checks the canary token is in no message received and no line logged.


async def test_the_mcp_server_offers_both_tools_and_undoes(tmp_path: Path) -> None:
    history = tmp_path / "mcp-history.sqlite3"
    async with mcp_session(tmp_path, flags=("--history", str(history))) as session:
        client, slack = session.client, session.slack
        listed = await client.list_tools()
        assert [t.name for t in listed.tools] == BOTH
        assert listed.tools[1].output_schema == restore_result_schema()
        before = await shown(slack, CANARY_TOKEN)
        set_result = await client.call_tool("usersSetPhoto", {"image": "photo.png"})
        assert not set_result.is_error
        listing = await client.call_tool("usersRestorePhoto", {})
        (entry,) = listing.structured_content["entries"]
        restored = await client.call_tool("usersRestorePhoto", {"entry": entry["entry"]})
        assert not restored.is_error
        assert restored.structured_content["ok"] is True
        assert await shown(slack, CANARY_TOKEN) == before
        refused = await client.call_tool("usersRestorePhoto", {"entry": 0})
        assert refused.is_error
        assert refused.structured_content["error"] == "invalid_arguments"
        dumped = json.dumps([result.model_dump(mode="json") for result in (listing, restored)])
        assert CANARY_TOKEN not in dumped
    # The --history file, and no other.
    assert rows(history, "SELECT COUNT(*) FROM entries") == [(2,)]


async def test_the_mcp_server_without_keeping_offers_one_tool(
    tmp_path: Path, private_data_folder: Path
) -> None:
    async with mcp_session(tmp_path, flags=("--no-keep-previous",)) as session:
        listed = await session.client.list_tools()
        assert [t.name for t in listed.tools] == ["usersSetPhoto"]
        result = await session.client.call_tool("usersSetPhoto", {"image": "photo.png"})
        assert not result.is_error
        assert not session.slack.requests.for_path("/api/users.profile.get")
    assert not exists(private_data_folder / "ocp-users-photo")  # no history made


async def test_without_a_token_each_refusal_names_what_was_not_done(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Listing, undo, restore and whoami share the token check; none says usersSetPhoto."""
    async with UsersSetPhoto(
        None, base_url=emulator.base_url, environ={}, photo_history=tmp_path / "h.sqlite3"
    ) as tool:
        with pytest.raises(TokenNotUsable) as listing:
            await tool.history()
        with pytest.raises(TokenNotUsable) as undoing:
            await tool.undo()
        with pytest.raises(TokenNotUsable) as restoring:
            await tool.restore(1)
        with pytest.raises(TokenNotUsable) as asking:
            await tool.whoami()
        listed_by_model = await tool.restore_tool().run({})
        restored_by_model = await tool.restore_tool().run({"entry": 1})
    assert listing.value.message.startswith(
        "the kept photos were not listed: the Slack token cannot be used: no Slack token"
    )
    assert undoing.value.message.startswith(
        "nothing was put back: the Slack token cannot be used: "
    )
    assert restoring.value.message.startswith("nothing was put back: the Slack token cannot")
    assert asking.value.message.startswith(
        "auth.test was not called: the Slack token cannot be used: "
    )
    for refused in (listing, undoing, restoring, asking):
        assert [problem.path for problem in refused.value.problems] == ["$.token"]
    for result in (listed_by_model, restored_by_model):
        assert result["error"] == "token_not_usable"  # the host's to fix, not the model's
        assert result["message"].startswith(
            "usersRestorePhoto sent nothing to Slack: the Slack token cannot"
        )
    assert not emulator.requests.for_path("/api/auth.test")


@pytest.mark.parametrize(
    "value",
    [
        1,
        7,
        2**53 - 1,
        2**53,
        2**60,
        0,
        -1,
        "1",
        "0001",
        "00001",
        "000001",
        "999999999999999",
        "1000000000000000",
        "0",
        "0000",
        "",
        " 1",
        "1 ",
        "+1",
        "1.0",
        "\u0661",
        None,
    ],
)
def test_an_entry_is_taken_exactly_when_the_advertised_schema_allows_it(value: Any) -> None:
    """The input schema every door advertises and the check the door runs agree: a model
    that keeps to the schema is never refused, and what the door refuses the schema does.
    (Not "1\n": Python's re lets the pattern's $ match before a last newline, ECMA-262's,
    which JSON Schema's patterns follow, does not; the door refuses it, as ECMA's.)"""
    from ocp_users_photo.undo.errors import EntryRefused
    from ocp_users_photo.undo.restore_tool import entry_argument

    schema = restore_definition().input_schema
    allowed = Draft202012Validator(schema).is_valid({"entry": value})
    if allowed:
        assert entry_argument({"entry": value}) == (None if value is None else int(value))
    else:
        with pytest.raises(EntryRefused, match="a whole number from 1 to 9007199254740991"):
            entry_argument({"entry": value})
