"""register(agent): the seed's agent usage, made right, on sync and async agents."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto, register
from ocp_users_photo.agents import safe_view
from tests.conftest import CANARY_TOKEN, make_image
from tests.scripted_server import ScriptedSlack, scripted_slack_in_thread, success_reply
from tests.standin_agent import AsyncStandInAgent, StandInAgent
from tests.test_spec import seed_block

CANARY_SECRET = CANARY_TOKEN.split("-", 1)[1]


def tool_for(slack: ScriptedSlack, tmp_path: Path) -> UsersSetPhoto:
    return UsersSetPhoto(CANARY_TOKEN, base_url=slack.base_url, image_roots=[tmp_path], environ={})


def photo(tmp_path: Path, name: str = "me.png") -> Path:
    path = tmp_path / name
    path.write_bytes(make_image((640, 640)))
    return path


def slack_tools(agent: StandInAgent) -> list[Any]:
    return [tool for tool in agent.list_tools("slack") if tool.name == "usersSetPhoto"]


def test_without_an_agent_register_returns_the_tool_confined_to_the_cwd(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    tool = register(None, environ={})
    assert isinstance(tool, UsersSetPhoto)
    assert tool.image_roots == (tmp_path.resolve(),)


def test_register_api_slack_answers_offline_with_the_tool(tmp_path: Path) -> None:
    agent = StandInAgent()
    register(agent, environ={}, image_roots=[tmp_path])
    spec = agent.register_api("slack")
    assert agent.registry_lookups == []
    assert [tool.name for tool in spec.tools] == ["usersSetPhoto"]
    assert agent.register_api(" Slack ") is spec


def test_the_ocp_tool_carries_the_seeds_spec(tmp_path: Path) -> None:
    agent = StandInAgent()
    register(agent, environ={}, image_roots=[tmp_path])
    for found in (
        agent.get_tool("usersSetPhoto"),
        *agent.list_tools(),
        *agent.search_tools("profile photo"),
    ):
        assert found.name == "usersSetPhoto"
        assert found.method == "POST"
        assert found.path == "/users.setPhoto"
        assert found.operation_id == "users_setPhoto"
        assert found.parameters == seed_block("Parameters", "Response Schema")
        assert found.response_schema == seed_block("Response Schema", "Usage")


def test_tools_already_under_slack_are_kept_and_the_generic_one_replaced(tmp_path: Path) -> None:
    agent = StandInAgent()
    agent.register_api("slack", spec_url="https://example.invalid/slack.json")
    register(agent, environ={}, image_roots=[tmp_path])
    names = [tool.name for tool in agent.list_tools("slack")]
    assert sorted(names) == ["chatPostMessage", "usersSetPhoto"]
    assert slack_tools(agent)[0].parameters["image"]["location"] == "formData"
    assert "crop_w" in slack_tools(agent)[0].parameters


def test_a_spec_url_after_register_still_runs_discovery_and_keeps_this_tool(
    tmp_path: Path,
) -> None:
    agent = StandInAgent()
    register(agent, environ={}, image_roots=[tmp_path])
    spec = agent.register_api("slack", spec_url="https://example.invalid/slack.json")
    assert agent.registry_lookups == ["slack"]
    assert sorted(tool.name for tool in spec.tools) == ["chatPostMessage", "usersSetPhoto"]
    assert len(slack_tools(agent)) == 1
    assert "crop_w" in slack_tools(agent)[0].parameters


def test_register_is_idempotent(tmp_path: Path) -> None:
    agent = StandInAgent()
    first = register(agent, environ={}, image_roots=[tmp_path])
    second = register(agent, environ={}, image_roots=[tmp_path])
    assert len(slack_tools(agent)) == 1
    assert len([tool for tool in agent.list_tools() if tool.name == "usersSetPhoto"]) == 1
    assert second is not first


async def test_await_call_tool_on_a_sync_agent_runs_the_checked_call(
    slack: ScriptedSlack, tmp_path: Path
) -> None:
    agent = StandInAgent()
    register(agent, tool_for(slack, tmp_path))
    reply = await agent.call_tool(
        "usersSetPhoto", {"image": str(photo(tmp_path)), "crop_x": 0, "crop_y": 0, "crop_w": 600}
    )
    assert reply == success_reply()
    assert agent.sent == [], "the generic path was not taken"
    (request,) = slack.requests
    assert request.headers["authorization"] == f"Bearer {CANARY_TOKEN}"
    assert request.files["image"].content_type == "image/png"
    assert request.fields == {"crop_x": "0", "crop_y": "0", "crop_w": "600"}


async def test_other_tools_still_take_the_agents_own_path(
    slack: ScriptedSlack, tmp_path: Path
) -> None:
    agent = StandInAgent()
    agent.register_api("slack", spec_url="x", base_url=slack.base_url)
    register(agent, tool_for(slack, tmp_path))
    response = await asyncio.to_thread(agent.call_tool, "chatPostMessage", {"channel": "C1"})
    assert response.status_code == 200
    assert [request.url.path for request in agent.sent] == ["/api/chat.postMessage"]
    assert json.loads(agent.sent[0].content) == {"channel": "C1"}
    assert agent.context.history[-1]["action"] == "tool_call:chatPostMessage"


async def test_history_keeps_no_token_and_no_image_bytes(
    slack: ScriptedSlack, tmp_path: Path
) -> None:
    agent = StandInAgent()
    register(agent, tool_for(slack, tmp_path))
    image = make_image((640, 640))
    await agent.call_tool("usersSetPhoto", {"image": image, "token": CANARY_TOKEN})
    history = json.dumps(agent.context.history)
    session = base64.b64decode(agent.context.session_header()).decode()
    for text in (history, session):
        assert CANARY_SECRET not in text
        assert base64.b64encode(image).decode()[:40] not in text
    call, response = agent.context.history
    assert call["action"] == "tool_call:usersSetPhoto"
    assert call["metadata"]["parameters"] == {
        "image": f"<{len(image)} bytes>",
        "token": "[redacted]",
    }
    assert response["action"] == "tool_response:usersSetPhoto"
    summary = response["metadata"]["image"]
    assert summary["format"] == "PNG"
    assert (summary["width"], summary["height"], summary["bytes"]) == (640, 640, len(image))
    assert len(summary["sha256"]) == 12
    assert response["metadata"]["avatar_hash"] == success_reply()["profile"]["avatar_hash"]


async def test_a_refused_call_raises_sends_nothing_and_is_recorded(
    slack: ScriptedSlack, tmp_path: Path
) -> None:
    agent = StandInAgent()
    register(agent, tool_for(slack, tmp_path))
    with pytest.raises(InvalidArguments) as caught:
        await agent.call_tool("usersSetPhoto", {"image": "../outside.png", "crop_x": 3})
    assert isinstance(caught.value, ValueError)
    assert slack.requests == []
    assert agent.context.history[-1]["action"] == "tool_error:usersSetPhoto"
    assert agent.context.history[-1]["metadata"]["error_code"] == "invalid_arguments"


def test_the_registration_confines_image_paths_to_the_cwd_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = tmp_path / "inside"
    inside.mkdir()
    photo(tmp_path, "outside.png")
    monkeypatch.chdir(inside)
    agent = StandInAgent()
    register(agent, environ={"SLACK_USER_TOKEN": CANARY_TOKEN})
    with pytest.raises(InvalidArguments, match="outside the folders images may be read from"):
        agent.call_tool("usersSetPhoto", {"image": str(tmp_path / "outside.png")})


def test_a_sync_agent_outside_an_event_loop_gets_the_reply_itself(tmp_path: Path) -> None:
    with scripted_slack_in_thread() as slack:
        agent = StandInAgent()
        register(agent, tool_for(slack, tmp_path))
        for _ in range(2):  # each call runs its own event loop; the tool survives both
            assert agent.call_tool("usersSetPhoto", {"image": str(photo(tmp_path))})["ok"] is True
        assert len(slack.requests) == 2


async def test_the_seeds_usage_on_an_async_agent(slack: ScriptedSlack, tmp_path: Path) -> None:
    """The seed's usage block, with register(agent) added, against a loopback Slack."""
    agent = AsyncStandInAgent()
    register(agent, tool_for(slack, tmp_path))
    await agent.register_api("slack")
    result = await agent.call_tool("usersSetPhoto", {"image": str(photo(tmp_path))})
    assert result == success_reply()
    assert agent.registry_lookups == []
    assert len(slack.requests) == 1


