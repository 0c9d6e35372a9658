"""Advice names the setting as each door spells it, not only the Python API's name.

A person behind an MCP host or at the terminal never wrote ``base_url``: they set
``SLACK_API_URL`` (the host's env block) or ``--base-url``. The MCP desktop review found
"check base_url" the whole advice of an unreachable or wrong Slack address.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.hints import HINTS
from ocp_users_photo.undo.errors import EntryRefused
from tests.conftest import CANARY_TOKEN, inject
from tests.undo_fixtures import RED, history_tool

EVERY_NAME = ("base_url", "SLACK_API_URL", "--base-url")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_slack_names_the_address_setting_of_every_door() -> None:
    base_url = f"http://127.0.0.1:{_closed_port()}/api"
    async with UsersSetPhoto(CANARY_TOKEN, base_url=base_url, environ={}, max_retries=0) as tool:
        result = await tool.run({"image": RED})
    assert result["ok"] is False
    assert all(name in result["message"] for name in EVERY_NAME), result["message"]


async def test_a_reply_that_is_no_slack_reply_names_the_address_setting_of_every_door(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    inject(emulator, Fault.html_page(200))
    async with history_tool(emulator, tmp_path / "h.sqlite3", keep_previous=False) as tool:
        result = await tool.run({"image": RED})
    assert result["ok"] is False
    assert all(name in result["message"] for name in EVERY_NAME), result["message"]


def test_the_not_authed_hint_names_the_address_setting_of_every_door() -> None:
    assert all(name in HINTS["not_authed"] for name in EVERY_NAME)


async def test_an_unknown_entry_says_how_a_model_lists_them_first(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with history_tool(emulator, tmp_path / "h.sqlite3", keep_previous=True) as tool:
        await tool.call({"image": RED})
        refused = await tool.restore_tool().run({"entry": 99})
        with pytest.raises(EntryRefused) as in_python:
            await tool.restore(99)
    assert refused["ok"] is False
    message = refused["message"]
    assert "usersRestorePhoto without entry" in message
    # The model lists them itself; tool.history() is a way only a Python caller has.
    assert "tool.history()" not in message, message
    assert "tool.history()" not in refused["problems"][0]["message"]
    assert "in Python, tool.history()" in in_python.value.message
