"""The framework doors as a first-time agent builder meets them (the audit of 2026-12-06
19:20 UTC)."""

from __future__ import annotations

from pydantic_ai import Agent
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from ocp_users_photo.emulator import Fault
from ocp_users_photo.frameworks.pydantic_ai import pydantic_ai_toolset
from tests.framework_fixtures import PhotoHost


async def test_a_pydantic_ai_toolsets_timeout_ends_a_slow_call_and_the_run_goes_on(
    photo_host: PhotoHost,
) -> None:
    """The agent's tool_timeout reaches only the tools it declares itself: a slow Slack
    held the toolset's call for as long as it took. The toolset takes its own."""
    photo_host.emulator.faults.inject(Fault.delay(5.0), path="users.setPhoto")
    turns = [
        ModelResponse(parts=[ToolCallPart("usersSetPhoto", {"image": photo_host.picture.name})]),
        ModelResponse(parts=[TextPart("Slack was slow.")]),
    ]
    seen: list[list[ModelMessage]] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(list(messages))
        return turns.pop(0)

    toolset = pydantic_ai_toolset(photo_host.tool, timeout=0.5)
    agent = Agent(FunctionModel(model), toolsets=[toolset])
    assert (await agent.run("Set my photo")).output == "Slack was slow."
    told = seen[-1][-1]
    assert isinstance(told, ModelRequest)
    said = [str(getattr(part, "content", "")) for part in told.parts]
    assert any("Timed out after 0.5 seconds" in text for text in said), said


def test_a_pydantic_ai_toolsets_timeout_is_checked() -> None:
    import pytest

    from ocp_users_photo import UsersSetPhoto

    tool = UsersSetPhoto("xoxp-1-test", environ={})
    for wrong in (0, -1, float("nan"), float("inf"), True, "5", 10**400):
        with pytest.raises(ValueError, match="timeout must be a number of seconds above 0"):
            pydantic_ai_toolset(tool, timeout=wrong)  # type: ignore[arg-type]
