"""ocp-users-photo against the best clients it competes with, side by side, in one run.

    python benchmarks/bench.py            # the full run, markdown tables
    python benchmarks/bench.py --quick    # fewer samples and contenders, under a minute
    python benchmarks/bench.py --json     # one JSON object instead of the tables
    python benchmarks/bench.py --results benchmarks/RESULTS.md   # also write the tables

Every upload goes to one loopback server (loopback_server.py) in its own process,
pinned to another core than this client when there are two or more. Contenders
(contenders.py) are interleaved call by call (latency) and batch by batch
(throughput), the order rotating each turn; every figure is repeated at least five
times and shown as its median with the range. Goals come from goals.py, the one
table the README's is generated from. What each part measures is in README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import contenders as contender_set
import goals
import httpx
import plugin_adapter
from contenders import TOKEN, Contender, Workload, make_contender
from goals import BY_KEY, Goal
from images import ImageCase, make_case, padded_png
from latency_process import merged as merged_latency
from loopback_server import SUCCESS_REPLY
from photo_prepare import PhotoResult, measure_photo
from photos import PHOTOS, PhotoSpec, make_photos
from spread import Spread, ratios
from timing import (
    Latency,
    ServerClock,
    Throughput,
    measure_latency,
    measure_throughput,
    time_batches,
)

HERE = Path(__file__).resolve().parent
MEMORY_FILE_BYTES = 20 * 1024 * 1024
# label, format, target bytes, side
TRANSPORT_IMAGES = (
    ("100 KB PNG", "PNG", 100 * 1024, 512),
    ("1 MB PNG", "PNG", 1024 * 1024, 1024),
    ("5 MB PNG", "PNG", 5 * 1024 * 1024, 1024),
)
CHECK_IMAGES = (("1 MB PNG", "PNG", 1024 * 1024, 1024), ("1 MB JPEG", "JPEG", 1024 * 1024, 1024))
AGENT_IMAGES = ("1 MB PNG", "5 MB PNG")
HEADLINE = "1 MB PNG from path"
# The httpx goals' rival: one shared client with the plugin's 256 KB write batching, httpx
# at its strongest (bare httpx writes 64 KB pieces; until 2026-12-05 the goals took it).
HTTPX_AT_BEST = "httpx+batching"


@dataclass(frozen=True)
class Budget:
    """How much of everything a run measures."""

    repetitions: int
    latency_calls: int  # calls per contender in one repetition at concurrency 1
    concurrencies: tuple[int, ...]
    per_worker: int  # calls per worker in one throughput batch
    latency_contenders: tuple[str, ...]
    throughput_contenders: tuple[str, ...]
    throughput_sources: tuple[str, ...]
    check_calls: int  # calls per repetition of the no-I/O checks
    photos: tuple[PhotoSpec, ...]
    candidate_runs: int  # runs per Pillow candidate when choosing the least work
    agent_calls: int
    import_runs: int
    http2: bool
    # Fresh processes the repetitions at concurrency 1 are shared among, one after another
    # (latency_process.py): a process is a draw for some contenders (benchmarks/README.md).
    latency_processes: int


FULL = Budget(
    repetitions=7,
    latency_calls=16,
    concurrencies=(32, 64),
    per_worker=2,
    latency_contenders=contender_set.ALL + contender_set.DECOMPOSITION,
    throughput_contenders=contender_set.ALL + contender_set.DECOMPOSITION,
    throughput_sources=contender_set.SOURCES,
    check_calls=400,
    photos=PHOTOS,
    candidate_runs=3,
    agent_calls=40,  # 12 until 2026-12-03 18:30: its medians swung by more than the goal
    import_runs=15,
    http2=True,
    latency_processes=7,  # one repetition each
)
QUICK = Budget(
    repetitions=5,
    latency_calls=3,
    concurrencies=(64,),
    per_worker=1,
    latency_contenders=(
        "plugin",
        "plugin/httpx",
        "httpx",
        "httpx+batching",
        "slack_sdk+session",
        "slack_sdk+session/read",
        "slack_sdk",
    ),
    throughput_contenders=("plugin", "plugin/httpx", "slack_sdk+session", "slack_sdk+session/read"),
    throughput_sources=("path",),
    check_calls=100,
    photos=tuple(spec for spec in PHOTOS if spec.label in ("12 MP JPEG, EXIF 6", "24 MP JPEG")),
    candidate_runs=1,
    agent_calls=8,
    import_runs=5,
    http2=False,
    latency_processes=1,
)


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


# --- measurements -----------------------------------------------------------------------


async def measure_checks(
    cases: Sequence[ImageCase], budget: Budget
) -> tuple[dict[str, list[float]], list[float]]:
    """The plugin's own work without I/O: prepare (+close) per workload, and the reply check."""
    tool = plugin_adapter.make_tool(TOKEN, "http://127.0.0.1:9/api")
    prepare_us: dict[str, list[float]] = {}
    try:
        for case in cases:
            for source in contender_set.SOURCES:
                work = Workload(case, source)
                arguments = work.plugin_arguments

                async def prepare(arguments: dict[str, Any] = arguments) -> None:
                    await plugin_adapter.prepare_and_close(tool, arguments)

                for _ in range(30):
                    await prepare()
                prepare_us[work.key] = await time_batches(
                    prepare, budget.check_calls, budget.repetitions
                )
    finally:
        await plugin_adapter.close(tool)
    check = plugin_adapter.reply_checker(TOKEN, SUCCESS_REPLY)

    async def reply() -> None:
        check()

    for _ in range(30):
        check()
    reply_us = await time_batches(reply, budget.check_calls * 4, budget.repetitions)
    return prepare_us, reply_us


