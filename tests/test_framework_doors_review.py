"""The framework and agent doors under a model's odd arguments and a host's odd calls:
LangChain's own keyword names, Pydantic AI arguments that are no object, Slack's own
invalid_arguments, register_api's base_url, the sync call_tool's errors.

The framework review's tests; each failed before its fix.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from ocp_users_photo.frameworks.langchain import langchain_tools
from tests.framework_fixtures import PhotoHost
from tests.test_frameworks_langchain import ToolCallingFakeModel, tool_call


async def _run(host: PhotoHost, arguments: dict[str, Any]) -> dict[str, Any]:
    model = ToolCallingFakeModel(messages=iter([tool_call(arguments, 1), AIMessage("Done.")]))
    agent = create_agent(model, tools=langchain_tools(host.tool))
    state: dict[str, Any] = await agent.ainvoke({"messages": [HumanMessage("set it")]})
    return state


@pytest.mark.parametrize("name", ["config", "run_manager"])
async def test_langchain_an_argument_langchain_takes_for_itself_is_refused_not_dropped(
    photo_host: PhotoHost, name: str
) -> None:
    """A model's unknown argument is refused at every door (the schema says
    additionalProperties: false). Through LangChain, an argument named ``config`` or
    ``run_manager`` is taken by StructuredTool._arun as its own keyword, never reaches
    run(), and the photo is changed with the argument silently dropped."""
    before = await photo_host.avatar_hash()
    state = await _run(photo_host, {"image": photo_host.picture.name, name: {"x": 1}})
    (answer,) = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert answer.status == "error", answer.content
    assert f"$.{name}" in str(answer.content)
    assert await photo_host.avatar_hash() == before


async def test_langchain_an_argument_named_self_is_a_refusal_not_a_crash(
    photo_host: PhotoHost,
) -> None:
    """A model's call is answered, never an exception out of the host's agent run. An
    argument named ``self`` makes StructuredTool._arun raise TypeError ("got multiple
    values for argument 'self'"), which ends the whole ainvoke."""
    state = await _run(photo_host, {"image": photo_host.picture.name, "self": 1})
    (answer,) = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert answer.status == "error"
    assert json.loads(str(answer.content))["error"] == "invalid_arguments"


@pytest.mark.parametrize("raw", ['"portrait.png"', "[1, 2]", "5", "null"])
async def test_pydantic_ai_arguments_that_are_no_object_are_a_retry_not_a_crash(
    photo_host: PhotoHost, raw: str
) -> None:
    """A model that writes its arguments as JSON but not as an object (a bare string, an
    array, a number, null) is asked to correct them, as Pydantic AI does for its own
    function tools ("Input should be an object"). The toolset declares its tools with
    Tool.from_schema, whose validator takes anything, so call(**arguments) raises
    TypeError (AssertionError for null) and agent.run() ends with it."""
    from pydantic_ai import Agent
    from pydantic_ai.messages import (
        ModelResponse,
        RetryPromptPart,
        TextPart,
        ToolCallPart,
        ToolReturnPart,
    )
    from pydantic_ai.models.function import FunctionModel

    from ocp_users_photo.frameworks.pydantic_ai import pydantic_ai_toolset

    turns: list[str] = [raw]

    def model(messages: Any, info: Any) -> ModelResponse:
        if turns:
            return ModelResponse(
                parts=[ToolCallPart("usersSetPhoto", turns.pop(), tool_call_id="c")]
            )
        return ModelResponse(parts=[TextPart("Sorry.")])

    agent = Agent(FunctionModel(model), toolsets=[pydantic_ai_toolset(photo_host.tool)])
    result = await agent.run("Set my Slack photo to portrait.png")
    assert result.output == "Sorry."
    answers = [
        part
        for message in result.all_messages()
        for part in message.parts
        if isinstance(part, (RetryPromptPart, ToolReturnPart))
    ]
    assert len(answers) == 1


def test_ocp_agent_register_api_slack_base_url_is_refused_unless_it_is_the_tools(
    ocp_agent_library: Any,
) -> None:
    """ocp-agent's register_api(name, spec_url, base_url, headers): base_url says where the
    API's calls go. usersSetPhoto's address (where its token goes) is the tool's own
    setting: another is refused with where to give it, never dropped without a word."""
    ocp_agent = ocp_agent_library
    from ocp_users_photo import register

    agent = ocp_agent.OCPAgent(enable_cache=False)
    photo = register(agent, environ={"SLACK_USER_TOKEN": "xoxp-1-test"})
    with pytest.raises(ValueError, match=r"UsersSetPhoto\(base_url=\.\.\.\)"):
        agent.register_api("slack", base_url="http://127.0.0.1:8999/api")
    spec = agent.register_api("slack", base_url=photo.base_url + "/")  # the tool's own: fine
    assert spec is not None


@pytest.mark.usefixtures("ocp_agent_library")
def test_this_packages_ocpagent_refuses_another_slack_base_url() -> None:
    from ocp_users_photo import OCPAgent

    # Made outside a loop: the library's agent reads its files as it is made.
    agent = OCPAgent(environ={"SLACK_USER_TOKEN": "xoxp-1-test"}, enable_cache=False)

    async def register_elsewhere() -> None:
        try:
            with pytest.raises(ValueError, match="does not move usersSetPhoto"):
                await agent.register_api("slack", base_url="http://127.0.0.1:8999/api")
        finally:
            await agent.aclose()

    asyncio.run(register_elsewhere())


async def test_pydantic_ai_slacks_own_invalid_arguments_is_the_tools_answer_not_a_retry(
    photo_host: PhotoHost,
) -> None:
    """The toolset's docstring: "every other result, Slack's errors included, is returned
    to the model as the tool's answer". Slack's own error code ``invalid_arguments`` (one
    of its generic errors) has the same text as the package's correctable code, so
    is_correctable() takes it for the model's mistake: ModelRetry asks the model to fix
    arguments that were fine ("Slack gave no more detail"), and once max_retries is spent
    the whole run ends in UnexpectedModelBehavior."""
    from pydantic_ai import Agent
    from pydantic_ai.messages import (
        ModelResponse,
        RetryPromptPart,
        TextPart,
        ToolCallPart,
        ToolReturnPart,
    )
    from pydantic_ai.models.function import FunctionModel

    from ocp_users_photo.emulator.faults import Fault
    from ocp_users_photo.frameworks.pydantic_ai import pydantic_ai_toolset

    photo_host.emulator.faults.inject(Fault.slack_error("invalid_arguments"), times=10)
    calls = 0

    def model(messages: Any, info: Any) -> ModelResponse:
        nonlocal calls
        if calls < 4:  # a model that calls again while asked to correct its call
            calls += 1
            arguments = {"image": photo_host.picture.name}
            return ModelResponse(
                parts=[ToolCallPart("usersSetPhoto", arguments, tool_call_id=f"c{calls}")]
            )
        return ModelResponse(parts=[TextPart("Slack refused.")])

    agent = Agent(FunctionModel(model), toolsets=[pydantic_ai_toolset(photo_host.tool)])
    result = await agent.run("Set my Slack photo to portrait.png")
    assert result.output == "Slack refused."
    parts = [part for message in result.all_messages() for part in message.parts]
    # Slack's refusal is the tool's answer each time: nothing to correct, no retry asked.
    assert not [part for part in parts if isinstance(part, RetryPromptPart)]
    answers = [part.content for part in parts if isinstance(part, ToolReturnPart)]
    assert len(answers) == calls == 4
    assert all(isinstance(answer, dict) for answer in answers)  # the tool's own answers
    assert all(cast(dict[str, Any], answer)["error"] == "invalid_arguments" for answer in answers)


def test_a_sync_call_tools_error_is_not_told_during_a_no_loop_runtime_error(
    tmp_path: Any, ocp_agent_library: Any
) -> None:
    """Called outside any loop, the seed's sync call_tool runs on a loop of its own: its
    errors come as they are, not "during handling of" RuntimeError('no running event
    loop')."""
    ocp_agent = ocp_agent_library
    from ocp_users_photo import InvalidArguments, register

    agent = ocp_agent.OCPAgent(enable_cache=False)
    register(agent, environ={"SLACK_USER_TOKEN": "xoxp-1-test"}, image_roots=[tmp_path])
    with pytest.raises(InvalidArguments) as refused:
        agent.call_tool("usersSetPhoto", {"image": "missing.png"})
    assert refused.value.__context__ is None


async def test_langchain_callbacks_see_the_models_arguments_as_given() -> None:
    """Callbacks and traces (on_tool_start) get the model's arguments, not a wrapper."""
    from langchain_core.callbacks import AsyncCallbackHandler

    from ocp_users_photo import UsersSetPhoto

    seen: list[object] = []

    class Recorder(AsyncCallbackHandler):
        async def on_tool_start(self, *args: Any, inputs: Any = None, **kwargs: Any) -> None:
            seen.append(inputs)

    async with UsersSetPhoto("xoxp-1-x", base_url="http://127.0.0.1:9/api", environ={}) as tool:
        structured = langchain_tools(tool)[0]
        answer = await structured.ainvoke(
            {"image": "missing.png", "config": 1}, config={"callbacks": [Recorder()]}
        )
    assert seen == [{"image": "missing.png", "config": 1}], seen
    assert "$.config" in str(answer)
