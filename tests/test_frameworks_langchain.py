"""LangChain's own agent (create_agent) sets a photo on the emulator, its fake chat model playing.

``GenericFakeChatModel`` plays the model's turns; it lacks ``bind_tools``, which the
agent calls, so ``ToolCallingFakeModel`` adds one that keeps the tool definitions
LangChain would send (converted by LangChain's own ``convert_to_openai_tool``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from ocp_users_photo.frameworks.langchain import langchain_tools
from tests.framework_fixtures import PhotoHost


class ToolCallingFakeModel(GenericFakeChatModel):
    """LangChain's fake chat model, able to be bound to tools."""

    bound: list[dict[str, Any]] = Field(default_factory=list)

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Any | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        self.bound = [convert_to_openai_tool(tool) for tool in tools]
        return self


def tool_call(arguments: dict[str, Any], number: int) -> AIMessage:
    return AIMessage(
        content="",
        tool_calls=[{"name": "usersSetPhoto", "args": arguments, "id": f"call_{number}"}],
    )


async def run_agent(host: PhotoHost, turns: list[AIMessage]) -> tuple[ToolCallingFakeModel, Any]:
    model = ToolCallingFakeModel(messages=iter(turns))
    agent = create_agent(model, tools=langchain_tools(host.tool))
    state = await agent.ainvoke({"messages": [HumanMessage("Set my Slack photo to portrait.png")]})
    return model, state


def tool_messages(state: dict[str, Any]) -> list[ToolMessage]:
    messages: list[BaseMessage] = state["messages"]
    return [message for message in messages if isinstance(message, ToolMessage)]


async def test_the_agent_corrects_a_refused_call_then_sets_the_photo(
    photo_host: PhotoHost,
) -> None:
    before = await photo_host.avatar_hash()
    _, state = await run_agent(
        photo_host,
        [
            tool_call(photo_host.partial_box_call(), 1),
            tool_call(photo_host.good_call(), 2),
            AIMessage(content="Done."),
        ],
    )
    assert state["messages"][-1].content == "Done."
    refused, answered = tool_messages(state)

    assert refused.status == "error"  # LangChain's error ToolMessage: the run goes on
    assert refused.tool_call_id == "call_1"
    refusal = json.loads(str(refused.content))
    assert refusal["error"] == "invalid_arguments"
    assert {problem["path"] for problem in refusal["problems"]} == {"$.crop_y", "$.crop_w"}

    assert answered.status == "success"
    result = json.loads(str(answered.content))
    assert result == answered.artifact  # the model reads run()'s result; the host gets the dict
    assert result["ok"] is True
    assert result["profile"]["avatar_hash"] != before
    assert await photo_host.avatar_hash() == result["profile"]["avatar_hash"]


async def test_the_model_is_offered_the_input_schema_and_no_token(photo_host: PhotoHost) -> None:
    model, _ = await run_agent(photo_host, [AIMessage(content="Nothing to do.")])
    offered, undo = model.bound  # the photo tool brings its undo, usersRestorePhoto
    assert undo["function"]["name"] == "usersRestorePhoto"
    assert "token" not in undo["function"]["parameters"]["properties"]
    function = offered["function"]
    assert function["name"] == "usersSetPhoto"
    assert function["parameters"]["properties"] == photo_host.tool.input_schema["properties"]
    assert "token" not in function["parameters"]["properties"]


async def test_a_token_from_the_model_is_refused_and_the_run_goes_on(
    photo_host: PhotoHost,
) -> None:
    before = await photo_host.avatar_hash()
    stolen = {"image": photo_host.picture.name, "token": "xoxp-from-the-model"}
    _, state = await run_agent(photo_host, [tool_call(stolen, 1), AIMessage(content="Sorry.")])
    assert state["messages"][-1].content == "Sorry."
    (refused,) = tool_messages(state)
    assert refused.status == "error"
    assert "$.token" in str(refused.content)
    assert "xoxp-from-the-model" not in str(refused.content)
    assert await photo_host.avatar_hash() == before


async def test_a_slack_error_is_the_tools_answer(photo_host: PhotoHost) -> None:
    photo_host.emulator.state.revoke("xoxp-1-test")
    _, state = await run_agent(
        photo_host, [tool_call(photo_host.good_call(), 1), AIMessage(content="Revoked.")]
    )
    (answered,) = tool_messages(state)
    assert answered.status == "success"
    assert json.loads(str(answered.content))["error"] == "token_revoked"


def test_a_synchronous_run_is_told_to_use_ainvoke(photo_host: PhotoHost) -> None:
    tool, _ = langchain_tools(photo_host.tool)
    with pytest.raises(RuntimeError, match="ainvoke"):
        tool.invoke({"image": photo_host.picture.name})
