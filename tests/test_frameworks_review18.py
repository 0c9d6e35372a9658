"""Review of the framework doors (round 18): an agent builder wiring the tool into each one."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from agents import FunctionTool
from agents.tool_context import ToolContext
from pydantic_ai import Agent
from pydantic_ai.messages import (
    ModelMessage,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from ocp_users_photo import TokenNotUsable, UsersSetPhoto
from ocp_users_photo.frameworks.langchain import langchain_tools
from ocp_users_photo.frameworks.openai_agents import openai_agents_tools
from ocp_users_photo.frameworks.pydantic_ai import pydantic_ai_toolset
from ocp_users_photo.model_result import error_result
from tests.framework_fixtures import HOST_TOKEN, PhotoHost


def _one_raw_call(name: str, raw: str, prompts: list[str]) -> Callable[..., ModelResponse]:
    """A model that calls ``name`` once with ``raw`` argument text, then keeps the retry
    prompt Pydantic AI sent back and gives up."""
    turns: list[ModelResponse] = [
        ModelResponse(parts=[ToolCallPart(name, raw, tool_call_id="c1")]),
        ModelResponse(parts=[TextPart("Sorry.")]),
    ]

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompts.extend(
            part.model_response_str()
            for part in messages[-1].parts
            if isinstance(part, ToolReturnPart) and part.outcome == "retried"
        )
        return turns.pop(0)

    return model


async def _retry_prompt(tool: Any, name: str, raw: str) -> str:
    prompts: list[str] = []
    model = FunctionModel(_one_raw_call(name, raw, prompts))
    result = await Agent(model, toolsets=[pydantic_ai_toolset(tool)]).run("Undo my photo")
    assert result.output == "Sorry."
    (prompt,) = prompts
    return prompt


@pytest.mark.parametrize("raw", ['"3"', "[3]", '{"entry": 3'], ids=["string", "array", "cut"])
async def test_pydantic_ai_retry_prompt_for_the_undo_shows_the_undos_own_arguments(
    photo_host: PhotoHost, raw: str
) -> None:
    """usersRestorePhoto's retry prompt for arguments that are no JSON object showed
    usersSetPhoto's example, ``{"image": "portrait.png"}``, and spoke of an inline image:
    a model following it sent ``image`` to the undo, which refuses it."""
    prompt = await _retry_prompt(photo_host.tool, "usersRestorePhoto", raw)
    assert "image" not in prompt
    if raw.startswith("{"):
        assert "write them again as one JSON object" in prompt
    else:
        assert r"or {\"entry\": 3} to put entry 3 back" in prompt  # the prompt is JSON text


async def test_pydantic_ai_cut_short_image_is_not_told_to_use_a_web_address_the_tool_refuses(
    photo_host: PhotoHost,
) -> None:
    """A photo tool with no ``url_hosts`` fetches no URL (its schema says so), yet a cut-short
    inline image's retry prompt said "give its file path or https address instead"."""
    raw = '{"image": "data:image/png;base64,' + "A" * 5000
    prompt = await _retry_prompt(photo_host.tool, "usersSetPhoto", raw)
    assert "give its file path instead" in prompt
    assert "https" not in prompt
    acting = photo_host.tool.acting_as(team_id="T0EMULATOR", user_id="U0ALICE01")
    assert "https" not in await _retry_prompt(acting, "usersSetPhoto", raw)
    async with UsersSetPhoto(
        HOST_TOKEN,
        base_url=photo_host.emulator.base_url,
        image_roots=[photo_host.picture.parent],
        url_hosts=["images.example.com"],
        environ={},
    ) as fetching:
        prompt = await _retry_prompt(fetching, "usersSetPhoto", raw)
    assert "an https address on a host the tool allows" in prompt
    assert "AAAAAAAAAA" not in prompt


