"""A stand-in for an OCP agent whose methods are coroutines, which ocp-agent 0.3.0 lacks.

The seed's usage awaits ``register_api`` and ``call_tool``; the real library's are
plain functions. ``AsyncStandInAgent`` has that asynchronous surface, imitating the
real library elsewhere (names normalised, tools listed and searched, a generic
``call_tool`` that drops formData parameters and records the raw parameters in the
history); tests/test_ocp_agent.py compares the two. Every synchronous-agent test
runs against ocp-agent itself.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class StandInTool:
    name: str
    description: str
    method: str
    path: str
    parameters: dict[str, Any]
    response_schema: dict[str, Any] | None
    operation_id: str | None = None
    tags: list[str] | None = None


@dataclass
class StandInApiSpec:
    base_url: str
    title: str
    version: str
    description: str
    tools: list[Any]
    raw_spec: dict[str, Any]
    name: str | None = None


@dataclass
class StandInContext:
    context_id: str = "ocp-standin"
    agent_type: str = "ai_agent"
    history: list[dict[str, Any]] = field(default_factory=list)
    api_specs: dict[str, str] = field(default_factory=dict)

    def add_interaction(
        self,
        action: str,
        api_endpoint: str | None = None,
        result: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.history.append(
            {
                "action": action,
                "api_endpoint": api_endpoint,
                "result": result,
                "metadata": metadata or {},
            }
        )

    def add_api_spec(self, api_name: str, source: str) -> None:
        self.api_specs[api_name] = source

    def session_header(self) -> str:
        """What ocp-agent sends as OCP-Session on every later request: the whole context."""
        return base64.b64encode(json.dumps(self.history, default=str).encode()).decode()


class RegistryUnreachable(RuntimeError):
    """The stand-in's registry lookup: this machine has no network for it."""


class StandInAgent:
    """The synchronous surface of ocp-agent 0.3.0's OCPAgent."""

    def __init__(self) -> None:
        self.context = StandInContext()
        self.known_apis: dict[str, StandInApiSpec] = {}
        self.sent: list[httpx.Request] = []
        self.registry_lookups: list[str] = []

    def _fetch_spec(self, name: str, spec_url: str | None, base_url: str | None) -> StandInApiSpec:
        self.registry_lookups.append(name)
        if spec_url is None:
            raise RegistryUnreachable(f"registry lookup for {name!r} needs the network")
        tools = [
            StandInTool(
                "chatPostMessage",
                "Post a message",
                "POST",
                "/chat.postMessage",
                {"channel": {"type": "string", "required": True, "location": "body"}},
                None,
                "chat_postMessage",
            ),
            StandInTool(
                "usersSetPhoto",
                "generic",
                "POST",
                "/users.setPhoto",
                {"token": {"type": "string", "required": True, "location": "formData"}},
                None,
                "users_setPhoto",
            ),
        ]
        return StandInApiSpec(base_url or "https://slack.com/api", "Slack", "1", "", tools, {})

    def register_api(
        self,
        name: str,
        spec_url: str | None = None,
        base_url: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> StandInApiSpec:
        key = name.strip().lower()
        if key in self.known_apis:
            return self.known_apis[key]
        spec = self._fetch_spec(key, spec_url, base_url)
        self.known_apis[key] = spec
        return spec

    def list_tools(self, api_name: str | None = None) -> list[Any]:
        if api_name is not None:
            key = api_name.strip().lower()
            if key not in self.known_apis:
                raise ValueError(f"Unknown API: {key}")
            return list(self.known_apis[key].tools)
        return [tool for spec in self.known_apis.values() for tool in spec.tools]

    def get_tool(self, tool_name: str, api_name: str | None = None) -> Any:
        return next((tool for tool in self.list_tools(api_name) if tool.name == tool_name), None)

    def search_tools(self, query: str, api_name: str | None = None) -> list[Any]:
        words = query.lower()
        return [
            tool
            for tool in self.list_tools(api_name)
            if words in tool.name.lower() or words in tool.description.lower()
        ]

    def _generic_request(
        self, tool_name: str, parameters: dict[str, Any] | None, api_name: str | None
    ) -> httpx.Request:
        """ocp-agent 0.3.0's generic path: check, record the raw parameters, build the request."""
        parameters = parameters or {}
        tool = self.get_tool(tool_name, api_name)
        if tool is None:
            raise ValueError(f"Tool '{tool_name}' not found")
        missing = [
            name
            for name, spec in tool.parameters.items()
            if spec.get("required") and name not in parameters
        ]
        if missing:
            raise ValueError(f"Parameter validation failed: {missing}")
        spec = next(s for s in self.known_apis.values() if tool in s.tools)

        def located(where: str) -> dict[str, Any]:
            return {
                name: value
                for name, value in parameters.items()
                if tool.parameters.get(name, {}).get("location") == where
            }

        # Every other location, formData included, is dropped, as in ocp-agent 0.3.0.
        self.context.add_interaction(
            f"tool_call:{tool_name}",
            spec.base_url + tool.path,
            "executing",
            {"tool_name": tool_name, "parameters": parameters, "method": tool.method},
        )
        request = httpx.Request(
            tool.method,
            spec.base_url.rstrip("/") + tool.path,
            params=located("query"),
            json=located("body") or None,
            headers={"OCP-Session": self.context.session_header()},
        )
        self.sent.append(request)
        return request

    def call_tool(
        self,
        tool_name: str,
        parameters: dict[str, Any] | None = None,
        api_name: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        request = self._generic_request(tool_name, parameters, api_name)
        with httpx.Client() as client:
            return client.send(request)


class AsyncStandInAgent(StandInAgent):
    """The same surface with coroutine register_api and call_tool, as the seed's usage awaits."""

    async def register_api(  # type: ignore[override]
        self,
        name: str,
        spec_url: str | None = None,
        base_url: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> StandInApiSpec:
        return StandInAgent.register_api(self, name, spec_url, base_url, headers)

    async def call_tool(  # type: ignore[override]
        self,
        tool_name: str,
        parameters: dict[str, Any] | None = None,
        api_name: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        request = self._generic_request(tool_name, parameters, api_name)
        async with httpx.AsyncClient() as client:
            return await client.send(request)
