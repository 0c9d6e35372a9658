"""Where each error of the README's tree is imported from, as the README says, and that
catching UsersPhotoError catches every one of them."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import ocp_users_photo

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
PLACES = {
    "ocp_users_photo": [
        "UsersPhotoError",
        "InvalidArguments",
        "TokenNotUsable",
        "SlackApiError",
        "RateLimited",
        "ReplySchemaError",
        "TransportError",
        "TokenUnavailable",
    ],
    "ocp_users_photo.web_image": ["ImageUrlRefused"],
    "ocp_users_photo.undo": [
        "KeepingImpossible",
        "HistoryUnavailable",
        "HistoryBusy",
        "NothingToUndo",
        "UndoOvertaken",
    ],
}


@pytest.mark.parametrize(
    ("module", "name"), [(module, name) for module, names in PLACES.items() for name in names]
)
def test_each_error_is_where_the_readme_says_and_a_users_photo_error(
    module: str, name: str
) -> None:
    error = getattr(importlib.import_module(module), name)
    assert issubclass(error, ocp_users_photo.UsersPhotoError)
    assert f" {name} " in README or f"`{name}`" in README


def test_the_readme_tree_names_no_error_left_out_here() -> None:
    tree = README.split("### Errors", 1)[1].split("```", 2)[1]
    named = set(re.findall(r"[├└]── (\w+)", tree))
    listed = {name for names in PLACES.values() for name in names}
    assert named == listed - {"UsersPhotoError"}
