"""One trip to a worker thread and back, four ways: what worker_threads.py's choice rests on.

    .venv/bin/python benchmarks/thread_trip.py [--reps 9] [--trips 2000]

Each way hands ``int`` (no work) to a thread and awaits the answer, ``trips`` times
in a row; the ways take turns, their order rotating every repetition. Per trip: the
process's CPU (both threads: the figure that limits throughput when the loop's core is
saturated) and the wall time. Printed as median (min-max) over the repetitions.

- ``in_worker_thread``: the package's own (a SimpleQueue in, one call_soon_threadsafe back);
- ``run_in_executor``: asyncio's default ThreadPoolExecutor;
- ``asyncio.to_thread``: the same, with the context copied;
- ``anyio.to_thread``: anyio's worker threads.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable

import anyio.to_thread
from spread import Spread

from ocp_users_photo.worker_threads import in_worker_thread

Trip = Callable[[], Awaitable[int]]


def ways() -> dict[str, Trip]:
    async def own() -> int:
        return await in_worker_thread(int)

    async def executor() -> int:
        return await asyncio.get_running_loop().run_in_executor(None, int)

    async def to_thread() -> int:
        return await asyncio.to_thread(int)

    async def anyio_thread() -> int:
        return await anyio.to_thread.run_sync(int)

    return {
        "in_worker_thread": own,
        "run_in_executor": executor,
        "asyncio.to_thread": to_thread,
        "anyio.to_thread": anyio_thread,
    }


async def measure(repetitions: int, trips: int) -> dict[str, tuple[Spread, Spread]]:
    """Per way: (CPU us per trip, wall us per trip) over the repetitions."""
    contenders = ways()
    for trip in contenders.values():  # start the threads, warm the code
        for _ in range(200):
            await trip()
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    wall: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for turn in range(repetitions):
        shift = turn % len(names)
        for name in [*names[shift:], *names[:shift]]:
            trip = contenders[name]
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            for _ in range(trips):
                await trip()
            cpu[name].append((time.process_time() - started_cpu) / trips * 1e6)
            wall[name].append((time.perf_counter() - started_wall) / trips * 1e6)
    return {name: (Spread.of(cpu[name]), Spread.of(wall[name])) for name in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--trips", type=int, default=2000)
    options = parser.parse_args()
    figures = asyncio.run(measure(options.reps, options.trips))
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{options.reps} repetitions x {options.trips} trips; load average at the end: {load}")
    print("| way | CPU us per trip | wall us per trip |\n| --- | ---: | ---: |")
    for name, (cpu, wall) in figures.items():
        print(f"| `{name}` | {cpu.text(1)} | {wall.text(1)} |")


if __name__ == "__main__":
    main()