def measure_imports(runs: int) -> dict[str, list[float]]:
    """Milliseconds of each import statement, each run in a fresh interpreter, interleaved."""
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
    return timings


def _probe(*arguments: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HERE / "memory_probe.py"), *arguments],
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def measure_upload_memory(api_url: str, folder: Path, warmup: Path) -> dict[str, dict[str, Any]]:
    path = folder / "bench-20MB.png"
    path.write_bytes(padded_png(MEMORY_FILE_BYTES))
    try:
        return {
            name: _probe("upload", name, api_url, str(path), str(warmup))
            for name in ("httpx", "plugin", "slack_sdk")
        }
    finally:
        path.unlink()


async def measure_photos(folder: Path, budget: Budget) -> list[PhotoResult]:
    results = []
    for photo in make_photos(folder, budget.photos):
        log(f"photo: {photo.spec.label} ({photo.file_bytes / 2**20:.1f} MB)")
        result = await measure_photo(photo, budget.repetitions, budget.candidate_runs)
        for mode in ("prepare", "pillow"):
            extra = [str(result.reference_gap)] if mode == "pillow" else []
            result.memory[mode] = _probe(mode, photo.spec.label, str(photo.path), *extra)
        results.append(result)
        photo.path.unlink()
    return results


async def with_contenders(names: Sequence[str], api_url: str) -> tuple[list[Contender], Any]:
    opened = [make_contender(name, api_url) for name in names]

    async def close_all() -> None:
        for contender in opened:
            await contender.close()

    return opened, close_all


async def measure_transport(
    api_url: str, cases: Sequence[ImageCase], budget: Budget, results: Results
) -> None:
    server = ServerClock(api_url)
    results.latency.update(await measure_latency_in_processes(api_url, cases, budget))
    throughput_set, close_throughput = await with_contenders(budget.throughput_contenders, api_url)
    try:
        for concurrency in budget.concurrencies:
            for case in cases:
                for source in budget.throughput_sources:
                    work = Workload(case, source)
                    log(f"throughput c={concurrency}: {work.key}")
                    results.throughput[(work.key, concurrency)] = await measure_throughput(
                        throughput_set,
                        work,
                        concurrency,
                        budget.repetitions,
                        budget.per_worker,
                        server,
                    )
    finally:
        await close_throughput()
        await server.aclose()


async def measure_latency_in_processes(
    api_url: str, cases: Sequence[ImageCase], budget: Budget
) -> dict[str, Latency]:
    """Latency at concurrency 1, its repetitions shared among fresh processes run in turn."""
    request = {
        "api_url": api_url,
        "cases": [[case.label, case.fmt, case.side, str(case.path)] for case in cases],
        "contenders": list(budget.latency_contenders),
        "repetitions": max(1, budget.repetitions // budget.latency_processes),
        "calls": budget.latency_calls,
    }
    shares = []
    for turn in range(budget.latency_processes):
        log(f"latency c=1: process {turn + 1} of {budget.latency_processes}")
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, str(HERE / "latency_process.py")],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            check=True,
        )
        shares.append(json.loads(done.stdout))
    return merged_latency(shares)


