"""A change that waited for another change of the person's photo, as the MCP door tells it.

HistoryBusy shared HistoryUnavailable's code (``history_unavailable``), which the MCP
server followed with "restart the host" advice: the review of 2026-12-05 found a model
told to have the person restart their desktop host after a call that only waited for
another one. It has a code of its own now, ``history_busy``: a model tells a wait from a
file to mend by the code alone. ``mcp_server.call_tool`` is the server's own handler, here
given the real tool on the emulator; a history that cannot be used still gets the advice
(tests/test_mcp_door_review.py).
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.mcp_server import RESTART_ADVICE, call_tool
from tests.conftest import inject, photo_requests
from tests.undo_fixtures import GREEN, RED, history_tool


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


async def test_a_change_that_waited_for_another_is_not_told_to_restart_the_host(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history = tmp_path / "h.sqlite3"
    inject(emulator, Fault.delay(3))  # the first change holds the person's turn 3 s
    async with (
        history_tool(emulator, history, keep_previous=True) as slow,
        history_tool(emulator, history, keep_previous=True, deadline=1.0) as quick,
    ):
        first = asyncio.ensure_future(slow.call({"image": RED}))
        for _ in range(500):
            if photo_requests(emulator):
                break
            await asyncio.sleep(0.01)
        assert photo_requests(emulator), "the first change reached Slack"
        answer = await call_tool(quick, quick.name, {"image": base64.b64encode(GREEN).decode()})
        await first
    told = answer["structuredContent"]
    assert told["error"] == "history_busy", told
    assert "another change" in told["message"], told["message"]
    assert "restart the host" not in told["message"], told["message"]
    assert RESTART_ADVICE not in told["message"]
