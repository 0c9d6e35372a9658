"""The tool and Slack's API in ocp-agent's own shapes (``OCPTool``, ``OCPAPISpec``).

ocp-agent's classes are used when it is installed (imported only when needed);
otherwise dataclasses with the same fields stand in, so the package works and is
tested without it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from ocp_users_photo.spec import ToolSpec

API_NAME: Final = "slack"


@dataclass
class OCPToolDefinition:
    """The fields of ocp-agent's ``OCPTool``, for when ocp-agent is not installed."""

    name: str
    description: str
    method: str
    path: str
    parameters: dict[str, Any]
    response_schema: dict[str, Any] | None
    operation_id: str | None = None
    tags: list[str] | None = None


@dataclass
class OCPAPIDefinition:
    """The fields of ocp-agent's ``OCPAPISpec``, for when ocp-agent is not installed."""

    base_url: str
    title: str
    version: str
    description: str
    tools: list[Any]
    raw_spec: dict[str, Any]
    name: str | None = None


def ocp_agent_class(name: str, fallback: type) -> Callable[..., Any]:
    """ocp-agent's own class when it is installed (imported only now), else ``fallback``."""
    try:
        module = importlib.import_module("ocp_agent")
    except ImportError:
        return fallback
    found: Callable[..., Any] = getattr(module, name, fallback)
    return found


def ocp_tool_of(spec: ToolSpec, description: str | None = None) -> Any:
    """The tool as an ``OCPTool`` (ocp-agent's class when installed, else an equivalent);
    ``description`` in place of the manifest's (the one the tool tells models)."""
    tool_class = ocp_agent_class("OCPTool", OCPToolDefinition)
    return tool_class(
        name=spec.name,
        description=spec.description if description is None else description,
        method=spec.method,
        path=spec.path,
        parameters=spec.json_copy("parameters"),
        response_schema=spec.json_copy("response_schema"),
        operation_id=spec.operation_id,
        tags=list(spec.tags),
    )


def slack_api_spec(tools: list[Any], base_url: str) -> Any:
    """Slack's API as an ``OCPAPISpec`` offering ``tools``: what ``register_api('slack')`` gives."""
    spec_class = ocp_agent_class("OCPAPISpec", OCPAPIDefinition)
    fields: dict[str, Any] = {
        "base_url": base_url,
        "title": "Slack Web API",
        "version": "1.0.0",
        "description": "Slack's Web API, as offered by ocp-users-photo (offline)",
        "tools": tools,
        "raw_spec": {},
    }
    if "name" in inspect.signature(spec_class).parameters:
        fields["name"] = API_NAME
    return spec_class(**fields)


def is_slack(name: object) -> bool:
    """Whether an API name means Slack (ocp-agent compares names stripped and lower-cased)."""
    return isinstance(name, str) and name.strip().lower() == API_NAME
