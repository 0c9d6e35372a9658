"""The tool's definition in the shapes agent frameworks read: OCP, OpenAI, Anthropic and MCP.

Every export is derived from tool_manifest.json when it is asked for; nothing
here restates the manifest. The one schema the manifest does not hold is the
MCP ``outputSchema``: it describes what ``UsersSetPhoto.run`` returns, success
or failure, so it is assembled here from the manifest's response and error
schemas and the shape of ``results.error_result``.

    >>> export_tool("anthropic")["name"]
    'usersSetPhoto'
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from ocp_users_photo.errors import InvalidArguments, ReplySchemaError, TransportError
from ocp_users_photo.hints import HINTS
from ocp_users_photo.photo_reply import ENVELOPE_FIELDS
from ocp_users_photo.spec import load_manifest

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

# Slack's envelope fields, which reply.py keeps on a success reply beside the schema's.
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

# The codes this package gives failures that are not Slack's own.
_LOCAL_ERROR_CODES: Final = (
    InvalidArguments.code,
    ReplySchemaError.code,
    TransportError.code,
)


def _manifest() -> dict[str, Any]:
    """A private deep copy of the manifest: exports may be edited by their callers."""
    return copy.deepcopy(dict(load_manifest()))


def ocp_tool() -> dict[str, Any]:
    """The OCP tool definition: the manifest's OCP fields and nothing else."""
    manifest = _manifest()
    tool = {field: manifest[field] for field in OCP_FIELDS}
    tool.update({field: manifest[field] for field in OCP_OPTIONAL_FIELDS if field in manifest})
    return tool


def model_input_schema() -> dict[str, Any]:
    """The manifest's input_schema without its ``$schema`` key, for APIs that do not want it."""
    schema = _manifest()["input_schema"]
    schema.pop("$schema", None)
    result: dict[str, Any] = schema
    return result


def openai_tool() -> dict[str, Any]:
    """An OpenAI function-calling tool (Chat Completions ``tools`` entry).

    ``strict`` is false on purpose: OpenAI's strict mode accepts only a subset of
    JSON Schema, in which every property must be required, and this schema has
    optional crop arguments tied together by ``dependentSchemas``. The tool checks
    its arguments itself and answers a bad call with ``invalid_arguments``.
    """
    manifest = _manifest()
    return {
        "type": "function",
        "function": {
            "name": manifest["name"],
            "description": manifest["description"],
            "parameters": model_input_schema(),
            "strict": False,
        },
    }


def anthropic_tool() -> dict[str, Any]:
    """An Anthropic tool-use definition (a Messages API ``tools`` entry)."""
    manifest = _manifest()
    return {
        "name": manifest["name"],
        "description": manifest["description"],
        "input_schema": manifest["input_schema"],
    }


def mcp_tool() -> dict[str, Any]:
    """An MCP tool (a ``tools/list`` entry) with the schema of its structured result."""
    manifest = _manifest()
    return {
        "name": manifest["name"],
        "description": manifest["description"],
        "inputSchema": manifest["input_schema"],
        "outputSchema": run_result_schema(),
    }


def run_result_schema() -> dict[str, Any]:
    """The JSON Schema of every object ``UsersSetPhoto.run`` returns (with reply_check strict).

    One of three shapes: Slack's success reply (the manifest's response_schema,
    plus Slack's envelope fields), Slack's bare ``{"ok": true}``, which the tool
    accepts as a success, or the error object of ``results.error_result``.
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
    """What ``results.error_result`` returns: Slack's error shape, extended for a model."""
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
                    "arguments named in problems), invalid_reply (Slack said ok but its reply "
                    "breaks the schema), transport_error (no usable answer from Slack), or "
                    "Slack's own error code."
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
        },
        "required": ["ok", "error", "message", "problems"],
        "additionalProperties": False,
    }


def _envelope_properties() -> dict[str, Any]:
    return {name: copy.deepcopy(dict(_ENVELOPE_SCHEMAS[name])) for name in ENVELOPE_FIELDS}


_EXPORTERS: Final[Mapping[str, Callable[[], dict[str, Any]]]] = MappingProxyType(
    {
        "ocp": ocp_tool,
        "openai": openai_tool,
        "anthropic": anthropic_tool,
        "mcp": mcp_tool,
    }
)

FORMATS: Final = tuple(_EXPORTERS)


def export_tool(format: str) -> dict[str, Any]:
    """The tool's definition in ``format`` (one of FORMATS), as a new JSON-ready dict."""
    exporter = _EXPORTERS.get(format)
    if exporter is None:
        choices = ", ".join(FORMATS)
        raise ValueError(f"unknown export format {format!r}: choose one of {choices}")
    return exporter()