async def test_pydantic_ai_arguments_nested_too_deeply_are_not_told_as_cut_short(
    photo_host: PhotoHost,
) -> None:
    """Whole JSON nested 100,000 deep: the retry prompt said it was "no complete JSON" and
    that an inline image may have been cut short (give its file path): neither is so."""
    raw = '{"image": ' + "[" * 100_000 + "]" * 100_000 + "}"
    prompt = await _retry_prompt(photo_host.tool, "usersSetPhoto", raw)
    assert "nest too deeply to read" in prompt
    assert "one flat JSON object" in prompt
    assert "cut short" not in prompt
    assert "no complete JSON" not in prompt


@pytest.mark.parametrize("door", ["openai-agents", "langchain", "pydantic-ai", "call"])
async def test_a_fixed_token_under_acting_as_with_keeping_off_sets_nobody_elses_photo(
    photo_host: PhotoHost, door: str
) -> None:
    """With keeping on, a fixed token under ``acting_as`` of someone else is refused (the
    history's owner check); with ``keep_previous=False`` nothing asked whose it was, and the
    token's own user got the photo while the result said ok, as if the bound person had."""
    before = await photo_host.avatar_hash()
    async with _keeping_nothing(photo_host) as tool:
        alice = tool.acting_as(team_id="T0EMULATOR", user_id="UALICE0001")
        if door == "call":
            with pytest.raises(TokenNotUsable) as refused:
                await alice.call({"image": "portrait.png"})
            result = error_result(refused.value)
        else:
            result = await one_call(door, alice, {"image": "portrait.png"})
    assert result["ok"] is False
    assert result["error"] == "token_not_usable"
    assert "UALICE0001" in result["message"]
    assert HOST_TOKEN not in json.dumps(result)
    assert not photo_host.emulator.requests.for_path("/api/users.setPhoto")
    assert await photo_host.avatar_hash() == before


async def test_a_fixed_token_of_the_bound_person_still_sets_their_photo(
    photo_host: PhotoHost,
) -> None:
    """The check asks Slack whose the token is: the token's own user, bound, goes through."""
    before = await photo_host.avatar_hash()
    async with _keeping_nothing(photo_host) as tool:
        owner = await tool.whoami()
        bound = tool.acting_as(team_id=owner.team_id, user_id=owner.user_id)
        result = await one_call("openai-agents", bound, {"image": "portrait.png"})
    assert result["ok"] is True
    assert len(photo_host.emulator.requests.for_path("/api/users.setPhoto")) == 1
    assert await photo_host.avatar_hash() != before


def _keeping_nothing(photo_host: PhotoHost) -> UsersSetPhoto:
    """The host's tool with one fixed token (HOST_TOKEN) and keeping off."""
    return UsersSetPhoto(
        HOST_TOKEN,
        base_url=photo_host.emulator.base_url,
        image_roots=[photo_host.picture.parent],
        keep_previous=False,
        environ={},
    )


async def one_call(door: str, tool: Any, arguments: dict[str, Any]) -> dict[str, Any]:
    """``arguments`` sent to ``tool`` through ``door``'s real calling machinery; the result."""
    if door == "openai-agents":
        (set_photo,) = openai_agents_tools(tool)
        assert isinstance(set_photo, FunctionTool)
        text = json.dumps(arguments)
        context = ToolContext(
            context=None, tool_name=set_photo.name, tool_call_id="c1", tool_arguments=text
        )
        answer: dict[str, Any] = json.loads(await set_photo.on_invoke_tool(context, text))
        return answer
    if door == "langchain":
        (structured,) = langchain_tools(tool)
        call = {"type": "tool_call", "name": structured.name, "args": arguments, "id": "c1"}
        message = await structured.ainvoke(call)
        returned: dict[str, Any] = json.loads(message.content)
        return returned
    returns: list[Any] = []
    turns = [
        ModelResponse(parts=[ToolCallPart("usersSetPhoto", arguments, tool_call_id="c1")]),
        ModelResponse(parts=[TextPart("Done.")]),
    ]

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returns.extend(p.content for p in messages[-1].parts if isinstance(p, ToolReturnPart))
        return turns.pop(0)

    await Agent(FunctionModel(model), toolsets=[pydantic_ai_toolset(tool)]).run("Set my photo")
    (content,) = returns
    assert isinstance(content, dict)
    return content
