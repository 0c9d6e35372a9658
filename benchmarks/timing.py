"""Interleaved timing: contenders take turns call by call (latency) or batch by batch (throughput).

A repetition gives each contender one figure (its median latency over the
repetition's calls, or one batch's calls per second); the order of contenders
rotates every turn, so drift in a shared machine's speed falls on all of them
alike. Ratios are taken within a repetition, then summarised as a Spread.
Throughput batches also record the CPU each side spent per call: this process's
(the client's) and the server's (from its ``/_stats``), which shows which side
was the limit.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx
from contenders import Contender, Workload


def rotated(items: Sequence[Contender], turn: int) -> list[Contender]:
    shift = turn % len(items)
    return [*items[shift:], *items[:shift]]


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(-(-fraction * len(ordered) // 1)) - 1))
    return ordered[index]


@dataclass
class Latency:
    """Per contender: the median milliseconds of each repetition, all calls' times, and CPU.

    ``cpu_us`` is this process's CPU per call in each repetition (the mean): unlike wall
    time it hardly moves when other work shares the machine.
    """

    per_repetition_ms: dict[str, list[float]] = field(default_factory=dict)
    all_ms: dict[str, list[float]] = field(default_factory=dict)
    cpu_us: dict[str, list[float]] = field(default_factory=dict)


async def measure_latency(
    contenders: Sequence[Contender], work: Workload, repetitions: int, calls: int
) -> Latency:
    names = [c.name for c in contenders]
    result = Latency({n: [] for n in names}, {n: [] for n in names}, {n: [] for n in names})
    for contender in contenders:  # warm up: connections, caches, validators
        for _ in range(2):
            await contender.call(work)
    turn = 0
    for _ in range(repetitions):
        samples: dict[str, list[float]] = {n: [] for n in names}
        cpu: dict[str, float] = dict.fromkeys(names, 0.0)
        for _ in range(calls):
            for contender in rotated(contenders, turn):
                started, cpu_started = time.perf_counter(), time.process_time()
                await contender.call(work)
                cpu[contender.name] += time.process_time() - cpu_started
                samples[contender.name].append((time.perf_counter() - started) * 1000)
            turn += 1
        for name, times in samples.items():
            result.per_repetition_ms[name].append(statistics.median(times))
            result.all_ms[name].extend(times)
            result.cpu_us[name].append(cpu[name] / calls * 1e6)
    return result


class ServerClock:
    """The server's CPU seconds so far, read from its ``/_stats``."""

    def __init__(self, api_url: str) -> None:
        self._url = api_url.rsplit("/api", 1)[0] + "/_stats"
        self._client = httpx.AsyncClient(timeout=10.0)

    async def cpu_seconds(self) -> float:
        reply = await self._client.get(self._url)
        return float(reply.json()["cpu_seconds"])

    async def aclose(self) -> None:
        await self._client.aclose()


@dataclass
class Throughput:
    """Per contender and repetition: calls per second, client and server CPU ms per call."""

    rates: dict[str, list[float]] = field(default_factory=dict)
    client_cpu_ms: dict[str, list[float]] = field(default_factory=dict)
    server_cpu_ms: dict[str, list[float]] = field(default_factory=dict)


async def run_batch(
    call: Callable[[], Awaitable[None]], concurrency: int, per_worker: int
) -> tuple[float, float, int]:
    """Wall seconds and this process's CPU seconds for ``concurrency`` workers' calls."""

    async def worker() -> None:
        for _ in range(per_worker):
            await call()

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, time.process_time() - cpu, concurrency * per_worker


async def measure_throughput(
    contenders: Sequence[Contender],
    work: Workload,
    concurrency: int,
    repetitions: int,
    per_worker: int,
    server: ServerClock,
) -> Throughput:
    result = Throughput(
        {c.name: [] for c in contenders},
        {c.name: [] for c in contenders},
        {c.name: [] for c in contenders},
    )
    for contender in contenders:  # warm up: open the pool's connections

        async def one(contender: Contender = contender) -> None:
            await contender.call(work)

        await run_batch(one, concurrency, 1)
    for turn in range(repetitions):
        for contender in rotated(contenders, turn):

            async def one(contender: Contender = contender) -> None:
                await contender.call(work)

            server_before = await server.cpu_seconds()
            wall, cpu, calls = await run_batch(one, concurrency, per_worker)
            server_cpu = await server.cpu_seconds() - server_before
            result.rates[contender.name].append(calls / wall)
            result.client_cpu_ms[contender.name].append(cpu / calls * 1000)
            result.server_cpu_ms[contender.name].append(server_cpu / calls * 1000)
    return result


async def time_batches(
    action: Callable[[], Awaitable[None]], calls: int, repetitions: int
) -> list[float]:
    """CPU microseconds per call, one figure per repetition (the mean over a batch of calls).

    For work without network waits (the plugin's checks), CPU time is the time the work
    takes, minus the moments another process had the core.
    """
    figures = []
    for _ in range(repetitions):
        started = time.process_time()
        for _ in range(calls):
            await action()
        figures.append((time.process_time() - started) / calls * 1e6)
    return figures
