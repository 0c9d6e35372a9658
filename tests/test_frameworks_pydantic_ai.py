"""Pydantic AI's own agent loop, driven by its FunctionModel, sets a photo on the emulator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic_ai import Agent, UnexpectedModelBehavior
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.tools import ToolDefinition

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.frameworks.pydantic_ai import pydantic_ai_toolset
from tests.framework_fixtures import PhotoHost


@dataclass
class Script:
    """A FunctionModel function: one turn per request, each a tool call's arguments or text."""

    turns: list[dict[str, Any] | str]
    seen: list[list[ModelMessage]] = field(default_factory=list)
    offered: list[list[ToolDefinition]] = field(default_factory=list)

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.seen.append(list(messages))
        self.offered.append(list(info.function_tools))
        turn = self.turns.pop(0)
        if isinstance(turn, str):
            return ModelResponse(parts=[TextPart(turn)])
        number = len(self.seen)
        return ModelResponse(
            parts=[ToolCallPart("usersSetPhoto", turn, tool_call_id=f"call_{number}")]
        )

    def parts_sent(self, turn: int) -> list[Any]:
        """The parts of the last request the model got on ``turn`` (1-based)."""
        last = self.seen[turn - 1][-1]
        assert isinstance(last, ModelRequest)
        return list(last.parts)


def retry_request(parts: list[Any]) -> str:
    """The text of Pydantic AI's request to correct a tool call (a ModelRetry), from ``parts``."""
    (part,) = parts
    assert isinstance(part, ToolReturnPart)
    assert part.tool_name == "usersSetPhoto"
    assert part.outcome == "retried"
    assert part.retry is not None
    assert part.retry.cause == "model_retry"
    assert isinstance(part.content, str)
    return part.content


async def run_agent(host: PhotoHost, script: Script, *, max_retries: int = 2) -> Any:
    agent = Agent(
        FunctionModel(script), toolsets=[pydantic_ai_toolset(host.tool, max_retries=max_retries)]
    )
    return await agent.run("Set my Slack photo to portrait.png")


async def test_the_agent_loop_retries_a_refused_call_then_sets_the_photo(
    photo_host: PhotoHost,
) -> None:
    before = await photo_host.avatar_hash()
    script = Script([photo_host.partial_box_call(), photo_host.good_call(), "Done."])
    result = await run_agent(photo_host, script)
    assert result.output == "Done."

    # The refusal's message, as text (Pydantic AI frames it in a request of its own).
    refused = retry_request(script.parts_sent(2))
    assert refused.startswith(
        "usersSetPhoto sent nothing to Slack, 2 problems with the arguments: "
    )
    assert "$.crop_y: " in refused
    assert "$.crop_w: " in refused
    assert not refused.lstrip().startswith("{")

    (returned,) = script.parts_sent(3)
    assert isinstance(returned, ToolReturnPart)
    assert returned.outcome == "success"
    assert isinstance(returned.content, dict)
    assert returned.content["ok"] is True  # run()'s result, as it returned it
    assert returned.content["profile"]["avatar_hash"] != before
    assert await photo_host.avatar_hash() == returned.content["profile"]["avatar_hash"]


async def test_the_model_is_offered_the_input_schema_and_no_token(photo_host: PhotoHost) -> None:
    script = Script(["Nothing to do."])
    await run_agent(photo_host, script)
    offered, undo = script.offered[0]  # the photo tool brings its undo, usersRestorePhoto
    assert undo.name == "usersRestorePhoto"
    assert "token" not in undo.parameters_json_schema["properties"]
    assert offered.name == "usersSetPhoto"
    assert offered.parameters_json_schema == photo_host.tool.input_schema
    assert "token" not in offered.parameters_json_schema["properties"]


async def test_a_token_from_the_model_is_a_retry_not_a_credential(photo_host: PhotoHost) -> None:
    before = await photo_host.avatar_hash()
    stolen = {"image": photo_host.picture.name, "token": "xoxp-from-the-model"}
    script = Script([stolen, "Sorry."])
    result = await run_agent(photo_host, script)
    assert result.output == "Sorry."
    refused = retry_request(script.parts_sent(2))
    assert "$.token" in refused
    assert "xoxp-from-the-model" not in refused
    assert await photo_host.avatar_hash() == before


async def test_a_slack_error_is_the_tools_answer_not_a_retry(photo_host: PhotoHost) -> None:
    photo_host.emulator.state.revoke("xoxp-1-test")
    script = Script([photo_host.good_call(), "Token revoked."])
    result = await run_agent(photo_host, script)
    assert result.output == "Token revoked."
    (returned,) = script.parts_sent(2)
    assert isinstance(returned, ToolReturnPart)
    assert returned.outcome == "success"
    assert isinstance(returned.content, dict)
    assert returned.content["error"] == "token_revoked"


async def test_retries_are_bounded_by_max_retries(photo_host: PhotoHost) -> None:
    # Pydantic AI ends a run whose model keeps making a refused call past max_retries.
    script = Script([photo_host.partial_box_call()] * 2 + ["never reached"])
    with pytest.raises(UnexpectedModelBehavior, match="usersSetPhoto"):
        await run_agent(photo_host, script, max_retries=1)
    assert script.turns == ["never reached"]


@pytest.mark.parametrize(
    "max_retries", [-1, True, 1.5, -(10**5000)], ids=["-1", "True", "1.5", "-10**5000"]
)
def test_max_retries_must_be_a_count(photo_host: PhotoHost, max_retries: Any) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        pydantic_ai_toolset(photo_host.tool, max_retries=max_retries)


