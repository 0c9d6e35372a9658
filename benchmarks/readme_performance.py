"""The README's Performance section, from one ``bench.py --json`` run (benchmarks/results.json).

    python benchmarks/bench.py --json --results benchmarks/RESULTS.md > benchmarks/results.json
    python -m tests.readme_sections      # rewrites the section (and the README's others)
    python benchmarks/readme_performance.py benchmarks/results.json   # prints it

Only the standard library, so that the README's generator (tests/readme_sections.py) can
load it by path. Every figure is the run's median over repetitions with its min-max.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

BASELINE = "slack_sdk's faster way"  # per row (benchmarks/contenders.py SLACK_SDK_WAYS)


def spread(figure: dict[str, Any], digits: int) -> str:
    """``median (min-max)`` with ``digits`` decimals; ``median (1 run)`` for a figure
    measured once."""
    if figure.get("runs") == 1:
        return f"{figure['median']:.{digits}f} (1 run)"
    return f"{figure['median']:.{digits}f} ({figure['min']:.{digits}f}-{figure['max']:.{digits}f})"


def _table(header: list[str], rows: list[list[str]], text_columns: int = 1) -> list[str]:
    align = ["---"] * text_columns + ["---:"] * (len(header) - text_columns)
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _contender_table(names: list[str], rows: list[list[str]]) -> list[str]:
    """A table of one column per contender, then the plugin's ratios with and without [fast]."""
    return _table(
        [
            "workload",
            *(f"`{name}`" for name in names),
            f"plugin / {BASELINE}",
            f"plugin/httpx / {BASELINE}",
        ],
        rows,
    )


def _load(meta: dict[str, Any]) -> str:
    during = meta.get("load_during") or {}
    sampled = (
        f"{during['min']}-{during['max']} (median {during['median']}) during the run"
        if during.get("samples")
        else "not sampled during the run"
    )
    before = str(meta.get("load_before", "?")).split(" (")[0]
    after = str(meta.get("load_after", "?")).split(" (")[0]
    return f"1-minute load average {sampled}; 1/5/15-minute {before} before, {after} after"


def _versions(meta: dict[str, Any]) -> str:
    wanted = ("httpx", "aiohttp", "slack_sdk", "pillow", "ocp-agent")
    found = [
        entry
        for entry in str(meta.get("versions", "")).split(", ")
        if entry.split(" ")[0] in wanted
    ]
    return ", ".join(found)


def _goals(results: dict[str, Any]) -> list[str]:
    rows = []
    for goal in results["goals"]:
        digits = 1 if goal["goal"] == "checks_us" else 3
        rows.append(
            [
                f"`{goal['goal']}`",
                goal["workload"] + (f" (vs `{goal['rival']}`)" if goal.get("rival") else ""),
                spread(goal, digits),
                goal["bound"],
                "yes" if goal["met"] else "**missed**",
            ]
        )
    return _table(["goal", "workload", "median (min-max)", "bound", "met"], rows, 2)


def _latency(results: dict[str, Any]) -> list[str]:
    latency = results["latency_ms"]
    if not latency:
        return []
    names = list(next(iter(latency.values())))
    by_workload = results["spread_by_workload"].get("plugin_vs_slack_sdk_session", {})
    options = results.get("transport_options_vs_slack_sdk_session", {})
    rows = []
    for workload, figures in latency.items():
        without_extra = options.get(workload, {}).get("plugin/httpx c=1 latency")
        rows.append(
            [
                workload,
                *(spread(figures[name], 2) for name in names),
                spread(by_workload[workload], 3) if workload in by_workload else "",
                spread(without_extra, 3) if without_extra else "",
            ]
        )
    return _contender_table(names, rows)


def _rivals(results: dict[str, Any], key: str) -> list[str]:
    """Which of slack_sdk's ways each row's ratios are to (its faster, by median)."""
    options = results.get("transport_options_vs_slack_sdk_session", {})
    rivals = {workload: row[key] for workload, row in options.items() if key in row}
    if not rivals:
        return []
    named = "; ".join(f"{workload}: `{rival}`" for workload, rival in rivals.items())
    return [f"The ratios are to slack_sdk's faster way in each row: {named}.", ""]


def _throughput(results: dict[str, Any], concurrency: int) -> list[str]:
    entries = {
        key.rsplit(" c=", 1)[0]: figures
        for key, figures in results["throughput"].items()
        if key.endswith(f" c={concurrency}")
    }
    if not entries:
        return []
    names = list(next(iter(entries.values())))
    options = results.get("transport_options_vs_slack_sdk_session", {})
    rows = []
    for workload, figures in entries.items():
        row = options.get(workload, {})
        plugin = row.get(f"plugin c={concurrency} throughput")
        without_extra = row.get(f"plugin/httpx c={concurrency} throughput")
        rows.append(
            [
                workload,
                *(spread(figures[name]["calls_per_s"], 0) for name in names),
                spread(plugin, 3) if plugin else "",
                spread(without_extra, 3) if without_extra else "",
            ]
        )
    return _contender_table(names, rows)


