"""The emulator stays an optional extra: only its own package and the pytest plugin import it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import ocp_users_photo
from ocp_users_photo.emulator import ASSUMPTIONS

pytest_plugins = ["pytester"]

PACKAGE = Path(ocp_users_photo.__file__).parent
EXTRA_MODULES = {"starlette", "uvicorn", "multipart", "python_multipart"}
# A module set to None in sys.modules cannot be imported: as if the extra were absent.
BLOCK_EXTRA = (
    "import sys\n"
    "for name in ('starlette', 'uvicorn', 'multipart', 'python_multipart'):\n"
    "    sys.modules[name] = None\n"
)


def imported_top_level_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_emulator_package_imports_the_extra() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "emulator" or relative.name == "pytest_plugin.py":
            continue
        if imported_top_level_modules(path) & EXTRA_MODULES:
            offenders.append(str(relative))
    assert offenders == []
    # The check can fail: the emulator itself does import the extra.
    assert imported_top_level_modules(PACKAGE / "emulator" / "server.py") & EXTRA_MODULES


def test_plugin_imports_without_the_extra() -> None:
    script = BLOCK_EXTRA + "import ocp_users_photo.pytest_plugin\nprint('loaded')\n"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded"


def test_fixture_without_the_extra_fails_with_a_clear_message(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(BLOCK_EXTRA)
    pytester.makepyfile("def test_uses_it(slack_emulator):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:langsmith_plugin")
    result.assert_outcomes(errors=1)
    assert "pip install 'ocp-users-photo[emulator]'" in result.stdout.str()


def test_assumptions_are_listed_plain_sentences() -> None:
    assert len(ASSUMPTIONS) >= 10
    assert all(isinstance(item, str) and item.endswith(".") for item in ASSUMPTIONS)
    assert len(set(ASSUMPTIONS)) == len(ASSUMPTIONS)
