"""SlackPhotoRoute: how usersSetPhoto is offered to an OCP agent and called through it.

One object knows the OCP side of the tool: the ``OCPTool`` an agent lists, the
Slack API spec ``register_api('slack')`` gives, which calls are this tool's, and
the checked call itself, recorded in the agent's history. ``register(agent)`` and
the project's ``OCPAgent`` both delegate to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ocp_users_photo.agents.definitions import (
    API_NAME,
    is_slack,
    ocp_tool_of,
    slack_api_spec,
)
from ocp_users_photo.agents.history import HistoryObserver
from ocp_users_photo.tool import UsersSetPhoto


class SlackPhotoRoute:
    """Offers and calls one ``UsersSetPhoto`` for an agent."""

    def __init__(self, tool: UsersSetPhoto) -> None:
        self.tool = tool

    def handles(self, tool_name: object, api_name: object = None) -> bool:
        """Whether ``call_tool(tool_name, ..., api_name)`` is this tool's call."""
        return tool_name == self.tool.name and (api_name is None or is_slack(api_name))

    def slack_key(self, agent: Any) -> str:
        """The key under which the agent keeps Slack's API (names compare stripped, lower-cased)."""
        for key in agent.known_apis:
            if is_slack(key):
                return str(key)
        return API_NAME

    def offer(self, agent: Any) -> Any:
        """Put this tool in the agent's Slack API, replacing any generic usersSetPhoto."""
        key = self.slack_key(agent)
        definition = ocp_tool_of(self.tool.spec)
        spec = agent.known_apis.get(key)
        if spec is None:
            spec = slack_api_spec([definition], self.tool.base_url)
            agent.known_apis[key] = spec
            add_api_spec = getattr(getattr(agent, "context", None), "add_api_spec", None)
            if callable(add_api_spec):
                add_api_spec(key, "ocp-users-photo")
        else:
            spec.tools[:] = [
                existing
                for existing in spec.tools
                if getattr(existing, "name", None) != self.tool.name
            ]
            spec.tools.append(definition)
        return spec

    def forget_slack(self, agent: Any) -> None:
        """Drop the agent's Slack API, so its own discovery runs for a ``spec_url``."""
        agent.known_apis.pop(self.slack_key(agent), None)

    async def call(self, agent: Any, parameters: Mapping[str, Any] | None) -> dict[str, Any]:
        """The checked call, recorded in the agent's history without token or bytes."""
        arguments: Mapping[str, Any] = {} if parameters is None else parameters
        reply, _ = await self.tool.call_with_summary(
            arguments, digest=True, observers=(HistoryObserver(agent),)
        )
        return reply
