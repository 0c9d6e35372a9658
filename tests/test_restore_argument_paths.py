"""usersRestorePhoto names an unknown argument where usersSetPhoto does: a model that misspells
``entry`` is pointed at the very argument ($.entri), not at the whole call ($)."""

from __future__ import annotations

from typing import Any

import pytest

from ocp_users_photo.arguments import parse_arguments
from ocp_users_photo.undo.errors import EntryRefused
from ocp_users_photo.undo.restore_tool import entry_argument


def _refusal_paths(arguments: dict[str, Any]) -> list[str]:
    with pytest.raises(EntryRefused) as refused:
        entry_argument(arguments)
    return [problem.path for problem in refused.value.problems]


def _set_photo_paths(arguments: dict[str, Any]) -> list[str]:
    """Where usersSetPhoto's model door puts the same unknown argument."""
    _, problems = parse_arguments(
        {"image": "me.png", **arguments},
        configured_token=None,
        configured_token_problems=[],
        model_facing=True,
    )
    return [problem.path for problem in problems if "unknown argument" in problem.message]


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ({"entri": 3}, "$.entri"),
        ({"token": "xoxp-9-9-9-from-a-model", "entry": 1}, "$.token"),
        ({"entry number": 2}, "$['entry number']"),
    ],
)
def test_one_unknown_argument_is_named_as_usersSetPhoto_names_it(
    arguments: dict[str, Any], path: str
) -> None:
    assert _refusal_paths(arguments) == [path]
    unknown = {name: value for name, value in arguments.items() if name != "entry"}
    assert _set_photo_paths(unknown) == [path]


def test_several_unknown_arguments_are_one_problem_at_the_call() -> None:
    assert _refusal_paths({"entri": 3, "number": 3}) == ["$"]


def test_a_name_shaped_like_a_token_is_not_repeated_in_the_path() -> None:
    token = "xoxp-1234567890-1234567890-1234567890-abcdef0123456789abcdef0123456789"
    (path,) = _refusal_paths({token: 1})
    assert token not in path
    assert "xoxp-1234567890" not in path
    assert path.startswith("$[")
