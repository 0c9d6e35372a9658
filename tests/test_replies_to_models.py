"""A hostile (or broken) Slack's ok replies, and what of them reaches a model or a terminal.

Through run(), the MCP server, usersRestorePhoto and the CLI: nothing unbounded, no
terminal escape, no part of the token, whichever check the reply went through (strict,
warn, off) and whichever method answered (users.setPhoto, users.deletePhoto).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from tests.conftest import CANARY_TOKEN, inject, make_image, success_reply
from tests.test_cli import cli
from tests.test_secrets import holds_part_of_the_token

ESCAPES = "\x1b]52;c;QUFB\x07\x1b[2J"
# What a hostile (or broken) Slack answers users.deletePhoto with: ok, and a "profile"
# carrying half a megabyte, terminal escapes and the token cut short (no exact form of it).
HOSTILE_DELETE_REPLY: dict[str, Any] = {
    "ok": True,
    "profile": {
        "avatar_hash": ESCAPES + "A" * 500_000,
        "image_192": ESCAPES,
        "echo": CANARY_TOKEN[:60],
    },
}


def assert_safe_for_a_model(result: dict[str, Any]) -> None:
    text = json.dumps(result, ensure_ascii=False)
    assert len(text) < 20_000, f"{len(text)} characters of a server's text reach the model"
    assert "\x1b" not in text, "a terminal escape reaches the model"
    assert not holds_part_of_the_token(text), "part of the token reaches the model"


async def _tool_with_a_default_entry(emulator: RunningEmulator, tmp_path: Path) -> UsersSetPhoto:
    """A tool whose history holds entry 1: Slack's default avatar, replaced by a change."""
    tool = UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        retry_backoff=0.01,
        photo_history=tmp_path / "history.sqlite3",
    )
    set_result = await tool.run({"image": make_image((600, 600))})
    assert set_result["ok"] is True
    listing = await tool.restore_tool().run({})
    assert listing["entries"][0]["kind"] == "default"
    return tool


# usersRestorePhoto puts back a default avatar with users.deletePhoto, whose reply is never
# checked (tool.py _delete_photo returns reply.body), and restore_tool.py copies its
# "profile" into the model's result as it came.


async def test_restore_of_a_default_avatar_does_not_pass_slacks_delete_reply_to_the_model(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with await _tool_with_a_default_entry(emulator, tmp_path) as tool:
        inject(emulator, Fault.json(HOSTILE_DELETE_REPLY), method="users.deletePhoto")
        result = await tool.restore_tool().run({"entry": 1})
    assert result["ok"] is True
    assert_safe_for_a_model(result)


async def test_restore_over_mcp_does_not_pass_slacks_delete_reply_to_the_model(
    tmp_path: Path,
) -> None:
    from tests.test_mcp_server import mcp_session

    async with mcp_session(tmp_path) as session:
        first = await session.call({"image": "photo.png"})
        assert first.get("isError", False) is False
        inject(session.slack, Fault.json(HOSTILE_DELETE_REPLY), method="users.deletePhoto")
        restored = await session.client.call_tool("usersRestorePhoto", {"entry": 1})
        dumped = restored.model_dump(by_alias=True, mode="json", exclude_none=True)
    assert restored.is_error is False
    assert_safe_for_a_model(dumped["structuredContent"])
    assert len(dumped["content"][0]["text"]) < 20_000


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def test_cli_undo_of_a_default_avatar_prints_no_escape_from_slack(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "history.sqlite3"),
    }
    photo = tmp_path / "photo.png"
    photo.write_bytes(make_image((600, 600)))
    assert cli("set", str(photo), env=env).returncode == 0
    inject(slack_emulator, Fault.json(HOSTILE_DELETE_REPLY), method="users.deletePhoto")
    undone = cli("undo", env=env)
    assert undone.returncode == 0, undone.stderr
    assert "\x1b" not in undone.stdout, "Slack's escape sequence reaches the terminal"
    assert len(undone.stdout) < 5_000
    # What Slack shows is said from what was put back, whatever its reply holds (the
    # mutation round of session 22: the line dropped, the undo said nothing of it).
    assert undone.stdout.startswith("Put back #1")
    assert "  Slack shows the default avatar again.\n" in undone.stdout, undone.stdout


# A users.setPhoto success reply is handed to the model as it came once it matches the
# schema; its image URLs are checked for shape and length (spec.is_web_uri), never for a
# token a server echoed cut short (no exact redaction form matches a prefix).


async def test_a_token_echoed_cut_short_in_a_success_reply_url_is_not_shown_to_the_model(
    tool: UsersSetPhoto, emulator: RunningEmulator
) -> None:
    reply = success_reply("https://avatars.slack-edge.com/" + CANARY_TOKEN[:60])
    inject(emulator, Fault.json(reply))
    result = await tool.run({"image": make_image((600, 600))})
    # Refused as a bad reply, or accepted with the token masked: either way, not shown.
    assert not holds_part_of_the_token(json.dumps(result)), json.dumps(result)[:300]


# reply_check="warn" (which the strict refusal's own message recommends) hands an ok reply
# that breaks the schema to the model as it came: photo_reply.bounded_envelope bounds only
# "warning" and "response_metadata", so any other field arrives unbounded, escapes and all.


async def test_a_warn_mode_reply_reaches_the_model_bounded_and_printable(
    emulator: RunningEmulator,
) -> None:
    inject(emulator, Fault.json({**success_reply(), "x": ESCAPES + "A" * 300_000}))
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        keep_previous=False,
        reply_check="warn",
    ) as tool:
        result = await tool.run({"image": make_image((600, 600))})
    assert result["ok"] is True
    assert_safe_for_a_model(result)


async def test_a_reply_that_breaks_the_schema_tells_the_model_what_it_can_do(
    tool: UsersSetPhoto, emulator: RunningEmulator
) -> None:
    # The Python caller may pass reply_check='warn'; a model cannot: it is told not to
    # call again (the photo was probably set) and to have the person look.
    reply = success_reply()
    reply["profile"]["avatar_hash"] = "not-hex"
    inject(emulator, Fault.json(reply))
    result = await tool.run({"image": make_image((600, 600))})
    assert result["error"] == "invalid_reply"
    assert "reply_check" not in result["message"]
    assert result["message"].endswith(
        "It probably took effect: do not call again; tell the person to check their photo in Slack"
    )
    assert_safe_for_a_model(result)
