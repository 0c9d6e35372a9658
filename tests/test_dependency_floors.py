"""The declared dependency floors hold: each is a release that works where the metadata
lets it be installed (review of the floors, installed for real with
``uv pip install --resolution lowest-direct`` on Python 3.11, 3.12 and 3.13).

These read pyproject.toml and check each floor against a release found broken at that
floor; the release and what it did are in each test's comment.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _requirement(group: str | None, name: str, python: str) -> Requirement:
    """The requirement on ``name`` in ``group`` (None: the base dependencies) that applies
    on Python ``python``."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    lines = project["dependencies"] if group is None else project["optional-dependencies"][group]
    environment = {"python_version": python, "python_full_version": python + ".0"}
    for line in lines:
        requirement = Requirement(line)
        if requirement.name.lower().replace("_", "-") != name:
            continue
        if requirement.marker is None or requirement.marker.evaluate(environment):
            return requirement
    raise AssertionError(f"no requirement on {name} in {group or 'dependencies'} for {python}")


def test_the_postgres_extra_admits_no_sqlalchemy_that_cannot_be_imported_on_3_13() -> None:
    # The package declares Python 3.13 (classifier; requires-python >=3.11). On 3.13.0,
    # SQLAlchemy 2.0.0 (the floor, 'sqlalchemy[asyncio]>=2') raises at import:
    #   AssertionError: Class <class 'sqlalchemy.sql.elements.SQLCoreOperations'> directly
    #   inherits TypingOnly but has additional attributes {'__static_attributes__', ...}
    # and 2.0.30 raises "TypeError: Can't replace canonical symbol for '__firstlineno__'";
    # 2.0.31 is the first that imports. So postgres_lock (and slack_sdk's SQLAlchemy store)
    # cannot be imported at the declared floor.
    requirement = _requirement("postgres", "sqlalchemy", "3.13")
    assert not requirement.specifier.contains("2.0.30"), str(requirement)


def test_the_test_extras_mypy_type_checks_the_readmes_framework_snippets() -> None:
    # tests/test_callers_client_and_types.py::
    #   test_the_readmes_framework_snippets_and_a_text_token_source_type_check
    # fails with mypy 1.10.0 (the floor) to 1.15.0: 'Argument 1 to "openai_agents_tools" has
    # incompatible type "UsersSetPhoto"; expected "ModelTool" ... name: expected "str", got
    # "Forwarded[str]"'; 1.16.1 crashes (INTERNAL ERROR in langsmith); 1.17.0 passes.
    requirement = _requirement("test", "mypy", "3.11")
    assert not requirement.specifier.contains("1.16.1"), str(requirement)


def test_the_test_extras_jsonschema_stubs_know_draft_2020_12() -> None:
    # 'types-jsonschema' has no floor: a lowest resolution installs 3.2.0, and .ci/run's
    # 'mypy --strict ocp_users_photo' then fails: spec.py: Module "jsonschema" has no
    # attribute "Draft202012Validator".
    requirement = _requirement("test", "types-jsonschema", "3.11")
    assert not requirement.specifier.contains("3.2.0"), str(requirement)


def test_the_httpx_floor_leaves_httpcore_unimported_as_the_no_blocking_tests_expect() -> None:
    # httpx 0.27 (the floor, 'httpx>=0.27,<1') imports httpcore in 'import httpx'; five tests
    # of tests/test_no_blocking.py then fail ("the package imports no HTTP stack until a call
    # needs one": ['httpcore'] == []). Either the floor is 0.28 or those tests allow 0.27.
    requirement = _requirement(None, "httpx", "3.11")
    assert not requirement.specifier.contains("0.27.2"), str(requirement)


def test_postgres_lock_without_sqlalchemy_names_the_postgres_extra() -> None:
    # With [installations] but not [postgres], importing the lock the README names
    # (PostgresRefreshLock from ocp_users_photo.installations.postgres_lock) raised a bare
    # "ModuleNotFoundError: No module named 'sqlalchemy'", where every other extra's module
    # says which extra to install.
    script = (
        "import sys\nsys.modules['sqlalchemy'] = None\n"
        "import ocp_users_photo.installations.postgres_lock\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0
    assert "pip install '.[postgres]'" in done.stderr, done.stderr


def test_the_test_extras_sentry_sdk_runs_on_3_13() -> None:
    # On Python 3.13, sentry-sdk 2.0.0 (the floor, 'sentry-sdk>=2.0') to 2.10.0 fail
    # tests/test_debug_secrets.py::test_an_error_reporters_event_with_its_defaults_holds_no_secret
    # with "TypeError: cannot pickle 'FrameLocalsProxy' object"; 2.11.0 passes.
    requirement = _requirement("test", "sentry-sdk", "3.13")
    assert not requirement.specifier.contains("2.10.0"), str(requirement)


def test_the_build_backend_floor_writes_the_license_into_the_metadata() -> None:
    # pyproject.toml declares license = "MIT" (an SPDX expression) and license-files. Hatchling
    # 1.26.x writes core metadata 2.3 by default, and 2.3 has no License-Expression: a wheel
    # built with 1.26.0 or 1.26.1 declares no license at all (its METADATA has neither
    # License nor License-Expression), 1.26.2 and 1.26.3 only 'License: MIT'. 1.27.0 is the
    # first to write 2.4 ('License-Expression: MIT', 'License-File: LICENSE'), which package
    # indexes read. The test extra's hatchling builds the wheel that test_spec.py checks.
    build_system = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["build-system"]
    (backend,) = [
        Requirement(line)
        for line in build_system["requires"]
        if Requirement(line).name.lower() == "hatchling"
    ]
    assert not backend.specifier.contains("1.26.3"), str(backend)
    requirement = _requirement("test", "hatchling", "3.11")
    assert not requirement.specifier.contains("1.26.3"), str(requirement)
