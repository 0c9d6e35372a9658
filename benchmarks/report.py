"""bench.py's results as one JSON object (``--json``) and as markdown tables (RESULTS.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contenders import DESCRIPTIONS, SLACK_SDK_BEST, SLACK_SDK_WAYS
from goals import GOALS
from spread import Spread
from timing import Latency, Throughput, percentile

if TYPE_CHECKING:
    from bench import GoalResult, Results

SPREAD_KEYS = {
    # the JSON name issue #17 asks for -> the goal it reports (the deciding workload)
    "plugin_vs_slack_sdk_session": "plugin_vs_slack_sdk_session",
    "throughput_vs_slack_sdk_session_c64": "throughput_vs_slack_sdk_session_c64",
    "photo_prepare_vs_pillow": "photo_prepare_vs_pillow",
    "agent_vs_call": "agent_vs_call",
}
OPTIONS = ("plugin", "plugin/httpx", "plugin+aiohttp", "plugin+pool")
AGENT_ORDER = ("tool.call", "call+digest", "agent.call_tool")
BASELINE = SLACK_SDK_BEST  # per row, the faster of SLACK_SDK_WAYS
# The ratio columns of the latency and throughput tables, when both contenders ran.
LATENCY_RATIOS = (
    ("plugin", BASELINE),
    ("plugin/httpx", BASELINE),
    ("plugin+aiohttp", BASELINE),
    ("plugin", "httpx"),
    ("httpx+batching", "httpx"),
)
THROUGHPUT_RATIOS = (
    ("plugin", BASELINE),
    ("plugin/httpx", BASELINE),
    ("plugin+aiohttp", BASELINE),
    ("plugin+pool", BASELINE),
    ("plugin", "httpx"),
)


def _latency_json(latency: Latency) -> dict[str, Any]:
    return {
        name: {
            **Spread.of(per_rep).as_json(5),
            "p99": round(percentile(latency.all_ms[name], 0.99), 5),
            "client_cpu_us_per_call": Spread.of(latency.cpu_us[name]).as_json(3),
        }
        for name, per_rep in latency.per_repetition_ms.items()
    }


def _throughput_json(throughput: Throughput) -> dict[str, Any]:
    return {
        name: {
            "calls_per_s": Spread.of(rates).as_json(3),
            "client_cpu_ms_per_call": Spread.of(throughput.client_cpu_ms[name]).as_json(5),
            "server_cpu_ms_per_call": Spread.of(throughput.server_cpu_ms[name]).as_json(5),
        }
        for name, rates in throughput.rates.items()
    }


def _goal_json(found: GoalResult) -> dict[str, Any]:
    return {
        "goal": found.goal.key,
        "workload": found.workload,
        **found.figure.as_json(),
        "bound": f"{found.goal.op} {found.goal.bound:g}",
        "met": found.met,
        **({"rival": found.rival} if found.rival else {}),
    }


def _options_json(results: Results) -> dict[str, Any]:
    """Each transport option's ratio to slack_sdk with a shared session, c=1 and c=64."""
    found: dict[str, Any] = {}
    for workload, latency in results.latency.items():
        if SLACK_SDK_WAYS[0] not in latency.per_repetition_ms:
            continue
        row: dict[str, Any] = {"rival c=1": results.slack_sdk_way(workload)}
        if (workload, 64) in results.throughput:
            row["rival c=64"] = results.slack_sdk_way(workload, 64)
        for option in OPTIONS:
            if option in latency.per_repetition_ms:
                row[f"{option} c=1 latency"] = results.latency_ratio(
                    workload, option, BASELINE
                ).as_json()
            throughput = results.throughput.get((workload, 64))
            if throughput is not None and option in throughput.rates:
                row[f"{option} c=64 throughput"] = results.throughput_ratio(
                    workload, 64, option, BASELINE
                ).as_json()
        found[workload] = row
    return found


def _http2_json(found: dict[str, Any]) -> dict[str, Any]:
    described: dict[str, Any] = {"server": found.get("server")} if found else {}
    for workload, figures in found.items():
        if workload != "server":
            described[workload] = {
                "latency_ms": _latency_json(figures["latency"]),
                "throughput_c64": _throughput_json(figures["throughput_c64"]),
            }
    return described


def _keeping_json(found: dict[str, Any]) -> dict[str, Any]:
    described: dict[str, Any] = {"measured": True}
    for workload, latency in found.items():
        if isinstance(latency, Latency):
            figures = latency.per_repetition_ms
            described[workload] = {
                **_latency_json(latency),
                "on_vs_off": Spread.of(
                    [
                        a / b
                        for a, b in zip(figures["keeping on"], figures["keeping off"], strict=True)
                    ]
                ).as_json(),
            }
    return described


