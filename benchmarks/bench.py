"""ocp-users-photo against a bare httpx call and slack_sdk, side by side, in one run.

    python benchmarks/bench.py            # the full run, a markdown table
    python benchmarks/bench.py --quick    # fewer samples, under a minute
    python benchmarks/bench.py --json     # one JSON object instead of the table

Every upload goes to one loopback server (loopback_server.py) in its own process,
pinned to another core than this client when there are two or more, so the
server's work does not share the client's event loop, GIL or core. Contenders are
interleaved call by call (latency) and batch by batch (throughput), the order
rotating each round, so drift in the machine's speed falls on all of them alike.

Contenders, each sending the same bytes, the same crop fields and a Bearer token:

- ``httpx``: the floor, a hand-written ``httpx.AsyncClient.post`` multipart call
  that parses the JSON reply and checks ``ok``;
- ``plugin``: ``UsersSetPhoto.call`` (argument checks, image inspection, the
  upload, the reply checked against the response schema);
- ``slack_sdk``: ``AsyncWebClient(token=..., base_url=...).users_setPhoto`` as
  documented, which opens a new aiohttp session (and connection) per call;
- ``slack_sdk+session``: the same with one shared ``aiohttp.ClientSession``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import importlib.metadata
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from images import ImageCase, make_cases, padded_png
from slack_sdk.web.async_client import AsyncWebClient

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.credentials import scrub
from ocp_users_photo.photo_reply import check_photo_reply
from ocp_users_photo.slack.replies import HttpReply, decode_reply

HERE = Path(__file__).resolve().parent
TOKEN = "xoxp-1000000000-2000000000-3000000000-0123456789abcdef0123456789abcdef"
CROP = {"crop_x": 0, "crop_y": 0, "crop_w": 512}
SIZES = {"64 KB": (64 * 1024, 512), "1 MB": (1024 * 1024, 1024)}
SOURCES = ("disk", "bytes")
HEADLINE = ("1 MB PNG", "disk")
MEMORY_FILE_BYTES = 20 * 1024 * 1024
CONTENDERS = ("httpx", "plugin", "slack_sdk", "slack_sdk+session")


@dataclass(frozen=True)
class Budget:
    latency_calls: int  # per contender and workload, at concurrency 1
    throughput_rounds: int  # batches per contender, workload and concurrency
    calls_per_worker: int  # calls each of the concurrent workers makes in one batch
    check_calls: int  # calls per timing batch for the no-I/O checks
    check_batches: int
    import_runs: int  # fresh interpreters per import statement
    concurrencies: tuple[int, ...] = (16, 64)


FULL = Budget(
    latency_calls=200,
    throughput_rounds=5,
    calls_per_worker=4,
    check_calls=1000,
    check_batches=7,
    import_runs=30,
)
QUICK = Budget(
    latency_calls=30,
    throughput_rounds=2,
    calls_per_worker=2,
    check_calls=300,
    check_batches=3,
    import_runs=7,
)


@dataclass(frozen=True)
class Workload:
    case: ImageCase
    source: str  # "disk" or "bytes"

    @property
    def key(self) -> tuple[str, str]:
        return (self.case.label, self.source)

    @property
    def plugin_image(self) -> str | bytes:
        return str(self.case.path) if self.source == "disk" else self.case.data


Call = Callable[[Workload], Awaitable[None]]


@dataclass
class Contender:
    name: str
    call: Call
    close: Callable[[], Awaitable[None]]


async def make_contenders(api_url: str) -> list[Contender]:
    """The four contenders, each with its client opened once, as a long-lived caller would."""
    endpoint = f"{api_url}/users.setPhoto"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    crop_fields = {name: str(value) for name, value in CROP.items()}

    floor_client = httpx.AsyncClient(timeout=30.0)

    async def floor(work: Workload) -> None:
        case = work.case
        if work.source == "disk":
            with case.path.open("rb") as file:
                reply = await floor_client.post(
                    endpoint,
                    headers=auth,
                    data=crop_fields,
                    files={"image": (case.filename, file, case.content_type)},
                )
        else:
            reply = await floor_client.post(
                endpoint,
                headers=auth,
                data=crop_fields,
                files={"image": (case.filename, case.data, case.content_type)},
            )
        if reply.status_code != 200 or not reply.json().get("ok"):
            raise RuntimeError(f"the httpx floor was refused: {reply.text[:200]}")

    tool = UsersSetPhoto(TOKEN, base_url=api_url, environ={})

    async def plugin(work: Workload) -> None:
        await tool.call({"image": work.plugin_image, **CROP})

    # slack_sdk sends a file's form through aiohttp, which takes no int field values:
    # its crop fields go as text (the type hints allow int, but the call fails).
    sdk = AsyncWebClient(token=TOKEN, base_url=api_url + "/")

    async def slack_sdk(work: Workload) -> None:
        image = str(work.case.path) if work.source == "disk" else io.BytesIO(work.case.data)
        await sdk.users_setPhoto(image=image, **crop_fields)

    session = aiohttp.ClientSession()
    sdk_session = AsyncWebClient(token=TOKEN, base_url=api_url + "/", session=session)

    async def slack_sdk_session(work: Workload) -> None:
        image = str(work.case.path) if work.source == "disk" else io.BytesIO(work.case.data)
        await sdk_session.users_setPhoto(image=image, **crop_fields)

    async def nothing() -> None:
        return None

    return [
        Contender("httpx", floor, floor_client.aclose),
        Contender("plugin", plugin, tool.aclose),
        Contender("slack_sdk", slack_sdk, nothing),
        Contender("slack_sdk+session", slack_sdk_session, session.close),
    ]


def rotated(items: Sequence[Contender], turn: int) -> list[Contender]:
    shift = turn % len(items)
    return [*items[shift:], *items[:shift]]


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(-(-fraction * len(ordered) // 1)) - 1))
    return ordered[index]


@dataclass
class Latency:
    median_ms: float
    p99_ms: float
    calls: int


async def measure_latency(
    contenders: Sequence[Contender], work: Workload, calls: int
) -> dict[str, Latency]:
    samples: dict[str, list[float]] = {c.name: [] for c in contenders}
    for contender in contenders:  # warm up: connections, caches, validators
        for _ in range(3):
            await contender.call(work)
    for turn in range(calls):
        for contender in rotated(contenders, turn):
            started = time.perf_counter()
            await contender.call(work)
            samples[contender.name].append(time.perf_counter() - started)
    return {
        name: Latency(statistics.median(times) * 1000, percentile(times, 0.99) * 1000, len(times))
        for name, times in samples.items()
    }


async def run_batch(
    contender: Contender, work: Workload, concurrency: int, per_worker: int
) -> float:
    async def worker() -> None:
        for _ in range(per_worker):
            await contender.call(work)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return concurrency * per_worker / (time.perf_counter() - started)


async def measure_throughput(
    contenders: Sequence[Contender], work: Workload, concurrency: int, budget: Budget
) -> dict[str, float]:
    rates: dict[str, list[float]] = {c.name: [] for c in contenders}
    for contender in contenders:  # warm up: open the pool's connections
        await run_batch(contender, work, concurrency, 1)
    for turn in range(budget.throughput_rounds):
        for contender in rotated(contenders, turn):
            rate = await run_batch(contender, work, concurrency, budget.calls_per_worker)
            rates[contender.name].append(rate)
    return {name: statistics.median(values) for name, values in rates.items()}


def time_batches(action: Callable[[], None], calls: int, batches: int) -> float:
    """Microseconds per call: the median over batches of each batch's mean."""
    means = []
    for _ in range(batches):
        started = time.perf_counter()
        for _ in range(calls):
            action()
        means.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(means)


