"""The ocp-agent door as an agent builder uses it: registration headers, several tools, what the
history carries, the spec as the library made it."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import InvalidArguments, register
from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.emulator.server import start_emulator_in_thread
from tests.conftest import CANARY_TOKEN
from tests.test_ocp_agent import OPENAPI, home, slack_emulator_config  # noqa: F401

REGISTERED = "xoxp-1111111111-2222222222-aaaaaaaaaaaaaaaa"
ENVIRONMENT = "xoxp-3333333333-4444444444-bbbbbbbbbbbbbbbb"
OTHER_WORKSPACE = "xoxp-5555555555-6666666666-cccccccccccccccc"


def photo_authorizations(emulator: RunningEmulator) -> list[str | None]:
    return [r.header("authorization") for r in emulator.requests.for_path("/api/users.setPhoto")]


async def test_headers_registered_before_register_agent_act_for_their_owner(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """README: register_api('slack', headers=...) comes before the tool's token and the
    environment. Slack registered (with its credentials) before the plugin is added: the
    photo is set with $SLACK_USER_TOKEN, another person's token, silently."""
    monkeypatch.setenv("SLACK_USER_TOKEN", ENVIRONMENT)
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    agent.register_api(
        "slack",
        spec_url=str(OPENAPI),
        base_url=slack_emulator.base_url,
        headers={"Authorization": f"Bearer {REGISTERED}"},
    )
    register(agent, base_url=slack_emulator.base_url, keep_previous=False)
    await agent.call_tool("usersSetPhoto", {"image": "me.png"})
    assert photo_authorizations(slack_emulator) == [f"Bearer {REGISTERED}"]


async def test_registering_another_workspaces_tool_does_not_send_it_the_old_header(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """register() again with workspace B's tool (own token, own base URL): the header given
    for workspace A's address goes to B's server, and B's own token is never used."""
    with start_emulator_in_thread(EmulatorConfig(rate_limit_per_minute=None)) as other:
        agent = ocp_agent_library.OCPAgent(enable_cache=False)
        register(agent, base_url=slack_emulator.base_url, environ={}, keep_previous=False)
        agent.register_api("slack", headers={"Authorization": f"Bearer {REGISTERED}"})
        register(
            agent,
            token=OTHER_WORKSPACE,
            base_url=other.base_url,
            environ={},
            keep_previous=False,
        )
        await agent.call_tool("usersSetPhoto", {"image": "me.png"})
        assert photo_authorizations(other) == [f"Bearer {OTHER_WORKSPACE}"]


def test_the_slack_spec_stays_picklable(
    ocp_agent_library: Any,
    home: Path,  # noqa: F811
) -> None:
    """awaitable() swaps the spec's class for a same-named subclass: pickle (and dataclass
    equality with a plain OCPAPISpec) break for the agent's known_apis."""
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, environ={})
    spec = agent.register_api("slack")
    assert pickle.loads(pickle.dumps(spec)).tools == spec.tools


async def test_history_keeps_no_absolute_path_of_the_host(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """The call entry keeps a path's file name only ('<path nope.png>'), but the error entry
    quotes the host's absolute folder, and OCP-Session sends it to every later API."""
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, token=CANARY_TOKEN, base_url=slack_emulator.base_url, environ={})
    agent.register_api("slack")
    with pytest.raises(InvalidArguments):
        await agent.call_tool("usersSetPhoto", {"image": "nope.png"})
    session = json.dumps(agent.context.to_dict())
    assert str(Path.cwd()) not in session


async def test_a_lower_case_bearer_scheme_is_accepted(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """HTTP's auth scheme is case-insensitive (RFC 9110 11.1); 'bearer xoxp-...' is refused
    as 'not a Slack token'."""
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, base_url=slack_emulator.base_url, environ={}, keep_previous=False)
    agent.register_api("slack")
    reply = await agent.call_tool(
        "usersSetPhoto", {"image": "me.png"}, headers={"Authorization": f"bearer {CANARY_TOKEN}"}
    )
    assert reply["ok"] is True


def test_registration_headers_still_serve_slack_tools_discovered_later(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """register_api('slack', headers=H) answered offline keeps H for usersSetPhoto only;
    the Slack tools a later spec_url discovery brings go without any Authorization."""
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, base_url=slack_emulator.base_url, environ={})
    agent.register_api("slack", headers={"Authorization": f"Bearer {CANARY_TOKEN}"})
    agent.register_api("slack", spec_url=str(OPENAPI), base_url=slack_emulator.base_url)
    agent.call_tool("usersProfileGet", {"token": "t"})
    assert slack_emulator.requests.last().header("authorization") == f"Bearer {CANARY_TOKEN}"


@pytest.mark.parametrize("api_name", ["", None])
@pytest.mark.parametrize("agent_kind", ["ocp-agent", "ocp_users_photo.OCPAgent"])
async def test_an_empty_api_name_still_takes_the_checked_path(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
    api_name: str | None,
    agent_kind: str,
) -> None:
    """ocp-agent reads an empty api_name as none given (``if api_name:``) and finds the tool
    in every API it knows: ``call_tool('usersSetPhoto', {...}, '')`` ran the seed's generic
    request (no token, no image sent, a requests.Response back) and wrote the parameters,
    a token= argument among them, to the history and the OCP-Session header (a review)."""
    from ocp_users_photo import OCPAgent

    options: dict[str, Any] = {"base_url": slack_emulator.base_url, "environ": {}}
    if agent_kind == "ocp-agent":
        agent = ocp_agent_library.OCPAgent(enable_cache=False)
        register(agent, keep_previous=False, **options)
        agent.register_api("slack")
        await empty_api_name_calls(agent, slack_emulator, api_name)
        return
    async with OCPAgent(enable_cache=False, keep_previous=False, **options) as own:
        await own.register_api("slack")
        await empty_api_name_calls(own, slack_emulator, api_name)


async def empty_api_name_calls(
    agent: Any, slack_emulator: RunningEmulator, api_name: str | None
) -> None:
    given = "xoxp-9999999999-9999999999999-ffffffffffffffffffffffffffffffff"
    with pytest.raises(InvalidArguments) as refused:
        await agent.call_tool("usersSetPhoto", {"token": given, "image": "me.png"}, api_name)
    assert "token" in str(refused.value)
    header = {"Authorization": f"Bearer {CANARY_TOKEN}"}
    reply = await agent.call_tool("usersSetPhoto", {"image": "me.png"}, api_name, header)
    assert isinstance(reply, dict)
    assert reply["ok"] is True
    assert photo_authorizations(slack_emulator) == [f"Bearer {CANARY_TOKEN}"]
    history = json.dumps(agent.context.history, default=str)
    assert given not in history
    assert CANARY_TOKEN not in history
    assert "api_call_post" not in history  # ocp-agent's own request never ran


async def test_a_later_authorization_replaces_one_registered_with_space_in_its_name(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """A header name with white space around it ("Authorization ", as a config line split
    at ':' gives) is read as the Authorization header, yet a later register_api('slack',
    headers=...) left it in place beside the new one, and the photo went on being set
    with the earlier token: another person's."""
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, base_url=slack_emulator.base_url, environ={}, keep_previous=False)
    agent.register_api("slack", headers={"Authorization ": f"Bearer {REGISTERED}"})
    agent.register_api("slack", headers={"Authorization": f"Bearer {OTHER_WORKSPACE}"})
    await agent.call_tool("usersSetPhoto", {"image": "me.png"})
    assert photo_authorizations(slack_emulator) == [f"Bearer {OTHER_WORKSPACE}"]
