"""Where a contender's client CPU goes, per call: the investigation behind README.md's findings.

    python benchmarks/profile_gap.py                      # default contenders and workloads
    python benchmarks/profile_gap.py --contenders plugin slack_sdk+session \\
        --images "100 KB PNG" --source bytes --concurrency 1 64 --calls 400
    python benchmarks/profile_gap.py --breakdown --contenders plugin   # the plugin's steps
    python benchmarks/profile_gap.py --checks         # prepare + close alone, no network

For each contender, workload and concurrency: first the client CPU per call without
a profiler (``time.process_time`` over the calls: the figure that limits throughput
when the client's core is saturated), then the same calls under cProfile, with every
function's own time summed by the library it belongs to (httpx, httpcore, anyio,
aiohttp, asyncio, ocp_users_photo, PIL, ...). cProfile slows pure-Python code more
than C extensions, so its shares are for attribution; the unprofiled CPU is the
figure. The server is the benchmark's own (loopback_server.py, its own core).

``--breakdown`` adds, per contender, the plugin's own functions by cumulative time
per call (under cProfile): what in the plugin costs what. ``--checks`` profiles the
no-I/O checks (``prepare`` + ``close``) the same way, from a path and from bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from bench import CHECK_IMAGES, TRANSPORT_IMAGES, loopback_server, pin_cores
from contenders import TOKEN, Contender, Workload, make_contender
from images import ImageCase, make_case

DEFAULT_CONTENDERS = ("plugin", "plugin/httpx", "httpx+batching", "slack_sdk+session")
LIBRARIES = (
    "ocp_users_photo",
    "httpx_aiohttp",
    "httpx",
    "httpcore",
    "anyio",
    "sniffio",
    "h11",
    "aiohttp",
    "multidict",
    "yarl",
    "slack_sdk",
    "PIL",
    "fastjsonschema",
    "jsonschema",
    "asyncio",
    "json",
    "ssl",
    "email",
    "urllib",
    "idna",
    "certifi",
    "typing",
    "contextlib",
    "benchmarks",
)


def library_of(filename: str, function: str) -> str:
    """The library a profiled function belongs to, from its file (C functions: by their name)."""
    if filename == "~":
        if "socket" in function or "send" in function or "recv" in function:
            return "C: socket I/O"
        if "read" in function and "io" in function.lower():
            return "C: file reads"
        if "sha256" in function or "_hashlib" in function:
            return "C: hashing"
        if "ImagingCore" in function or "PIL" in function or "decoder" in function:
            return "C: Pillow"
        return "C: other builtins"
    path = filename.replace("\\", "/")
    for library in LIBRARIES:
        if f"/{library}/" in path or path.endswith(f"/{library}.py"):
            return library
    if "/benchmarks/" in path:
        return "benchmarks"
    if "/lib/python3" in path and "site-packages" not in path:
        return "stdlib (other)"
    return "other"


async def _run(contender: Contender, work: Workload, concurrency: int, calls: int) -> float:
    per_worker = max(1, calls // concurrency)

    async def worker() -> None:
        for _ in range(per_worker):
            await contender.call(work)

    await asyncio.gather(*(worker() for _ in range(concurrency)))  # warm up
    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - started) / (per_worker * concurrency)


def plugin_breakdown(stats: pstats.Stats, calls: int, top: int) -> list[tuple[str, float]]:
    """The plugin's functions by cumulative µs per call (under the profiler)."""
    rows = []
    for (filename, line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        if "/ocp_users_photo/" in filename.replace("\\", "/"):
            module = filename.replace("\\", "/").rsplit("/ocp_users_photo/", 1)[1]
            rows.append((f"{module}:{line} {function}", row[3] / calls / 1e-6))
    return sorted(rows, key=lambda found: found[1], reverse=True)[:top]


BREAKDOWNS: dict[str, list[tuple[str, float]]] = {}


async def profile_one(
    contender: Contender, work: Workload, concurrency: int, calls: int
) -> tuple[float, float, dict[str, float]]:
    """Unprofiled CPU per call, profiled CPU per call, and µs per call by library."""
    cpu = await _run(contender, work, concurrency, calls)
    profiler = cProfile.Profile(time.process_time)
    per_worker = max(1, calls // concurrency)

    async def worker() -> None:
        for _ in range(per_worker):
            await contender.call(work)

    profiler.enable()
    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    profiled = time.process_time() - started
    profiler.disable()
    done = per_worker * concurrency
    by_library: dict[str, float] = defaultdict(float)
    stats = pstats.Stats(profiler)
    for (filename, _, function), row in stats.stats.items():  # type: ignore[attr-defined]
        own_seconds = row[2]
        by_library[library_of(filename, function)] += own_seconds
    BREAKDOWNS[contender.name] = plugin_breakdown(stats, done, 12)
    return cpu / 1e-6, profiled / done / 1e-6, {k: v / done / 1e-6 for k, v in by_library.items()}


async def profile_checks(cases: Sequence[ImageCase], calls: int) -> None:
    """prepare + close alone: unprofiled µs per call, then the plugin's steps under cProfile."""
    import plugin_adapter

    tool = plugin_adapter.make_tool(TOKEN, "http://127.0.0.1:9/api")
    try:
        for case in cases:
            for source in ("path", "bytes"):
                arguments = Workload(case, source).plugin_arguments
                for _ in range(50):
                    await plugin_adapter.prepare_and_close(tool, arguments)
                started = time.perf_counter()
                for _ in range(calls):
                    await plugin_adapter.prepare_and_close(tool, arguments)
                plain = (time.perf_counter() - started) / calls / 1e-6
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(calls):
                    await plugin_adapter.prepare_and_close(tool, arguments)
                profiler.disable()
                print(f"\n### checks: {case.label} from {source}: {plain:.1f} µs per call\n")
                print("| the plugin's function (cumulative, under cProfile) | µs per call |")
                print("|---|---:|")
                for name, us in plugin_breakdown(pstats.Stats(profiler), calls, 14):
                    print(f"| {name} | {us:.1f} |")
    finally:
        await plugin_adapter.close(tool)


async def main_async(options: argparse.Namespace) -> None:
    server_cpu, _ = pin_cores()
    with tempfile.TemporaryDirectory(prefix="ocp-profile-") as folder_name:
        folder = Path(folder_name)
        if options.checks:
            cases = [make_case(folder, *spec) for spec in CHECK_IMAGES]
            await profile_checks(cases, options.calls * 4)
            return
        cases = [make_case(folder, *spec) for spec in TRANSPORT_IMAGES if spec[0] in options.images]
        with loopback_server(server_cpu) as (api_url, _):
            for case in cases:
                work = Workload(case, options.source)
                for concurrency in options.concurrency:
                    print(f"\n### {work.key}, concurrency {concurrency}\n")
                    rows: dict[str, tuple[float, float, dict[str, float]]] = {}
                    for name in options.contenders:
                        contender = make_contender(name, api_url)
                        try:
                            rows[name] = await profile_one(
                                contender, work, concurrency, options.calls
                            )
                        finally:
                            await contender.close()
                    print_rows(rows, options.top)
                    if options.breakdown:
                        for name in rows:
                            if not BREAKDOWNS.get(name):
                                continue
                            print(f"\n{name}: the plugin's functions, cumulative µs per call")
                            print("(under cProfile)\n")
                            print("| function | µs |\n|---|---:|")
                            for function, us in BREAKDOWNS[name]:
                                print(f"| {function} | {us:.0f} |")


def print_rows(rows: dict[str, tuple[float, float, dict[str, float]]], top: int) -> None:
    names = list(rows)
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    print(
        "| client CPU µs/call, no profiler | "
        + " | ".join(f"{rows[n][0]:.0f}" for n in names)
        + " |"
    )
    print("| under cProfile | " + " | ".join(f"{rows[n][1]:.0f}" for n in names) + " |")
    totals: dict[str, float] = defaultdict(float)
    for _, _, by_library in rows.values():
        for library, us in by_library.items():
            totals[library] += us
    for library in sorted(totals, key=totals.__getitem__, reverse=True)[:top]:
        cells = [f"{rows[n][2].get(library, 0.0):.0f}" for n in names]
        print(f"| {library} | " + " | ".join(cells) + " |")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--contenders", nargs="+", default=list(DEFAULT_CONTENDERS))
    parser.add_argument("--images", nargs="+", default=["100 KB PNG", "1 MB PNG"])
    parser.add_argument("--source", choices=("path", "bytes"), default="path")
    parser.add_argument("--concurrency", nargs="+", type=int, default=[1, 64])
    parser.add_argument("--calls", type=int, default=384)
    parser.add_argument("--top", type=int, default=14)
    parser.add_argument("--breakdown", action="store_true", help="the plugin's steps too")
    parser.add_argument("--checks", action="store_true", help="profile prepare + close only")
    asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
