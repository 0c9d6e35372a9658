"""Against the real ocp-agent 0.3.0: the seed's lines both ways in, its headers, cache and history.

Skipped with a visible reason where ocp-agent is absent; .ci/run installs it from
../shared/vendor and makes these tests required there (see conftest.py).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto, register
from ocp_users_photo.credentials import SlackToken
from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.errors import Problem
from ocp_users_photo.tokens import ActingPerson, acting_as
from tests.conftest import CANARY_TOKEN, make_image

OPENAPI = Path(__file__).parent / "data" / "slack-openapi-users-photo.json"
CANARY_SECRET = CANARY_TOKEN.split("-", 1)[1]
CALL_TOKEN = "xoxp-3333333333-call-header-token"
REGISTERED_TOKEN = "xoxp-4444444444-registered-header-token"
TOOL_TOKEN = "xoxp-5555555555-tool-token"
ENVIRONMENT_TOKEN = "xoxp-6666666666-environment-token"


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of the test's own: ocp-agent keeps its spec cache in ~/.ocp. Beside the
    working folder, not in it: a working folder holding the home folder is no image root."""
    folder = tmp_path.with_name(f"{tmp_path.name}-home")
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_USER_TOKEN", "SLACK_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "me.png").write_bytes(make_image((640, 640)))
    return folder


def authorization_of_last_photo(emulator: RunningEmulator) -> str | None:
    return emulator.requests.for_path("/api/users.setPhoto")[-1].header("authorization")


def session_history(emulator: RunningEmulator, path: str) -> list[dict[str, Any]]:
    """The agent context ocp-agent sent as OCP-Session with its last request to ``path``."""
    header = emulator.requests.for_path(path)[-1].header("ocp-session")
    assert header is not None, "ocp-agent sends its context with every request"
    if header.startswith("gzip:"):
        session = gzip.decompress(base64.b64decode(header[5:])).decode()
    else:
        session = base64.b64decode(header).decode()
    history: list[dict[str, Any]] = json.loads(session)["history"]
    return history


