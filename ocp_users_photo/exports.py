"""The tool's definition in the shapes model providers read: OCP, OpenAI, Anthropic, Gemini, MCP.

Every export is derived when it is asked for, from the tool it is given (anything
with ``name``, ``description`` and ``input_schema``: a ``ToolDefinition``) or, by
default, from tool_manifest.json; nothing here restates the manifest. Two schemas
reach the providers, the same dict wherever the same one is used:

- the tool's ``input_schema`` itself (Anthropic, Gemini, MCP), which has no
  conditional keywords: the cross-field crop rule is said in its descriptions and
  enforced by the tool;
- its strict variant, ``strict_input_schema`` (OpenAI, ``strict: true``), and, for
  Anthropic's strict tool use, ``anthropic_strict_input_schema``, which also says
  the numeric bounds in words (``anthropic-strict``).

The one schema the manifest does not hold is the MCP ``outputSchema``: it
describes what ``UsersSetPhoto.run`` returns, success or failure, and is assembled
in result_schemas.py (``run_result_schema``, ``restore_result_schema``, re-exported
here).

The manifest also defines the tools offered beside usersSetPhoto (its
``companion_tools``: usersRestorePhoto, the undo); ``export_tools(format)`` gives
every tool in a format, ``restore_definition()`` the undo's definition.

    >>> export_tool("anthropic")["name"]
    'usersSetPhoto'
    >>> [tool["name"] for tool in export_tools("anthropic")]
    ['usersSetPhoto', 'usersRestorePhoto']
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from ocp_users_photo.model_tool import ToolDefinition, checked_definition
from ocp_users_photo.ocp_description import companion_told, set_photo_told
from ocp_users_photo.result_schemas import restore_result_schema, run_result_schema
from ocp_users_photo.spec import companion_manifest, companion_names, load_manifest
from ocp_users_photo.strict_schema import anthropic_strict_input_schema, strict_input_schema
from ocp_users_photo.undo.restore import RESTORE_TOOL_NAME

__all__ = [
    "FORMATS",
    "SET_PHOTO_ANNOTATIONS",
    "SET_PHOTO_TITLE",
    "anthropic_strict_input_schema",
    "anthropic_tool",
    "export_tool",
    "export_tools",
    "gemini_tool",
    "manifest_definition",
    "mcp_input_schema",
    "mcp_tool",
    "ocp_tool",
    "openai_tool",
    "restore_definition",
    "restore_result_schema",
    "run_result_schema",
    "strict_input_schema",
]

# The fields of an OCP tool definition (ocp-tool.schema.json), in its order; the
# optional ones are exported only when the manifest has them.
OCP_FIELDS: Final = (
    "name",
    "description",
    "method",
    "path",
    "operation_id",
    "tags",
    "parameters",
    "response_schema",
)
OCP_OPTIONAL_FIELDS: Final = ("security", "servers", "deprecated")

# What an MCP host shows for usersSetPhoto, and the hints it reads before calling it
# (the 2025-06-18 ToolAnnotations): the call changes the profile (not read-only); it
# replaces the photo there was (destructive); it is not declared idempotent: the same image
# and crop box again show the same photo, but a call keeps the one it replaces for undo
# unless Slack shows the very same photo after it (the same avatar hash, which Slack is
# not documented to give a second upload), so free retries could push the person's
# earlier kept photos out of the history; it reaches Slack, outside the host (open world).
SET_PHOTO_TITLE: Final = "Set Slack profile photo"
SET_PHOTO_ANNOTATIONS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "title": SET_PHOTO_TITLE,
        "readOnlyHint": False,
        "destructiveHint": True,
        "idempotentHint": False,
        "openWorldHint": True,
    }
)

# usersRestorePhoto: called without an entry it only lists; with one it replaces the photo
# there is (destructive) and keeps it, as a change does (not idempotent): the same hints as
# usersSetPhoto's, under its own title.
RESTORE_TITLE: Final = "Restore a kept Slack profile photo"
RESTORE_ANNOTATIONS: Final[Mapping[str, Any]] = MappingProxyType(
    {**SET_PHOTO_ANNOTATIONS, "title": RESTORE_TITLE}
)


@dataclass(frozen=True)
class _ManifestDefinition:
    """usersSetPhoto as tool_manifest.json describes it: the exports' default tool."""

    name: str
    description: str
    input_schema: dict[str, Any] = field(repr=False)


