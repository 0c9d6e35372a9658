"""The tools as LangChain structured tools (extra ``langchain``).

    from langchain.agents import create_agent
    from ocp_users_photo import UsersSetPhoto
    from ocp_users_photo.frameworks.langchain import langchain_tools

    agent = create_agent("openai:gpt-6.1-sol", tools=langchain_tools(UsersSetPhoto()))
    await agent.ainvoke({"messages": [...]})

Each ``StructuredTool`` takes the tool's input schema as its ``args_schema``. The
model reads the result as JSON text; the result dict itself is the message's
``artifact`` for the host. A call the tool refuses (``invalid_arguments``) raises
``ToolException``, which the tool turns into an error ``ToolMessage`` the model can
act on, its result dict the ``artifact`` as an answer's is, and the run goes on. The
tools are asynchronous: run the agent with ``ainvoke`` or ``astream``.
"""

from __future__ import annotations

import json
from typing import Any

from ocp_users_photo.extras import missing_extra
from ocp_users_photo.frameworks._calls import is_correctable, result_text
from ocp_users_photo.model_tool import ModelTool, checked_model_tools

try:
    from langchain_core.messages import ToolMessage
    from langchain_core.tools import StructuredTool, ToolException
except ModuleNotFoundError as missing:  # the extra is not installed
    raise missing_extra("langchain", missing) from missing

__all__ = ["langchain_tools"]


def langchain_tools(*tools: ModelTool) -> list[StructuredTool]:
    """One ``StructuredTool`` per tool and per tool it brings along (the undo), in order."""
    return [_structured_tool(tool) for tool in checked_model_tools(tools)]


class _WholeArgumentsTool(StructuredTool):
    """A StructuredTool that hands the model's arguments to its coroutine as they came.

    StructuredTool's ``_arun`` names ``self``, ``config`` and ``run_manager`` among its
    parameters, and LangChain fills the last two in: a model's argument of such a name
    was taken by LangChain and never reached ``run`` (which refuses unknown names), or
    ended the agent's run with a TypeError. This ``_arun`` names no parameter (the
    instance comes first among the positional ones), so LangChain passes nothing of its
    own and every name the model gave arrives; callbacks and traces see them as given.
    """

    async def _arun(*args: Any, **arguments: Any) -> Any:
        tool = args[0]
        assert isinstance(tool, StructuredTool)
        assert tool.coroutine is not None, "made with a coroutine (_structured_tool)"
        return await tool.coroutine(**arguments)

    async def arun(self, *args: Any, **kwargs: Any) -> Any:
        """LangChain's run, a refused call's error ``ToolMessage`` given its result dict as
        ``artifact`` too: LangChain sets one only from a returned pair, so a host reading
        every result there (as the README says it finds them) got None for a refusal."""
        told = await super().arun(*args, **kwargs)
        if isinstance(told, ToolMessage) and told.status == "error" and told.artifact is None:
            # A refusal's content is its result_text: its JSON, read back as the dict. Another
            # error's (LangChain's own words on arguments it could not read) is left as it is.
            try:
                result = json.loads(str(told.content))
            except ValueError:
                return told
            if isinstance(result, dict):
                told.artifact = result
        return told


def _structured_tool(tool: ModelTool) -> StructuredTool:
    async def call(**arguments: Any) -> tuple[str, dict[str, Any]]:
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