async def test_the_seeds_lines_with_this_packages_ocpagent(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_API_URL", slack_emulator.base_url)
    monkeypatch.setenv("SLACK_USER_TOKEN", CANARY_TOKEN)
    from ocp_users_photo import OCPAgent

    agent = OCPAgent()
    await agent.register_api("slack")
    result = await agent.call_tool("usersSetPhoto", {"image": "me.png"})

    assert isinstance(agent, ocp_agent_library.OCPAgent)
    assert result["ok"] is True
    shown = slack_emulator.state.person_for_token(CANARY_TOKEN)
    assert result["profile"]["avatar_hash"] == shown.avatar_hash
    await agent.aclose()


async def test_the_seeds_own_import_and_one_register_line(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_API_URL", slack_emulator.base_url)
    monkeypatch.setenv("SLACK_USER_TOKEN", CANARY_TOKEN)
    OCPAgent = ocp_agent_library.OCPAgent

    agent = OCPAgent()
    register(agent)
    await agent.register_api("slack")
    result = await agent.call_tool("usersSetPhoto", {"image": "me.png"})

    assert result["ok"] is True
    shown = slack_emulator.state.person_for_token(CANARY_TOKEN)
    assert result["profile"]["avatar_hash"] == shown.avatar_hash


def test_register_api_slack_gives_the_spec_with_or_without_await(
    ocp_agent_library: Any, home: Path
) -> None:
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, environ={})
    spec = agent.register_api("slack")
    assert isinstance(spec, ocp_agent_library.OCPAPISpec)
    assert [tool.name for tool in spec.tools] == ["usersSetPhoto", "usersRestorePhoto"]
    assert [tool.name for tool in agent.list_tools("SLACK")] == [
        "usersSetPhoto",
        "usersRestorePhoto",
    ]

    async def awaited() -> Any:
        return await agent.register_api(" Slack ")

    import asyncio

    assert asyncio.run(awaited()) is spec


@pytest.mark.blocking_by_design
async def test_other_tools_behave_exactly_as_without_the_plugin(
    ocp_agent_library: Any, slack_emulator: RunningEmulator, home: Path
) -> None:
    """Same request, same Response, same history entry; and, as without the plugin, no
    awaitable: ocp-agent 0.3.0's call_tool is synchronous (so this test blocks its loop)."""
    outcomes = []
    for with_plugin in (False, True):
        agent = ocp_agent_library.OCPAgent(enable_cache=False)
        agent.register_api(
            "slack",
            spec_url=str(OPENAPI),
            base_url=slack_emulator.base_url,
            headers={"Authorization": f"Bearer {CANARY_TOKEN}"},
        )
        if with_plugin:
            register(agent, environ={})
        response = agent.call_tool("usersProfileGet", {"token": CANARY_TOKEN})
        request = slack_emulator.requests.last()
        outcomes.append(
            (
                type(response),
                response.status_code,
                response.json(),
                request.method,
                request.path,
                agent.context.history[-1]["action"],
            )
        )
    without_plugin, with_plugin_outcome = outcomes
    assert with_plugin_outcome == without_plugin
    response_type = without_plugin[0]
    assert (response_type.__module__, response_type.__name__) == ("requests.models", "Response")


async def test_this_packages_ocpagent_awaits_every_tool_and_returns_the_librarys_answer(
    ocp_agent_library: Any, slack_emulator: RunningEmulator, home: Path
) -> None:
    from ocp_users_photo import OCPAgent

    async with OCPAgent(enable_cache=False, environ={}, base_url=slack_emulator.base_url) as agent:
        await agent.register_api(
            "slack",
            spec_url=str(OPENAPI),
            base_url=slack_emulator.base_url,
            headers={"Authorization": f"Bearer {CANARY_TOKEN}"},
        )
        response = await agent.call_tool("usersProfileGet", {"token": CANARY_TOKEN})
        assert type(response).__name__ == "Response"
        assert response.json()["ok"] is True
        assert {tool.name for tool in agent.list_tools("slack")} == {
            "usersSetPhoto",
            "usersRestorePhoto",
            "usersDeletePhoto",
            "usersProfileGet",
        }
        reply = await agent.call_tool("usersSetPhoto", {"image": "me.png"})
        assert reply["ok"] is True
        assert authorization_of_last_photo(slack_emulator) == f"Bearer {CANARY_TOKEN}"
        with pytest.raises(ValueError, match="not found"):
            await agent.call_tool("noSuchTool", {})


async def test_agents_sharing_a_tool_leave_it_open_for_each_others_calls(
    ocp_agent_library: Any, slack_emulator: RunningEmulator, home: Path
) -> None:
    """One agent per conversation over the service's one tool: a conversation that ends
    (its agent closed) must not close the tool under another's call in flight."""
    from ocp_users_photo import OCPAgent

    async with UsersSetPhoto(
        TOOL_TOKEN, base_url=slack_emulator.base_url, keep_previous=False, environ={}
    ) as tool:
        ending = OCPAgent(tool=tool, enable_cache=False)
        talking = OCPAgent(tool=tool, enable_cache=False)
        for agent in (ending, talking):
            await agent.register_api("slack")
        assert (await ending.call_tool("usersSetPhoto", {"image": "me.png"}))["ok"] is True
        slack_emulator.faults.inject(Fault.delay(0.5))  # keeps the next call in flight
        in_flight = asyncio.create_task(talking.call_tool("usersSetPhoto", {"image": "me.png"}))
        for _ in range(1000):  # until the request reaches the emulator, bounded
            if len(slack_emulator.requests.for_path("/api/users.setPhoto")) == 2:
                break
            await asyncio.sleep(0.01)
        # Else the other agent would close before the call it must not close under.
        assert len(slack_emulator.requests.for_path("/api/users.setPhoto")) == 2
        assert not in_flight.done()
        await ending.aclose()
        reply = await in_flight
        assert reply["ok"] is True
        await talking.aclose()
        # A tool the agent made is the agent's to close.
        async with OCPAgent(
            enable_cache=False, environ={}, token=TOOL_TOKEN, base_url=slack_emulator.base_url
        ) as own:
            await own.register_api("slack")
            await own.call_tool("usersSetPhoto", {"image": "me.png"})
            assert own.photo_tool._slack._owned
        assert not own.photo_tool._slack._owned


def test_the_librarys_own_arguments_reach_the_library(ocp_agent_library: Any, home: Path) -> None:
    """The agent's context and cache come from ocp-agent's own arguments, in its order."""
    from ocp_users_photo import OCPAgent

    agent = OCPAgent(
        "slack_assistant", "alice", "acme", "set photos", None, False, token=TOOL_TOKEN, environ={}
    )
    context = agent.context
    assert (context.agent_type, context.user, context.workspace, context.current_goal) == (
        "slack_assistant",
        "alice",
        "acme",
        "set photos",
    )
    assert agent.storage is None
    cached = OCPAgent(user="bob", agent_goal="g", token=TOOL_TOKEN, environ={})
    assert (cached.context.user, cached.context.current_goal) == ("bob", "g")
    assert cached.storage is not None


def test_without_ocp_agent_the_import_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ocp_agent", None)
    monkeypatch.delitem(sys.modules, "ocp_users_photo.agents.agent", raising=False)
    import ocp_users_photo

    monkeypatch.delitem(vars(ocp_users_photo), "OCPAgent", raising=False)
    with pytest.raises(ImportError, match="not on the package index") as caught:
        from ocp_users_photo import OCPAgent  # noqa: F401
    assert "pip install --no-deps" in str(caught.value)


def test_ocp_agent_without_its_dependencies_is_not_said_to_be_missing(
    ocp_agent_library: Any,
) -> None:
    # The README installs ocp-agent with --no-deps, then its dependencies: between the two
    # (or with one forgotten), the import said "ocp-agent, which is not installed".
    script = (
        "import sys\n"
        "sys.modules['requests'] = None\n"
        "try:\n"
        "    from ocp_users_photo import OCPAgent\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "not installed" not in done.stdout
    assert "ocp-agent, which is installed" in done.stdout
    assert "'requests' is missing: pip install 'requests>=2.25'" in done.stdout


class TestCredentialsTheOcpAgentWay:
    """DEFAULTS.md's order: the call's headers, register_api's headers, the tool, the env."""

    @pytest.fixture
    def agent(self, ocp_agent_library: Any, slack_emulator: RunningEmulator, home: Path) -> Any:
        agent = ocp_agent_library.OCPAgent(enable_cache=False)
        register(
            agent,
            UsersSetPhoto(
                TOOL_TOKEN, base_url=slack_emulator.base_url, image_roots=[Path.cwd()], environ={}
            ),
        )
        return agent

    async def test_each_source_in_order(self, agent: Any, slack_emulator: RunningEmulator) -> None:
        await agent.call_tool("usersSetPhoto", {"image": "me.png"})
        assert authorization_of_last_photo(slack_emulator) == f"Bearer {TOOL_TOKEN}"

        agent.register_api("slack", headers={"Authorization": f"Bearer {REGISTERED_TOKEN}"})
        await agent.call_tool("usersSetPhoto", {"image": "me.png"})
        assert authorization_of_last_photo(slack_emulator) == f"Bearer {REGISTERED_TOKEN}"

        await agent.call_tool(
            "usersSetPhoto",
            {"image": "me.png"},
            headers={"authorization": f"Bearer {CALL_TOKEN}"},
        )
        assert authorization_of_last_photo(slack_emulator) == f"Bearer {CALL_TOKEN}"

        # A name with white space around it is Authorization still (as read, so replaced):
        # else the registered token went out for a call that named its own.
        await agent.call_tool(
            "usersSetPhoto",
            {"image": "me.png"},
            headers={" AUTHORIZATION ": f"Bearer {CALL_TOKEN}"},
        )
        assert authorization_of_last_photo(slack_emulator) == f"Bearer {CALL_TOKEN}"

    async def test_the_environment_comes_last(
        self,
        ocp_agent_library: Any,
        slack_emulator: RunningEmulator,
        home: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("SLACK_USER_TOKEN", ENVIRONMENT_TOKEN)
        agent = ocp_agent_library.OCPAgent(enable_cache=False)
        register(agent, base_url=slack_emulator.base_url)
        await agent.call_tool("usersSetPhoto", {"image": "me.png"})
        assert authorization_of_last_photo(slack_emulator) == f"Bearer {ENVIRONMENT_TOKEN}"
        agent.register_api("slack", headers={"Authorization": f"Bearer {REGISTERED_TOKEN}"})
        await agent.call_tool("usersSetPhoto", {"image": "me.png"})
        assert authorization_of_last_photo(slack_emulator) == f"Bearer {REGISTERED_TOKEN}"

    async def test_a_bot_token_is_refused_when_the_tool_is_called_not_at_registration(
        self, agent: Any, slack_emulator: RunningEmulator
    ) -> None:
        bot = "xoxb-1111-2222-bottoken"
        spec = agent.register_api("slack", headers={"Authorization": f"Bearer {bot}"})
        assert spec.tools
        with pytest.raises(InvalidArguments, match="bot token") as caught:
            await agent.call_tool("usersSetPhoto", {"image": "me.png"})
        assert bot not in str(caught.value)
        assert slack_emulator.requests.for_path("/api/users.setPhoto") == []

    @pytest.mark.parametrize(
        "header", ["Basic c2VjcmV0LXZhbHVl", "Bearer", "token c2VjcmV0LXZhbHVl", "c2VjcmV0LXZhbHVl"]
    )
    async def test_a_header_that_is_not_bearer_xox_is_refused_unechoed(
        self, agent: Any, slack_emulator: RunningEmulator, header: str
    ) -> None:
        with pytest.raises(InvalidArguments, match="not a Slack token") as caught:
            await agent.call_tool(
                "usersSetPhoto", {"image": "me.png"}, headers={"Authorization": header}
            )
        assert "c2VjcmV0LXZhbHVl" not in str(caught.value)
        assert "c2VjcmV0LXZhbHVl" not in json.dumps(agent.context.history)
        assert slack_emulator.requests.for_path("/api/users.setPhoto") == []

    async def test_a_token_in_the_arguments_is_refused_the_model_never_picks_it(
        self, agent: Any, slack_emulator: RunningEmulator
    ) -> None:
        with pytest.raises(InvalidArguments, match="not an argument here"):
            await agent.call_tool("usersSetPhoto", {"image": "me.png", "token": CANARY_TOKEN})
        assert slack_emulator.requests.for_path("/api/users.setPhoto") == []
        assert CANARY_SECRET not in json.dumps(agent.context.history)


@pytest.mark.blocking_by_design
async def test_no_token_or_image_reaches_history_session_cache_or_logs(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    agent = ocp_agent_library.OCPAgent()  # with its spec cache, in the test's home
    agent.register_api(
        "slack",
        spec_url=str(OPENAPI),
        base_url=slack_emulator.base_url,
        headers={"Authorization": f"Bearer {CANARY_TOKEN}"},
    )
    register(agent, base_url=slack_emulator.base_url, environ={})
    image = make_image((640, 640))
    reply = await agent.call_tool(
        "usersSetPhoto", {"image": image}, headers={"Authorization": f"Bearer {CANARY_TOKEN}"}
    )
    assert reply["ok"] is True
    # A later generic call carries the whole context, our history entries included.
    agent.call_tool("usersProfileGet", {"token": "xoxp-0-placeholder-for-the-generic-check"})
    history = session_history(slack_emulator, "/api/users.profile.get")
    ours = [entry for entry in history if entry["action"].endswith(":usersSetPhoto")]
    assert [entry["action"] for entry in ours] == [
        "tool_call:usersSetPhoto",
        "tool_response:usersSetPhoto",
    ]
    assert ours[0]["metadata"]["parameters"] == {"image": f"<{len(image)} bytes>"}
    assert ours[1]["metadata"]["image"]["bytes"] == len(image)
    assert all("timestamp" in entry for entry in ours)

    image_text = base64.b64encode(image).decode()[:40]
    cache = "".join(path.read_text() for path in (home / ".ocp").rglob("*.json"))
    assert cache, "ocp-agent wrote its spec cache"
    for text in (
        json.dumps(agent.context.to_dict(), default=str),
        json.dumps(history),
        cache,
        caplog.text,
    ):
        assert CANARY_SECRET not in text
        assert image_text not in text


def test_a_cached_spec_still_calls_this_packages_tool(
    ocp_agent_library: Any, slack_emulator: RunningEmulator, home: Path
) -> None:
    first = ocp_agent_library.OCPAgent()
    first.register_api("slack", spec_url=str(OPENAPI), base_url=slack_emulator.base_url)
    cached = home / ".ocp" / "cache" / "apis" / "slack.json"
    assert cached.is_file()

    agent = ocp_agent_library.OCPAgent()
    register(agent, base_url=slack_emulator.base_url, environ={})
    # A spec_url that does not exist: the library answers from its cache without fetching.
    spec = agent.register_api("slack", spec_url=str(home / "missing.json"))
    names = sorted(tool.name for tool in spec.tools)
    assert names == ["usersDeletePhoto", "usersProfileGet", "usersRestorePhoto", "usersSetPhoto"]
    reply = agent.call_tool(
        "usersSetPhoto", {"image": "me.png"}, headers={"Authorization": f"Bearer {CANARY_TOKEN}"}
    )
    assert reply["ok"] is True
    (request,) = slack_emulator.requests.for_path("/api/users.setPhoto")
    assert request.file("image") is not None, "a real multipart upload, not the generic call"
    assert CANARY_SECRET not in cached.read_text()


def test_the_async_stand_in_has_the_real_surface(ocp_agent_library: Any) -> None:
    """The stand-in exists only for what the library lacks (coroutine methods); where it
    imitates the real surface, it matches it."""
    import inspect

    from tests.standin_agent import AsyncStandInAgent

    real = ocp_agent_library.OCPAgent
    for name in ("register_api", "call_tool", "list_tools", "get_tool", "search_tools"):
        assert list(inspect.signature(getattr(AsyncStandInAgent, name)).parameters) == list(
            inspect.signature(getattr(real, name)).parameters
        ), name
    stand_in, library = AsyncStandInAgent(), real(enable_cache=False)
    for agent in (stand_in, library):
        register(agent, environ={})
    assert list(stand_in.known_apis) == list(library.known_apis) == ["slack"]
    assert [tool.name for tool in stand_in.list_tools("SLACK")] == [
        tool.name for tool in library.list_tools("SLACK")
    ]


ALICE_TOKEN = "xoxp-7777777777-alice-own-token"
BOB_TOKEN = "xoxp-8888888888-bob-own-token"


class PerPersonTokens:
    """A token source with one token per person, as installation stores give (TokenSource)."""

    description = "one token per person"

    def __init__(self) -> None:
        self.tokens = {"UALICE0001": ALICE_TOKEN, "UBOB000002": BOB_TOKEN}

    async def token_for(self, person: ActingPerson | None) -> SlackToken:
        if person is None:
            raise InvalidArguments([Problem("$.token", "no person is bound to this call")])
        return SlackToken(self.tokens[person.user_id])

    async def renew(self, person: ActingPerson | None, expired: SlackToken) -> SlackToken | None:
        return None


@pytest.mark.parametrize("door", ["OCPAgent", "register"])
async def test_an_agent_given_a_tool_bound_to_one_person_acts_for_that_person(
    ocp_agent_library: Any, slack_emulator: RunningEmulator, home: Path, door: str
) -> None:
    # One agent per conversation, made with tool.acting_as(...): it used to fail with
    # "'ActingTool' object has no attribute 'keep_previous'".
    from ocp_users_photo import OCPAgent

    async with UsersSetPhoto(
        PerPersonTokens(), base_url=slack_emulator.base_url, environ={}, keep_previous=False
    ) as tool:
        alice = tool.acting_as(team_id="T0EMULATOR", user_id="UALICE0001")
        if door == "OCPAgent":
            agent: Any = OCPAgent(enable_cache=False, tool=alice)
            assert agent.photo_tool is tool
        else:
            agent = ocp_agent_library.OCPAgent(enable_cache=False)
            assert register(agent, tool=alice) is tool
        result = await agent.call_tool("usersSetPhoto", {"image": "me.png"})
        assert result["ok"] is True
        assert authorization_of_last_photo(slack_emulator) == f"Bearer {ALICE_TOKEN}"
        # The host binding another person around the call does not move a bound agent.
        with acting_as(ActingPerson(team_id="T0EMULATOR", user_id="UBOB000002")):
            await agent.call_tool("usersSetPhoto", {"image": "me.png"})
        assert authorization_of_last_photo(slack_emulator) == f"Bearer {ALICE_TOKEN}"
        # The plain tool still serves whoever is bound around its calls.
        with acting_as(ActingPerson(team_id="T0EMULATOR", user_id="UBOB000002")):
            await tool.call({"image": "me.png"})
        assert authorization_of_last_photo(slack_emulator) == f"Bearer {BOB_TOKEN}"
        if door == "OCPAgent":
            await agent.aclose()


def test_a_tool_that_is_no_users_set_photo_is_refused_naming_what_to_give(
    ocp_agent_library: Any, home: Path
) -> None:
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    with pytest.raises(TypeError, match=r"takes a UsersSetPhoto .*not str"):
        register(agent, tool="xoxp-not-a-tool")  # type: ignore[arg-type]


@pytest.mark.blocking_by_design
async def test_a_tokens_long_encoded_form_as_the_image_name_reaches_no_later_request(
    ocp_agent_library: Any, slack_emulator: RunningEmulator, home: Path
) -> None:
    """The history showed a path's name cut to 60 characters, then redacted: the token's
    base64 (104 characters) or hex, cut short, was found by no redaction, and its first 45
    bytes travelled in the OCP-Session header of every later request."""
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    agent.register_api(
        "slack",
        spec_url=str(OPENAPI),
        base_url=slack_emulator.base_url,
        headers={"Authorization": f"Bearer {CANARY_TOKEN}"},
    )
    register(agent, base_url=slack_emulator.base_url, environ={})
    token = CANARY_TOKEN.encode()
    names = [
        base64.b64encode(token).decode() + ".png",
        base64.urlsafe_b64encode(token).decode() + ".png",
        token.hex() + ".png",
    ]
    for name in names:
        with pytest.raises(InvalidArguments):
            await agent.call_tool("usersSetPhoto", {"image": name})
    agent.call_tool("usersProfileGet", {"token": "xoxp-0-placeholder-for-the-generic-check"})

    sent = json.dumps(session_history(slack_emulator, "/api/users.profile.get"))
    kept = json.dumps(agent.context.to_dict(), default=str)
    shown_names = [
        entry["metadata"]["parameters"]["image"]
        for entry in agent.context.history
        if entry["action"] == "tool_call:usersSetPhoto"
    ]
    assert len(shown_names) == len(names)
    assert all(name.startswith("<path ") and "[redacted]" in name for name in shown_names)
    for name in names:
        start = name[:24]  # the token's first characters, encoded
        assert start not in sent
        assert start not in kept
