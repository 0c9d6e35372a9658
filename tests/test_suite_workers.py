"""The suite's own worker count: ``pytest -n auto`` (the README's test line) starts one
worker more than the processors this process may use, and yields to
``PYTEST_XDIST_AUTO_NUM_WORKERS`` where it is set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def workers_started(env: dict[str, str]) -> str:
    """The line pytest-xdist prints for the workers it created, for one quick test file."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "auto",
            "-p",
            "no:cacheprovider",
            "tests/test_hints.py",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    lines = [line for line in run.stdout.splitlines() if line.startswith("created:")]
    assert len(lines) == 1, run.stdout[-2000:]
    return lines[0]


def usable_processors() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@pytest.mark.runs_long
def test_auto_starts_one_worker_more_than_the_processors() -> None:
    env = {
        key: value for key, value in os.environ.items() if key != "PYTEST_XDIST_AUTO_NUM_WORKERS"
    }
    wanted = usable_processors() + 1
    assert workers_started(env) == f"created: {wanted}/{wanted} workers"


@pytest.mark.runs_long
def test_the_environment_variable_still_decides_where_set() -> None:
    env = {**os.environ, "PYTEST_XDIST_AUTO_NUM_WORKERS": "2"}
    assert workers_started(env) == "created: 2/2 workers"
