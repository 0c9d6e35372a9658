"""Review of the framework doors (round 14): a framework's timeout, then the undo it offers."""

from __future__ import annotations

import dataclasses
import json

from agents import Agent, FunctionTool, RunConfig, Runner

from ocp_users_photo.emulator import Fault
from ocp_users_photo.frameworks.openai_agents import openai_agents_tools
from tests.framework_fixtures import PhotoHost
from tests.test_frameworks_openai_agents import Call, ScriptedModel


async def test_a_listing_after_a_timed_out_change_does_not_call_it_a_change_that_did_not_happen(
    photo_host: PhotoHost,
) -> None:
    """The OpenAI Agents SDK's tool timeout cancels usersSetPhoto once its upload is with
    Slack, which sets it a second later (the keeper holds the person's turn meanwhile). The
    model's usersRestorePhoto listing, asked at once, read the photo shown before Slack had
    set it and told the model "the changes they record did not happen": an undo that was
    there to make was hidden, and the model was told its change failed as it landed."""
    photo_host.tool._keeper_in("required").settle_seconds = 2.0  # a short hold, for the test
    photo_host.emulator.faults.inject(Fault.delay(1.0), path="users.setPhoto")
    tools = openai_agents_tools(photo_host.tool)
    set_photo = tools[0]
    assert isinstance(set_photo, FunctionTool)
    tools[0] = dataclasses.replace(set_photo, timeout_seconds=0.4)
    model = ScriptedModel(
        [
            Call("usersSetPhoto", json.dumps(photo_host.good_call())),
            Call("usersRestorePhoto", json.dumps({"entry": None})),
            "Done.",
        ]
    )
    agent = Agent(name="assistant", model=model, tools=tools)
    result = await Runner.run(agent, "x", run_config=RunConfig(tracing_disabled=True))
    assert result.final_output == "Done."

    timed_out = model.inputs[1][-1]["output"]
    assert "timed out" in timed_out
    listing = json.loads(model.inputs[2][-1]["output"])
    assert listing["ok"] is True
    assert "have not taken effect" not in listing["message"]
    # The last change kept here: whether Slack shows its photo or one set since by a change
    # that kept nothing, no answer says (test_undo_doubt_resolved.py).
    assert (
        "To undo the last change kept here, call usersRestorePhoto with entry 1"
        in (listing["message"])
    )
    # Slack did set the photo the timed-out call sent.
    assert await photo_host.avatar_hash() != listing["entries"][0]["avatar_hash"]
