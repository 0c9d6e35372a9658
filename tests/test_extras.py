"""A missing extra's advice works from a clone: the package is not on the index yet."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ocp_users_photo.extras import install_command

CLONE_FORM = "pip install '.[{extra}]'"


def test_install_command_names_the_clone_form_and_the_index_form() -> None:
    advice = install_command("mcp")
    assert CLONE_FORM.format(extra="mcp") in advice
    assert "pip install 'ocp-users-photo[mcp]'" in advice
    assert "pip install -U '.[fast]'" in install_command("fast", upgrade=True)


def _run_without(module: str, code: str) -> str:
    script = f"import sys\nsys.modules[{module!r}] = None\n{code}\n"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    return done.stdout + done.stderr


@pytest.mark.parametrize(
    ("blocked", "code", "extra"),
    [
        (
            "mcp",
            "from ocp_users_photo.cli import main\nsys.exit(main(['mcp']))",
            "mcp",
        ),
        ("agents", "import ocp_users_photo.frameworks.openai_agents", "openai-agents"),
        ("pydantic_ai", "import ocp_users_photo.frameworks.pydantic_ai", "pydantic-ai"),
        ("langchain_core", "import ocp_users_photo.frameworks.langchain", "langchain"),
        ("slack_sdk", "import ocp_users_photo.installations", "installations"),
    ],
)
def test_each_missing_extra_says_how_to_install_it_from_a_clone(
    blocked: str, code: str, extra: str
) -> None:
    # Before, the advice was only "pip install 'ocp-users-photo[...]'", which the package
    # index cannot answer while the package is unpublished.
    assert CLONE_FORM.format(extra=extra) in _run_without(blocked, code)


def test_the_fast_stack_and_the_emulator_fixture_advise_the_clone_form() -> None:
    from ocp_users_photo import pytest_plugin
    from ocp_users_photo.slack import stacks

    assert CLONE_FORM.format(extra="emulator") in pytest_plugin._MISSING_EXTRA
    assert "pip install -U '.[fast]'" in stacks.EXTRA_ADVICE
