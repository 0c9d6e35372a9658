"""Every test has a time bound: a test that hangs (a lock never let go, an answer never
read) ends its worker and fails the run, rather than holding CI until it is killed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

HANGING_TEST = """
import threading


def test_waits_for_a_lock_nobody_lets_go() -> None:
    lock = threading.Lock()
    lock.acquire()
    lock.acquire()
"""


def test_each_test_is_bounded_and_a_stuck_one_is_ended(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.hasplugin("timeout")
    assert 60 <= float(pytestconfig.getini("timeout")) <= 600
    # "signal" cannot interrupt a wait in C in every case; "thread" ends the process.
    assert pytestconfig.getini("timeout_method") == "thread"


@pytest.mark.runs_long
def test_a_test_that_hangs_fails_the_run_under_the_projects_settings(tmp_path: Path) -> None:
    test_file = tmp_path / "test_hangs.py"
    test_file.write_text(HANGING_TEST)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(tmp_path),
            "-p",
            "no:cacheprovider",
            "-o",
            "timeout=2",  # the project's method, a shorter bound
            str(test_file),
        ],
        capture_output=True,
        text=True,
        timeout=120,  # without a bound the hanging test would hold this run to here
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode != 0, output[-2000:]
    assert "Timeout" in output, output[-2000:]
    assert "test_waits_for_a_lock_nobody_lets_go" in output, output[-2000:]
