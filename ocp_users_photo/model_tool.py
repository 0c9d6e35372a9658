"""What a tool offered to a model looks like: the surface every export and framework adapter reads.

A ``ToolDefinition`` is what a provider is told (a name, a description, the JSON
Schema of the arguments); a ``ModelTool`` can also be run with a model's
arguments and answers with a JSON-able result, success or error, never raising
for a bad call. ``UsersSetPhoto`` is one; a host may offer others of the same
shape. The credentials and the acting person are the tool object's own, set by
the host that built it, so no argument a model gives can name them: a schema
that offers a ``token`` is refused here. A tool may bring others along
(``companion_model_tools()``: the photo tool brings its undo, ``usersRestorePhoto``),
which every adapter offers beside it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol, runtime_checkable

# OpenAI, Anthropic and Gemini all take tool names of these characters, 64 at most, that
# start with a letter or "_" (Gemini's FunctionDeclaration: "must start with a letter or an
# underscore").
TOOL_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
# Argument names a model must never be offered: the host supplies these.
HOST_ONLY_ARGUMENTS: Final = frozenset({"token"})


@runtime_checkable
class ToolDefinition(Protocol):
    """A tool as a model provider is told about it."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def input_schema(self) -> dict[str, Any]: ...


@runtime_checkable
class ModelTool(ToolDefinition, Protocol):
    """A tool a model can call: ``run`` takes the model's arguments and returns a result dict.

    The result is ``{"ok": true, ...}`` or ``{"ok": false, "error": code, "message": ...,
    "problems": [...]}``; ``error == "invalid_arguments"`` means nothing was done and
    the model can correct its arguments.
    """

    async def run(self, arguments: Mapping[str, Any]) -> dict[str, Any]: ...


def checked_definition(tool: object) -> ToolDefinition:
    """``tool`` if it is a usable ToolDefinition, else a TypeError or ValueError saying why."""
    if not isinstance(tool, ToolDefinition):
        raise TypeError(
            f"expected a tool with name, description and input_schema (such as "
            f"UsersSetPhoto), got {type(tool).__name__}"
        )
    name = tool.name
    if not isinstance(name, str) or not TOOL_NAME.fullmatch(name):
        raise ValueError(
            f"tool name {name!r} must be 1 to 64 letters, digits, '_' or '-', starting with a "
            "letter or '_' (what every provider takes)"
        )
    if not isinstance(tool.description, str):
        raise TypeError(f"{name}: description must be a string")
    schema = tool.input_schema
    if not isinstance(schema, Mapping) or schema.get("type") != "object":
        raise ValueError(f"{name}: input_schema must be a JSON Schema of type object")
    offered = HOST_ONLY_ARGUMENTS & set(schema.get("properties", {}))
    if offered:
        raise ValueError(
            f"{name}: input_schema offers {', '.join(sorted(offered))} to the model; the host "
            "supplies credentials, so remove it from the schema"
        )
    return tool


def offered_tools(tools: Sequence[object]) -> list[object]:
    """``tools``, each followed by the tools it brings along (``companion_model_tools()``).

    ``UsersSetPhoto`` brings ``usersRestorePhoto`` while model doors keep the photos it
    replaces, so a framework given the photo tool offers the undo too. A companion whose
    name is taken already (given by the host, or brought by an earlier tool) is left out.
    """
    names = {getattr(tool, "name", None) for tool in tools}
    offered: list[object] = []
    for tool in tools:
        offered.append(tool)
        companions = getattr(tool, "companion_model_tools", None)
        if not callable(companions):
            continue
        for extra in companions():
            if extra.name not in names:
                names.add(extra.name)
                offered.append(extra)
    return offered


def checked_model_tools(tools: Sequence[object]) -> list[ModelTool]:
    """``tools`` and what they bring along (``offered_tools``) as ModelTools with distinct
    names, or a TypeError or ValueError saying why."""
    if not tools:
        raise ValueError("give at least one tool, such as UsersSetPhoto()")
    for tool in tools:
        # Told before offered_tools asks a class for its companions (a TypeError about self).
        if isinstance(tool, type):
            raise TypeError(
                f"expected a tool, got the class {tool.__name__}: make one first, such as "
                f"{tool.__name__}(), and give that"
            )
        if isinstance(tool, (list, tuple)):
            raise TypeError(
                f"expected tools, got a {type(tool).__name__}: give them one by one, or "
                "unpack it (*tools)"
            )
    checked: list[ModelTool] = []
    for tool in offered_tools(tools):
        definition = checked_definition(tool)
        if not isinstance(definition, ModelTool) or not inspect.iscoroutinefunction(definition.run):
            raise TypeError(f"{definition.name}: a model tool needs an async run(arguments)")
        checked.append(definition)
    names = [tool.name for tool in checked]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"two tools are named {', '.join(repeated)}: give each a distinct name")
    return checked