def _manifest() -> dict[str, Any]:
    """A private deep copy of the manifest: exports may be edited by their callers."""
    return copy.deepcopy(dict(load_manifest()))


def manifest_definition() -> ToolDefinition:
    """usersSetPhoto's name, description and input schema, read from the manifest."""
    manifest = _manifest()
    return _ManifestDefinition(
        name=manifest["name"],
        description=manifest["description"],
        input_schema=manifest["input_schema"],
    )


def restore_definition() -> ToolDefinition:
    """usersRestorePhoto's name, description and input schema, read from the manifest."""
    definition = copy.deepcopy(dict(companion_manifest(RESTORE_TOOL_NAME)))
    return _ManifestDefinition(
        name=definition["name"],
        description=definition["description"],
        input_schema=definition["input_schema"],
    )


def _definition(tool: ToolDefinition | None) -> tuple[str, str, dict[str, Any]]:
    """The name, description and a private copy of the input schema of ``tool``."""
    definition = manifest_definition() if tool is None else checked_definition(tool)
    return definition.name, definition.description, copy.deepcopy(definition.input_schema)


def ocp_tool(tool: ToolDefinition | None = None) -> dict[str, Any]:
    """The OCP tool definition: the manifest's OCP fields and nothing else, the description
    as ``register()`` offers it to an agent (ocp_description.py).

    Only the manifest's tools (usersSetPhoto and its companion_tools) can be exported;
    another tool is refused rather than half described.
    """
    manifest = _manifest()
    told = set_photo_told(
        manifest["description"], manifest["input_schema"]["properties"]["image"]["description"]
    )
    if tool is not None:
        definition = checked_definition(tool)
        if definition.name in companion_names():
            manifest = copy.deepcopy(dict(companion_manifest(definition.name)))
            told = companion_told(manifest["description"])
        elif definition.name != manifest["name"]:
            raise ValueError(
                f"the OCP export needs a tool manifest; {definition.name} has none here"
            )
        else:
            image = definition.input_schema["properties"]["image"]["description"]
            told = set_photo_told(definition.description, image)
    exported = {name: manifest[name] for name in OCP_FIELDS}
    exported.update({name: manifest[name] for name in OCP_OPTIONAL_FIELDS if name in manifest})
    # What register() offers an agent: the seed's parameters, with what to pass instead.
    exported["description"] = told
    return exported


def openai_tool(tool: ToolDefinition | None = None) -> dict[str, Any]:
    """An OpenAI function-calling tool (Chat Completions ``tools`` entry), in strict mode.

    The parameters are the strict variant: every argument required, an omitted crop
    value sent as null, no other names. The OpenAI Agents SDK takes the same schema
    unchanged as a strict ``FunctionTool``.
    """
    name, description, schema = _definition(tool)
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": strict_input_schema(schema),
            "strict": True,
        },
    }


def anthropic_tool(tool: ToolDefinition | None = None, *, strict: bool = False) -> dict[str, Any]:
    """An Anthropic tool-use definition (a Messages API ``tools`` entry).

    ``strict=True`` sets Anthropic's ``strict`` flag with the schema its strict mode
    takes, the bounds said in the descriptions (``anthropic_strict_input_schema``).
    """
    name, description, schema = _definition(tool)
    if not strict:
        return {"name": name, "description": description, "input_schema": schema}
    return {
        "name": name,
        "description": description,
        "input_schema": anthropic_strict_input_schema(schema),
        "strict": True,
    }


def gemini_tool(tool: ToolDefinition | None = None) -> dict[str, Any]:
    """A Gemini function declaration (REST field names), the schema as ``parametersJsonSchema``."""
    name, description, schema = _definition(tool)
    return {"name": name, "description": description, "parametersJsonSchema": schema}


