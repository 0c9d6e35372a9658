"""Review of the framework doors (round 10): an agent builder's first try, and a hostile model."""

from __future__ import annotations

import json
from pathlib import Path

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.frameworks._calls import MAX_ARGUMENTS_CHARS, run_json_arguments
from ocp_users_photo.images.limits import ImageLimits
from tests.conftest import CANARY_TOKEN, photo_requests


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
