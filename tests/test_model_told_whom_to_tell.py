"""What a model is told of a failure only the person or the host can mend, or one that
may have changed the photo: whom to tell, and that calling again will not help.

Slack's internal_error or fatal_error on users.setPhoto (it may have made the change)
told the model to "check the photo before trying again"; a fixed token under acting_as
for another person, and a token without users.profile:read while keeping, gave it the
host's keywords and steps ("give no token=", "Add the user scope ...") as its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import SlackApiError, register
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import MAY_HAVE_HAPPENED_FOR_MODELS
from tests.conftest import CANARY_TOKEN, inject
from tests.test_ocp_agent import home, slack_emulator_config  # noqa: F401
from tests.undo_fixtures import RED, history_tool, no_read_token


@pytest.mark.parametrize("keep", [False, True])
async def test_a_fixed_token_under_acting_as_tells_a_model_whom_to_tell(
    emulator: RunningEmulator, tmp_path: Path, keep: bool
) -> None:
    """token=, a token source and acting_as are the host's code: a model is told to tell
    the person, and that calling again will not help."""
    async with history_tool(emulator, tmp_path / "h.sqlite3", keep_previous=keep) as tool:
        acting = tool.acting_as(team_id="T0OTHER", user_id="U0SOMEONE")
        result = await acting.run({"image": RED})
    assert result["ok"] is False
    texts = [result["message"], *(problem["message"] for problem in result["problems"])]
    for text in texts:
        for host_only in ("token=", "InstallationTokenSource", "acting_as", "token source"):
            assert host_only not in text, text
        assert "tell the person" in text, text
        assert "calling again will not help" in text, text


@pytest.mark.parametrize("code", ["internal_error", "fatal_error"])
@pytest.mark.parametrize("keep", [False, True])
async def test_slack_failing_partway_tells_a_model_not_to_call_again(
    emulator: RunningEmulator, tmp_path: Path, code: str, keep: bool
) -> None:
    """Slack's own failure of the change may have made it: a model cannot "check the photo
    before trying again", and a call again may change it twice."""
    inject(emulator, Fault.slack_error(code))
    async with history_tool(emulator, tmp_path / "h.sqlite3", keep_previous=keep) as tool:
        result = await tool.run({"image": RED})
    assert result["error"] == code
    message = result["message"]
    assert MAY_HAVE_HAPPENED_FOR_MODELS in message, message
    assert "check the photo before trying again" not in message, message


async def test_the_agents_history_tells_the_model_not_to_call_again(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """ocp-agent's context history carries what the model reads of the failed call."""
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, token=CANARY_TOKEN, base_url=slack_emulator.base_url, environ={})
    agent.register_api("slack")
    inject(slack_emulator, Fault.slack_error("internal_error"))
    with pytest.raises(SlackApiError):
        await agent.call_tool("usersSetPhoto", {"image": "me.png"})
    session = json.dumps(agent.context.to_dict())
    assert MAY_HAVE_HAPPENED_FOR_MODELS in session, session[-1500:]
    assert "check the photo before trying again" not in session, session[-1500:]


async def test_a_missing_read_scope_tells_a_model_whom_to_tell(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Adding a scope and installing the app again are the person's or the host's: a model
    is told to tell them (as for an image folder or a web host it may not use), and that a
    call again meets the same refusal, not "Add the user scope ..." as if it could."""
    token = no_read_token(emulator)
    async with history_tool(emulator, tmp_path / "h.sqlite3", token=token) as tool:
        result = await tool.run({"image": RED})
    assert result["error"] == "previous_photo_not_kept", result
    message = result["message"]
    assert "tell the person that whoever runs the tool must add the user scope" in message
    assert "Calling again will not help" in message, message
    assert "--no-keep-previous" in message, message  # the server's flag, as the host's log
