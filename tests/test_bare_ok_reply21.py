"""Review 21, Slack's bare {"ok": true}: the emulator answers users.setPhoto so on request
(``EmulatorConfig(set_photo_reply="bare")``, ``--set-photo-reply bare``, PUT
/_emulator/set_photo_reply), and every door runs against it as against the profile reply.

Slack documents the method's typical success reply as a bare ``{"ok": true}``; the emulator
names the new profile by default. Door tests here run over both shapes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.emulator.command import config_from_args, configure_parser
from ocp_users_photo.emulator.config import SET_PHOTO_REPLIES, SetPhotoReply
from tests.conftest import CANARY_TOKEN, make_image, shown_avatar_hash
from tests.framework_fixtures import HOST_TOKEN, PhotoHost
from tests.programs import run_cli, run_module
from tests.test_frameworks_review18 import one_call
from tests.test_mcp_server import mcp_session, output_validator

SHAPES: tuple[SetPhotoReply, ...] = get_args(SetPhotoReply)


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


@pytest.fixture(params=SHAPES)
def reply_shape(request: pytest.FixtureRequest, slack_emulator: RunningEmulator) -> SetPhotoReply:
    """Each door test runs twice: the emulator's profile reply, then Slack's bare ok."""
    shape: SetPhotoReply = request.param
    slack_emulator.state.use_set_photo_reply(shape)
    return shape


def _set_photo(base_url: str, image: bytes, token: str = CANARY_TOKEN) -> dict[str, Any]:
    reply = httpx.post(
        f"{base_url}/users.setPhoto",
        headers={"Authorization": f"Bearer {token}"},
        files={"image": ("me.png", image, "image/png")},
        timeout=10,
    )
    body: dict[str, Any] = reply.json()
    return body


def _profile(base_url: str, token: str = CANARY_TOKEN) -> dict[str, Any]:
    reply = httpx.post(
        f"{base_url}/users.profile.get", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    profile: dict[str, Any] = reply.json()["profile"]
    return profile


# --- the emulator option ---


def test_the_choices_are_profile_then_bare() -> None:
    assert SHAPES == SET_PHOTO_REPLIES == ("profile", "bare")
    assert EmulatorConfig().set_photo_reply == "profile"
    with pytest.raises(ValueError, match="set_photo_reply must be one of 'profile', 'bare'"):
        EmulatorConfig(set_photo_reply="none")  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_bare_emulator_answers_ok_alone_and_still_sets_the_photo(
    slack_emulator: RunningEmulator, shape: SetPhotoReply
) -> None:
    slack_emulator.state.use_set_photo_reply(shape)
    before = _profile(slack_emulator.base_url)

    reply = _set_photo(slack_emulator.base_url, make_image(color=(10, 120, 30)))

    after = _profile(slack_emulator.base_url)
    assert after["is_custom_image"] is True
    assert after["avatar_hash"] != before["avatar_hash"]
    assert after["avatar_hash"] == shown_avatar_hash(slack_emulator)
    if shape == "bare":
        assert reply == {"ok": True}
    else:
        assert reply["profile"]["avatar_hash"] == after["avatar_hash"]


def test_the_config_starts_the_emulator_bare(tmp_path: Path) -> None:
    from ocp_users_photo.emulator import start_emulator_in_thread

    config = EmulatorConfig(rate_limit_per_minute=None, set_photo_reply="bare")
    with start_emulator_in_thread(config) as emulator:
        assert emulator.state.set_photo_reply == "bare"
        assert _set_photo(emulator.base_url, make_image()) == {"ok": True}
        assert _profile(emulator.base_url)["is_custom_image"] is True


def test_the_control_api_switches_the_reply_and_refuses_other_shapes(
    slack_emulator: RunningEmulator,
) -> None:
    url = slack_emulator.control_url.rstrip("/") + "/set_photo_reply"
    switched = httpx.put(url, json={"reply": "bare"}, timeout=10)
    assert switched.json() == {"ok": True, "reply": "bare"}
    assert _set_photo(slack_emulator.base_url, make_image()) == {"ok": True}

    refused = httpx.put(url, json={"reply": "empty"}, timeout=10)
    assert refused.status_code == 400
    assert "'profile', 'bare'" in refused.json()["detail"]
    assert slack_emulator.state.set_photo_reply == "bare"

    assert httpx.put(url, json={"reply": "profile"}, timeout=10).status_code == 200
    reply = _set_photo(slack_emulator.base_url, make_image(color=(1, 2, 3)))
    assert reply["profile"]["avatar_hash"] == shown_avatar_hash(slack_emulator)


def test_the_command_takes_the_reply_shape() -> None:
    parser = argparse.ArgumentParser()
    configure_parser(parser)
    assert config_from_args(parser.parse_args([])).set_photo_reply == "profile"
    chosen = parser.parse_args(["--set-photo-reply", "bare"])
    assert config_from_args(chosen).set_photo_reply == "bare"
    with pytest.raises(SystemExit):
        parser.parse_args(["--set-photo-reply", "empty"])


def test_the_docs_name_the_flag_and_the_endpoint() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "emulator.md").read_text()
    assert "| `--set-photo-reply SHAPE` |" in docs
    assert "| `PUT /_emulator/set_photo_reply` |" in docs


# --- the command line, over both shapes ---


def _cli(*args: str, env: dict[str, str]) -> Any:
    done = run_cli(*args, env=env)
    assert "Traceback" not in done.stderr
    for said in (done.stdout, done.stderr):
        assert "None" not in said
    return done


def test_set_then_undo_on_the_command_line(
    slack_emulator: RunningEmulator, reply_shape: SetPhotoReply, tmp_path: Path
) -> None:
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "history.sqlite3"),
    }
    red, green = tmp_path / "red.png", tmp_path / "green.png"
    red.write_bytes(make_image((800, 800), color=(200, 30, 30)))
    green.write_bytes(make_image(color=(30, 160, 60)))
    crop = ("--crop-x", "100", "--crop-y", "100", "--crop-w", "600")

    first = _cli("set", str(red), *crop, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Photo set (PNG 800x800, ")
    cut = shown_avatar_hash(slack_emulator)
    second = _cli("set", str(green), "--json", env=env)
    assert second.returncode == 0, second.stderr
    answer = json.loads(second.stdout)
    assert answer["ok"] is True
    assert ("profile" in answer) is (reply_shape == "profile")

    undone = _cli("undo", env=env)
    assert undone.returncode == 0, undone.stderr
    assert undone.stdout.startswith("Put back #2")
    assert "crop x=100 y=100 w=600" in undone.stdout
    assert "default avatar" not in undone.stdout
    assert shown_avatar_hash(slack_emulator) == cut  # the square people saw, not the whole

    listed = _cli("history", env=env)
    assert listed.returncode == 0, listed.stderr
    assert f"avatar_hash {cut}" in listed.stdout


# --- the MCP server through the mcp client, over both shapes ---


@pytest.mark.parametrize("shape", SHAPES)
async def test_the_mcp_server_sets_and_restores(tmp_path: Path, shape: SetPhotoReply) -> None:
    async with mcp_session(tmp_path, log_level="warning") as session:
        session.slack.state.use_set_photo_reply(shape)
        (session.root / "other.png").write_bytes(make_image(color=(10, 10, 200)))
        crop = {"crop_x": 0, "crop_y": 0, "crop_w": 400}
        for arguments in ({"image": "photo.png", **crop}, {"image": "other.png"}):
            done = await session.call(arguments)
            assert done.get("isError", False) is False, done
            result = done["structuredContent"]
            assert json.loads(done["content"][0]["text"]) == result
            assert output_validator().is_valid(result)
            assert ("profile" in result) is (shape == "profile")
        cut = (await session.client.call_tool("usersRestorePhoto", {})).structured_content
        assert cut is not None
        newest = cut["entries"][0]
        assert newest["crop"] == {"crop_x": "0", "crop_y": "0", "crop_w": "400"}

        restored = await session.client.call_tool("usersRestorePhoto", {"entry": newest["entry"]})
        assert restored.is_error is False, restored
        assert restored.structured_content is not None
        assert restored.structured_content["message"].startswith(
            f"Put back kept photo #{newest['entry']} (the person's own photo)."
        )
        assert shown_avatar_hash(session.slack) == newest["avatar_hash"]


# --- the OCP agent path: the history entry a model reads, over both shapes ---


async def test_the_agents_history_names_no_avatar_hash_slack_did_not_give(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    reply_shape: SetPhotoReply,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The history travels to the model: {"avatar_hash": null} beside "success" read as a photo
    with no hash (none set, or the default). Slack's bare ok names none: none is recorded."""
    from ocp_users_photo import UsersSetPhoto, register

    monkeypatch.setenv("HOME", str(tmp_path))  # ocp-agent keeps a spec cache in ~/.ocp
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    picture = tmp_path / "me.png"
    picture.write_bytes(make_image((640, 640)))
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=slack_emulator.base_url, image_roots=[tmp_path], environ={}
    ) as tool:
        register(agent, tool)
        reply = await agent.call_tool("usersSetPhoto", {"image": str(picture)})
        assert reply["ok"] is True
        await agent.call_tool("usersRestorePhoto", {"entry": 1})  # the default, deletePhoto

    set_response, restore_response = [
        entry for entry in agent.context.history if entry["action"].startswith("tool_response:")
    ]
    assert set_response["metadata"]["success"] is True
    if reply_shape == "profile":
        assert set_response["metadata"]["avatar_hash"] == reply["profile"]["avatar_hash"]
    else:
        assert "avatar_hash" not in set_response["metadata"]
    # users.deletePhoto answers {"ok": true} alone whatever the shape of setPhoto's reply.
    assert restore_response["action"] == "tool_response:usersRestorePhoto"
    assert "avatar_hash" not in restore_response["metadata"]
    assert None not in set_response["metadata"].values()


