"""Review of session 11's change as a whole (git diff 6ff51b1..HEAD): what its own tests
left untried."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ocp_users_photo import register
from ocp_users_photo.emulator import RunningEmulator
from tests.test_ocp_agent import OPENAPI, home, slack_emulator_config  # noqa: F401

TOKEN = "xoxp-7777777777-8888888888-9999999999-diffreview11"


def test_headers_given_with_the_spec_url_serve_slack_tools_found_in_the_spec_cache(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """register_api('slack', spec_url=..., headers=...) after register(), in one call: on the
    first run ocp-agent's fresh discovery makes a client for the headers; on every later
    run its spec cache answers and makes none, so the Slack tools it found went without
    Authorization (only headers registered in an earlier call were served)."""
    first = ocp_agent_library.OCPAgent()  # enable_cache=True: the spec is cached
    first.register_api("slack", spec_url=str(OPENAPI), base_url=slack_emulator.base_url)
    agent = ocp_agent_library.OCPAgent()
    register(agent, base_url=slack_emulator.base_url, environ={})
    agent.register_api(
        "slack",
        spec_url=str(OPENAPI),
        base_url=slack_emulator.base_url,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert agent.context.api_specs["slack"] == "cache"  # served from the cache
    agent.call_tool("usersProfileGet", {"token": "t"})
    assert slack_emulator.requests.last().header("authorization") == f"Bearer {TOKEN}"


async def test_headers_given_with_the_spec_url_serve_slack_tools_found_in_the_cache_ocpagent(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """The same on this package's OCPAgent."""
    from ocp_users_photo import OCPAgent

    first = ocp_agent_library.OCPAgent()
    first.register_api("slack", spec_url=str(OPENAPI), base_url=slack_emulator.base_url)
    async with OCPAgent(base_url=slack_emulator.base_url, environ={}) as agent:
        await agent.register_api(
            "slack",
            spec_url=str(OPENAPI),
            base_url=slack_emulator.base_url,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert agent.context.api_specs["slack"] == "cache"
        await agent.call_tool("usersProfileGet", {"token": "t"})
        assert slack_emulator.requests.last().header("authorization") == f"Bearer {TOKEN}"
