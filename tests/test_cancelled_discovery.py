"""A discovery of Slack's spec that its caller stops waiting for (a timeout) still ends in its
worker thread, and writes ocp-agent's generic Slack API over the one this tool is in: the
model was then shown Slack's bare "Set the user profile photo" for usersSetPhoto, and
usersRestorePhoto was gone (found by the review of 2026-12-06). The tool is now put back in
when that late discovery ends, through ``register(agent)`` and this package's OCPAgent alike.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import register

OPENAPI = Path(__file__).parent / "data" / "slack-openapi-users-photo.json"
TOKEN = "xoxp-7777777777-cancelled-discovery-token"
OURS = "Sets the Slack profile photo of the user who owns the token"


@pytest.fixture
def held_spec() -> Iterator[tuple[str, threading.Event]]:
    """Slack's OpenAPI spec on loopback, answered only once the event is set."""
    release = threading.Event()
    spec = OPENAPI.read_bytes()

    class Spec(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            release.wait(10)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(spec)))
            self.end_headers()
            self.wfile.write(spec)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Spec)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/slack.json", release
    finally:
        release.set()
        server.shutdown()
        server.server_close()


async def _tools_once_discovered(agent: Any) -> dict[str, str]:
    """The Slack tools' descriptions, once the late discovery's tools are listed and this
    tool's description is back (or after 5 s, as they then are)."""
    tools: dict[str, str] = {}
    for _ in range(500):
        tools = {tool.name: tool.description for tool in agent.list_tools("slack")}
        if "usersDeletePhoto" in tools and OURS in tools.get("usersSetPhoto", ""):
            break
        await asyncio.sleep(0.01)
    return tools


async def _timed_out(registering: Any) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(registering, 0.2)


async def test_register_puts_the_tool_back_after_a_discovery_that_timed_out(
    ocp_agent_library: Any,
    held_spec: tuple[str, threading.Event],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # ocp-agent's spec cache
    url, release = held_spec
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    photo = register(agent, token=TOKEN, environ={})
    try:
        await agent.register_api("slack")
        await _timed_out(agent.register_api("slack", spec_url=url))
        release.set()
        tools = await _tools_once_discovered(agent)
    finally:
        await photo.aclose()
    assert "usersDeletePhoto" in tools, "the late discovery ended"
    assert OURS in tools["usersSetPhoto"]
    assert "usersRestorePhoto" in tools


async def test_this_packages_agent_puts_the_tool_back_too(
    ocp_agent_library: Any,
    held_spec: tuple[str, threading.Event],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    from ocp_users_photo import OCPAgent

    url, release = held_spec
    async with OCPAgent(enable_cache=False, token=TOKEN, environ={}) as agent:
        await agent.register_api("slack")
        await _timed_out(agent.register_api("slack", spec_url=url))
        release.set()
        tools = await _tools_once_discovered(agent)
    assert "usersDeletePhoto" in tools, "the late discovery ended"
    assert OURS in tools["usersSetPhoto"]
    assert "usersRestorePhoto" in tools


async def test_a_tool_registered_meanwhile_is_the_one_put_back(
    ocp_agent_library: Any,
    held_spec: tuple[str, threading.Event],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """register() called again while the discovery ran replaces the tool: its late end puts
    back the new tool, not the closed one's definitions (its usersRestorePhoto included,
    which the new tool, keeping nothing, does not offer; found by the review of the fix)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    url, release = held_spec
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    first = register(agent, token=TOKEN, environ={})
    await agent.register_api("slack")
    await _timed_out(agent.register_api("slack", spec_url=url))
    second = register(agent, token=TOKEN, environ={}, keep_previous=False)
    await first.aclose()
    try:
        release.set()
        tools = await _tools_once_discovered(agent)
    finally:
        await second.aclose()
    assert "usersDeletePhoto" in tools, "the late discovery ended"
    assert OURS in tools["usersSetPhoto"]
    assert "usersRestorePhoto" not in tools
