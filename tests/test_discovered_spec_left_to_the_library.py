"""ocp-agent's discovery keeps the spec object it made (by spec_url) and hands that very
object out again: to another API name, or to the same name once its 7-day disk cache is
gone, writing it to ~/.ocp/cache/apis then. The plugin changed that object in place, so
its own tools went to disk (the description names the image roots, folders of this
machine), and two names shared one spec, the last name taking Slack's headers away.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import register
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
