"""Hostile review 14: what a model's arguments make of the messages and records it is given.

Driven as real clients drive the doors: the mcp SDK's client over stdio against the
package's emulator, and ocp-agent's agent with arguments parsed from a model's text.
"""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import InvalidArguments
from ocp_users_photo.arguments import parse_arguments
from ocp_users_photo.emulator import RunningEmulator
from tests.conftest import CANARY_TOKEN, photo_requests
from tests.test_mcp_server import assert_refused, mcp_session
from tests.test_ocp_agent import home, slack_emulator_config  # noqa: F401


def _problem_messages(result: dict[str, Any]) -> dict[str, str]:
    return {problem["path"]: problem["message"] for problem in result["problems"]}


async def test_a_look_alike_argument_name_is_told_apart_over_mcp(tmp_path: Path) -> None:
    """A name with a Cyrillic ie (U+0435) for its "e", or an invisible character after it,
    was quoted as it came (looking exactly like 'image') or not at all ("a text of 6
    characters"), beside "image is required": the model read a refusal of the very name it
    believed it sent. Escaped, the difference is in the text; nothing is sent either way."""
    async with mcp_session(tmp_path) as session:
        for name, escaped in (("imag\u0435", "imag\\u0435"), ("image\u200b", "image\\u200b")):
            result = await session.call({name: "photo.png"})
            error = assert_refused(result, "$.image")
            said = " ".join(_problem_messages(error).values())
            assert f"unknown argument '{escaped}'" in said, said
            assert name not in json.dumps(error, ensure_ascii=False)
        assert photo_requests(session.slack) == []


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("\u202e12", "'\\u202e12'"),  # a bidi override: no longer hidden as "a text of 3"
        ("\x1b[2J1", "'\\x1b[2J1'"),  # an escape: shown as what it is, never sent raw
        ("1\u0660", "'1\\u0660'"),  # an Arabic-Indic zero beside a 1: not the digit it looks
    ],
)
def test_a_crop_text_that_is_not_what_it_looks_is_quoted_escaped(value: str, shown: str) -> None:
    _, problems = parse_arguments(
        {"image": "me.png", "crop_x": value, "crop_y": 0, "crop_w": 512},
        configured_token=None,
        configured_token_problems=[],
        model_facing=True,
    )
    (crop,) = [problem for problem in problems if problem.path == "$.crop_x"]
    assert crop.message.endswith(f"got {shown}"), crop.message
    assert crop.message.isascii()


def test_a_long_or_token_shaped_name_is_still_not_quoted() -> None:
    """Escaping does not widen what is quoted: a token (in any case) as a name stays unsaid."""
    for name in (CANARY_TOKEN, CANARY_TOKEN.upper()):
        _, problems = parse_arguments(
            {"image": "me.png", name: 1},
            configured_token=None,
            configured_token_problems=[],
            model_facing=True,
        )
        # The name is refused, described by its length (not an empty list, which says nothing).
        unknown = [problem for problem in problems if "unknown argument" in problem.message]
        assert [problem.path for problem in unknown] == [f"$[a text of {len(name)} characters]"]
        assert all(name not in str(problem) for problem in problems)


async def test_a_models_nan_crop_leaves_the_agents_context_strict_json(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """A host that reads a model's arguments with json.loads gets NaN for NaN (Python's
    default). The refusal is right, but the history kept the value as given, and ocp-agent
    sends its whole context as JSON with every later request (OCP-Session): json.dumps
    writes NaN, which no strict JSON parser (a server's, a browser's) reads."""
    from ocp_users_photo import OCPAgent

    arguments = json.loads(
        '{"image": "me.png", "crop_x": NaN, "crop_y": Infinity, "crop_w": -Infinity}'
    )
    async with OCPAgent(
        token=CANARY_TOKEN, base_url=slack_emulator.base_url, enable_cache=False
    ) as agent:
        await agent.register_api("slack")
        with pytest.raises(InvalidArguments):
            await agent.call_tool("usersSetPhoto", arguments)
        headers = ocp_agent_library.OCPHeaders.encode_context(agent.context)
    session = headers["OCP-Session"].removeprefix("gzip:")
    raw = base64.b64decode(session)
    text = (gzip.decompress(raw) if headers["OCP-Session"].startswith("gzip:") else raw).decode()

    def refuse(constant: str) -> None:
        raise AssertionError(f"the OCP-Session JSON holds {constant}, which is no JSON")

    context = json.loads(text, parse_constant=refuse)
    (call,) = [entry for entry in context["history"] if entry["result"] == "executing"]
    assert call["metadata"]["parameters"]["crop_x"] == "<float>"
    assert photo_requests(slack_emulator) == []


@pytest.mark.parametrize("text", ["XOXP-1234", "Xoxb-9", "xapp-1-A", "XAPP-1"])
def test_a_short_token_shaped_text_in_any_case_is_kept_out_of_histories(text: str) -> None:
    """``quotable`` looked for "xox" in lower case only: a short "XOXP-..." crop text went
    into a call's history (and the agent's context) as given. Follow-up of the review."""
    from ocp_users_photo.argument_view import safe_view
    from ocp_users_photo.credentials import quotable

    assert not quotable(text)
    assert safe_view({"crop_x": text})["crop_x"] == "<str>"
