"""One process's share of the latency at concurrency 1: bench.py runs several, one after another.

    python benchmarks/latency_process.py  < request.json  > latency.json

A process is a draw: at 5 MB from bytes, slack_sdk with a shared session spent 1956-3474 us
of client CPU a call across fresh processes, steady within each (README.md, the 16:17 run),
so repetitions inside one process cannot show the spread a user meets. bench.py hands each
process the server, the images already on disk and how many repetitions to make; the
process takes its turns exactly as ``timing.measure_latency`` does in bench.py's own, and
prints each workload's figures as JSON. It inherits bench.py's pinning to one core.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import contenders as contender_set
from contenders import Workload, make_contender
from images import ImageCase
from timing import Latency, measure_latency


def cases_of(request: dict[str, Any]) -> list[ImageCase]:
    """The images bench.py wrote, read back."""
    return [
        ImageCase(label, fmt, side, Path(path).read_bytes(), Path(path))
        for label, fmt, side, path in request["cases"]
    ]


async def measure(request: dict[str, Any], cases: list[ImageCase]) -> dict[str, dict[str, Any]]:
    """Every workload of ``request``, each contender's figures per repetition."""
    opened = [make_contender(name, request["api_url"]) for name in request["contenders"]]
    found: dict[str, dict[str, Any]] = {}
    try:
        for case in cases:
            for source in contender_set.SOURCES:
                work = Workload(case, source)
                latency = await measure_latency(
                    opened, work, request["repetitions"], request["calls"]
                )
                found[work.key] = asdict(latency)
    finally:
        for contender in opened:
            await contender.close()
    return found


def merged(shares: list[dict[str, dict[str, Any]]]) -> dict[str, Latency]:
    """The processes' figures as one Latency per workload, their repetitions in turn."""
    result: dict[str, Latency] = {}
    for share in shares:
        for key, figures in share.items():
            latency = result.setdefault(key, Latency())
            for field_name in ("per_repetition_ms", "all_ms", "cpu_us"):
                kept: dict[str, list[float]] = getattr(latency, field_name)
                for name, values in figures[field_name].items():
                    kept.setdefault(name, []).extend(values)
    return result


def main() -> None:
    request = json.load(sys.stdin)
    print(json.dumps(asyncio.run(measure(request, cases_of(request)))))


if __name__ == "__main__":
    main()
