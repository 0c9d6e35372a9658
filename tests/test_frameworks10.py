"""Review of the framework doors (round 10): an agent builder's first try, and a hostile model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from pydantic_ai import Agent
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.frameworks._calls import MAX_ARGUMENTS_CHARS, run_json_arguments
from ocp_users_photo.frameworks.pydantic_ai import pydantic_ai_toolset
from ocp_users_photo.images.limits import ImageLimits
from tests.conftest import CANARY_TOKEN, photo_requests
from tests.framework_fixtures import PhotoHost


async def test_openai_agents_reads_arguments_as_long_as_the_hosts_image_limit_takes(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The README's bounds table derives the longest image text from ``ImageLimits.max_bytes``;
    the OpenAI Agents door refused any arguments over a fixed 48 MiB of JSON (the text of the
    default 32 MiB), so a host that raised the limit had base64 images its tool takes
    refused there alone, told to send "a smaller image"."""
    limits = ImageLimits(max_bytes=48 * 1024 * 1024)
    # Base64 of 40 MiB: within the host's limit, past the fixed cap.
    text = "A" * (40 * 1024 * 1024 // 3 * 4)
    arguments = json.dumps({"image": text})
    assert len(arguments) > MAX_ARGUMENTS_CHARS
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, image_roots=[tmp_path], environ={}, limits=limits
    ) as tool:
        answer = await run_json_arguments(tool, arguments)
        acting = tool.acting_as(team_id="T0EMULATOR", user_id="U0ALICE01")
        answer_acting = await run_json_arguments(acting, arguments)
    for answered in (answer, answer_acting):
        assert answered["error"] == "invalid_arguments"
        assert "characters of JSON" not in answered["message"]
    # The tool itself read the image: 40 MiB of zeros are no picture.
    assert [problem["path"] for problem in answer["problems"]] == ["$.image"]
    assert "not an image" in answer["message"]
    assert photo_requests(emulator) == []


async def test_parallel_calls_in_one_turn_take_turns_and_each_keeps_what_it_replaced(
    photo_host: PhotoHost,
) -> None:
    """A model's parallel tool calls run at once (Pydantic AI gathers them): both changes go
    through, one after the other, and each keeps the photo the other (or the original) left."""
    original = await photo_host.avatar_hash()
    boxes = [(0, 0, 512), (10, 10, 512)]
    parts = [
        ToolCallPart(
            "usersSetPhoto",
            {"image": photo_host.picture.name, "crop_x": x, "crop_y": y, "crop_w": w},
            tool_call_id=f"call_{index}",
        )
        for index, (x, y, w) in enumerate(boxes)
    ]
    turns = [ModelResponse(parts=parts), ModelResponse(parts=[TextPart("Done.")])]
    seen: list[list[ModelMessage]] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(list(messages))
        return turns.pop(0)

    agent = Agent(FunctionModel(model), toolsets=[pydantic_ai_toolset(photo_host.tool)])
    assert (await agent.run("Try both crops")).output == "Done."
    returned = seen[-1][-1]
    assert isinstance(returned, ModelRequest)
    results: list[dict[str, Any]] = [
        cast(dict[str, Any], part.content)  # a dict of the tool's, its keys str
        for part in returned.parts
        if isinstance(part, ToolReturnPart) and isinstance(part.content, dict)
    ]
    assert [result["ok"] for result in results] == [True, True]
    set_hashes = {result["profile"]["avatar_hash"] for result in results}
    assert len(set_hashes) == 2

    listing = await photo_host.tool.restore_tool().run({})
    kept = [entry["avatar_hash"] for entry in listing["entries"]]
    shown = await photo_host.avatar_hash()
    assert kept[-1] == original  # the first change kept the original
    assert {kept[0], shown} == set_hashes  # the second kept what the first had set
    assert [entry["status"] for entry in listing["entries"]] == ["changed", "changed"]


async def test_arguments_past_the_cap_for_the_undo_tool_are_not_told_of_an_image(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """usersRestorePhoto takes no image: its refusal of over-long arguments said to "give the
    image as a path or a smaller image" (the photo tool's advice) all the same."""
    arguments = json.dumps({"entry": 1, "note": "x" * MAX_ARGUMENTS_CHARS})
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        image_roots=[tmp_path],
        environ={},
        photo_history=tmp_path / "history.sqlite",
    ) as tool:
        photo_answer = await run_json_arguments(tool, arguments)
        undo_answer = await run_json_arguments(tool.restore_tool(), arguments)
    assert "smaller image" in photo_answer["message"]
    assert undo_answer["error"] == "invalid_arguments"
    assert "characters of JSON" in undo_answer["message"]
    assert "image" not in undo_answer["message"]
    assert "usersRestorePhoto's input schema" in undo_answer["message"]
