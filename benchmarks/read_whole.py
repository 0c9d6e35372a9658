"""Reading a path's file whole when it is opened, or streaming it as it is sent: an A/B.

    .venv/bin/python benchmarks/read_whole.py [--reps 8] [--calls 200]

images/paths.py reads a file of at most ``READ_WHOLE_BYTES`` whole in the worker-thread
call that opens it; a larger one stays open and is read as it is sent. This script sends
the benchmark's 1 MB PNG (images.py) from a path with the threshold below it (256 KB, the
value before 2026-12-03: streamed) and at it (1.25 MiB, now: read whole), alternating
blocks in one process, the tool and its client the same for both: per block the client
CPU per call (``time.process_time``, every thread) and the median latency of ``calls``
sequential calls, then the calls a second of 256 calls with 64 at once. Client on one
core, the loopback server (loopback_server.py) on another. Prints the median (min-max)
of the blocks per threshold and the ratio now / before.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import plugin_adapter
from bench import loopback_server, pin_cores
from contenders import TOKEN
from images import make_case

import ocp_users_photo.images.paths as paths

THRESHOLDS = {"streamed (256 KB)": 256 * 1024, "read whole (1.25 MiB)": 1280 * 1024}


async def measure(
    api_url: str, folder: Path, reps: int, calls: int
) -> dict[str, dict[str, list[float]]]:
    case = make_case(folder, "1 MB PNG", "PNG", 1024 * 1024, 1024)
    tool = plugin_adapter.make_tool(TOKEN, api_url, image_roots=[folder])
    arguments = {"image": str(case.path), "crop_x": 0, "crop_y": 0, "crop_w": 1024}
    found: dict[str, dict[str, list[float]]] = {
        name: {"client CPU us/call": [], "latency ms": [], "calls/s at 64 at once": []}
        for name in THRESHOLDS
    }
    original = paths.READ_WHOLE_BYTES
    try:
        for _ in range(50):
            await plugin_adapter.call(tool, arguments)
        for rep in range(reps):
            names = list(THRESHOLDS) if rep % 2 == 0 else list(reversed(THRESHOLDS))
            for name in names:
                paths.READ_WHOLE_BYTES = THRESHOLDS[name]  # type: ignore[misc]
                for _ in range(20):
                    await plugin_adapter.call(tool, arguments)
                times = []
                cpu = time.process_time()
                for _ in range(calls):
                    started = time.perf_counter()
                    await plugin_adapter.call(tool, arguments)
                    times.append(time.perf_counter() - started)
                cpu = time.process_time() - cpu
                found[name]["client CPU us/call"].append(cpu / calls * 1e6)
                found[name]["latency ms"].append(statistics.median(times) * 1000)

                async def worker() -> None:
                    for _ in range(4):
                        await plugin_adapter.call(tool, arguments)

                started = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(64)))
                found[name]["calls/s at 64 at once"].append(256 / (time.perf_counter() - started))
    finally:
        paths.READ_WHOLE_BYTES = original  # type: ignore[misc]
        await plugin_adapter.close(tool)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=8)
    parser.add_argument("--calls", type=int, default=200)
    options = parser.parse_args()
    server_cpu, placement = pin_cores()
    with (
        tempfile.TemporaryDirectory(prefix="read-whole-") as folder,
        loopback_server(server_cpu) as (api_url, _),
    ):
        found = asyncio.run(measure(api_url, Path(folder), options.reps, options.calls))
    before, now = list(THRESHOLDS)
    print(f"1 MB PNG from a path, {options.reps} alternating blocks of {options.calls} calls")
    print(f"({placement}); median (min-max) of blocks")
    for figure in found[before]:
        shown = []
        for name in THRESHOLDS:
            values = found[name][figure]
            shown.append(
                f"{name} {statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"
            )
        ratios = [a / b for a, b in zip(found[now][figure], found[before][figure], strict=True)]
        print(
            f"  {figure}: {'; '.join(shown)}; now / before {statistics.median(ratios):.3f} "
            f"({min(ratios):.3f}-{max(ratios):.3f})"
        )


if __name__ == "__main__":
    main()
