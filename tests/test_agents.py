"""register(agent): the seed's agent usage, made right, on ocp-agent's agent and on async agents.

Synchronous agents are ocp-agent 0.3.0's own ``OCPAgent`` (the ``ocp_agent_library``
fixture: skipped where it is absent, required in CI). The stand-in is used only for
what the library lacks: an agent whose methods are coroutines.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto, register
from ocp_users_photo.agents import safe_view
from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from tests.conftest import CANARY_TOKEN, make_image
from tests.standin_agent import AsyncStandInAgent
from tests.test_spec import seed_block
from tests.test_tool import expected_fingerprint

CANARY_SECRET = CANARY_TOKEN.split("-", 1)[1]
OPENAPI = Path(__file__).parent / "data" / "slack-openapi-users-photo.json"
BEARER = {"Authorization": f"Bearer {CANARY_TOKEN}"}


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


@pytest.fixture
def library_agent(ocp_agent_library: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("HOME", str(tmp_path))  # ocp-agent keeps a spec cache in ~/.ocp
    return ocp_agent_library.OCPAgent(enable_cache=False)


def tool_for(emulator: RunningEmulator, tmp_path: Path) -> UsersSetPhoto:
    return UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, image_roots=[tmp_path], environ={}
    )


def photo(tmp_path: Path, name: str = "me.png") -> Path:
    path = tmp_path / name
    path.write_bytes(make_image((640, 640)))
    return path


def photo_tools(agent: Any) -> list[Any]:
    return [tool for tool in agent.list_tools("slack") if tool.name == "usersSetPhoto"]


def test_without_an_agent_register_returns_the_tool_confined_to_the_cwd(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    tool = register(None, environ={})
    assert isinstance(tool, UsersSetPhoto)
    assert tool.image_roots == (tmp_path.resolve(),)


def test_register_api_slack_answers_offline_with_the_tool(
    library_agent: Any, tmp_path: Path
) -> None:
    register(library_agent, environ={}, image_roots=[tmp_path])
    # Without the plugin, this asks the OCP registry over the network (unreachable here).
    spec = library_agent.register_api("slack")
    assert [tool.name for tool in spec.tools] == ["usersSetPhoto", "usersRestorePhoto"]
    assert library_agent.register_api(" Slack ") is spec


def test_the_ocp_tool_carries_the_seeds_spec(library_agent: Any, tmp_path: Path) -> None:
    register(library_agent, environ={}, image_roots=[tmp_path])
    listed = library_agent.list_tools()
    assert [found.name for found in listed] == ["usersSetPhoto", "usersRestorePhoto"]
    for found in (
        library_agent.get_tool("usersSetPhoto"),
        *listed[:1],
        *[t for t in library_agent.search_tools("profile photo") if t.name != "usersRestorePhoto"],
    ):
        assert found.name == "usersSetPhoto"
        assert found.method == "POST"
        assert found.path == "/users.setPhoto"
        assert found.operation_id == "users_setPhoto"
        assert found.parameters == seed_block("Parameters", "Response Schema")
        assert found.response_schema == seed_block("Response Schema", "Usage")


def test_tools_already_under_slack_are_kept_and_the_generic_one_replaced(
    library_agent: Any, tmp_path: Path
) -> None:
    library_agent.register_api("slack", spec_url=str(OPENAPI))
    register(library_agent, environ={}, image_roots=[tmp_path])
    names = sorted(tool.name for tool in library_agent.list_tools("slack"))
    assert names == ["usersDeletePhoto", "usersProfileGet", "usersRestorePhoto", "usersSetPhoto"]
    (ours,) = photo_tools(library_agent)
    assert ours.parameters == seed_block("Parameters", "Response Schema")


def test_a_spec_url_after_register_still_runs_discovery_and_keeps_this_tool(
    library_agent: Any, tmp_path: Path
) -> None:
    register(library_agent, environ={}, image_roots=[tmp_path])
    library_agent.register_api("slack", spec_url=str(OPENAPI))
    names = sorted(tool.name for tool in library_agent.list_tools("slack"))
    assert names == ["usersDeletePhoto", "usersProfileGet", "usersRestorePhoto", "usersSetPhoto"]
    assert photo_tools(library_agent)[0].parameters == seed_block("Parameters", "Response Schema")


def test_register_is_idempotent(library_agent: Any, tmp_path: Path) -> None:
    first = register(library_agent, environ={}, image_roots=[tmp_path])
    second = register(library_agent, environ={}, image_roots=[tmp_path])
    assert len(photo_tools(library_agent)) == 1
    assert [tool.name for tool in library_agent.list_tools()].count("usersSetPhoto") == 1
    assert second is not first


async def test_await_call_tool_on_the_library_agent_runs_the_checked_call(
    library_agent: Any, slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    register(library_agent, tool_for(slack_emulator, tmp_path))
    reply = await library_agent.call_tool(
        "usersSetPhoto", {"image": str(photo(tmp_path)), "crop_x": 0, "crop_y": 0, "crop_w": 600}
    )
    assert reply["ok"] is True
    # Before it, the model door kept the photo shown: auth.test, users.profile.get.
    (request,) = slack_emulator.requests.for_path("/api/users.setPhoto")
    assert request.header("authorization") == f"Bearer {CANARY_TOKEN}"
    image = request.file("image")
    assert image is not None
    assert image.content_type == "image/png"
    assert dict(request.form) == {"crop_x": "0", "crop_y": "0", "crop_w": "600"}


async def test_history_keeps_no_token_and_no_image_bytes(
    library_agent: Any, slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    register(library_agent, tool_for(slack_emulator, tmp_path))
    image = make_image((640, 640))
    await library_agent.call_tool("usersSetPhoto", {"image": image}, headers=BEARER)
    history = json.dumps(library_agent.context.to_dict(), default=str)
    assert CANARY_SECRET not in history
    assert base64.b64encode(image).decode()[:40] not in history
    call, response = library_agent.context.history
    assert call["action"] == "tool_call:usersSetPhoto"
    assert call["metadata"]["parameters"] == {"image": f"<{len(image)} bytes>"}
    assert response["action"] == "tool_response:usersSetPhoto"
    summary = response["metadata"]["image"]
    assert summary["format"] == "PNG"
    assert (summary["width"], summary["height"], summary["bytes"]) == (640, 640, len(image))
    # A fingerprint of what was sent (images/upload.py), not a hash of the whole image: the
    # bytes' count and ends tell photos apart; Slack's avatar_hash names the photo set.
    assert re.fullmatch(r"[0-9a-f]{12}", summary["fingerprint"])
    assert summary["fingerprint"] == expected_fingerprint(image)
    shown = slack_emulator.state.person_for_token(CANARY_TOKEN)
    assert response["metadata"]["avatar_hash"] == shown.avatar_hash


async def test_a_refused_call_raises_sends_nothing_and_is_recorded(
    library_agent: Any, slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    register(library_agent, tool_for(slack_emulator, tmp_path))
    with pytest.raises(InvalidArguments) as caught:
        await library_agent.call_tool("usersSetPhoto", {"image": "../outside.png", "crop_x": 3})
    assert isinstance(caught.value, ValueError)
    assert slack_emulator.requests.all() == []
    assert library_agent.context.history[-1]["action"] == "tool_error:usersSetPhoto"
    assert library_agent.context.history[-1]["metadata"]["error_code"] == "invalid_arguments"


def test_the_registration_confines_image_paths_to_the_cwd_by_default(
    library_agent: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = tmp_path / "inside"
    inside.mkdir()
    photo(tmp_path, "outside.png")
    monkeypatch.chdir(inside)
    register(library_agent, environ={"SLACK_USER_TOKEN": CANARY_TOKEN})
    with pytest.raises(InvalidArguments, match="outside the folders images may be read from"):
        library_agent.call_tool("usersSetPhoto", {"image": str(tmp_path / "outside.png")})


def test_outside_an_event_loop_the_library_agent_gets_the_reply_itself(
    library_agent: Any, slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    register(library_agent, tool_for(slack_emulator, tmp_path))
    for _ in range(2):  # each call runs its own event loop; the tool survives both
        reply = library_agent.call_tool("usersSetPhoto", {"image": str(photo(tmp_path))})
        assert reply["ok"] is True
    assert len(slack_emulator.requests.for_path("/api/users.setPhoto")) == 2


async def test_the_seeds_usage_on_an_async_agent(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The seed's usage block, with register(agent) added, on an agent of coroutines."""
    agent = AsyncStandInAgent()
    register(agent, tool_for(slack_emulator, tmp_path))
    spec = await agent.register_api("slack")
    result = await agent.call_tool("usersSetPhoto", {"image": str(photo(tmp_path))})
    assert isinstance(result, dict)  # the tool's answer, not the stand-in's own HTTP response
    assert result["ok"] is True
    assert [tool.name for tool in spec.tools] == ["usersSetPhoto", "usersRestorePhoto"]
    assert agent.registry_lookups == []
    assert len(slack_emulator.requests.for_path("/api/users.setPhoto")) == 1