# --- the README's own programs, against Slack's bare reply ---


def _setting_blocks() -> list[str]:
    """The README's Python programs that set a photo on the token's user (me.png) and print
    what Slack answered: the first a reader copies."""
    from tests.readme_blocks import readme_blocks

    return [
        block.code
        for block in readme_blocks()
        if block.kind == "python"
        and block.section in ("Use it from Python", "Use it from an agent")
        and '"image": "me.png"' in block.code
        and "print(" in block.code
        # Not the per-person program: it needs an app's credentials and an installation
        # store (tests/readme_session.py runs it with them; test_docs_truth, on the emulator).
        and "SLACK_CLIENT_ID" not in block.code
    ]


def _needs_ocp_agent(program: str) -> bool:
    return "OCPAgent" in program or "ocp_agent" in program


@pytest.mark.parametrize("shape", SHAPES)
def test_the_readmes_programs_run_against_either_reply(
    slack_emulator: RunningEmulator, shape: SetPhotoReply, tmp_path: Path
) -> None:
    """README's first program printed reply["profile"]["image_192"]: a KeyError, after the photo
    was set, against the reply Slack documents as typical."""
    programs = [code for code in _setting_blocks() if not _needs_ocp_agent(code)]
    assert len(programs) >= 3
    _run_programs(slack_emulator, shape, tmp_path, programs)


