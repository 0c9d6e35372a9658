"""The Quick start's test line on a newcomer's machine, where ocp-agent is not installed.

README, Quick start: "Without ocp-agent, which is not on the package index, its tests are
skipped and say so". .ci/run always installs ocp-agent from ../shared/vendor, so it never
runs the suite the way the Quick start's second line does on a fresh machine. There
(first-try run of c89bded, a fresh clone, Python 3.13, the line exactly as written) it
exited 1: "4 failed, 3665 passed, 77 skipped, 1 error", each an ImportError of ocp-agent
or a consequence of its absence (a module-level import of OCPAgent, a README program run
without it, the lazy names' check, a test without the ocp_agent_library fixture).

Here every test file that could meet ocp-agent (it names OCPAgent, ocp_agent or the
package's ``__all__``, or uses the helpers that do) runs with ocp-agent hidden (a
sitecustomize on PYTHONPATH, so that the programs they start do not find it either):
they must pass or skip, and each skip must say how to install it. Of their tests, those
whose code may meet ocp-agent run (tests/ocp_agent_dependents.py); the command line and
MCP server the corpus starts run without ocp-agent in the suite itself (test_corpus.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.without_ocp_agent import environment_without_ocp_agent

ROOT = Path(__file__).resolve().parent.parent
# What a test file that may need ocp-agent names: the agent, its package, the package's
# public names (OCPAgent is left out of __all__ without it), the helpers that use it.
MAY_NEED_OCP_AGENT = re.compile(r"OCPAgent|ocp_agent|__all__|corpus_doors|standin_agent")
SKIP_REASON = "ocp-agent is not installed"
# Of those files' tests, the ones whose code may meet ocp-agent (every file is still
# collected whole): the others run as they do in the suite itself.
ONLY_THOSE = ["-p", "tests.ocp_agent_dependents"]


def files_that_may_need_ocp_agent() -> list[str]:
    here = Path(__file__).name
    return sorted(
        f"tests/{path.name}"
        for path in (ROOT / "tests").glob("test_*.py")
        if path.name != here and MAY_NEED_OCP_AGENT.search(path.read_text(encoding="utf-8"))
    )


# One process: a second worker would collect every file again, which costs more here than
# the tests it would run beside the first (about 15 s of CPU for under 50 s of tests).
@pytest.mark.runs_long
def test_the_quick_starts_test_line_passes_without_ocp_agent(tmp_path: Path) -> None:
    env = environment_without_ocp_agent(tmp_path / "hide", os.environ)
    env["PYTHONPATH"] = os.pathsep.join((env["PYTHONPATH"], str(ROOT)))
    hidden = subprocess.run(
        [
            sys.executable,
            "-c",
            "import ocp_users_photo; print('OCPAgent' in ocp_users_photo.__all__)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert hidden.stdout.strip() == "False", "ocp-agent was not hidden"
    files = files_that_may_need_ocp_agent()
    assert len(files) >= 30, files  # the selection still finds the agent's tests
    pytest_command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *ONLY_THOSE]
    ran = subprocess.run(
        [*pytest_command, "-q", "-rs", "-n", "0", *files],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout[-6000:]
    # Most of what was kept ran (tests/test_ocp_agent_dependents.py: what is left out).
    assert int(re.findall(r"(\d+) passed", ran.stdout)[-1]) >= 100, ran.stdout[-2000:]
    skips = [line for line in ran.stdout.splitlines() if SKIP_REASON in line]
    assert skips, "no test skipped for ocp-agent: it was not hidden from the run"
    assert all("README" in line for line in skips), skips[:3]  # where to read how to install it