@pytest.mark.parametrize(
    ("timeout", "said"),
    [(10**5000, "got a 16610-bit integer"), (-(10**5000), "got a 16610-bit"), (0, "got 0")],
    ids=["10**5000", "-10**5000", "0"],
)
def test_timeout_must_be_seconds_and_is_said_by_its_size(
    photo_host: PhotoHost, timeout: int, said: str
) -> None:
    """repr() of a whole number past 4,300 digits raised Python's own ValueError ("Exceeds
    the limit ... for integer string conversion"), which names no setting."""
    with pytest.raises(ValueError, match="timeout must be a number of seconds above 0") as refused:
        pydantic_ai_toolset(photo_host.tool, timeout=timeout)
    assert said in str(refused.value)


@pytest.mark.parametrize("token", ["xoxb-1-2-bot", None], ids=["bot-token", "no-token"])
async def test_a_host_token_that_cannot_work_is_the_tools_answer_not_a_retry(
    photo_host: PhotoHost, token: str | None
) -> None:
    """A model cannot fix the host's token: it is told (token_not_usable) and the run goes
    on, where a retry request would have had it call again until max_retries ended the run."""
    async with UsersSetPhoto(
        token,
        base_url=photo_host.emulator.base_url,
        image_roots=[photo_host.picture.parent],
        environ={},
    ) as tool:
        host = PhotoHost(tool=tool, picture=photo_host.picture, emulator=photo_host.emulator)
        script = Script([host.good_call(), "I cannot set it: ask your admin for a user token."])
        result = await run_agent(host, script, max_retries=0)
    assert result.output.startswith("I cannot set it")
    (returned,) = script.parts_sent(2)
    assert isinstance(returned, ToolReturnPart)
    assert returned.outcome == "success"
    assert isinstance(returned.content, dict)
    assert returned.content["error"] == "token_not_usable"
    assert [problem["path"] for problem in returned.content["problems"]] == ["$.token"]
    assert not photo_host.emulator.requests.for_path("/api/users.setPhoto")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ('{"image": "data:image/png;base64,' + "A" * 200_000, "may have been cut short"),
        ('"' + "B" * 100_000 + '"', "must be one JSON object"),
        ('{"image": "portrait.png", "crop_x": ' + "9" * 5000 + "}", "a number too long to read"),
    ],
    ids=["cut-short-json", "a-long-string", "a-number-of-5000-digits"],
)
async def test_a_retry_prompt_quotes_none_of_the_models_arguments(
    photo_host: PhotoHost, raw: str, says: str
) -> None:
    """Pydantic's own error repeats its whole input: a model whose inline image was cut
    short at its output limit got all of it back in the retry prompt."""
    script = Script([raw, "Sorry."])
    agent = Agent(FunctionModel(_raw_call(script)), toolsets=[pydantic_ai_toolset(photo_host.tool)])
    result = await agent.run("Set my Slack photo to portrait.png")
    assert result.output == "Sorry."
    (retry,) = script.parts_sent(2)
    assert isinstance(retry, ToolReturnPart)
    assert retry.outcome == "retried"
    prompt = retry.model_response_str()  # what a provider sends the model
    assert says in prompt
    assert f"<{len(raw)} characters, not repeated here>" in prompt
    assert len(prompt) < 1000
    assert "AAAAAAAAAA" not in prompt
    assert "BBBBBBBBBB" not in prompt
    assert "9999999999" not in prompt
    if "crop_x" in raw:  # whole JSON: nothing was cut short at the model's output limit
        assert "cut short" not in prompt
    assert not photo_host.emulator.requests.for_path("/api/users.setPhoto")


def _raw_call(script: Script) -> Any:
    """``script`` with its tool-call turns given as raw argument text (not a dict)."""

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        script.seen.append(list(messages))
        turn = script.turns.pop(0)
        if isinstance(turn, str) and turn == "Sorry.":
            return ModelResponse(parts=[TextPart(turn)])
        return ModelResponse(parts=[ToolCallPart("usersSetPhoto", turn, tool_call_id="c1")])

    return model


@pytest.mark.parametrize(
    ("raw", "outcome", "says"),
    [
        ('{"days": "3"}', "success", "in a week: 10"),
        ('{"days": "three"}', "retried", "valid integer"),
        ("{}", "retried", "Field required"),
    ],
    ids=["converted", "not-a-number", "missing"],
)
async def test_a_tool_the_host_adds_keeps_pydantic_ais_own_argument_checks(
    photo_host: PhotoHost, raw: str, outcome: str, says: str
) -> None:
    """A host adds its own function to the toolset. Its arguments lost Pydantic AI's checks
    (every tool's validator was replaced by the object check): "3" reached ``days: int`` as
    a text, and a wrong or missing argument ended the run with a TypeError, not a retry."""

    def add_days(days: int) -> str:
        return f"in a week: {days + 7}"

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if len(messages) == 1:
            return ModelResponse(parts=[ToolCallPart("add_days", raw, tool_call_id="c1")])
        last = messages[-1]
        assert isinstance(last, ModelRequest)
        (part,) = last.parts
        assert isinstance(part, ToolReturnPart)
        return ModelResponse(parts=[TextPart(f"{part.outcome}: {part.model_response_str()}")])

    toolset = pydantic_ai_toolset(photo_host.tool)
    toolset.add_function(add_days)
    result = await Agent(FunctionModel(model), toolsets=[toolset]).run("Add three days")
    assert result.output.startswith(f"{outcome}: "), result.output
    assert says in result.output
    assert not photo_host.emulator.requests.for_path("/api/users.setPhoto")