def _keeping_section(results: Results) -> list[str]:
    lines = ["## Keeping (undo) on and off", ""]
    rows = []
    for workload, latency in results.keeping.items():
        if isinstance(latency, Latency):
            figures = latency.per_repetition_ms
            ratio = Spread.of(
                [a / b for a, b in zip(figures["keeping on"], figures["keeping off"], strict=True)]
            )
            rows.append(
                [workload, _ms(figures["keeping off"]), _ms(figures["keeping on"]), ratio.text(3)]
            )
    return [*lines, *_table(["workload", "off ms", "on ms", "on / off"], rows)]


def json_object(results: Results) -> dict[str, Any]:
    from bench import HEADLINE, HTTPX_AT_BEST

    headline = results.latency.get(HEADLINE)
    goal_results = results.goal_results()
    spread: dict[str, Any] = {}
    by_workload: dict[str, Any] = {}
    for name, key in SPREAD_KEYS.items():
        worst = results.worst(key)
        if worst is not None:
            spread[name] = {**worst.figure.as_json(), "workload": worst.workload}
        by_workload[name] = {
            found.workload: found.figure.as_json()
            for found in goal_results
            if found.goal.key == key
        }

    def headline_ratio(other: str) -> float | None:
        if headline is None or _ran_as(other) not in headline.per_repetition_ms:
            return None
        return round(results.latency_ratio(HEADLINE, "plugin", other).median, 6)

    checks_headline = results.checks(HEADLINE) if HEADLINE in results.prepare_us else None
    return {
        **results.meta,
        # The three ratios below are this one workload's; every workload's, with its spread,
        # is in "spread_by_workload" and "goals".
        "headline_workload": HEADLINE,
        "plugin_vs_httpx": headline_ratio(HTTPX_AT_BEST),
        "plugin_vs_slack_sdk": headline_ratio("slack_sdk"),
        "plugin_vs_slack_sdk_session": headline_ratio(SLACK_SDK_BEST),
        "checks_us_per_call": round(checks_headline.median, 4) if checks_headline else None,
        "prepare_us_per_call": round(Spread.of(results.prepare_us[HEADLINE]).median, 4)
        if HEADLINE in results.prepare_us
        else None,
        "reply_check_us_per_call": round(Spread.of(results.reply_us).median, 4),
        "spread": spread,
        "spread_by_workload": by_workload,
        "goals": [_goal_json(found) for found in goal_results],
        "targets": [
            {
                "target": f"{found.goal.key} {found.goal.bound_text} ({found.workload})",
                "figure": found.figure.text(3),
                "met": found.met,
            }
            for found in goal_results
        ],
        "latency_ms": {
            workload: _latency_json(latency) for workload, latency in results.latency.items()
        },
        "throughput_calls_per_s": {
            f"{workload} c={c}": {
                name: round(Spread.of(rates).median, 3) for name, rates in t.rates.items()
            }
            for (workload, c), t in results.throughput.items()
        },
        "throughput": {
            f"{workload} c={c}": _throughput_json(t)
            for (workload, c), t in results.throughput.items()
        },
        "transport_options_vs_slack_sdk_session": _options_json(results),
        "checks_us": {
            workload: round(results.checks(workload).median, 4) for workload in results.prepare_us
        },
        "checks_us_spread": {
            workload: {
                "prepare_and_close": Spread.of(values).as_json(4),
                "reply_check": Spread.of(results.reply_us).as_json(4),
                "sum": results.checks(workload).as_json(4),
            }
            for workload, values in results.prepare_us.items()
        },
        "photos": {photo.photo.spec.label: photo.as_json() for photo in results.photos},
        "agent": {
            "agent": results.agent_kind,
            "keeping": "off (and on: see keeping)",
            **{
                workload: {
                    **_latency_json(latency),
                    "agent_vs_call": results.agent_ratio(workload).as_json(),
                    "digest_vs_call": Spread.of(
                        [
                            a / b
                            for a, b in zip(
                                latency.per_repetition_ms["call+digest"],
                                latency.per_repetition_ms["tool.call"],
                                strict=True,
                            )
                        ]
                    ).as_json(),
                }
                for workload, latency in results.agent.items()
            },
        },
        "keeping": _keeping_json(results.keeping),  # ISSUE-14
        "http2": _http2_json(results.http2),
        "memory_20mb": results.memory,
        "import_ms": {
            statement: round(Spread.of(values).median, 4)
            for statement, values in results.imports.items()
        },
        "server_stats": results.stats,
    }


