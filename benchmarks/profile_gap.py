"""Where a contender's client CPU goes, per call: the investigation behind README.md's findings.

    python benchmarks/profile_gap.py                      # default contenders and workloads
    python benchmarks/profile_gap.py --contenders plugin slack_sdk+session \\
        --images "100 KB PNG" --source bytes --concurrency 1 64 --calls 400

For each contender, workload and concurrency: first the client CPU per call without
a profiler (``time.process_time`` over the calls: the figure that limits throughput
when the client's core is saturated), then the same calls under cProfile, with every
function's own time summed by the library it belongs to (httpx, httpcore, anyio,
aiohttp, asyncio, ocp_users_photo, PIL, ...). cProfile slows pure-Python code more
than C extensions, so its shares are for attribution; the unprofiled CPU is the
figure. The server is the benchmark's own (loopback_server.py, its own core).
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

from bench import TRANSPORT_IMAGES, loopback_server, pin_cores
from contenders import Contender, Workload, make_contender
from images import make_case

DEFAULT_CONTENDERS = ("plugin", "plugin+aiohttp", "httpx+batching", "slack_sdk+session")
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
    return cpu / 1e-6, profiled / done / 1e-6, {k: v / done / 1e-6 for k, v in by_library.items()}


async def main_async(options: argparse.Namespace) -> None:
    server_cpu, _ = pin_cores()
    with tempfile.TemporaryDirectory(prefix="ocp-profile-") as folder_name:
        folder = Path(folder_name)
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
    asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
