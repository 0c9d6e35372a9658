"""The tools as a Pydantic AI toolset (extra ``pydantic-ai``).

    from pydantic_ai import Agent
    from ocp_users_photo import UsersSetPhoto
    from ocp_users_photo.frameworks.pydantic_ai import pydantic_ai_toolset

    agent = Agent("openai:gpt-6.1-sol", toolsets=[pydantic_ai_toolset(UsersSetPhoto())])

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

from ocp_users_photo.acting_tool import ActingTool
from ocp_users_photo.arguments import check_max_retries
from ocp_users_photo.extras import missing_extra
from ocp_users_photo.frameworks._calls import is_correctable, result_text
from ocp_users_photo.model_tool import ModelTool, checked_model_tools
from ocp_users_photo.safe_text import shown
from ocp_users_photo.slack.deadlines import check_seconds
from ocp_users_photo.tool import UsersSetPhoto

try:
    from pydantic_ai import FunctionToolset, ModelRetry, RunContext, Tool
    from pydantic_ai.toolsets import ToolsetTool
    from pydantic_core import (
        InitErrorDetails,
        PydanticCustomError,
        SchemaValidator,
        ValidationError,
        core_schema,
    )
except ModuleNotFoundError as missing:  # the extra is not installed
    raise missing_extra("pydantic-ai", missing) from missing

__all__ = ["pydantic_ai_toolset"]


def pydantic_ai_toolset(
    *tools: ModelTool, max_retries: int = 2, timeout: float | None = None
) -> FunctionToolset[Any]:
    """A ``FunctionToolset`` of the tools and those they bring along (the undo).

    Each may ask the model to retry ``max_retries`` times. ``timeout``: seconds a call may
    take before Pydantic AI ends it and tells the model it timed out (the run goes on);
    the agent's own ``tool_timeout`` reaches only the tools it declares itself, not a
    toolset's.
    """
    check_max_retries(max_retries)
    if timeout is not None:  # None: no bound of the toolset's own
        check_seconds("timeout", timeout)
    checked = checked_model_tools(tools)
    declared = [_tool(tool) for tool in checked]
    validators = {tool.name: _ObjectArguments(*_retry_wording(tool)) for tool in checked}
    return _ObjectArgumentsToolset(declared, validators, max_retries=max_retries, timeout=timeout)


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
    The retry prompt quotes none of the model's text (``_ObjectArguments``), and says
    what an object for that tool looks like (``_retry_wording``).
    """

    def __init__(
        self,
        tools: list[Tool[Any]],
        validators: dict[str, _ObjectArguments],
        *,
        max_retries: int,
        timeout: float | None,
    ) -> None:
        if timeout is None:  # passed only when given: older releases of the extra's range
            super().__init__(tools, max_retries=max_retries)
        else:
            super().__init__(tools, max_retries=max_retries, timeout=timeout)
        self._validators = validators

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        # Only the tools made here: one the host adds itself (add_function, @toolset.tool)
        # keeps Pydantic AI's own validator, which converts and checks its typed arguments.
        tools = await super().get_tools(ctx)
        return {
            name: (
                dataclasses.replace(tool, args_validator=self._validators[name])
                if name in self._validators
                else tool
            )
            for name, tool in tools.items()
        }


_OBJECT_VALIDATOR: Final = SchemaValidator(core_schema.dict_schema(core_schema.str_schema()))


def _retry_wording(tool: ModelTool) -> tuple[str, str]:
    """What a retry prompt for ``tool`` shows as a right object, and what it adds for JSON cut
    short. Each tool its own: usersRestorePhoto's prompt showed usersSetPhoto's
    ``{"image": ...}``, which it refuses; and a photo tool that fetches no URL was told to
    give "its https address", which it refuses too."""
    from ocp_users_photo.undo.restore_tool import UsersRestorePhoto

    if isinstance(tool, UsersRestorePhoto):
        return ': {} for the list of kept photos, or {"entry": 3} to put entry 3 back', ""
    photo = tool.tool if isinstance(tool, ActingTool) else tool
    if not isinstance(photo, UsersSetPhoto):
        return " of the names its schema lists", ""
    address = " or an https address on a host the tool allows" if photo.url_hosts else ""
    return (
        ', such as {"image": "portrait.png"}',
        " An image written inline may have been cut short at your output limit: give its "
        f"file path{address} instead.",
    )


class _ObjectArguments:
    """The arguments' validator: a JSON object, or a retry prompt that says what to write.

    Pydantic's own error repeats the whole input in the retry prompt: a model whose
    200 KB of inline base64 was cut short (at its output limit) was sent all 200 KB back,
    and then wrote it again. Here the prompt gives the input's length only. ``example``
    and ``cut_short`` are the tool's own words (``_retry_wording``).
    """

    def __init__(self, example: str, cut_short: str) -> None:
        self.example = example
        self.cut_short = cut_short

    def validate_json(
        self, input: str | bytes | bytearray, *, allow_partial: Any = False, **kwargs: Any
    ) -> Any:
        try:
            return _OBJECT_VALIDATOR.validate_json(input, allow_partial=allow_partial, **kwargs)
        except ValidationError as refused:
            raise self._without_input(refused, f"{len(input)} characters") from None

    def validate_python(self, input: Any, *, allow_partial: Any = False, **kwargs: Any) -> Any:
        try:
            return _OBJECT_VALIDATOR.validate_python(input, allow_partial=allow_partial, **kwargs)
        except ValidationError as refused:
            described = (
                f"{len(input)} characters" if isinstance(input, str) else type(input).__name__
            )
            raise self._without_input(refused, described) from None

    def _without_input(self, refused: ValidationError, described: str) -> ValidationError:
        """``refused`` with each error's input replaced by ``described`` (its length or
        type), and what to do."""
        shown_input = f"<{described}, not repeated here>"
        details: list[InitErrorDetails] = []
        for error in refused.errors(include_url=False)[:5]:
            reason = shown(str((error.get("ctx") or {}).get("error", "")), 120)
            if error["type"] == "json_invalid" and reason.startswith("number out of range"):
                # A number of thousands of digits: said as such, whether or not the JSON
                # was cut short after it (pydantic's parser stops at the number).
                kind = PydanticCustomError(
                    "json_invalid",
                    "The arguments hold a number too long to read ({reason}): write each "
                    "number within the range its argument's description gives.",
                    {"reason": reason},
                )
            elif error["type"] == "json_invalid" and reason.startswith("recursion limit"):
                # Whole JSON nested past what the parser reads: not cut short, and no
                # image path would mend it.
                kind = PydanticCustomError(
                    "json_invalid",
                    "The arguments nest too deeply to read ({reason}): write them as one "
                    "flat JSON object{example}.",
                    {"reason": reason, "example": self.example},
                )
            elif error["type"] == "json_invalid":
                kind = PydanticCustomError(
                    "json_invalid",
                    "The arguments are no complete JSON ({reason}): write them again as one "
                    "JSON object.{cut_short}",
                    {"reason": reason, "cut_short": self.cut_short},
                )
            else:
                kind = PydanticCustomError(
                    error["type"],
                    "The arguments must be one JSON object{example}.",
                    {"example": self.example},
                )
            details.append({"type": kind, "loc": error["loc"][:2], "input": shown_input})
        return ValidationError.from_exception_data(refused.title, details)