async def measure_agent(
    api_url: str, cases: Sequence[ImageCase], folder: Path, budget: Budget
) -> tuple[dict[str, Latency], str]:
    """tool.call vs the same tool behind agent.call_tool (and its fingerprint), interleaved."""
    tool = plugin_adapter.make_tool(
        TOKEN, api_url, image_roots=[folder], options=plugin_adapter.KEEPING_OFF
    )
    agent = plugin_adapter.make_agent(tool)
    results: dict[str, Latency] = {}
    try:
        for case in cases:
            if case.label not in AGENT_IMAGES:
                continue
            work = Workload(case, "path")
            arguments = work.plugin_arguments

            async def direct(_: Workload, arguments: dict[str, Any] = arguments) -> None:
                await plugin_adapter.call(tool, arguments)

            async def digest(_: Workload, arguments: dict[str, Any] = arguments) -> None:
                await plugin_adapter.call_with_digest(tool, arguments)

            async def through_agent(_: Workload, arguments: dict[str, Any] = arguments) -> None:
                await agent.call(arguments)

            async def nothing() -> None:
                return None

            paths = [
                Contender("tool.call", direct, nothing),
                Contender("call+digest", digest, nothing),
                Contender("agent.call_tool", through_agent, nothing),
            ]
            log(f"agent path: {work.key}")
            results[work.key] = await measure_latency(
                paths, work, budget.repetitions, budget.agent_calls
            )
    finally:
        await plugin_adapter.close(tool)
    return results, agent.kind


# ISSUE-14 (undo): "benchmarks/ measures a change with keeping on and off". Keeping asks
# auth.test once, then before each change reads users.profile.get, downloads image_original
# (a 380 KB JPEG, new bytes each time) and writes it to the SQLite history, fsynced; the
# loopback server answers all three (loopback_server.KeepingAnswers).
async def measure_keeping(
    api_url: str, cases: Sequence[ImageCase], folder: Path, budget: Budget
) -> dict[str, Any]:
    found: dict[str, Any] = {"measured": True}
    tools = {
        "keeping off": plugin_adapter.make_tool(
            TOKEN, api_url, image_roots=[folder], options=plugin_adapter.KEEPING_OFF
        ),
        "keeping on": plugin_adapter.make_tool(
            TOKEN,
            api_url,
            image_roots=[folder],
            options={
                **plugin_adapter.KEEPING_ON,
                "photo_history": folder / "bench-history.sqlite3",
            },
        ),
    }
    try:
        paths = []
        for name, tool in tools.items():

            async def change(work: Workload, tool: Any = tool) -> None:
                await plugin_adapter.call(tool, work.plugin_arguments)

            async def nothing() -> None:
                return None

            paths.append(Contender(name, change, nothing))
        for case in cases:
            if case.label in AGENT_IMAGES:
                work = Workload(case, "path")
                log(f"keeping on and off: {work.key}")
                found[work.key] = await measure_latency(
                    paths, work, budget.repetitions, budget.agent_calls
                )
    finally:
        for tool in tools.values():
            await plugin_adapter.close(tool)
    return found