# --- markdown ---------------------------------------------------------------------------


def _ms(values: list[float]) -> str:
    return Spread.of(values).text(2)


def _present(pairs: tuple[tuple[str, str], ...], names: list[str]) -> list[tuple[str, str]]:
    """The ratio columns (numerator, denominator) whose two contenders both ran."""

    return [(a, b) for a, b in pairs if _ran_as(a) in names and _ran_as(b) in names]


def _ran_as(name: str) -> str:
    """The contender a column's name stands for: slack_sdk's faster way, when its first way
    ran (the faster is chosen per row)."""
    return SLACK_SDK_WAYS[0] if name == SLACK_SDK_BEST else name


def _ratio_headers(columns: list[tuple[str, str]]) -> list[str]:
    return [f"{a} / {b}" for a, b in columns]


def _table(header: list[str], rows: list[list[str]], right_from: int = 1) -> list[str]:
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(align) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _goals_section(results: Results) -> list[str]:
    rows = []
    for found in results.goal_results():
        rows.append(
            [
                f"`{found.goal.key}`",
                found.workload + (f" (vs `{found.rival}`)" if found.rival else ""),
                found.figure.text(1) if found.goal.unit == "µs" else found.figure.text(3),
                found.goal.bound_text,
                "yes" if found.met else "**missed**",
            ]
        )
    lines = [
        "## Goals",
        "",
        "Each figure: median over repetitions (min-max). The goal is judged on the median; "
        "the goals are goals.py's table (README.md shows the same). Why each missed goal "
        'is missed: README.md, "Findings".',
        "",
        *_table(["goal", "workload", "figure", "bound", "met"], rows, right_from=2),
    ]
    return lines


def _latency_section(results: Results) -> list[str]:
    if not results.latency:
        return []
    names = list(next(iter(results.latency.values())).per_repetition_ms)
    ratio_columns = _present(LATENCY_RATIOS, names)
    rows = []
    for workload, latency in results.latency.items():
        cells = [_ms(latency.per_repetition_ms[name]) for name in names]
        cells += [results.latency_ratio(workload, a, b).text(3) for a, b in ratio_columns]
        rows.append([workload, *cells])
    cpu_rows = [
        [workload, *(f"{Spread.of(latency.cpu_us[name]).median:.0f}" for name in names)]
        for workload, latency in results.latency.items()
    ]
    return [
        "## Latency at concurrency 1 (ms)",
        "",
        "Per repetition, each contender's median call; shown: the median of those, and their "
        "range. Ratios are taken within each repetition.",
        "",
        *_table(["workload", *names, *_ratio_headers(ratio_columns)], rows),
        "",
        "Client CPU per call at concurrency 1 (µs, median over repetitions): the client's "
        "share of each call, which other work on the machine hardly moves.",
        "",
        *_table(["workload", *names], cpu_rows),
    ]


def _throughput_section(results: Results) -> list[str]:
    lines: list[str] = []
    concurrencies = sorted({c for _, c in results.throughput})
    for concurrency in concurrencies:
        entries = [(w, t) for (w, c), t in results.throughput.items() if c == concurrency]
        names = list(entries[0][1].rates)
        ratio_columns = _present(THROUGHPUT_RATIOS, names)
        rows = []
        for workload, throughput in entries:
            cells = [Spread.of(throughput.rates[name]).text(0) for name in names]
            cells += [
                results.throughput_ratio(workload, concurrency, a, b).text(3)
                for a, b in ratio_columns
            ]
            rows.append([workload, *cells])
        lines += [
            f"## Throughput at concurrency {concurrency} (calls/s)",
            "",
            *_table(["workload", *names, *_ratio_headers(ratio_columns)], rows),
            "",
        ]
        cpu_rows = []
        for workload, throughput in entries:
            cpu_rows.append(
                [
                    workload,
                    *(
                        f"{Spread.of(throughput.client_cpu_ms[name]).median:.2f} / "
                        f"{Spread.of(throughput.server_cpu_ms[name]).median:.2f}"
                        for name in names
                    ),
                ]
            )
        lines += [
            f"CPU per call at concurrency {concurrency}, client / server (ms, medians): a side "
            "near the batch's wall time per call is the limit.",
            "",
            *_table(["workload", *names], cpu_rows),
            "",
        ]
    return lines


