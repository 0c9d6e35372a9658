"""Registers usersSetPhoto with an OCP agent, so ``agent.call_tool('usersSetPhoto', ...)`` is right.

ocp-agent's generic tool call drops formData parameters, so for this tool it
would send no token and no image; and it records the raw parameters (token and
image included) in the context history that travels with every later request.
``register(agent)`` fixes both on that agent object only:

- ``agent.register_api('slack')`` answers offline with an API spec offering this
  tool (keeping tools already registered under ``slack``; with a ``spec_url`` the
  agent's own discovery runs and this tool replaces the generic one);
- ``agent.call_tool('usersSetPhoto', args)`` runs this package's checked call;
  every other tool takes the agent's own path, unchanged;
- the history records the call with the image summarised (format, size, bytes,
  digest) and never the token.

It works with ocp-agent 0.3.0 (synchronous) and with agents whose
``register_api``/``call_tool`` are coroutines. On a synchronous agent,
``call_tool('usersSetPhoto', ...)`` returns an awaitable inside an event loop
(the seed's ``await agent.call_tool(...)``) and the reply itself outside one.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ocp_users_photo.credentials import quotable
from ocp_users_photo.errors import UsersPhotoError
from ocp_users_photo.spec import load_manifest
from ocp_users_photo.tool import UsersSetPhoto

API_NAME: Final = "slack"
_MARK: Final = "_ocp_users_photo_tool"


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


def register(
    agent: Any | None = None, tool: UsersSetPhoto | None = None, **tool_options: Any
) -> UsersSetPhoto:
    """Offer usersSetPhoto on ``agent`` (if any) and return the tool behind it.

    ``tool_options`` go to ``UsersSetPhoto`` when no ``tool`` is given; image paths
    are confined to the working directory unless ``image_roots`` says otherwise.
    Calling it again replaces the tool and still leaves one usersSetPhoto.
    """
    if tool is not None and tool_options:
        raise TypeError("give either tool= or options for a new UsersSetPhoto, not both")
    if tool is None:
        tool_options.setdefault("image_roots", [Path.cwd()])
        tool = UsersSetPhoto(**tool_options)
    if agent is None:
        return tool
    for needed in ("known_apis", "call_tool", "register_api"):
        if not hasattr(agent, needed):
            raise TypeError(
                f"{type(agent).__name__} has no {needed}: register() needs an agent with "
                "ocp-agent's OCPAgent surface"
            )
    already_registered = getattr(agent, _MARK, None) is not None
    setattr(agent, _MARK, tool)
    _offer_tool(agent, tool)
    if not already_registered:
        _wrap_register_api(agent)
        _wrap_call_tool(agent)
    return tool


def ocp_tool(tool: UsersSetPhoto) -> Any:
    """The tool as an ``OCPTool`` (ocp-agent's class when installed, else an equivalent)."""
    tool_class = _ocp_agent_class("OCPTool", OCPToolDefinition)
    manifest = load_manifest()
    return tool_class(
        name=tool.name,
        description=tool.description,
        method=tool.method,
        path=tool.path,
        parameters=tool.parameters,
        response_schema=tool.response_schema,
        operation_id=tool.operation_id,
        tags=list(manifest.get("tags", [])),
    )


def _api_spec(tools: list[Any], base_url: str) -> Any:
    spec_class = _ocp_agent_class("OCPAPISpec", OCPAPIDefinition)
    fields = {
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


def _ocp_agent_class(name: str, fallback: type) -> Callable[..., Any]:
    """ocp-agent's own class when it is installed (imported only now), else ``fallback``."""
    try:
        module = importlib.import_module("ocp_agent")
    except ImportError:
        return fallback
    found: Callable[..., Any] = getattr(module, name, fallback)
    return found


def _slack_key(agent: Any) -> str:
    """The key under which the agent keeps Slack's API (names compare stripped, lower-cased)."""
    for key in agent.known_apis:
        if isinstance(key, str) and key.strip().lower() == API_NAME:
            return key
    return API_NAME


def _offer_tool(agent: Any, tool: UsersSetPhoto) -> Any:
    """Put this tool in the agent's slack API, replacing any generic usersSetPhoto."""
    key = _slack_key(agent)
    definition = ocp_tool(tool)
    spec = agent.known_apis.get(key)
    if spec is None:
        spec = _api_spec([definition], tool.base_url)
        agent.known_apis[key] = spec
        add_api_spec = getattr(getattr(agent, "context", None), "add_api_spec", None)
        if callable(add_api_spec):
            add_api_spec(key, "ocp-users-photo")
    else:
        spec.tools[:] = [
            existing for existing in spec.tools if getattr(existing, "name", None) != tool.name
        ]
        spec.tools.append(definition)
    return spec


def _is_slack(name: object) -> bool:
    return isinstance(name, str) and name.strip().lower() == API_NAME


def _spec_url_given(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> bool:
    return bool(kwargs.get("spec_url") or (args and args[0]))


def _wrap_register_api(agent: Any) -> None:
    original = agent.register_api

    def forget_slack() -> None:
        # A spec_url asks for the agent's own discovery: let it run, then put this tool in.
        agent.known_apis.pop(_slack_key(agent), None)

    if inspect.iscoroutinefunction(original):

        async def register_api_async(name: str, *args: Any, **kwargs: Any) -> Any:
            if not _is_slack(name):
                return await original(name, *args, **kwargs)
            if _spec_url_given(args, kwargs):
                forget_slack()
                await original(name, *args, **kwargs)
            return _offer_tool(agent, getattr(agent, _MARK))

        agent.register_api = register_api_async
        return

    def register_api(name: str, *args: Any, **kwargs: Any) -> Any:
        if not _is_slack(name):
            return original(name, *args, **kwargs)
        if _spec_url_given(args, kwargs):
            forget_slack()
            original(name, *args, **kwargs)
        return _offer_tool(agent, getattr(agent, _MARK))

    agent.register_api = register_api


def _wrap_call_tool(agent: Any) -> None:
    original = agent.call_tool

    def ours(tool_name: object, api_name: object) -> bool:
        tool: UsersSetPhoto = getattr(agent, _MARK)
        return tool_name == tool.name and (api_name is None or _is_slack(api_name))

    if inspect.iscoroutinefunction(original):

        async def call_tool_async(
            tool_name: str,
            parameters: Mapping[str, Any] | None = None,
            api_name: str | None = None,
            *args: Any,
            **kwargs: Any,
        ) -> Any:
            if not ours(tool_name, api_name):
                return await original(tool_name, parameters, api_name, *args, **kwargs)
            return await _checked_call(agent, parameters)

        agent.call_tool = call_tool_async
        return

    def call_tool(
        tool_name: str,
        parameters: Mapping[str, Any] | None = None,
        api_name: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if not ours(tool_name, api_name):
            return original(tool_name, parameters, api_name, *args, **kwargs)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(_checked_call_then_close(agent, parameters))
        return _checked_call(agent, parameters)

    agent.call_tool = call_tool


async def _checked_call_then_close(agent: Any, parameters: Mapping[str, Any] | None) -> Any:
    try:
        return await _checked_call(agent, parameters)
    finally:
        # The client was opened on this call's own event loop, which ends with it.
        await getattr(agent, _MARK).aclose()


async def _checked_call(agent: Any, parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """The plugin's checked call, recorded in the agent's history without token or bytes."""
    tool: UsersSetPhoto = getattr(agent, _MARK)
    arguments: Mapping[str, Any] = {} if parameters is None else parameters
    endpoint = f"{tool.base_url}{tool.path}"
    record = _history_recorder(agent)
    record(
        f"tool_call:{tool.name}",
        endpoint,
        "executing",
        {"tool_name": tool.name, "method": tool.method, "parameters": safe_view(arguments)},
    )
    try:
        reply, summary = await tool.call_with_summary(arguments, digest=True)
    except UsersPhotoError as error:
        record(
            f"tool_error:{tool.name}",
            endpoint,
            f"Error: {error.code}",
            {
                "error_type": type(error).__name__,
                "error_code": error.code,
                "error_message": error.message,
            },
        )
        raise
    profile = reply.get("profile")
    record(
        f"tool_response:{tool.name}",
        endpoint,
        "ok",
        {
            "success": True,
            "image": summary,
            "avatar_hash": profile.get("avatar_hash") if isinstance(profile, dict) else None,
        },
    )
    return reply


def _history_recorder(agent: Any) -> Callable[[str, str, str, dict[str, Any]], None]:
    add_interaction = getattr(getattr(agent, "context", None), "add_interaction", None)

    def record(action: str, endpoint: str, result: str, metadata: dict[str, Any]) -> None:
        if callable(add_interaction):
            add_interaction(action=action, api_endpoint=endpoint, result=result, metadata=metadata)

    return record


def safe_view(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments as history may keep them: no token, no image bytes, no long strings."""
    view: dict[str, Any] = {}
    for name, value in list(arguments.items())[:20]:
        key = str(name)[:40]
        if key == "token":
            view[key] = "[redacted]"
        elif key == "image":
            view[key] = _image_kind(value)
        elif quotable(value):
            view[key] = value
        else:
            view[key] = f"<{type(value).__name__}>"
    return view


def _image_kind(value: object) -> str:
    """What kind of image argument was given, without its content."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, os.PathLike):
        return f"<path {os.path.basename(os.fsdecode(value))[:60]}>"
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:5].lower() == "data:":
            return f"<data: URI, {len(value)} characters>"
        if len(value) <= 4096 and ("/" in value or "." in value[-6:]):
            return f"<path {os.path.basename(value)[:60]}>"
        return f"<text, {len(value)} characters>"
    return f"<{type(value).__name__}>"