async def measure_http2(cases: Sequence[ImageCase], budget: Budget) -> dict[str, Any]:
    """httpx's HTTP/2 against its HTTP/1.1, on granian (the raw server speaks HTTP/1.1 only)."""
    found: dict[str, Any] = {}
    with loopback_server(None, "granian") as (api_url, implementation):
        found["server"] = implementation
        server = ServerClock(api_url)
        opened, close_all = await with_contenders(("plugin", "plugin+h2"), api_url)
        try:
            for case in cases:
                if case.label == "5 MB PNG":
                    continue  # at 1 MB HTTP/2 already loses by a factor (see the table)
                work = Workload(case, "bytes")
                log(f"HTTP/2: {work.key}")
                latency = await measure_latency(
                    opened, work, budget.repetitions, max(3, budget.latency_calls // 2)
                )
                throughput = await measure_throughput(
                    opened, work, 64, budget.repetitions, 1, server
                )
                found[work.key] = {"latency": latency, "throughput_c64": throughput}
        finally:
            await close_all()
            await server.aclose()
    return found


# --- the server -------------------------------------------------------------------------


@contextmanager
def loopback_server(server_cpu: int | None, kind: str = "raw") -> Iterator[tuple[str, str]]:
    """The server's API base URL and implementation, for the duration of the block."""
    command = [sys.executable, str(HERE / "loopback_server.py"), "--server", kind]
    if server_cpu is not None:
        command += ["--cpu", str(server_cpu)]
    # A session of its own: granian forks a worker, and the whole group is stopped at the end.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        words = process.stdout.readline().split()
        if len(words) < 4 or words[0] != "PORT":
            raise RuntimeError("the loopback server did not start")
        root = f"http://127.0.0.1:{words[1]}"
        _wait_until_serving(root)
        yield f"{root}/api", words[3]
    finally:
        _stop_group(process)


def _wait_until_serving(root: str) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(f"{root}/_stats", timeout=2.0)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _stop_group(process: subprocess.Popen[str]) -> None:
    import signal

    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # granian's shutdown can wait on its worker
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def server_stats(api_url: str) -> dict[str, Any]:
    root = api_url.rsplit("/api", 1)[0]
    stats: dict[str, Any] = httpx.get(f"{root}/_stats").json()
    return stats


# --- results ----------------------------------------------------------------------------


@dataclass
class GoalResult:
    goal: Goal
    workload: str
    figure: Spread
    rival: str | None = None  # the contender the ratio is to, where it is chosen per row

    @property
    def met(self) -> bool:
        return self.goal.met(self.figure.median)


@dataclass
class Results:
    meta: dict[str, Any]
    latency: dict[str, Latency] = field(default_factory=dict)
    throughput: dict[tuple[str, int], Throughput] = field(default_factory=dict)
    prepare_us: dict[str, list[float]] = field(default_factory=dict)
    reply_us: list[float] = field(default_factory=list)
    photos: list[PhotoResult] = field(default_factory=list)
    agent: dict[str, Latency] = field(default_factory=dict)
    agent_kind: str = ""
    memory: dict[str, dict[str, Any]] = field(default_factory=dict)
    imports: dict[str, list[float]] = field(default_factory=dict)
    http2: dict[str, Any] = field(default_factory=dict)
    keeping: dict[str, Any] = field(default_factory=dict)  # ISSUE-14
    stats: dict[str, Any] = field(default_factory=dict)

    # figures
    def slack_sdk_way(self, workload: str, concurrency: int = 1) -> str:
        """slack_sdk's faster way for ``workload`` at ``concurrency`` (contenders.py)."""
        if concurrency == 1:
            figures = self.latency[workload].per_repetition_ms
            ways = [name for name in contender_set.SLACK_SDK_WAYS if name in figures]
            score = {name: -statistics.median(figures[name]) for name in ways}
        else:
            rates = self.throughput[(workload, concurrency)].rates
            ways = [name for name in contender_set.SLACK_SDK_WAYS if name in rates]
            score = {name: statistics.median(rates[name]) for name in ways}
        if workload.endswith("from bytes"):
            ways = ways[:1]
        return max(ways, key=score.__getitem__)

    def latency_ratio(self, workload: str, name: str, other: str) -> Spread:
        figures = self.latency[workload].per_repetition_ms
        if other == contender_set.SLACK_SDK_BEST:
            other = self.slack_sdk_way(workload)
        return ratios(figures[name], figures[other])

    def throughput_ratio(self, workload: str, concurrency: int, name: str, other: str) -> Spread:
        rates = self.throughput[(workload, concurrency)].rates
        if other == contender_set.SLACK_SDK_BEST:
            other = self.slack_sdk_way(workload, concurrency)
        return ratios(rates[name], rates[other])

    def checks(self, workload: str) -> Spread:
        return Spread.of(
            [a + b for a, b in zip(self.prepare_us[workload], self.reply_us, strict=True)]
        )

    def agent_ratio(self, workload: str) -> Spread:
        figures = self.agent[workload].per_repetition_ms
        return ratios(figures["agent.call_tool"], figures["tool.call"])

    def import_ratio(self, statement: str) -> Spread:
        return ratios(self.imports[statement], self.imports["import httpx"])

    def memory_share(self) -> Spread:
        probe = self.memory["plugin"]
        growth = max(probe["rss_growth"] or 0, probe["traced_peak"])
        share = growth / probe["file_bytes"]
        return Spread(share, share, share, 1)

    def goal_results(self) -> list[GoalResult]:
        found: list[GoalResult] = []

        def add(key: str, workload: str, figure: Spread, rival: str | None = None) -> None:
            found.append(GoalResult(BY_KEY[key], workload, figure, rival))

        for workload, latency in self.latency.items():
            names = latency.per_repetition_ms
            if "slack_sdk+session" in names:
                add(
                    "plugin_vs_slack_sdk_session",
                    workload,
                    self.latency_ratio(workload, "plugin", contender_set.SLACK_SDK_BEST),
                    self.slack_sdk_way(workload),
                )
        for (workload, concurrency), throughput in self.throughput.items():
            if concurrency == 64 and "slack_sdk+session" in throughput.rates:
                add(
                    "throughput_vs_slack_sdk_session_c64",
                    workload,
                    self.throughput_ratio(workload, 64, "plugin", contender_set.SLACK_SDK_BEST),
                    self.slack_sdk_way(workload, 64),
                )
        for photo in self.photos:
            add("photo_prepare_vs_pillow", photo.photo.spec.label, photo.ratio)
        for workload in self.agent:
            add("agent_vs_call", workload, self.agent_ratio(workload))
        for workload in self.prepare_us:
            add("checks_us", workload, self.checks(workload))
        headline = self.latency.get(HEADLINE)
        if headline is not None and HTTPX_AT_BEST in headline.per_repetition_ms:
            add(
                "plugin_vs_httpx",
                HEADLINE,
                self.latency_ratio(HEADLINE, "plugin", HTTPX_AT_BEST),
            )
        if headline is not None and "slack_sdk" in headline.per_repetition_ms:
            add(
                "plugin_vs_slack_sdk", HEADLINE, self.latency_ratio(HEADLINE, "plugin", "slack_sdk")
            )
        for (workload, concurrency), throughput in self.throughput.items():
            if concurrency == 64 and HTTPX_AT_BEST in throughput.rates:
                add(
                    "throughput_vs_httpx_c64",
                    workload,
                    self.throughput_ratio(workload, 64, "plugin", HTTPX_AT_BEST),
                )
        if self.memory:
            add("memory_20mb_share", "20 MB PNG from path", self.memory_share())
        if self.imports:
            add("import_vs_httpx", "import", self.import_ratio("import ocp_users_photo"))
            add(
                "class_import_vs_httpx",
                "import",
                self.import_ratio("from ocp_users_photo import UsersSetPhoto"),
            )
        return found

    def worst(self, key: str) -> GoalResult | None:
        """The workload whose median is furthest from the goal's bound (the one that decides)."""
        candidates = [found for found in self.goal_results() if found.goal.key == key]
        if not candidates:
            return None
        goal = candidates[0].goal
        if goal.op == ">=":
            return min(candidates, key=lambda found: found.figure.median)
        return max(candidates, key=lambda found: found.figure.median)

    def as_json(self) -> dict[str, Any]:
        return json_report(self)


def json_report(results: Results) -> dict[str, Any]:
    from report import json_object

    return json_object(results)


def versions() -> str:
    names = [
        "httpx",
        "httpcore",
        "h2",
        "httpx-aiohttp",
        "anyio",
        "sniffio",
        "slack_sdk",
        "aiohttp",
        "uvloop",
        "httptools",
        "python-multipart",
        "granian",
        "pillow",
        "numpy",
        "ocp-agent",
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


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


class LoadSampler:
    """The 1-minute load average every ``every`` seconds while a run lasts, in a thread.

    The machine is shared: the load during the run, not only before and after it, says
    how much the wall-clock figures could be trusted.
    """

    def __init__(self, every: float = 5.0) -> None:
        self._every = every
        self._samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            with contextlib.suppress(OSError):
                self._samples.append(os.getloadavg()[0])
            if self._stop.wait(self._every):
                return

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, Any]:
        if not self._samples:
            return {"samples": 0}
        ordered = sorted(self._samples)
        return {
            "samples": len(ordered),
            "every_s": self._every,
            "min": round(ordered[0], 2),
            "median": round(ordered[len(ordered) // 2], 2),
            "max": round(ordered[-1], 2),
        }


async def run(budget: Budget, quick: bool) -> Results:
    server_cpu, pinning = pin_cores()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="ocp-bench-") as folder_name:
        folder = Path(folder_name)
        log("making images")
        cases = [make_case(folder, *spec) for spec in TRANSPORT_IMAGES]
        check_cases = [
            next((c for c in cases if c.label == spec[0]), None) or make_case(folder, *spec)
            for spec in CHECK_IMAGES
        ]
        results = Results(
            meta={
                "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "cores": os.cpu_count(),
                "platform": platform.platform(terse=True),
                "python": platform.python_version(),
                "versions": versions(),
                "command": "python benchmarks/bench.py" + (" --quick" if quick else ""),
                "repetitions": budget.repetitions,
                "samples": (
                    f"{budget.repetitions} repetitions; per repetition {budget.latency_calls} "
                    f"calls per contender at concurrency 1 (the repetitions shared among "
                    f"{budget.latency_processes} fresh process(es) run in turn), one batch of "
                    f"{budget.per_worker} call(s) per worker at concurrency "
                    f"{' and '.join(str(c) for c in budget.concurrencies)}"
                ),
                "import_runs": budget.import_runs,
                "latency_processes": budget.latency_processes,
                "load_before": load_before,
                "contenders": {
                    name: contender_set.DESCRIPTIONS[name]
                    for name in dict.fromkeys(
                        [*budget.latency_contenders, *budget.throughput_contenders]
                    )
                },
            }
        )
        log("timing imports in fresh interpreters")
        results.imports = measure_imports(budget.import_runs)
        log("timing the plugin's checks without I/O")
        results.prepare_us, results.reply_us = await measure_checks(check_cases, budget)
        log("photos: prepare against the least Pillow work")
        results.photos = await measure_photos(folder, budget)
        with loopback_server(server_cpu) as (api_url, implementation):
            results.meta["server"] = (
                f"{implementation} in a separate process; {pinning}; "
                "python-multipart's streaming parser reads every body"
            )
            log("measuring peak memory in child processes")
            results.memory = measure_upload_memory(api_url, folder, cases[0].path)
            await measure_transport(api_url, cases, budget, results)
            results.agent, results.agent_kind = await measure_agent(api_url, cases, folder, budget)
            results.keeping = await measure_keeping(api_url, cases, folder, budget)  # ISSUE-14
            results.stats = server_stats(api_url)
        if budget.http2:
            results.http2 = await measure_http2(cases, budget)
    results.meta["load_after"] = load_average()
    if results.stats.get("invalid"):
        raise RuntimeError(f"the server saw malformed uploads: {results.stats}")
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (under a minute)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--results", type=Path, default=None, help="also write the markdown tables to this file"
    )
    parser.add_argument(
        "--note", default=None, help="a line for the results' header (e.g. what else ran)"
    )
    options = parser.parse_args(argv)
    readme = HERE / "README.md"
    if goals.render(readme.read_text()) != readme.read_text():
        log("README.md's goal table differs from goals.py: run goals.py --write README.md")
    budget = QUICK if options.quick else FULL
    started = time.perf_counter()
    with LoadSampler() as load:
        results = asyncio.run(run(budget, options.quick))
    results.meta["seconds"] = round(time.perf_counter() - started, 1)
    results.meta["load_during"] = load.summary()
    if options.note:
        results.meta["note"] = options.note
    from report import markdown

    if options.json:
        results.meta["command"] += " --json"
    if options.results is not None:
        # As run from the repository's root, whatever folder it was run from: the command
        # the README shows must write the same file when a reader runs it.
        written = options.results.resolve()
        shown_path = (
            written.relative_to(HERE.parent) if written.is_relative_to(HERE.parent) else written
        )
        results.meta["command"] += f" --results {shown_path}"
        options.results.write_text(markdown(results))
    if options.json:
        print(json.dumps(results.as_json(), indent=2, ensure_ascii=False))
    else:
        print(markdown(results))
    log(f"done in {results.meta['seconds']} s")


if __name__ == "__main__":
    main()