def _photos_section(results: Results) -> list[str]:
    if not results.photos:
        return []
    rows = []
    for photo in results.photos:
        memory = photo.memory
        prepare_growth = (memory.get("prepare", {}).get("rss_growth") or 0) / 2**20
        pillow_growth = (memory.get("pillow", {}).get("rss_growth") or 0) / 2**20
        file_mb = photo.photo.file_bytes / 2**20
        box = photo.plugin_box
        rows.append(
            [
                photo.photo.spec.label,
                f"{file_mb:.1f}",
                f"{photo.target.size[0]}x{photo.target.size[1]}",
                _ms([s * 1000 for s in photo.plugin_s]),
                _ms([s * 1000 for s in photo.pillow_s]),
                f"{Spread.of(photo.plugin_wall_s).median * 1000:.0f} / "
                f"{Spread.of(photo.pillow_wall_s).median * 1000:.0f}",
                photo.ratio.text(3),
                f"{box} vs ({', '.join(f'{v:.2f}' for v in photo.target.exact_box)}): "
                f"{photo.plugin_box_error:.2f} px",
                f"{photo.plugin_psnr:.1f} / {photo.pillow_encoded_psnr:.1f} "
                f"({photo.pillow_psnr:.1f})",
                "yes" if photo.plugin_equivalent else "**no**",
                f"{prepare_growth:.1f} ({prepare_growth / file_mb:.2f}x)",
                f"{pillow_growth:.1f} ({pillow_growth / file_mb:.2f}x)",
            ]
        )
    return [
        "## Camera-like photos: `prepare` against the least Pillow work",
        "",
        "Least Pillow work: `draft()` for JPEG, resize with the plugin's filter (LANCZOS, the "
        "fastest equivalent `reducing_gap`), rotate after scaling, save with the plugin's "
        "encoder options. Times are CPU time (all threads), the steady measure of CPU work on "
        "a shared machine; wall-time medians beside them. Box: the plugin's scaled crop box "
        "against the exact one (equivalent within 0.5 px). PSNR (dB) against a full decode "
        "resized with the same filter: the plugin's output / the reference's output (the "
        "reference's scaled pixels before encoding, which must be >= 35). Memory: peak "
        "resident growth in a fresh process, MB (times the file size).",
        "",
        *_table(
            [
                "photo",
                "file MB",
                "output",
                "plugin CPU ms",
                "least Pillow CPU ms",
                "wall ms, plugin / Pillow",
                "plugin / Pillow (CPU)",
                "crop box sent vs exact",
                "PSNR",
                "equivalent",
                "plugin memory",
                "Pillow memory",
            ],
            rows,
        ),
    ]


def _agent_section(results: Results) -> list[str]:
    if not results.agent:
        return []
    rows = []
    for workload, latency in results.agent.items():
        figures = latency.per_repetition_ms
        digest = Spread.of(
            [a / b for a, b in zip(figures["call+digest"], figures["tool.call"], strict=True)]
        )
        rows.append(
            [
                workload,
                _ms(figures["tool.call"]),
                _ms(figures["call+digest"]),
                _ms(figures["agent.call_tool"]),
                results.agent_ratio(workload).text(3),
                digest.text(3),
                " / ".join(
                    f"{Spread.of(latency.cpu_us[name]).median / 1000:.2f}" for name in AGENT_ORDER
                ),
            ]
        )
    return [
        "## The agent path",
        "",
        f"Agent: {results.agent_kind}. `register(agent)`, then "
        "`await agent.call_tool('usersSetPhoto', ...)` against `tool.call` on the same tool "
        "and client; `call+digest` is the plugin's call with the summary and the fingerprint "
        "the agent's history records (SHA-256 of the size and the first and last 4 KB; a "
        "full SHA-256 before), without the agent. Keeping (undo): off.",
        "",
        *_table(
            [
                "workload",
                "tool.call ms",
                "call+digest ms",
                "agent.call_tool ms",
                "agent / call",
                "call+digest / call",
                "client CPU ms: call / +digest / agent",
            ],
            rows,
        ),
    ]


def _checks_section(results: Results) -> list[str]:
    rows = []
    for workload, values in results.prepare_us.items():
        rows.append(
            [
                workload,
                Spread.of(values).text(1),
                Spread.of(results.reply_us).text(1),
                results.checks(workload).text(1),
            ]
        )
    return [
        "## The plugin's checks without I/O (µs per call)",
        "",
        "`await tool.prepare(args)` + `close()` (argument checks, image source, header "
        "inspection), and the reply check on a success body (JSON, token scrub, schema). "
        "CPU time per call (batches of calls; no network waits to leave out).",
        "",
        *_table(["workload", "prepare + close", "reply check", "sum"], rows),
    ]


