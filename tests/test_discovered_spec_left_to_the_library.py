"""ocp-agent's discovery keeps the spec object it made (by spec_url) and hands that very
object out again: to another API name, or to the same name once its 7-day disk cache is
gone, writing it to ~/.ocp/cache/apis then. The plugin changed that object in place, so
its own tools went to disk (the description names the image roots, folders of this
machine), and two names shared one spec, the last name taking Slack's headers away.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import register
from tests import loopback
from tests.test_ocp_agent import OPENAPI, home  # noqa: F401


def cached_tools(folder: Path, name: str) -> tuple[list[str], str]:
    text = (folder / ".ocp" / "cache" / "apis" / f"{name}.json").read_text()
    return [tool["name"] for tool in json.loads(text)["tools"]], text


@pytest.mark.parametrize("again_as", ["slack", "slack-web"])
def test_a_discovery_served_from_memory_caches_the_librarys_spec(
    ocp_agent_library: Any,
    home: Path,  # noqa: F811
    again_as: str,
) -> None:
    agent = ocp_agent_library.OCPAgent()  # enable_cache=True: specs go to ~/.ocp
    register(agent, environ={})
    agent.register_api("slack", str(OPENAPI))
    # The disk cache gone (its 7 days over, or cleared): ocp-agent discovers again, from memory.
    (home / ".ocp" / "cache" / "apis" / "slack.json").unlink()
    agent.register_api(again_as, str(OPENAPI))

    names, text = cached_tools(home, again_as)
    assert "usersRestorePhoto" not in names
    assert str(Path.cwd()) not in text  # the image root this tool's description names
    assert [tool.name for tool in agent.list_tools("slack")].count("usersSetPhoto") == 1
    assert agent.known_apis["slack"].name == "slack"  # its headers' client is found by it


async def test_slack_registered_again_keeps_its_headers_for_the_slack_tools(
    ocp_agent_library: Any,
    home: Path,  # noqa: F811
) -> None:
    """A second register_api('slack', spec_url, headers=...) is answered by ocp-agent's
    disk cache, whose spec names nothing: ocp-agent's call_tool finds the headers' client
    by the spec's name, and usersProfileGet went without the Authorization."""
    async with loopback.serve(None) as server:
        server.on("/api/users.profile.get", loopback.reply(200, b'{"ok":true,"profile":{}}'))
        agent = ocp_agent_library.OCPAgent()  # enable_cache=True
        register(agent, environ={"SLACK_API_URL": server.base_url()})
        given = {"Authorization": "Bearer xoxp-1-registered"}
        for _ in range(2):
            await asyncio.to_thread(
                agent.register_api, "slack", str(OPENAPI), server.base_url(), given
            )
        await asyncio.to_thread(agent.call_tool, "usersProfileGet", {"token": "t"})
    (seen,) = server.requests
    assert "authorization" in {name.lower() for name, _ in seen.headers}
