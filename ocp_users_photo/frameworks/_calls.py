"""What every framework adapter shares: reading a model's JSON arguments, wording results."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from ocp_users_photo.model_tool import ModelTool

CORRECTABLE: Final = "invalid_arguments"


def missing_framework(extra: str, error: ModuleNotFoundError) -> ImportError:
    """The ImportError to raise when a framework's package is not installed."""
    return ImportError(
        f"the {extra} extra is not installed ({error.name or extra} is missing): "
        f"pip install 'ocp-users-photo[{extra}]'"
    )


def is_correctable(result: Mapping[str, Any]) -> bool:
    """Whether ``result`` says nothing was done and the model can fix its arguments."""
    return result.get("ok") is False and result.get("error") == CORRECTABLE


def result_text(result: Mapping[str, Any]) -> str:
    """``result`` as the JSON text a model reads."""
    return json.dumps(result, ensure_ascii=False)


async def run_json_arguments(tool: ModelTool, arguments_json: str) -> dict[str, Any]:
    """Run ``tool`` with arguments a model wrote as JSON text; bad JSON is a correctable error."""
    try:
        arguments = json.loads(arguments_json) if arguments_json.strip() else {}
    except json.JSONDecodeError as error:
        return _refused(tool, f"the arguments are not valid JSON ({error.msg}, at {error.pos})")
    if not isinstance(arguments, dict):
        return _refused(tool, "the arguments must be a JSON object of names to values")
    return await tool.run(arguments)


def _refused(tool: ModelTool, problem: str) -> dict[str, Any]:
    """The shape of ``run``'s own refusal, for arguments that never reached it."""
    return {
        "ok": False,
        "error": CORRECTABLE,
        "message": f"{tool.name} was not called: {problem}",
        "problems": [{"path": "$", "message": problem}],
    }