@pytest.mark.parametrize("shape", SHAPES)
def test_the_readmes_agent_programs_run_against_either_reply(
    slack_emulator: RunningEmulator, shape: SetPhotoReply, tmp_path: Path, ocp_agent_library: Any
) -> None:
    """The same for the README's programs through an agent, which need ocp-agent installed."""
    programs = [code for code in _setting_blocks() if _needs_ocp_agent(code)]
    assert len(programs) >= 2
    _run_programs(slack_emulator, shape, tmp_path, programs)


def _run_programs(
    slack_emulator: RunningEmulator, shape: SetPhotoReply, tmp_path: Path, programs: list[str]
) -> None:
    slack_emulator.state.use_set_photo_reply(shape)
    # The programs' folder, beside their home: neither holds the other (no image folder is
    # the home or a folder holding it).
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    (work / "me.png").write_bytes(make_image((640, 640)))
    (work / "portrait.png").write_bytes(make_image(color=(30, 160, 60)))
    for number, code in enumerate(programs):
        (work / f"program{number}.py").write_text(code)
        done = run_module(
            f"program{number}",
            env={
                "SLACK_USER_TOKEN": CANARY_TOKEN,
                "SLACK_API_URL": slack_emulator.base_url,
                "HOME": str(home),  # ocp-agent keeps a spec cache in ~/.ocp
            },
            cwd=work,
        )
        assert done.returncode == 0, (code, done.stderr)
        assert "Traceback" not in done.stderr
        assert "None" not in done.stdout