async def time_async_batches(
    action: Callable[[], Awaitable[None]], calls: int, batches: int
) -> float:
    means = []
    for _ in range(batches):
        started = time.perf_counter()
        for _ in range(calls):
            await action()
        means.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(means)


async def measure_checks(workloads: Sequence[Workload], budget: Budget) -> dict[str, Any]:
    """The plugin's own work without I/O: prepare (+close), and the reply check."""
    tool = UsersSetPhoto(TOKEN, base_url="http://127.0.0.1:9/api", environ={})
    prepare_us: dict[tuple[str, str], float] = {}
    for work in workloads:
        arguments = {"image": work.plugin_image, **CROP}

        async def prepare_and_close(arguments: dict[str, Any] = arguments) -> None:
            upload = await tool.prepare(arguments)
            upload.close()

        for _ in range(20):
            await prepare_and_close()
        prepare_us[work.key] = await time_async_batches(
            prepare_and_close, budget.check_calls, budget.check_batches
        )

    from loopback_server import SUCCESS_REPLY

    reply = HttpReply(
        status_code=200,
        headers=httpx.Headers({"content-type": "application/json; charset=utf-8"}),
        body=SUCCESS_REPLY,
        attempts=1,
    )

    def check_reply() -> None:
        body = decode_reply(
            reply, method="users.setPhoto", redact=lambda value: scrub(value, TOKEN)
        )
        check_photo_reply(body, reply_check="strict")

    check_reply()
    reply_us = time_batches(check_reply, budget.check_calls, budget.check_batches)
    return {"prepare_us": prepare_us, "reply_us": reply_us}


