"""The tools as LangChain structured tools (extra ``langchain``).

    from langchain.agents import create_agent
    from ocp_users_photo import UsersSetPhoto
    from ocp_users_photo.frameworks.langchain import langchain_tools

    agent = create_agent("openai:gpt-5", tools=langchain_tools(UsersSetPhoto()))
    await agent.ainvoke({"messages": [...]})

Each ``StructuredTool`` takes the tool's input schema as its ``args_schema``. The
model reads the result as JSON text; the result dict itself is the message's
``artifact`` for the host. A call the tool refuses (``invalid_arguments``) raises
``ToolException``, which the tool turns into an error ``ToolMessage`` the model can
act on, and the run goes on. The tools are asynchronous: run the agent with
``ainvoke`` or ``astream``.
"""

from __future__ import annotations

from typing import Any, Final

from ocp_users_photo.frameworks._calls import is_correctable, missing_framework, result_text
from ocp_users_photo.model_tool import ModelTool, checked_model_tools

try:
    from langchain_core.tools import StructuredTool, ToolException
except ModuleNotFoundError as missing:  # the extra is not installed
    raise missing_framework("langchain", missing) from missing

__all__ = ["langchain_tools"]


def langchain_tools(*tools: ModelTool) -> list[StructuredTool]:
    """One ``StructuredTool`` per tool and per tool it brings along (the undo), in order."""
    return [_structured_tool(tool) for tool in checked_model_tools(tools)]


class _WholeArgumentsTool(StructuredTool):
    """A StructuredTool whose coroutine gets the model's arguments as one mapping.

    StructuredTool spreads them as keywords beside its own (``config``, ``run_manager``,
    ``self``...): a model's argument of such a name was taken by LangChain, never reached
    ``run`` (which refuses unknown names), or ended the agent's run with a TypeError.
    """

    async def arun(self, tool_input: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(tool_input, dict):
            tool_input = {_ARGUMENTS: tool_input}
        return await super().arun(tool_input, *args, **kwargs)


# The one keyword the coroutine is called with (a model's own names stay inside it).
_ARGUMENTS: Final = "model_arguments"


def _structured_tool(tool: ModelTool) -> StructuredTool:
    async def call(**given: Any) -> tuple[str, dict[str, Any]]:
        arguments = given[_ARGUMENTS] if set(given) == {_ARGUMENTS} else given
        result = await tool.run(arguments)
        if is_correctable(result):
            raise ToolException(result_text(result))
        return result_text(result), result

    def call_sync(**arguments: Any) -> tuple[str, dict[str, Any]]:
        raise RuntimeError(
            f"{tool.name} is asynchronous: run the LangChain agent with ainvoke() or astream()"
        )

    return _WholeArgumentsTool(
        name=tool.name,
        description=tool.description,
        args_schema=tool.input_schema,
        func=call_sync,
        coroutine=call,
        response_format="content_and_artifact",
        handle_tool_error=True,
    )
