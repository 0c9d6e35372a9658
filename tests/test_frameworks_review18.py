"""Review of the framework doors (round 18): an agent builder wiring the tool into each one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic_ai import Agent
from pydantic_ai.messages import (
    ModelMessage,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.frameworks.pydantic_ai import pydantic_ai_toolset
from tests.framework_fixtures import HOST_TOKEN, PhotoHost


def _one_raw_call(name: str, raw: str, prompts: list[str]) -> Callable[..., ModelResponse]:
    """A model that calls ``name`` once with ``raw`` argument text, then keeps the retry
    prompt Pydantic AI sent back and gives up."""
    turns: list[ModelResponse] = [
        ModelResponse(parts=[ToolCallPart(name, raw, tool_call_id="c1")]),
        ModelResponse(parts=[TextPart("Sorry.")]),
    ]

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompts.extend(
            part.model_response_str()
            for part in messages[-1].parts
            if isinstance(part, ToolReturnPart) and part.outcome == "retried"
        )
        return turns.pop(0)

    return model


async def _retry_prompt(tool: Any, name: str, raw: str) -> str:
    prompts: list[str] = []
    model = FunctionModel(_one_raw_call(name, raw, prompts))
    result = await Agent(model, toolsets=[pydantic_ai_toolset(tool)]).run("Undo my photo")
    assert result.output == "Sorry."
    (prompt,) = prompts
    return prompt


@pytest.mark.parametrize("raw", ['"3"', "[3]", '{"entry": 3'], ids=["string", "array", "cut"])
async def test_pydantic_ai_retry_prompt_for_the_undo_shows_the_undos_own_arguments(
    photo_host: PhotoHost, raw: str
) -> None:
    """usersRestorePhoto's retry prompt for arguments that are no JSON object showed
    usersSetPhoto's example, ``{"image": "portrait.png"}``, and spoke of an inline image:
    a model following it sent ``image`` to the undo, which refuses it."""
    prompt = await _retry_prompt(photo_host.tool, "usersRestorePhoto", raw)
    assert "image" not in prompt
    if raw.startswith("{"):
        assert "write them again as one JSON object" in prompt
    else:
        assert r"or {\"entry\": 3} to put entry 3 back" in prompt  # the prompt is JSON text


async def test_pydantic_ai_cut_short_image_is_not_told_to_use_a_web_address_the_tool_refuses(
    photo_host: PhotoHost,
) -> None:
    """A photo tool with no ``url_hosts`` fetches no URL (its schema says so), yet a cut-short
    inline image's retry prompt said "give its file path or https address instead"."""
    raw = '{"image": "data:image/png;base64,' + "A" * 5000
    prompt = await _retry_prompt(photo_host.tool, "usersSetPhoto", raw)
    assert "give its file path instead" in prompt
    assert "https" not in prompt
    acting = photo_host.tool.acting_as(team_id="T0EMULATOR", user_id="U0ALICE01")
    assert "https" not in await _retry_prompt(acting, "usersSetPhoto", raw)
    async with UsersSetPhoto(
        HOST_TOKEN,
        base_url=photo_host.emulator.base_url,
        image_roots=[photo_host.picture.parent],
        url_hosts=["images.example.com"],
        environ={},
    ) as fetching:
        prompt = await _retry_prompt(fetching, "usersSetPhoto", raw)
    assert "an https address on a host the tool allows" in prompt
    assert "AAAAAAAAAA" not in prompt
