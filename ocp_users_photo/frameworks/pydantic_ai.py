"""The tools as a Pydantic AI toolset (extra ``pydantic-ai``).

    from pydantic_ai import Agent
    from ocp_users_photo import UsersSetPhoto
    from ocp_users_photo.frameworks.pydantic_ai import pydantic_ai_toolset

    agent = Agent("openai:gpt-5", toolsets=[pydantic_ai_toolset(UsersSetPhoto())])

Each tool is declared with its own input schema (Pydantic AI adapts it to each
provider). A call the tool refuses (``invalid_arguments``) raises ``ModelRetry``
with the refusal's message (each problem's path and what to give: Pydantic AI wraps
it in its own request, so JSON there would be JSON in JSON), so the model is asked to
correct its arguments, up to
``max_retries`` times; every other result, Slack's errors included, is returned
to the model as the tool's answer.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

from ocp_users_photo.extras import missing_extra
from ocp_users_photo.frameworks._calls import is_correctable, result_text
from ocp_users_photo.model_tool import ModelTool, checked_model_tools

try:
    from pydantic_ai import FunctionToolset, ModelRetry, RunContext, Tool
    from pydantic_ai.toolsets import ToolsetTool
    from pydantic_core import SchemaValidator, core_schema
except ModuleNotFoundError as missing:  # the extra is not installed
    raise missing_extra("pydantic-ai", missing) from missing

__all__ = ["pydantic_ai_toolset"]


def pydantic_ai_toolset(*tools: ModelTool, max_retries: int = 2) -> FunctionToolset[Any]:
    """A ``FunctionToolset`` of the tools and those they bring along (the undo).

    Each may ask the model to retry ``max_retries`` times.
    """
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be a whole number 0 or more, got {max_retries!r}")
    declared = [_tool(tool) for tool in checked_model_tools(tools)]
    return _ObjectArgumentsToolset(declared, max_retries=max_retries)


def _tool(tool: ModelTool) -> Tool[Any]:
    async def call(**arguments: Any) -> dict[str, Any]:
        result = await tool.run(arguments)
        if is_correctable(result):
            raise ModelRetry(str(result.get("message") or result_text(result)))
        return result

    declared: Tool[Any] = Tool.from_schema(
        call, name=tool.name, description=tool.description, json_schema=tool.input_schema
    )
    return declared


class _ObjectArgumentsToolset(FunctionToolset[Any]):
    """A FunctionToolset whose tools take only a JSON object of arguments.

    ``Tool.from_schema`` validates nothing, so arguments a model wrote as a bare string,
    an array, a number or null reached ``call(**arguments)`` (or an assertion of Pydantic
    AI's, for null) and ended the run; each tool's validator here takes a dict alone, so
    those are a retry prompt ("Input should be a valid dictionary"), as for Pydantic AI's
    own function tools. What is in the dict is the tool's own ``run`` to check.
    """

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        tools = await super().get_tools(ctx)
        return {
            name: dataclasses.replace(tool, args_validator=_OBJECT_VALIDATOR)
            for name, tool in tools.items()
        }


_OBJECT_VALIDATOR: Final = SchemaValidator(core_schema.dict_schema(core_schema.str_schema()))
