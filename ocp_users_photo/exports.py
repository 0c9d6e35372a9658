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
describes what ``UsersSetPhoto.run`` returns, success or failure, so it is
assembled here from the manifest's response and error schemas and the shape of
``model_result.error_result``.

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

from ocp_users_photo.errors import (
    InvalidArguments,
    ReplySchemaError,
    TokenNotUsable,
    TransportError,
)
from ocp_users_photo.hints import HINTS
from ocp_users_photo.model_tool import ToolDefinition, checked_definition
from ocp_users_photo.photo_reply import ENVELOPE_FIELDS
from ocp_users_photo.spec import companion_manifest, companion_names, load_manifest
from ocp_users_photo.strict_schema import anthropic_strict_input_schema, strict_input_schema
from ocp_users_photo.undo.errors import HistoryUnavailable, KeepingImpossible, NothingToUndo
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
    "mcp_tool",
    "ocp_tool",
    "openai_tool",
    "restore_definition",
    "restore_result_schema",
    "run_result_schema",
    "strict_input_schema",
]

JSON_SCHEMA_2020_12: Final = "https://json-schema.org/draft/2020-12/schema"

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

# Slack's envelope fields, which photo_reply.py keeps on a success reply beside the schema's.
_ENVELOPE_SCHEMAS: Final[Mapping[str, Mapping[str, Any]]] = MappingProxyType(
    {
        "warning": {
            "type": "string",
            "description": "Slack's warnings about the call, comma-separated.",
        },
        "response_metadata": {
            "type": "object",
            "description": "Slack's response metadata, such as warnings and messages.",
        },
    }
)

# What an MCP host shows for usersSetPhoto, and the hints it reads before calling it
# (the 2025-06-18 ToolAnnotations): the call changes the profile (not read-only); it
# replaces the photo there was (destructive); the same image and crop box again change
# nothing more (idempotent); it reaches Slack, outside the host (open world).
SET_PHOTO_TITLE: Final = "Set Slack profile photo"
SET_PHOTO_ANNOTATIONS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "title": SET_PHOTO_TITLE,
        "readOnlyHint": False,
        "destructiveHint": True,
        "idempotentHint": True,
        "openWorldHint": True,
    }
)

# usersRestorePhoto: called without an entry it only lists; with one it replaces the photo
# there is (destructive), and the same entry again changes nothing more (idempotent): the
# same hints as usersSetPhoto's, under its own title.
RESTORE_TITLE: Final = "Restore a kept Slack profile photo"
RESTORE_ANNOTATIONS: Final[Mapping[str, Any]] = MappingProxyType(
    {**SET_PHOTO_ANNOTATIONS, "title": RESTORE_TITLE}
)

