"""The package says it is typed (PEP 561): a caller's mypy reads its hints only with py.typed."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import ocp_users_photo
from ocp_users_photo import ActingTool, UsersSetPhoto
from ocp_users_photo.model_tool import ToolDefinition
from ocp_users_photo.undo import UsersRestorePhoto

PACKAGE = Path(ocp_users_photo.__file__).parent
# The installed package (in CI a wheel in site-packages, so this checks what ships) and the
# repository's pyproject.toml, beside tests/.
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_package_carries_the_py_typed_marker() -> None:
    # Without it, `mypy --strict` on code importing ocp_users_photo stops at the import:
    # "module is installed, but missing library stubs or py.typed marker".
    assert '"Typing :: Typed"' in PYPROJECT.read_text(encoding="utf-8")
    assert (PACKAGE / "py.typed").is_file()


@pytest.mark.parametrize("tool_class", [UsersSetPhoto, ActingTool, UsersRestorePhoto])
def test_the_model_tools_give_the_protocols_read_only_members_as_properties(
    tool_class: type,
) -> None:
    # ToolDefinition (and ModelTool) declare name, description and input_schema as read-only
    # properties; pyright matches such a member only to a property, never to another
    # descriptor (microsoft/pyright#3287, "as designed"). With name a Forwarded[str], the
    # README's openai_agents_tools(photo), pydantic_ai_toolset(photo) and
    # langchain_tools(photo) were each a reportArgumentType error under pyright: '"name" is
    # an incompatible type: "Forwarded[str]" is not assignable to "str"'.
    members = [name for name, value in vars(ToolDefinition).items() if isinstance(value, property)]
    assert members == ["name", "description", "input_schema"]
    given = {name: type(inspect.getattr_static(tool_class, name)).__name__ for name in members}
    assert given == dict.fromkeys(members, "property")
