"""The tools as strict function tools of the OpenAI Agents SDK (extra ``openai-agents``).

    from agents import Agent
    from ocp_users_photo import UsersSetPhoto
    from ocp_users_photo.frameworks.openai_agents import openai_agents_tools

    agent = Agent(name="assistant", tools=openai_agents_tools(UsersSetPhoto()))

The schema is the strict variant (``strict_input_schema``), which the SDK takes as
it is. The model's arguments go to ``tool.run`` as the tool's own schema reads them
(``as_given``: the ``null`` strict mode writes for an optional property left out is
taken back out); what it returns, success or
error, goes back to the model as JSON text, the SDK's way of telling a model a
call failed without ending the run.
"""

from __future__ import annotations

from typing import Any

from ocp_users_photo.extras import missing_extra
from ocp_users_photo.frameworks._calls import result_text, run_json_arguments
from ocp_users_photo.model_tool import ModelTool, checked_model_tools
from ocp_users_photo.strict_schema import as_given, strict_input_schema

try:
    from agents import FunctionTool, Tool
    from agents.tool_context import ToolContext
except ModuleNotFoundError as missing:  # the extra is not installed
    raise missing_extra("openai-agents", missing) from missing

__all__ = ["openai_agents_tools"]


def openai_agents_tools(*tools: ModelTool) -> list[Tool]:
    """One strict ``FunctionTool`` per tool and per tool it brings along (the undo), in order.

    Typed as the ``list[Tool]`` ``Agent(tools=...)`` takes (a list is invariant: a
    ``list[FunctionTool]`` there is a type error under mypy --strict)."""
    return [_function_tool(tool) for tool in checked_model_tools(tools)]


def _function_tool(tool: ModelTool) -> FunctionTool:
    schema = tool.input_schema

    async def invoke(context: ToolContext[Any], arguments_json: str) -> str:
        result = await run_json_arguments(
            tool, arguments_json, read=lambda arguments: as_given(arguments, schema)
        )
        return result_text(result)

    return FunctionTool(
        name=tool.name,
        description=tool.description,
        params_json_schema=strict_input_schema(tool.input_schema),
        on_invoke_tool=invoke,
        strict_json_schema=True,
    )