# The codes this package gives failures that are not Slack's own.
_LOCAL_ERROR_CODES: Final = (
    InvalidArguments.code,
    TokenNotUsable.code,
    ReplySchemaError.code,
    TransportError.code,
    KeepingImpossible.code,
    HistoryUnavailable.code,
    NothingToUndo.code,
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
    """The OCP tool definition: the manifest's OCP fields and nothing else.

    Only the manifest's tools (usersSetPhoto and its companion_tools) can be exported;
    another tool is refused rather than half described.
    """
    manifest = _manifest()
    if tool is not None:
        name = checked_definition(tool).name
        if name in companion_names():
            manifest = copy.deepcopy(dict(companion_manifest(name)))
        elif name != manifest["name"]:
            raise ValueError(f"the OCP export needs a tool manifest; {name} has none here")
    exported = {name: manifest[name] for name in OCP_FIELDS}
    exported.update({name: manifest[name] for name in OCP_OPTIONAL_FIELDS if name in manifest})
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

    The default tool comes with the schema of its structured result
    (``run_result_schema``), its ``title`` and its ``annotations``
    (``SET_PHOTO_ANNOTATIONS``); another tool has them only when given.
    """
    name, description, schema = _definition(tool)
    exported: dict[str, Any] = {"name": name}
    if title is not None or tool is None:
        exported["title"] = title if title is not None else SET_PHOTO_TITLE
    exported.update({"description": description, "inputSchema": schema})
    if output_schema is not None:
        exported["outputSchema"] = copy.deepcopy(dict(output_schema))
    elif tool is None:
        exported["outputSchema"] = run_result_schema()
    if annotations is not None:
        exported["annotations"] = copy.deepcopy(dict(annotations))
    elif tool is None:
        exported["annotations"] = dict(SET_PHOTO_ANNOTATIONS)
    return exported


def restore_result_schema() -> dict[str, Any]:
    """The JSON Schema of every object ``UsersRestorePhoto.run`` returns: the list, the photo
    put back (the manifest's usersRestorePhoto response schema), or the error object."""
    success = copy.deepcopy(dict(companion_manifest(RESTORE_TOOL_NAME)["response_schema"]))
    success.pop("title", None)
    return {
        "$schema": JSON_SCHEMA_2020_12,
        "title": "usersRestorePhoto result",
        "description": (
            "ok true: entries lists the kept photos (called without entry), or restored is the "
            "photo put back. ok false: nothing was changed or the outcome is unknown; error is "
            "a code, message says what to do."
        ),
        "type": "object",
        "anyOf": [success, error_result_schema()],
    }


def run_result_schema() -> dict[str, Any]:
    """The JSON Schema of every object ``UsersSetPhoto.run`` returns (with reply_check strict).

    One of three shapes: Slack's success reply (the manifest's response_schema,
    plus Slack's envelope fields), Slack's bare ``{"ok": true}``, which the tool
    accepts as a success, or the error object of ``model_result.error_result``.
    """
    return {
        "$schema": JSON_SCHEMA_2020_12,
        "title": "usersSetPhoto result",
        "description": (
            "ok true: the photo was set, and profile holds its URLs (Slack may leave profile "
            "out). ok false: nothing was changed or the outcome is unknown; error is a code, "
            "message says what to do, problems lists each argument to correct."
        ),
        "type": "object",
        "anyOf": [success_result_schema(), bare_success_result_schema(), error_result_schema()],
    }


def success_result_schema() -> dict[str, Any]:
    """The manifest's response_schema, with Slack's envelope fields allowed beside its own."""
    schema = _manifest()["response_schema"]
    schema["properties"].update(_envelope_properties())
    result: dict[str, Any] = schema
    return result


def bare_success_result_schema() -> dict[str, Any]:
    """Slack's bare ``{"ok": true}`` reply (its spec's typical success), envelope allowed."""
    ok = _manifest()["response_schema"]["properties"]["ok"]
    return {
        "type": "object",
        "properties": {"ok": ok, **_envelope_properties()},
        "required": ["ok"],
        "additionalProperties": False,
    }


def error_result_schema() -> dict[str, Any]:
    """What ``model_result.error_result`` returns: Slack's error shape, extended for a model."""
    error_schema = _manifest()["error_schema"]
    slack_codes: list[str] = list(error_schema["properties"]["error"]["enum"])
    codes = [*_LOCAL_ERROR_CODES, *slack_codes]
    codes.extend(code for code in HINTS if code not in codes)
    return {
        "type": "object",
        "properties": {
            "ok": error_schema["properties"]["ok"],
            "error": {
                "type": "string",
                "description": (
                    "What went wrong: invalid_arguments (nothing was sent: correct the "
                    "arguments named in problems), token_not_usable (nothing was sent: the "
                    "host's Slack token is missing or cannot set a photo; tell the user, a "
                    "retry will not help), invalid_reply (Slack said ok but its reply "
                    "breaks the schema), transport_error (no usable answer from Slack), a "
                    "code of the host's token source (not_installed, refresh_failed...: "
                    "nothing was sent; tell the user), or Slack's own error code."
                ),
                "examples": codes,
            },
            "message": {"type": "string", "description": "What happened and what to do next."},
            "problems": {
                "type": "array",
                "description": "Each problem with the arguments or the reply; empty for others.",
                "items": {
                    "type": "object",
                    "properties": {
                        "path": {
                            "type": "string",
                            "description": "A JSON path, such as $.crop_x.",
                        },
                        "message": {"type": "string"},
                    },
                    "required": ["path", "message"],
                    "additionalProperties": False,
                },
            },
            "retry_after": {
                "type": "number",
                "minimum": 0,
                "description": "Seconds to wait before trying again (when rate limited).",
            },
            "needed": {"type": "string", "description": "The scope Slack says is missing."},
            "provided": {"type": "string", "description": "The scopes the token has."},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "install_url": {
                "type": "string",
                "format": "uri",
                "description": (
                    "Where the user installs the app (again): when they have not installed "
                    "it, or Slack refused their token (revoked, invalid, a scope missing)."
                ),
            },
        },
        "required": ["ok", "error", "message", "problems"],
        "additionalProperties": False,
    }


def _envelope_properties() -> dict[str, Any]:
    return {name: copy.deepcopy(dict(_ENVELOPE_SCHEMAS[name])) for name in ENVELOPE_FIELDS}


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
