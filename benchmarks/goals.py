"""The benchmark's goals: the ONE table that bench.py checks and prints and the README shows.

benchmarks/README.md's goal table is generated from GOALS (between the
``<!-- goals -->`` markers), so the printed goals and the documented ones cannot
disagree:

    python benchmarks/goals.py --write benchmarks/README.md   # regenerate the table
    python benchmarks/goals.py --check benchmarks/README.md   # exit 1 when it is stale

A goal is judged on the median over repetitions; the range is shown beside it.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

START = "<!-- goals -->"
END = "<!-- /goals -->"


@dataclass(frozen=True)
class Goal:
    """What a figure must reach: ``figure <op> bound``, for every workload it applies to."""

    key: str  # the figure's name in --json's "goals" list
    what: str
    op: Literal["<=", ">=", "<"]
    bound: float
    unit: str  # "x" for a ratio, "µs", "of the file"
    applies_to: str
    source: str  # the issue that set it

    def met(self, value: float) -> bool:
        if self.op == "<=":
            return value <= self.bound
        if self.op == ">=":
            return value >= self.bound
        return value < self.bound

    @property
    def bound_text(self) -> str:
        unit = "x" if self.unit == "x" else f" {self.unit}"
        return f"{self.op} {self.bound:g}{unit}"


GOALS: tuple[Goal, ...] = (
    Goal(
        "plugin_vs_slack_sdk_session",
        "latency at concurrency 1, plugin / slack_sdk with one shared aiohttp session",
        "<=",
        1.0,
        "x",
        "100 KB, 1 MB and 5 MB, each from a path and from bytes",
        "#17",
    ),
    Goal(
        "throughput_vs_slack_sdk_session_c64",
        "throughput at concurrency 64, plugin / slack_sdk with one shared aiohttp session",
        ">=",
        1.0,
        "x",
        "100 KB, 1 MB and 5 MB, each from a path and from bytes",
        "#17",
    ),
    Goal(
        "photo_prepare_vs_pillow",
        "prepare time on a camera-like photo, plugin / the least Pillow work with an "
        "equivalent result",
        "<=",
        1.1,
        "x",
        "12 MP and 24 MP JPEG (with and without EXIF orientation 6), 4000x3000 PNG",
        "#17",
    ),
    Goal(
        "agent_vs_call",
        "agent.call_tool('usersSetPhoto') / tool.call, keeping (undo) off",
        "<=",
        1.05,
        "x",
        "1 MB and 5 MB from a path",
        "#17, #10",
    ),
    Goal(
        "checks_us",
        "the plugin's checks per call without I/O (prepare + close + reply check)",
        "<=",
        50.0,
        "µs",
        "1 MB PNG and JPEG, each from a path and from bytes",
        "#17",
    ),
    Goal(
        "plugin_vs_httpx",
        "latency at concurrency 1, plugin / one shared httpx.AsyncClient with the same 256 KB "
        "write batching",
        "<=",
        1.05,
        "x",
        "1 MB PNG from a path",
        "earlier",
    ),
    Goal(
        "plugin_vs_slack_sdk",
        "latency at concurrency 1, plugin / slack_sdk as documented (a session per call)",
        "<=",
        1.0,
        "x",
        "1 MB PNG from a path",
        "earlier",
    ),
    Goal(
        "throughput_vs_httpx_c64",
        "throughput at concurrency 64, plugin / one shared httpx.AsyncClient with the same "
        "256 KB write batching",
        ">=",
        0.95,
        "x",
        "100 KB, 1 MB and 5 MB, each from a path and from bytes",
        "earlier",
    ),
    Goal(
        "memory_20mb_share",
        "peak memory growth uploading a 20 MB PNG from a path, / the file's size",
        "<",
        0.25,
        "of the file",
        "the plugin",
        "earlier",
    ),
    Goal(
        "import_vs_httpx",
        "`import ocp_users_photo` time / `import httpx` time",
        "<=",
        1.3,
        "x",
        "fresh interpreters",
        "earlier",
    ),
    Goal(
        "class_import_vs_httpx",
        "`from ocp_users_photo import UsersSetPhoto` time / `import httpx` time",
        "<=",
        1.3,
        "x",
        "fresh interpreters",
        "earlier",
    ),
)

BY_KEY = {goal.key: goal for goal in GOALS}


def markdown_table() -> str:
    rows = [
        "| goal | figure | bound | for | set by |",
        "| --- | --- | --- | --- | --- |",
    ]
    for goal in GOALS:
        rows.append(
            f"| `{goal.key}` | {goal.what} | {goal.bound_text} | {goal.applies_to} | "
            f"{goal.source} |"
        )
    return "\n".join(rows)


def render(text: str) -> str:
    """``text`` with the section between the goal markers replaced by the current table."""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"no {START} ... {END} section to fill")
    return pattern.sub(lambda _: f"{START}\n{markdown_table()}\n{END}", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The benchmark's goal table.")
    parser.add_argument("--write", type=Path, help="rewrite the goal section of this file")
    parser.add_argument("--check", type=Path, help="exit 1 when this file's goal section is stale")
    options = parser.parse_args(argv)
    if options.write:
        text = options.write.read_text()
        options.write.write_text(render(text))
        return 0
    if options.check:
        text = options.check.read_text()
        if render(text) != text:
            print(f"{options.check}: the goal table is out of date; run --write", file=sys.stderr)
            return 1
        return 0
    print(markdown_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