def _photos(results: dict[str, Any]) -> list[str]:
    rows = []
    for label, photo in results.get("photos", {}).items():
        memory = photo.get("memory", {}).get("prepare", {})
        growth = (memory.get("rss_growth") or 0) / 2**20
        rows.append(
            [
                label,
                f"{photo['file_bytes'] / 2**20:.1f}",
                spread(photo["plugin_cpu_ms"], 1),
                spread(photo["least_pillow_cpu_ms"], 1),
                spread(photo["ratio"], 3),
                f"{photo['plugin_box_error_px']:.2f} px, {photo['plugin_encoded_psnr_db']:.1f} dB",
                f"{growth:.1f} ({growth / (photo['file_bytes'] / 2**20):.1f}x)",
            ]
        )
    return _table(
        [
            "photo",
            "file MB",
            "`prepare` CPU ms",
            "least Pillow CPU ms",
            "ratio",
            "box error, PSNR",
            "peak memory growth MB (x file)",
        ],
        rows,
    )


def _agent(results: dict[str, Any]) -> list[str]:
    agent = results.get("agent", {})
    rows = []
    for workload, figures in agent.items():
        if not isinstance(figures, dict) or "agent_vs_call" not in figures:
            continue
        rows.append(
            [
                workload,
                spread(figures["tool.call"], 2),
                spread(figures["agent.call_tool"], 2),
                spread(figures["agent_vs_call"], 3),
                spread(figures["digest_vs_call"], 3),
            ]
        )
    return _table(
        [
            "workload",
            "`tool.call` ms",
            "`agent.call_tool` ms",
            "agent / call",
            "fingerprint / call",
        ],
        rows,
    )


def _checks(results: dict[str, Any]) -> list[str]:
    rows = [
        [
            workload,
            spread(figures["prepare_and_close"], 1),
            spread(figures["reply_check"], 1),
            spread(figures["sum"], 1),
        ]
        for workload, figures in results.get("checks_us_spread", {}).items()
    ]
    return _table(["workload", "prepare + close µs", "reply check µs", "sum µs"], rows)


def _setting(meta: dict[str, Any]) -> str:
    """What else ran, as the run's ``--note`` says (the load counts the benchmark's own client
    and server, up to 2 on 2 cores); a run without one was on a shared machine."""
    note = str(meta.get("note") or "").strip()
    if not note:
        return "The machine was shared with other engineers' work"
    return f"{note[0].upper()}{note[1:]} (the load counts the benchmark's own client and server)"


def render(results: dict[str, Any]) -> str:
    """The section's markdown (without its markers)."""
    meta = results
    contenders = meta.get("contenders", {})
    minutes, seconds = divmod(round(float(meta.get("seconds", 0))), 60)
    lines = [
        f"Measured by `benchmarks/bench.py` on {meta['date']}: {meta['cores']} cores "
        f"({meta['platform']}), Python {meta['python']}; {_versions(meta)}. One loopback "
        f"server in its own process on the other core: {meta.get('server', '?')}. "
        f"{_setting(meta)}: {_load(meta)}. The run took {minutes} min {seconds} s "
        f"(`{meta['command']}`). Every figure: the median over {meta['repetitions']} "
        "repetitions (min-max); ratios are taken within a repetition, so the load's drift "
        f"falls on both sides.{_processes(meta)} Generated from that run's JSON "
        "(`benchmarks/results.json`) by "
        "`python -m tests.readme_sections`; all its tables: "
        "[benchmarks/RESULTS.md](benchmarks/RESULTS.md); methods, findings and what each "
        "missed goal is missing: [benchmarks/README.md](benchmarks/README.md).",
        "",
        "Reproduce (the full run takes 5 to 10 minutes on 2 cores; `--quick`, under a minute, "
        "measures fewer contenders and photos with 3 calls a repetition, a smoke test whose "
        "figures swing too far to compare with these; without `ocp-agent`, installed as "
        "[Use it from an agent](#use-it-from-an-agent) says, the agent path is measured on "
        "the tests' stand-in agent):",
        "",
        "<!-- not run: a full run takes minutes and rewrites the measured files; the suite "
        "checks that this section is what the run's JSON says -->",
        "```sh",
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test,bench]'   # bench has [fast]",
        ".venv/bin/python benchmarks/bench.py --json --results benchmarks/RESULTS.md \\",
        "    > benchmarks/results.json",
        ".venv/bin/python -m tests.readme_sections   # this section, from that JSON",
        "```",
        "",
        "Contenders: " + "; ".join(f"`{name}` {text}" for name, text in contenders.items()) + ".",
        "",
        "**Goals** (issue 17 and earlier; `benchmarks/goals.py`):",
        "",
        *_goals(results),
        "",
        "**Latency at concurrency 1** (ms per call):",
        "",
        *_latency(results),
        "",
        *_rivals(results, "rival c=1"),
        "**Throughput at concurrency 64** (calls per second):",
        "",
        *_throughput(results, 64),
        "",
        *_rivals(results, "rival c=64"),
        "**Camera-like photos**, `prepare` against the least Pillow work with an equivalent "
        "result (CPU time of all threads):",
        "",
        *_photos(results),
        "",
        f"**The agent path** ({results.get('agent', {}).get('agent', '?')}), keeping off:",
        "",
        *_agent(results),
        "",
        "**The checks without I/O** (CPU µs per call):",
        "",
        *_checks(results),
    ]
    return "\n".join(lines) + "\n"


def _processes(meta: dict[str, Any]) -> str:
    """How the repetitions at concurrency 1 were spread over processes (runs since 16:17 on
    2026-12-04 say; a process is a draw for some contenders: benchmarks/README.md)."""
    count = meta.get("latency_processes")
    if not isinstance(count, int) or count < 2:
        return ""
    return (
        f" At concurrency 1 the repetitions ran in {count} fresh processes, one after "
        "another, so the spread shows what a process draws, not only what one process meets."
    )


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    print(render(json.loads(Path(argv[0]).read_text())), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