# --- the Python API and the keeping flow, over both shapes ---


async def test_the_python_api_then_undo_and_restore_with_a_crop_box(
    slack_emulator: RunningEmulator, reply_shape: SetPhotoReply, tmp_path: Path
) -> None:
    from ocp_users_photo import UsersSetPhoto
    from ocp_users_photo.crop import CropBox

    red, green, blue = (tmp_path / f"{name}.png" for name in ("red", "green", "blue"))
    red.write_bytes(make_image((800, 800), color=(200, 30, 30)))
    green.write_bytes(make_image(color=(30, 160, 60)))
    blue.write_bytes(make_image(color=(30, 30, 200)))
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=slack_emulator.base_url,
        environ={},
        image_roots=[tmp_path],
        keep_previous=True,
        photo_history=tmp_path / "history.sqlite3",
    ) as tool:
        crop = {"crop_x": 100, "crop_y": 100, "crop_w": 600}
        answers = [await tool.call({"image": str(red), **crop})]
        cut = shown_avatar_hash(slack_emulator)
        answers.append(await tool.run({"image": str(green)}))
        answers.append((await tool.call_with_summary({"image": str(blue)}))[0])
        async with tool.prepare({"image": str(green)}) as upload:
            answers.append(await tool.send(upload))
        for answer in answers:
            assert answer["ok"] is True
            assert ("profile" in answer) is (reply_shape == "profile")

        kept = await tool.history()
        assert [entry.kind for entry in kept] == ["custom", "custom", "custom", "default"]
        assert kept[2].avatar_hash == cut
        assert kept[2].crop_box == CropBox(100, 100, 600)
        assert (await tool.undo())["ok"] is True  # blue again
        restored = await tool.restore_tool().run({"entry": kept[2].entry})
        assert restored["ok"] is True
        assert restored["message"].startswith(f"Put back kept photo #{kept[2].entry} (the")
        assert shown_avatar_hash(slack_emulator) == cut  # the square people saw


@pytest.mark.parametrize("door", ["openai-agents", "langchain", "pydantic-ai"])
@pytest.mark.parametrize("shape", SHAPES)
async def test_each_frameworks_tool_takes_either_reply_as_the_photo_set(
    photo_host: PhotoHost, door: str, shape: SetPhotoReply
) -> None:
    """Through each framework's own calling machinery (the OpenAI Agents SDK's tool
    invocation, LangChain's ainvoke, a Pydantic AI agent run): the model is told ok, with
    the profile only where Slack named one, and the photo is the new one."""
    photo_host.emulator.state.use_set_photo_reply(shape)
    before = await photo_host.avatar_hash()
    host_tool = UsersSetPhoto(
        HOST_TOKEN,
        base_url=photo_host.emulator.base_url,
        image_roots=[photo_host.picture.parent],
        keep_previous=False,  # the one tool each framework is given (no restore tool)
        environ={},
    )
    async with host_tool:
        result = await one_call(door, host_tool, photo_host.good_call())
    assert result["ok"] is True, result
    assert ("profile" in result) is (shape == "profile")
    assert await photo_host.avatar_hash() != before