async def test_an_async_agents_other_tools_are_untouched(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    agent = AsyncStandInAgent()
    await agent.register_api("slack", spec_url="x", base_url=slack_emulator.base_url)
    register(agent, tool_for(slack_emulator, tmp_path))
    response = await agent.call_tool("chatPostMessage", {"channel": "C9"})
    assert response.status_code == 404  # the emulator serves no chat.postMessage
    assert [request.url.path for request in agent.sent] == ["/api/chat.postMessage"]
    assert len(photo_tools(agent)) == 1


async def test_an_async_agents_headers_carry_the_token(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    agent = AsyncStandInAgent()
    register(agent, environ={}, base_url=slack_emulator.base_url, image_roots=[tmp_path])
    await agent.register_api("slack", headers=BEARER)
    reply = await agent.call_tool("usersSetPhoto", {"image": str(photo(tmp_path))})
    assert isinstance(reply, dict)  # the tool's answer, not the stand-in's own HTTP response
    assert reply["ok"] is True
    assert slack_emulator.requests.last().header("authorization") == f"Bearer {CANARY_TOKEN}"


def test_register_refuses_what_is_not_an_agent_and_ambiguous_options() -> None:
    with pytest.raises(TypeError, match="OCPAgent surface") as caught:
        register(object(), environ={})
    assert "known_apis, call_tool, register_api" in str(caught.value)
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
