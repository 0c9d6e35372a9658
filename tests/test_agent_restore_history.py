"""usersRestorePhoto through the real ocp-agent leaves its trace in the agent's history.

Every ``call_tool('usersSetPhoto', ...)``, a refusal included, records a tool_call entry
and then a tool_response or tool_error. For usersRestorePhoto only a photo put back was
recorded: the list, a bad entry, a token argument and a bot token's refusal added nothing,
so a model reading the history never saw its failed undo (a review of 2026-12-05).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ocp_users_photo import UsersPhotoError, register
from ocp_users_photo.emulator import RunningEmulator
from tests.conftest import CANARY_TOKEN


@pytest.mark.parametrize(
    ("arguments", "headers", "ending"),
    [
        ({}, None, "tool_response"),
        ({"entry": "abc"}, None, "tool_error"),
        ({"token": CANARY_TOKEN}, None, "tool_error"),
        ({}, {"Authorization": "Bearer xoxb-1-2-a-bot-token-here"}, "tool_error"),
    ],
    ids=["the-list", "a-bad-entry", "a-token-argument", "a-bot-token"],
)
async def test_each_undo_call_is_in_the_agents_history(
    emulator: RunningEmulator,
    ocp_agent_library: Any,
    arguments: dict[str, Any],
    headers: dict[str, str] | None,
    ending: str,
) -> None:
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    photo = register(agent, base_url=emulator.base_url, token=CANARY_TOKEN)
    try:
        before = len(agent.context.history)
        code: str | None = None
        try:
            await agent.call_tool("usersRestorePhoto", arguments, headers=headers)
        except UsersPhotoError as refused:
            code = refused.code
        added: list[dict[str, Any]] = agent.context.history[before:]
    finally:
        await photo.aclose()
    actions = [entry["action"] for entry in added]
    assert actions == ["tool_call:usersRestorePhoto", f"{ending}:usersRestorePhoto"]
    last = added[-1]
    if ending == "tool_error":
        assert code is not None
        assert last["metadata"]["error_code"] == code
    else:
        assert code is None
        assert last["metadata"]["success"] is True
    recorded = json.dumps(added, default=str)
    assert CANARY_TOKEN not in recorded
    assert "xoxb-1-2-a-bot-token-here" not in recorded