async def test_an_async_agents_other_tools_are_untouched(
    slack: ScriptedSlack, tmp_path: Path
) -> None:
    agent = AsyncStandInAgent()
    await agent.register_api("slack", spec_url="x", base_url=slack.base_url)
    register(agent, tool_for(slack, tmp_path))
    response = await agent.call_tool("chatPostMessage", {"channel": "C9"})
    assert response.status_code == 200
    assert [request.url.path for request in agent.sent] == ["/api/chat.postMessage"]
    assert len(slack_tools(agent)) == 1


def test_register_refuses_what_is_not_an_agent_and_ambiguous_options() -> None:
    with pytest.raises(TypeError, match="OCPAgent surface"):
        register(object(), environ={})
    with pytest.raises(TypeError, match="not both"):
        register(None, UsersSetPhoto(environ={}), environ={})


def test_safe_view_of_arguments() -> None:
    view = safe_view(
        {
            "image": "/home/me/photo.png",
            "crop_x": 3,
            "crop_y": "12",
            "crop_w": CANARY_TOKEN,
            "token": "anything",
            "extra": {"nested": 1},
        }
    )
    assert view == {
        "image": "<path photo.png>",
        "crop_x": 3,
        "crop_y": "12",
        "crop_w": "<str>",
        "token": "[redacted]",
        "extra": "<dict>",
    }
    assert (
        safe_view({"image": "data:image/png;base64,AAAA"})["image"] == "<data: URI, 26 characters>"
    )
    assert safe_view({"image": "A" * 5000})["image"] == "<text, 5000 characters>"


def _real_ocp_agent() -> Any:
    try:
        import ocp_agent
    except ImportError:
        return None
    return ocp_agent


@pytest.mark.skipif(
    _real_ocp_agent() is None,
    reason="ocp-agent is not installed (not installable from this machine's registries); "
    "the stand-in above covers its documented surface",
)
async def test_with_the_real_ocp_agent(slack: ScriptedSlack, tmp_path: Path) -> None:
    ocp_agent = _real_ocp_agent()
    agent = ocp_agent.OCPAgent(enable_cache=False)
    register(agent, tool_for(slack, tmp_path))
    spec = agent.register_api("slack")
    spec = await spec if asyncio.iscoroutine(spec) else spec
    assert any(tool.name == "usersSetPhoto" for tool in spec.tools)
    assert agent.get_tool("usersSetPhoto").parameters == seed_block("Parameters", "Response Schema")
    reply = await agent.call_tool("usersSetPhoto", {"image": str(photo(tmp_path))})
    assert reply == success_reply()
    assert CANARY_SECRET not in json.dumps(agent.context.history, default=str)
