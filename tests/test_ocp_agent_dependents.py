"""tests/ocp_agent_dependents.py: which tests the run without ocp-agent keeps.

That run (test_quick_start_without_ocp_agent.py) is what shows the Quick start's test
line passes on a machine without ocp-agent; a test it left out that meets ocp-agent would
go unseen there. Kept must be every test that names it, directly, through a fixture, a
helper of tests/ (followed name by name) or a parameter; left out, the others.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.ocp_agent_dependents import reaches

ROOT = Path(__file__).resolve().parent.parent


def _makes_an_agent() -> Any:
    from ocp_agent import OCPAgent

    return OCPAgent(enable_cache=False)


def _calls_a_helper_that_does() -> Any:
    return _makes_an_agent()


class _Door:
    def open(self) -> Any:
        return _calls_a_helper_that_does()


def _uses_the_door() -> Any:
    return _Door().open()


def _checks_the_names() -> bool:
    import ocp_users_photo

    return "UsersSetPhoto" in ocp_users_photo.__all__


def _meets_nothing() -> int:
    return len(str(ROOT))


def _calls_only_what_meets_nothing() -> int:
    return _meets_nothing() + 1


def _in_a_nested_function() -> Any:
    def inner() -> Any:
        return _calls_a_helper_that_does()

    return inner


def test_code_that_names_ocp_agent_however_deep_is_kept() -> None:
    assert reaches(_makes_an_agent)
    assert reaches(_calls_a_helper_that_does)
    assert reaches(_uses_the_door)  # a class of tests/ named, its methods followed
    assert reaches(_checks_the_names)  # the package's public names hang on it
    assert reaches(_in_a_nested_function)


def test_code_that_reaches_none_of_it_is_left_out() -> None:
    assert not reaches(_meets_nothing)
    assert not reaches(_calls_only_what_meets_nothing)


def test_a_run_keeps_the_agents_tests_and_leaves_out_the_others() -> None:
    files = ["tests/test_spec.py", "tests/test_tenants9.py"]
    plugins = ["-p", "no:cacheprovider", "-p", "tests.ocp_agent_dependents"]
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", *plugins, "--collect-only", "-q", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    kept = set(re.findall(r"^(tests/\S+::\S+)", collected.stdout, re.MULTILINE))
    # Its ocp_agent_library fixture: kept.
    assert (
        "tests/test_tenants9.py::"
        "test_a_registered_header_does_not_override_a_person_the_host_bound_per_request[False]"
    ) in kept
    # Reads only the manifest's schemas: left out.
    assert "tests/test_spec.py::test_parameters_are_the_seeds" not in kept
    # Checks that the package names register as its entry point: kept.
    assert "tests/test_spec.py::test_the_catalog_extensions_say_what_a_catalog_needs" in kept
    assert re.search(r"\d+/\d+ tests collected \(\d+ deselected\)", collected.stdout)
