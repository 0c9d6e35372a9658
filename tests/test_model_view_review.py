"""What a model is told, door by door, against what the tool then does.

Each test is a place where a model that follows what it was told is refused, or is
told something the tool does not do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ocp_users_photo import UsersSetPhoto, register
from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.conftest import CANARY_TOKEN, inject, make_image
from tests.test_ocp_agent import home  # noqa: F401


def test_ocp_agent_tells_the_model_the_arguments_call_tool_takes(
    ocp_agent_library: Any,
    home: Path,  # noqa: F811
) -> None:
    """ocp-agent's own model-facing surface (get_tool, get_tool_documentation) lists the
    seed's parameters, as the OCP tool must carry them: Slack's ``token`` as required,
    ``image`` as optional "file contents". call_tool refuses a token from the model and a
    call without an image, so the description the model reads beside them must say what
    call_tool takes (it said neither: a model following the list failed first time)."""
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, token=CANARY_TOKEN, base_url="http://127.0.0.1:9/api")
    agent.register_api("slack")
    documentation = agent.get_tool_documentation("usersSetPhoto")
    assert agent.get_tool("usersSetPhoto").parameters["token"]["required"] is True  # the seed's
    assert "`image` is required" in documentation
    assert "a path to a PNG, JPEG or GIF file" in documentation
    assert "Do not pass `token`" in documentation
    assert "Do not pass `token`" in agent.get_tool_documentation("usersRestorePhoto")


def test_the_url_hosts_a_model_is_told_are_all_the_allowed_ones() -> None:
    """With more than 20 allowed hosts, the image description names the first 20 and says
    "other URLs are refused": hosts 21 and after are allowed, and the model is told not."""
    hosts = [f"h{index}.example.com" for index in range(25)]
    tool = UsersSetPhoto(CANARY_TOKEN, environ={}, url_hosts=hosts)
    for told in (tool.input_schema["properties"]["image"]["description"], tool.model_description):
        claims_the_rest_refused = "other URLs are refused" in told
        unnamed = [host for host in hosts if host not in told]
        assert not (claims_the_rest_refused and unnamed), f"allowed but told refused: {unnamed}"


async def test_not_authed_does_not_tell_a_model_to_pass_a_token(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """run() is a model door that refuses a ``token`` argument, yet Slack's not_authed comes
    back to the model as "set SLACK_USER_TOKEN or pass token=": advice the model cannot
    follow, and following it is refused."""
    (tmp_path / "photo.png").write_bytes(make_image())
    inject(emulator, Fault.slack_error("not_authed"))
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        keep_previous=False,
        image_roots=[tmp_path],
    ) as tool:
        result = await tool.run({"image": "photo.png"})
        assert result["error"] == "not_authed"
        assert "token=" not in result["message"], result["message"]
        retried = await tool.run({"image": "photo.png", "token": "xoxp-1-2-3"})
    assert retried["error"] == "invalid_arguments"  # what following the advice gets


def test_the_ocp_agent_door_is_told_how_the_crop_box_is_measured() -> None:
    """ocp-agent lists the seed's crop parameters ("X coordinate of top-left corner of crop
    box"): the description beside them says in which pixels, as the input schema does."""
    tool = UsersSetPhoto(CANARY_TOKEN, environ={})
    assert "pixels of the image as a viewer shows it (EXIF rotation applied" in (
        tool.model_description
    )
