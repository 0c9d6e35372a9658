"""The README tells the truth: generated tables current, two Quick start commands, CI runs one."""

from __future__ import annotations

import re

from tests.readme_sections import README, render

ROOT = README.parent


def quick_start_commands() -> list[str]:
    text = README.read_text()
    block = re.search(
        r"<!-- quick-start -->\n```sh\n(.*?)```\n<!-- /quick-start -->", text, re.DOTALL
    )
    assert block, "README.md's Quick start block is missing"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_generated_sections_are_current() -> None:
    text = README.read_text()
    assert render(text) == text, "run: python -m tests.readme_sections"


def test_the_quick_start_is_two_commands_demo_then_tests() -> None:
    demo, tests = quick_start_commands()
    assert demo.endswith("ocp-users-photo demo")
    assert "pip install '.[emulator]'" in demo
    assert tests.endswith(".venv/bin/pytest -n auto")
    assert "pip install '.[test]'" in tests


def test_ci_runs_the_readmes_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "quick-start" in ci
    assert 'eval "$demo_command"' in ci
    assert 'eval "$test_command"' in ci
    assert "took $((SECONDS - started)) s" in ci, "CI prints the suite's duration"
    assert "mypy --strict ocp_users_photo tests" in ci
    assert "ruff check" in ci


def test_the_architecture_names_modules_that_exist() -> None:
    section = README.read_text().split("## Architecture", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"((?:[a-z_]+/)?[a-z_]+\.py)", section))
    assert named, "the Architecture section names no module"
    package = ROOT / "ocp_users_photo"
    assert sorted(name for name in named if not (package / name).exists()) == []
    modules = {
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if path.name not in ("__init__.py", "_version.py", "__main__.py")
        and "emulator" not in path.relative_to(package).parts
    }
    assert sorted(modules - named) == [], "a module the Architecture section does not mention"


def test_the_quick_start_says_how_long_the_tests_take_measured() -> None:
    text = README.read_text()
    section = text.split("<!-- test-time -->", 1)[1].split("<!-- /test-time -->", 1)[0]
    assert re.search(r"took\s+\*\*\d+ s\*\*", section), "the measured time, in seconds"
    assert "2-core" in section
    assert "load average" in section, "how busy the machine was when it was measured"
