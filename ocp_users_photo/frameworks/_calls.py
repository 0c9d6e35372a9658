"""What every framework adapter shares: reading a model's JSON arguments, wording results."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, Final

from ocp_users_photo.acting_tool import ActingTool
from ocp_users_photo.images.limits import DEFAULT_LIMITS
from ocp_users_photo.images.resolvers import max_text_chars
from ocp_users_photo.model_tool import ModelTool
from ocp_users_photo.safe_text import shown
from ocp_users_photo.tool import UsersSetPhoto

CORRECTABLE: Final = "invalid_arguments"
# Base64 of the largest image the tool takes by default (32 MiB) is ~45 million characters; a
# little more. A photo tool whose ImageLimits take more reads more (max_arguments_chars).
MAX_ARGUMENTS_CHARS: Final = 48 * 1024 * 1024
# What the arguments may hold beside the longest image text (JSON's escapes, the other names).
_BESIDE_THE_IMAGE: Final = MAX_ARGUMENTS_CHARS - max_text_chars(DEFAULT_LIMITS)
# More digits than any argument's range has (crop values reach 65535, entries far fewer).
_MOST_DIGITS: Final = 30


def _whole_number(text: str) -> int | float:
    """A JSON whole number as ``json`` reads it; one of more digits than any argument takes
    as an infinity, which the argument's own check refuses by name with its range (int()
    refuses 4,300 digits with advice for Python programmers, not for a model)."""
    if len(text.lstrip("-")) <= _MOST_DIGITS:
        return int(text)
    return -math.inf if text.startswith("-") else math.inf


def max_arguments_chars(tool: ModelTool) -> int:
    """The longest JSON text of arguments read for ``tool``: ``MAX_ARGUMENTS_CHARS``, or, for a
    photo tool whose ``ImageLimits`` take a larger image, the longest image text it takes
    (``images.resolvers.max_text_chars``) and as much beside it as the default allows."""
    photo = tool.tool if isinstance(tool, ActingTool) else tool
    if not isinstance(photo, UsersSetPhoto):
        return MAX_ARGUMENTS_CHARS
    return max(MAX_ARGUMENTS_CHARS, max_text_chars(photo.limits) + _BESIDE_THE_IMAGE)


def _shorter_arguments_advice(tool: ModelTool) -> str:
    """How a model shortens arguments past the cap: only a photo tool takes an image."""
    photo = tool.tool if isinstance(tool, ActingTool) else tool
    if isinstance(photo, UsersSetPhoto):
        return "give the image as a path or a smaller image"
    return f"give only the arguments {tool.name}'s input schema names"


def is_correctable(result: Mapping[str, Any]) -> bool:
    """Whether ``result`` says nothing was done and the model can fix its arguments: the
    tool's own refusal, which always lists the problems. Slack may answer with a code of
    the same name (its generic ``invalid_arguments``, with no problems listed): that is
    Slack's answer, handed to the model as such, not a call the model can correct."""
    return (
        result.get("ok") is False
        and result.get("error") == CORRECTABLE
        and bool(result.get("problems"))
    )


def result_text(result: Mapping[str, Any]) -> str:
    """``result`` as the JSON text a model reads."""
    return json.dumps(result, ensure_ascii=False)


async def run_json_arguments(
    tool: ModelTool,
    arguments_json: str,
    *,
    read: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run ``tool`` with arguments a model wrote as JSON text; bad JSON is a correctable error.

    ``read``: the object as the tool takes it (a strict schema's nulls taken out).

    Whatever the text holds (a number of 5,000 digits, arrays nested 100,000 deep, 100 MB),
    the answer is a result, never an exception. (The OpenAI Agents SDK parses the text once
    itself before calling the tool, and its own parse of nesting that deep raises there.)
    """
    most = max_arguments_chars(tool)
    if len(arguments_json) > most:
        return _refused(
            tool,
            f"the arguments are {len(arguments_json)} characters of JSON, more than "
            f"{most}: {_shorter_arguments_advice(tool)}",
        )
    try:
        arguments = (
            json.loads(arguments_json, parse_int=_whole_number) if arguments_json.strip() else {}
        )
    except json.JSONDecodeError as error:
        return _refused(tool, f"the arguments are not valid JSON ({error.msg}, at {error.pos})")
    except RecursionError:
        return _refused(tool, "the arguments nest too deeply to read: give a flat JSON object")
    except ValueError as error:
        return _refused(tool, f"the arguments cannot be read as JSON ({shown(str(error), 120)})")
    if not isinstance(arguments, dict):
        return _refused(tool, "the arguments must be a JSON object of names to values")
    return await tool.run(arguments if read is None else read(arguments))


def _refused(tool: ModelTool, problem: str) -> dict[str, Any]:
    """The shape of ``run``'s own refusal, for arguments that never reached it."""
    return {
        "ok": False,
        "error": CORRECTABLE,
        "message": f"{tool.name} sent nothing to Slack: {problem}",
        "problems": [{"path": "$", "message": problem}],
    }
