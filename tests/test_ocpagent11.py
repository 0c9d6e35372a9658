"""The headline door, ``await agent.call_tool('usersSetPhoto', {...})``, on the real ocp-agent,
as an agent builder tries it first: what a failed step leaves behind, and what it sends."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto, register
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.observers import CallInfo, CallObserver
from tests.conftest import inject, make_image
from tests.test_ocp_agent import OPENAPI, home, slack_emulator_config  # noqa: F401

TOKEN = "xoxp-7777777777-8888888888-9999999999-ocpagent11"


def slack_tools(agent: Any) -> list[str]:
    return sorted(tool.name for tool in agent.list_tools("slack"))


async def test_a_failed_spec_url_discovery_leaves_the_slack_tools_offered(
    ocp_agent_library: Any,
    home: Path,  # noqa: F811
) -> None:
    """register_api('slack', spec_url=...) dropped the agent's Slack API before running the
    library's discovery; when that failed (a spec URL that is wrong or down), nothing put it
    back: list_tools() and get_tool() no longer offered usersSetPhoto (nor the Slack tools an
    earlier discovery had found), so a model was never shown the tool again."""
    from ocp_users_photo import OCPAgent

    async with OCPAgent(enable_cache=False, token=TOKEN, environ={}) as agent:
        offline = slack_tools(agent)
        with pytest.raises(Exception, match="not found"):
            await agent.register_api("slack", spec_url=str(home / "no-such-spec.json"))
        assert slack_tools(agent) == offline
        await agent.register_api("slack", spec_url=str(OPENAPI))
        discovered = slack_tools(agent)
        assert "usersProfileGet" in discovered
        with pytest.raises(Exception, match="not found"):
            await agent.register_api("slack", spec_url=str(home / "no-such-spec.json"))
        assert slack_tools(agent) == discovered
        assert agent.get_tool("usersSetPhoto") is not None


def test_a_failed_spec_url_discovery_leaves_the_slack_tools_offered_after_register(
    ocp_agent_library: Any,
    home: Path,  # noqa: F811
) -> None:
    """The same through register(agent) on the library's own agent."""
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, token=TOKEN, environ={})
    offline = slack_tools(agent)
    with pytest.raises(Exception, match="not found"):
        agent.register_api("slack", spec_url=str(home / "no-such-spec.json"))
    assert slack_tools(agent) == offline
    agent.register_api("slack", spec_url=str(OPENAPI))
    discovered = slack_tools(agent)
    assert "usersProfileGet" in discovered
    with pytest.raises(Exception, match="not found"):
        agent.register_api("slack", spec_url=str(home / "no-such-spec.json"))
    assert slack_tools(agent) == discovered
    assert agent.get_tool("usersSetPhoto") is not None


def test_registration_headers_serve_slack_tools_discovered_from_the_spec_cache(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """README: the headers given to register_api('slack', headers=...) "serve the Slack tools a
    later spec_url discovery finds too". With ocp-agent's spec cache on (its default), a
    discovery answered from the cache (any run after the first) builds no client for them:
    the Slack tools it found went without any Authorization."""
    first = ocp_agent_library.OCPAgent()  # enable_cache=True: the spec is cached
    first.register_api("slack", spec_url=str(OPENAPI), base_url=slack_emulator.base_url)
    agent = ocp_agent_library.OCPAgent()
    register(agent, base_url=slack_emulator.base_url, environ={})
    agent.register_api("slack", headers={"Authorization": f"Bearer {TOKEN}"})
    agent.register_api("slack", spec_url=str(OPENAPI), base_url=slack_emulator.base_url)
    assert agent.context.api_specs["slack"] == "cache"  # served from the cache
    agent.call_tool("usersProfileGet", {"token": "t"})
    assert slack_emulator.requests.last().header("authorization") == f"Bearer {TOKEN}"


def test_register_after_slack_was_registered_from_the_cache_warns_that_headers_were_dropped(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    """register_api('slack', spec_url=..., headers=A) answered from ocp-agent's spec cache
    drops A before register() exists to see it; usersSetPhoto would then act with
    SLACK_USER_TOKEN (another person's, perhaps) without a word. Now a WARNING says so and
    what to do (session 11)."""
    first = ocp_agent_library.OCPAgent()  # enable_cache=True: the spec is cached
    first.register_api("slack", spec_url=str(OPENAPI), base_url=slack_emulator.base_url)
    agent = ocp_agent_library.OCPAgent()
    agent.register_api(
        "slack",
        spec_url=str(OPENAPI),
        base_url=slack_emulator.base_url,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert agent.context.api_specs["slack"] == "cache"
    caplog.set_level(logging.WARNING, logger="ocp_users_photo")
    register(agent, base_url=slack_emulator.base_url, environ={})
    (warning,) = [r for r in caplog.records if r.name == "ocp_users_photo.agents.register"]
    assert "Call register() first" in warning.getMessage()
    assert TOKEN not in warning.getMessage()


def test_register_first_warns_of_nothing(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="ocp_users_photo")
    agent = ocp_agent_library.OCPAgent()
    register(agent, base_url=slack_emulator.base_url, environ={})
    agent.register_api("slack", headers={"Authorization": f"Bearer {TOKEN}"})
    assert not [r for r in caplog.records if r.name == "ocp_users_photo.agents.register"]


async def test_a_spec_url_discovery_after_register_runs_off_the_event_loop(
    ocp_agent_library: Any,
    home: Path,  # noqa: F811
) -> None:
    """ocp-agent's register_api is synchronous (it reads or fetches the spec); awaited
    after register() inside a loop, the wrapper ran it on the loop, every other task
    standing still meanwhile (blockbuster, on for async tests, caught it)."""
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, token=TOKEN, environ={})
    await agent.register_api("slack", spec_url=str(OPENAPI))
    assert "usersProfileGet" in slack_tools(agent)
    assert agent.get_tool("usersSetPhoto") is not None


class _SendingSeen(CallObserver):
    """Sets ``seen`` as a change goes to Slack (the tool's observers hear it first)."""

    def __init__(self) -> None:
        self.seen = asyncio.Event()

    def change_sending(self, call: CallInfo) -> None:
        self.seen.set()


async def test_a_cancelled_call_tool_ends_its_history_entry(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A call_tool cancelled once its change was on its way left "tool_call ... executing"
    in the agent's history with no end: the history (sent with every later request) said
    the call was still running, and nothing said the photo might have changed."""
    image = tmp_path / "me.png"
    image.write_bytes(make_image())
    sending = _SendingSeen()
    tool = UsersSetPhoto(
        TOKEN,
        base_url=slack_emulator.base_url,
        image_roots=[tmp_path],
        keep_previous=False,
        observers=[sending],
        environ={},
    )
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, tool=tool)
    inject(slack_emulator, Fault.delay(30))
    call = asyncio.ensure_future(agent.call_tool("usersSetPhoto", {"image": str(image)}))
    await sending.seen.wait()
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    await tool.aclose()
    entries = [e for e in agent.context.history if "usersSetPhoto" in str(e["action"])]
    assert [e["action"] for e in entries] == ["tool_call:usersSetPhoto", "tool_error:usersSetPhoto"]
    ended = entries[-1]
    assert ended["metadata"]["error_code"] == "abandoned"
    assert "whether the photo changed is unknown" in ended["metadata"]["error_message"]
    assert TOKEN not in str(ended)