def _memory_section(results: Results) -> list[str]:
    rows = []
    for name, probe in results.memory.items():
        rss = probe["rss_growth"]
        traced = probe["traced_peak"]
        share = max(rss or 0, traced) / probe["file_bytes"]
        rows.append(
            [
                name,
                f"{rss / 2**20:.2f}" if rss is not None else "n/a",
                f"{traced / 2**20:.2f}",
                f"{share:.3f}",
            ]
        )
    return [
        "## Peak memory uploading a 20 MB PNG from a path",
        "",
        "Fresh process per contender, after warm-up uploads: the resident high-water mark's "
        "growth during one upload; tracemalloc's peak during a second.",
        "",
        *_table(["contender", "RSS growth MB", "tracemalloc peak MB", "larger / file"], rows),
    ]


def _imports_section(results: Results) -> list[str]:
    rows = []
    for statement, values in results.imports.items():
        rows.append([f"`{statement}`", _ms(values), results.import_ratio(statement).text(2)])
    return [
        f"## Import time (ms, {results.meta['import_runs']} fresh interpreters each)",
        "",
        *_table(["statement", "ms", "/ import httpx"], rows),
    ]


def _http2_section(results: Results) -> list[str]:
    if not results.http2:
        return []
    rows = []
    for workload, found in results.http2.items():
        if workload == "server":
            continue
        latency: Latency = found["latency"]
        throughput: Throughput = found["throughput_c64"]
        rows.append(
            [
                workload,
                _ms(latency.per_repetition_ms["plugin"]),
                _ms(latency.per_repetition_ms["plugin+h2"]),
                Spread.of(throughput.rates["plugin"]).text(0),
                Spread.of(throughput.rates["plugin+h2"]).text(0),
                f"{Spread.of(throughput.client_cpu_ms['plugin']).median:.2f} / "
                f"{Spread.of(throughput.client_cpu_ms['plugin+h2']).median:.2f}",
            ]
        )
    return [
        "## HTTP/2 (a separate server: the raw one speaks HTTP/1.1 only)",
        "",
        f"Server: {results.http2.get('server', '?')} (HTTP/1.1 and HTTP/2 with prior "
        "knowledge). The plugin with its own client (HTTP/1.1) against the plugin given "
        "`httpx.AsyncClient(http1=False, http2=True)`.",
        "",
        *_table(
            [
                "workload",
                "c=1 ms, HTTP/1.1",
                "c=1 ms, HTTP/2",
                "c=64 calls/s, HTTP/1.1",
                "c=64 calls/s, HTTP/2",
                "client CPU ms/call at c=64, 1.1 / 2",
            ],
            rows,
        ),
    ]


def load_during_text(meta: dict[str, Any]) -> str:
    """The 1-minute load average sampled during the run, as one phrase."""
    during = meta.get("load_during") or {}
    if not during.get("samples"):
        return "not sampled"
    return (
        f"1-minute load average {during['min']} to {during['max']} (median {during['median']}; "
        f"{during['samples']} samples, every {during['every_s']:g} s) on {meta['cores']} cores"
    )


def markdown(results: Results) -> str:
    meta = results.meta
    lines = [
        "# ocp-users-photo benchmark",
        "",
        f"- date: {meta['date']}; the run took {meta.get('seconds', '?')} s",
        f"- machine: {meta['cores']} cores, {meta['platform']}, Python {meta['python']}",
        f"- load average before / after the run: {meta['load_before']}; "
        f"{meta.get('load_after', '?')}",
        f"- load during the run: {load_during_text(meta)}",
        *([f"- note: {meta['note']}"] if meta.get("note") else []),
        f"- versions: {meta['versions']}",
        f"- server: {meta.get('server', '?')}",
        f"- command: `{meta['command']}`",
        f"- samples: {meta['samples']}",
        "- contenders: "
        + "; ".join(
            f"`{name}` {DESCRIPTIONS[name]}"
            for name in (
                next(iter(results.latency.values())).per_repetition_ms if results.latency else []
            )
        ),
        "",
        *_goals_section(results),
        "",
        *_latency_section(results),
        "",
        *_throughput_section(results),
        *_photos_section(results),
        "",
        *_agent_section(results),
        "",
        *_keeping_section(results),
        "",
        *_checks_section(results),
        "",
        *_http2_section(results),
        "",
        *_memory_section(results),
        "",
        *_imports_section(results),
        "",
        f"Server check: {results.stats.get('valid', 0)} well-formed uploads, "
        f"{results.stats.get('invalid', 0)} malformed.",
    ]
    return "\n".join(lines) + "\n"


__all__ = ["GOALS", "json_object", "markdown"]