def mcp_tool(
    tool: ToolDefinition | None = None,
    *,
    output_schema: Mapping[str, Any] | None = None,
    title: str | None = None,
    annotations: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An MCP tool (a ``tools/list`` entry).

    usersSetPhoto (the default, or a ``UsersSetPhoto`` given, bound to a person or not)
    comes with the schema of its structured result (``run_result_schema``), its
    ``title`` and its ``annotations`` (``SET_PHOTO_ANNOTATIONS``), and the package's
    usersRestorePhoto (``tool.restore_tool()``) with its own, as the MCP server lists
    them; another tool has them only when given.
    """
    name, description, schema = _definition(tool)
    own = _own_mcp_fields(tool)
    exported: dict[str, Any] = {"name": name}
    if title is not None:
        exported["title"] = title
    elif own is not None:
        exported["title"] = own.title
    exported.update({"description": description, "inputSchema": mcp_input_schema(schema)})
    if output_schema is not None:
        exported["outputSchema"] = copy.deepcopy(dict(output_schema))
    elif own is not None:
        exported["outputSchema"] = own.output_schema()
    if annotations is not None:
        exported["annotations"] = copy.deepcopy(dict(annotations))
    elif own is not None:
        exported["annotations"] = dict(own.annotations)
    return exported


@dataclass(frozen=True)
class _McpFields:
    """What the MCP listing says of one of this package's tools beyond its definition."""

    title: str
    output_schema: Callable[[], dict[str, Any]]
    annotations: Mapping[str, Any]


def _own_mcp_fields(tool: ToolDefinition | None) -> _McpFields | None:
    """The MCP fields of ``tool`` when it is this package's usersSetPhoto (its ``run``
    returns what ``run_result_schema`` describes) or usersRestorePhoto; None for another
    tool given by its definition."""
    from ocp_users_photo.acting_tool import ActingTool
    from ocp_users_photo.tool import UsersSetPhoto
    from ocp_users_photo.undo.restore_tool import UsersRestorePhoto

    acting_for_one = isinstance(tool, ActingTool) and isinstance(tool.tool, UsersSetPhoto)
    if tool is None or isinstance(tool, UsersSetPhoto) or acting_for_one:
        return _McpFields(SET_PHOTO_TITLE, run_result_schema, SET_PHOTO_ANNOTATIONS)
    if isinstance(tool, UsersRestorePhoto):
        return _McpFields(RESTORE_TITLE, restore_result_schema, RESTORE_ANNOTATIONS)
    return None


def mcp_input_schema(schema: Any) -> Any:
    """``schema`` without ``"additionalProperties": false``: google-genai's MCP support (a
    ClientSession given as a tool, 3.6) fails on a boolean there before sending anything
    (googleapis/python-genai issues 2393, 2476). Nothing is lost: the tool refuses a name
    it does not take with a correctable problem, and strict-mode converters (openai-agents)
    close the objects again themselves."""
    if isinstance(schema, dict):
        return {
            key: mcp_input_schema(value)
            for key, value in schema.items()
            if not (key == "additionalProperties" and value is False)
        }
    if isinstance(schema, list):
        return [mcp_input_schema(value) for value in schema]
    return schema


def _anthropic_strict_tool(tool: ToolDefinition | None) -> dict[str, Any]:
    return anthropic_tool(tool, strict=True)


_EXPORTERS: Final[Mapping[str, Callable[[ToolDefinition | None], dict[str, Any]]]] = (
    MappingProxyType(
        {
            "ocp": ocp_tool,
            "openai": openai_tool,
            "anthropic": anthropic_tool,
            "anthropic-strict": _anthropic_strict_tool,
            "gemini": gemini_tool,
            "mcp": mcp_tool,
        }
    )
)

FORMATS: Final = tuple(_EXPORTERS)


def export_tools(format: str) -> list[dict[str, Any]]:
    """Every tool of the manifest in ``format``: usersSetPhoto, then usersRestorePhoto.

    The MCP export of each carries its output schema.
    """
    exported = [export_tool(format)]
    if format == "mcp":
        exported.append(
            mcp_tool(
                restore_definition(),
                output_schema=restore_result_schema(),
                title=RESTORE_TITLE,
                annotations=RESTORE_ANNOTATIONS,
            )
        )
    else:
        exported.append(export_tool(format, restore_definition()))
    return exported


def export_tool(format: str, tool: ToolDefinition | None = None) -> dict[str, Any]:
    """``tool``'s definition (default: usersSetPhoto's) in ``format``, a new JSON-ready dict.

    ``format`` is one of FORMATS.
    """
    exporter = _EXPORTERS.get(format)
    if exporter is None:
        choices = ", ".join(FORMATS)
        raise ValueError(f"unknown export format {format!r}: choose one of {choices}")
    return exporter(tool)