def measure_imports(runs: int) -> dict[str, float]:
    """Median milliseconds of each import statement, each run in a fresh interpreter."""
    statements = {
        "import httpx": "import httpx",
        "import ocp_users_photo": "import ocp_users_photo",
        "from ocp_users_photo import UsersSetPhoto": "from ocp_users_photo import UsersSetPhoto",
        "import slack_sdk.web.async_client": "import slack_sdk.web.async_client",
    }
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    timings: dict[str, list[float]] = {label: [] for label in statements}

    def once(statement: str) -> float:
        program = (
            f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
        )
        done = subprocess.run(
            [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
        )
        return float(done.stdout) * 1000

    for statement in statements.values():  # compile and cache bytecode, as an install does
        once(statement)
    for turn in range(runs):
        labels = list(statements)
        shift = turn % len(labels)
        for label in [*labels[shift:], *labels[:shift]]:
            timings[label].append(once(statements[label]))
    return {label: statistics.median(values) for label, values in timings.items()}


def measure_memory(api_url: str, folder: Path, warmup: Path) -> dict[str, dict[str, Any]]:
    path = folder / "bench-20MB.png"
    path.write_bytes(padded_png(MEMORY_FILE_BYTES))
    results: dict[str, dict[str, Any]] = {}
    for contender in ("httpx", "plugin", "slack_sdk"):
        done = subprocess.run(
            [
                sys.executable,
                str(HERE / "memory_probe.py"),
                contender,
                api_url,
                str(path),
                str(warmup),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        results[contender] = json.loads(done.stdout.strip().splitlines()[-1])
    path.unlink()
    return results


@contextmanager
def loopback_server(server_cpu: int | None) -> Iterator[tuple[str, str]]:
    """The server's API base URL and HTTP implementation, for the duration of the block."""
    command = [sys.executable, str(HERE / "loopback_server.py")]
    if server_cpu is not None:
        command += ["--cpu", str(server_cpu)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        words = process.stdout.readline().split()
        if len(words) < 4 or words[0] != "PORT":
            raise RuntimeError("the loopback server did not start")
        yield f"http://127.0.0.1:{words[1]}/api", words[3]
    finally:
        process.terminate()
        process.wait(timeout=10)


def server_stats(api_url: str) -> dict[str, int]:
    root = api_url.rsplit("/api", 1)[0]
    stats: dict[str, int] = httpx.get(f"{root}/_stats").json()
    return stats


@dataclass
class Results:
    meta: dict[str, Any]
    latency: dict[tuple[str, str], dict[str, Latency]] = field(default_factory=dict)
    throughput: dict[tuple[str, str, int], dict[str, float]] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, dict[str, Any]] = field(default_factory=dict)
    imports: dict[str, float] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)

    def headline_checks(self) -> float:
        return float(self.checks["prepare_us"][HEADLINE] + self.checks["reply_us"])

    def ratio(self, name: str) -> float:
        figures = self.latency[HEADLINE]
        return figures["plugin"].median_ms / figures[name].median_ms

    def targets(self) -> list[tuple[str, str, bool]]:
        vs_httpx = self.ratio("httpx")
        vs_sdk = self.ratio("slack_sdk")
        c64 = [
            (figures["plugin"] / figures["httpx"], key)
            for key, figures in self.throughput.items()
            if key[2] == 64
        ]
        worst_c64, worst_key = min(c64)
        headline_checks = self.headline_checks()
        checks, checks_key = max(
            (us + self.checks["reply_us"], key) for key, us in self.checks["prepare_us"].items()
        )
        plugin_memory = self.memory["plugin"]
        growth = max(plugin_memory["rss_growth"] or 0, plugin_memory["traced_peak"])
        share = growth / plugin_memory["file_bytes"]
        imports = self.imports
        import_ratio = imports["import ocp_users_photo"] / imports["import httpx"]
        class_ratio = imports["from ocp_users_photo import UsersSetPhoto"] / imports["import httpx"]
        return [
            (
                "plugin_vs_httpx <= 1.05 (c=1, 1 MB PNG from disk)",
                f"{vs_httpx:.3f}",
                vs_httpx <= 1.05,
            ),
            (
                "throughput at c=64 >= 0.95 of httpx (worst workload)",
                f"{worst_c64:.3f} ({worst_key[0]} from {worst_key[1]})",
                worst_c64 >= 0.95,
            ),
            ("plugin_vs_slack_sdk < 1.0", f"{vs_sdk:.3f}", vs_sdk < 1.0),
            (
                "checks <= 50 us per call (1 MB PNG from disk)",
                f"{headline_checks:.1f} us",
                headline_checks <= 50,
            ),
            (
                "checks <= 50 us per call (worst workload)",
                f"{checks:.1f} us ({checks_key[0]} from {checks_key[1]})",
                checks <= 50,
            ),
            (
                "peak memory growth < 1/4 of a 20 MB file from a path",
                f"{share:.3f} of the file",
                share < 0.25,
            ),
            (
                "import ocp_users_photo <= 1.3x import httpx",
                f"{import_ratio:.2f}x",
                import_ratio <= 1.3,
            ),
            (
                "from ocp_users_photo import UsersSetPhoto <= 1.3x import httpx",
                f"{class_ratio:.2f}x",
                class_ratio <= 1.3,
            ),
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            **self.meta,
            "plugin_vs_httpx": round(self.ratio("httpx"), 4),
            "plugin_vs_slack_sdk": round(self.ratio("slack_sdk"), 4),
            "plugin_vs_slack_sdk_session": round(self.ratio("slack_sdk+session"), 4),
            "checks_us_per_call": round(self.headline_checks(), 2),
            "prepare_us_per_call": round(self.checks["prepare_us"][HEADLINE], 2),
            "reply_check_us_per_call": round(self.checks["reply_us"], 2),
            "latency_ms": {
                f"{label} from {source}": {
                    name: {"median": round(lat.median_ms, 4), "p99": round(lat.p99_ms, 4)}
                    for name, lat in figures.items()
                }
                for (label, source), figures in self.latency.items()
            },
            "throughput_calls_per_s": {
                f"{label} from {source} c={c}": {k: round(v, 1) for k, v in figures.items()}
                for (label, source, c), figures in self.throughput.items()
            },
            "checks_us": {
                f"{label} from {source}": round(us, 2)
                for (label, source), us in self.checks["prepare_us"].items()
            },
            "memory_20mb": self.memory,
            "import_ms": {k: round(v, 2) for k, v in self.imports.items()},
            "server_stats": self.stats,
            "targets": [
                {"target": name, "figure": figure, "met": met}
                for name, figure, met in self.targets()
            ],
        }

    def as_markdown(self) -> str:
        meta = self.meta
        lines = [
            "# ocp-users-photo benchmark",
            "",
            f"- date: {meta['date']}",
            f"- machine: {meta['cores']} cores, {meta['platform']}, Python {meta['python']}",
            f"- versions: {meta['versions']}",
            f"- server: {meta['server']}",
            f"- command: `{meta['command']}`",
            f"- samples: {meta['samples']}",
            "",
            "## Latency at concurrency 1 (ms, median / p99)",
            "",
            "| image | from | " + " | ".join(CONTENDERS) + " | plugin/httpx | plugin/slack_sdk |",
            "|---|---|" + "---:|" * (len(CONTENDERS) + 2),
        ]
        for (label, source), figures in self.latency.items():
            cells = [f"{figures[n].median_ms:.2f} / {figures[n].p99_ms:.2f}" for n in CONTENDERS]
            plugin = figures["plugin"].median_ms
            lines.append(
                f"| {label} | {source} | "
                + " | ".join(cells)
                + f" | {plugin / figures['httpx'].median_ms:.3f}"
                + f" | {plugin / figures['slack_sdk'].median_ms:.3f} |"
            )
        lines += [
            "",
            "## Throughput (calls/s, median of batches)",
            "",
            "| image | from | concurrency | " + " | ".join(CONTENDERS) + " | plugin/httpx |",
            "|---|---|---:|" + "---:|" * (len(CONTENDERS) + 1),
        ]
        for (label, source, concurrency), rates in self.throughput.items():
            cells = [f"{rates[n]:.0f}" for n in CONTENDERS]
            lines.append(
                f"| {label} | {source} | {concurrency} | "
                + " | ".join(cells)
                + f" | {rates['plugin'] / rates['httpx']:.3f} |"
            )
        lines += [
            "",
            "## The plugin's own work without I/O (µs per call)",
            "",
            "`await tool.prepare(args)` + `close()` (argument checks, image source, header "
            "inspection), and `decode_reply` + `check_photo_reply` on a success body "
            "(JSON, token scrub, schema).",
            "",
            "| image | from | prepare + close | reply check | sum |",
            "|---|---|---:|---:|---:|",
        ]
        reply_us = self.checks["reply_us"]
        for (label, source), us in self.checks["prepare_us"].items():
            lines.append(
                f"| {label} | {source} | {us:.1f} | {reply_us:.1f} | {us + reply_us:.1f} |"
            )
        lines += [
            "",
            f"## Peak memory uploading a {MEMORY_FILE_BYTES // (1024 * 1024)} MB PNG from a path",
            "",
            "Fresh process per contender, after a warm-up upload. RSS growth: the high-water "
            "mark during the upload minus the resident set before it. tracemalloc: the peak of "
            "Python allocations during a second upload.",
            "",
            "| contender | RSS growth (MB) | tracemalloc peak (MB) | larger / file size |",
            "|---|---:|---:|---:|",
        ]
        for name, probe in self.memory.items():
            rss = probe["rss_growth"]
            traced = probe["traced_peak"]
            rss_text = f"{rss / 2**20:.2f}" if rss is not None else "n/a"
            share = max(rss or 0, traced) / probe["file_bytes"]
            lines.append(f"| {name} | {rss_text} | {traced / 2**20:.2f} | {share:.3f} |")
        httpx_ms = self.imports["import httpx"]
        lines += [
            "",
            f"## Import time (ms, median of {meta['import_runs']} fresh interpreters)",
            "",
            "| statement | ms | / import httpx |",
            "|---|---:|---:|",
        ]
        for statement, ms in self.imports.items():
            lines.append(f"| `{statement}` | {ms:.1f} | {ms / httpx_ms:.2f} |")
        lines += [
            "",
            "## Targets",
            "",
            "| target | figure | met |",
            "|---|---|---|",
        ]
        for name, figure, met in self.targets():
            lines.append(f"| {name} | {figure} | {'yes' if met else 'NO'} |")
        lines += [
            "",
            f"Server check: {self.stats.get('valid', 0)} well-formed uploads, "
            f"{self.stats.get('invalid', 0)} malformed.",
        ]
        return "\n".join(lines) + "\n"


def versions() -> str:
    names = [
        "httpx",
        "httpcore",
        "anyio",
        "sniffio",
        "slack_sdk",
        "aiohttp",
        "uvicorn",
        "httptools",
        "pillow",
    ]
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def pin_cores() -> tuple[int | None, str]:
    """Pin this client to one core and give the server another, when there are two."""
    if not hasattr(os, "sched_getaffinity"):
        return None, "unpinned"
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None, "unpinned (one core)"
    os.sched_setaffinity(0, {cores[0]})
    return cores[1], f"client on core {cores[0]}, server on core {cores[1]}"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def run(budget: Budget, quick: bool) -> Results:
    server_cpu, pinning = pin_cores()
    with tempfile.TemporaryDirectory(prefix="ocp-bench-") as folder_name:
        folder = Path(folder_name)
        log("making images")
        cases = make_cases(folder, SIZES)
        workloads = [Workload(case, source) for case in cases for source in SOURCES]
        workloads.sort(key=lambda w: (w.case.label, w.source) != HEADLINE)
        log("timing imports in fresh interpreters")
        imports = measure_imports(budget.import_runs)
        log("timing the plugin's checks without I/O")
        checks = await measure_checks(workloads, budget)
        with loopback_server(server_cpu) as (api_url, http_impl):
            results = Results(
                meta={
                    "date": datetime.datetime.now(datetime.timezone.utc).strftime(
                        "%Y-%m-%d %H:%M UTC"
                    ),
                    "cores": os.cpu_count(),
                    "platform": platform.platform(terse=True),
                    "python": platform.python_version(),
                    "versions": versions(),
                    "server": (
                        f"uvicorn ({http_impl}, asyncio) in a separate process; {pinning}; "
                        "python-multipart streaming parser reads every body"
                    ),
                    "command": "python benchmarks/bench.py" + (" --quick" if quick else ""),
                    "samples": (
                        f"{budget.latency_calls} calls per contender and workload at "
                        f"concurrency 1; {budget.throughput_rounds} batches of "
                        f"{budget.calls_per_worker} calls per worker at each concurrency"
                    ),
                    "import_runs": budget.import_runs,
                },
                imports=imports,
                checks=checks,
            )
            log("measuring peak memory in child processes")
            results.memory = measure_memory(api_url, folder, cases[0].path)
            contenders = await make_contenders(api_url)
            try:
                for work in workloads:
                    log(f"latency: {work.case.label} from {work.source}")
                    results.latency[work.key] = await measure_latency(
                        contenders, work, budget.latency_calls
                    )
                for concurrency in budget.concurrencies:
                    for work in workloads:
                        log(f"throughput c={concurrency}: {work.case.label} from {work.source}")
                        results.throughput[
                            (work.key[0], work.key[1], concurrency)
                        ] = await measure_throughput(contenders, work, concurrency, budget)
            finally:
                for contender in contenders:
                    await contender.close()
            results.stats = server_stats(api_url)
    if results.stats.get("invalid"):
        raise RuntimeError(f"the server saw malformed uploads: {results.stats}")
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (under a minute)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--results", type=Path, default=None, help="also write the markdown table to this file"
    )
    options = parser.parse_args(argv)
    budget = QUICK if options.quick else FULL
    started = time.perf_counter()
    results = asyncio.run(run(budget, options.quick))
    results.meta["seconds"] = round(time.perf_counter() - started, 1)
    if options.results is not None:
        results.meta["command"] += f" --results {options.results}"
        options.results.write_text(results.as_markdown())
    if options.json:
        print(json.dumps(results.as_json(), indent=2, ensure_ascii=False))
    else:
        print(results.as_markdown())
    log(f"done in {results.meta['seconds']} s")


if __name__ == "__main__":
    main()
