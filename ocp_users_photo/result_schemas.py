"""The JSON Schemas of what the model doors return: ``UsersSetPhoto.run``'s result and
``UsersRestorePhoto.run``'s, success or failure (an MCP tool's ``outputSchema``).

The manifest holds the tool's response and error schemas; a model door returns more:
Slack's envelope fields beside a success (photo_reply.py keeps them), Slack's bare
``{"ok": true}``, and the error object of ``model_result.error_result``, whose codes
include this package's own. Each schema is built afresh on every call, so a caller
may edit what it gets.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from ocp_users_photo.errors import (
    InvalidArguments,
    ReplySchemaError,
    TokenNotUsable,
    TransportError,
)
from ocp_users_photo.hints import HINTS
from ocp_users_photo.photo_reply import ENVELOPE_FIELDS
from ocp_users_photo.spec import companion_manifest, load_manifest
from ocp_users_photo.undo.errors import (
    HistoryBusy,
    HistoryUnavailable,
    KeepingImpossible,
    NothingToUndo,
)
from ocp_users_photo.undo.restore import RESTORE_TOOL_NAME

__all__ = [
    "bare_success_result_schema",
    "error_result_schema",
    "restore_result_schema",
    "run_result_schema",
    "success_result_schema",
]

JSON_SCHEMA_2020_12: Final = "https://json-schema.org/draft/2020-12/schema"

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

# The codes this package gives failures that are not Slack's own.
_LOCAL_ERROR_CODES: Final = (
    InvalidArguments.code,
    TokenNotUsable.code,
    ReplySchemaError.code,
    TransportError.code,
    KeepingImpossible.code,
    HistoryUnavailable.code,
    HistoryBusy.code,
    NothingToUndo.code,
)


def _manifest_copy() -> dict[str, Any]:
    """A private deep copy of the manifest: the schemas are the caller's to edit."""
    return copy.deepcopy(dict(load_manifest()))


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
    schema = _manifest_copy()["response_schema"]
    schema["properties"].update(_envelope_properties())
    result: dict[str, Any] = schema
    return result


def bare_success_result_schema() -> dict[str, Any]:
    """Slack's bare ``{"ok": true}`` reply (its spec's typical success), envelope allowed."""
    ok = _manifest_copy()["response_schema"]["properties"]["ok"]
    return {
        "type": "object",
        "properties": {"ok": ok, **_envelope_properties()},
        "required": ["ok"],
        "additionalProperties": False,
    }


def error_result_schema() -> dict[str, Any]:
    """What ``model_result.error_result`` returns: Slack's error shape, extended for a model."""
    error_schema = _manifest_copy()["error_schema"]
    slack_codes: list[str] = list(error_schema["properties"]["error"]["examples"])
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
                    "breaks the schema), transport_error (no usable answer from Slack), "
                    "history_busy (nothing was sent: another change of the person's photo "
                    "was under way; the same call later goes through), a "
                    "code of the host's token source (not_installed, refresh_failed...: "
                    "nothing was sent; the message says whether trying again later may work "
                    "or the user must act), or Slack's own error code."
                ),
                "examples": codes,
            },
            "message": {"type": "string", "description": "What happened and what to do next."},
            "problems": {
                "type": "array",
                "description": (
                    "Each problem with the arguments or the reply, and with the host's token "
                    "for token_not_usable ($.token: the host's setting, not an argument to "
                    "give); empty for others."
                ),
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
            "slack_messages": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Slack's own explanation of the refusal, when it gave one.",
            },
            "install_url": {
                "type": "string",
                "format": "uri",
                "description": (
                    "Where the user installs the app (again): when they have not installed "
                    "it, Slack refused their token (revoked, invalid, a scope missing), or "
                    "the photo a change replaces could not be kept for want of "
                    "users.profile:read."
                ),
            },
        },
        "required": ["ok", "error", "message", "problems"],
        "additionalProperties": False,
    }


def _envelope_properties() -> dict[str, Any]:
    return {name: copy.deepcopy(dict(_ENVELOPE_SCHEMAS[name])) for name in ENVELOPE_FIELDS}
