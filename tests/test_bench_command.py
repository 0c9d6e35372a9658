"""The benchmark command README.md and RESULTS.md show writes the tables they point to.

The command is recorded by the run itself (benchmarks/bench.py). A run made from inside
benchmarks/ once recorded ``--results RESULTS.md``: run as shown, from the repository's
root, that wrote a new RESULTS.md there and left benchmarks/RESULTS.md as it was.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _recorded_command() -> list[str]:
    run = json.loads((REPO / "benchmarks" / "results.json").read_text(encoding="utf-8"))
    return shlex.split(run["command"])


def test_the_recorded_command_runs_from_the_repositorys_root() -> None:
    words = _recorded_command()
    assert words[:2] == ["python", "benchmarks/bench.py"]
    assert (REPO / words[1]).is_file()


def test_the_recorded_command_writes_the_results_file_readme_links() -> None:
    words = _recorded_command()
    written = words[words.index("--results") + 1]
    assert REPO / written == REPO / "benchmarks" / "RESULTS.md"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"`{' '.join(words)}`" in readme
    assert "[benchmarks/RESULTS.md](benchmarks/RESULTS.md)" in readme
