"""The ModelTool surface the framework adapters read, its checks, and lazy framework imports."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.model_tool import ModelTool, checked_model_tools

ADAPTERS = [
    ("ocp_users_photo.frameworks.openai_agents", "agents", "openai-agents"),
    ("ocp_users_photo.frameworks.pydantic_ai", "pydantic_ai", "pydantic-ai"),
    ("ocp_users_photo.frameworks.langchain", "langchain_core", "langchain"),
]


@dataclass
class SketchTool:
    """A tool of the same surface as UsersSetPhoto, as a second tool would be."""

    name: str = "usersRestorePhoto"
    description: str = "Put back the photo replaced last."
    input_schema: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.input_schema is None:
            self.input_schema = {"type": "object", "properties": {}, "additionalProperties": False}

    async def run(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        return {"ok": True}


def test_users_set_photo_is_a_model_tool() -> None:
    tool = UsersSetPhoto("xoxp-1-test", environ={})
    assert isinstance(tool, ModelTool)
    assert checked_model_tools([tool, SketchTool()]) == [tool, SketchTool()]


class SyncRun(SketchTool):
    def run(self, arguments: Mapping[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        return {"ok": True}


@pytest.mark.parametrize(
    ("tools", "error", "message"),
    [
        ([], ValueError, "at least one tool"),
        (["usersSetPhoto"], TypeError, "name, description and input_schema"),
        ([SyncRun()], TypeError, "async run"),
        ([SketchTool(), SketchTool()], ValueError, "two tools are named usersRestorePhoto"),
        ([SketchTool(name="set photo")], ValueError, "letters, digits"),
        (
            [SketchTool(input_schema={"type": "object", "properties": {"token": {}}})],
            ValueError,
            "offers token",
        ),
        ([SketchTool(input_schema={"type": "array"})], ValueError, "type object"),
    ],
    ids=["none", "not-a-tool", "sync-run", "same-name", "bad-name", "token", "not-an-object"],
)
def test_what_cannot_be_offered_to_a_model_is_refused_with_the_reason(
    tools: list[Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        checked_model_tools(tools)


@pytest.mark.parametrize(("module", "framework", "extra"), ADAPTERS)
def test_an_adapter_without_its_framework_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, framework: str, extra: str
) -> None:
    # Importing the framework, or any module of it already loaded, now fails as if absent.
    for name in [name for name in sys.modules if name.split(".")[0] == framework]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, framework, None)
    monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(ImportError, match=rf"pip install 'ocp-users-photo\[{extra}\]'"):
        importlib.import_module(module)


def test_the_package_and_the_frameworks_package_import_no_framework() -> None:
    frameworks = [framework for _, framework, _ in ADAPTERS]
    code = (
        "import sys, ocp_users_photo, ocp_users_photo.frameworks, ocp_users_photo.exports; "
        f"print([name for name in {frameworks!r} if name in sys.modules])"
    )
    imported = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert imported.strip() == "[]"
