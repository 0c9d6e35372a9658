"""Load: 1,000 calls, 100 at a time, against the emulator with 10% of requests faulted.

Every call must end (success or a typed UsersPhotoError, never a hang or another
exception); peak memory is reported; afterwards the process holds no more sockets or
files than before. The suite runs it at 100 calls, 20 at a time; the full size is marked
slow (``pytest -m slow``). Latency and throughput are the benchmarks' (benchmarks/).
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
from collections import Counter

import pytest

from ocp_users_photo import UsersPhotoError, UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, EmulatorThread, Fault
from tests.conftest import CANARY_TOKEN, make_image
from tests.reliability_report import ReliabilityReport
from tests.test_reliability_faults import open_descriptors

FAULT_SHARE = 0.10
FAULTS = [
    Fault.status(503),
    Fault.status(500),
    Fault.drop(),
    Fault.rate_limited(0),
    Fault.delay(0.3),
    Fault.html_page(),
    Fault.truncated_json(),
    Fault.slack_error("invalid_form_data", status_code=400),
]


def resident_bytes() -> int:
    """This process's resident memory now (Linux /proc), sampled during the run."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.parametrize(
    ("calls", "concurrency"),
    [
        pytest.param(100, 20, id="100 calls"),
        pytest.param(
            1000, 100, id="1000 calls", marks=[pytest.mark.slow, pytest.mark.timeout(1800)]
        ),
    ],
)
async def test_calls_with_faults_all_end_typed(
    calls: int, concurrency: int, reliability: ReliabilityReport
) -> None:
    image = make_image((640, 640))
    chooser = random.Random(20261128)
    gc.collect()
    descriptors_before = open_descriptors()
    baseline = resident_bytes()
    peak = baseline
    outcomes: Counter[str] = Counter()
    hangs = 0

    config = EmulatorConfig(
        rate_limit_per_minute=None,
        process_images=False,
        record_bodies=False,
        # Every request kept (the log's default keeps the last 500), so that "served" below
        # counts them all: at 1,000 calls the default made the slow run fail (500 < 1,000).
        max_recorded_requests=calls * 3,
    )
    with EmulatorThread(config) as emulator:
        async with UsersSetPhoto(
            CANARY_TOKEN, base_url=emulator.base_url, timeout=5.0, retry_backoff=0.01, environ={}
        ) as tool:
            gate = asyncio.Semaphore(concurrency)

            async def one_call() -> None:
                nonlocal hangs
                async with gate:
                    if chooser.random() < FAULT_SHARE:
                        emulator.faults.inject(chooser.choice(FAULTS), times=1)
                    try:
                        await asyncio.wait_for(tool.call({"image": image}), timeout=60)
                        outcomes["success"] += 1
                    except UsersPhotoError as error:
                        outcomes[type(error).__name__] += 1
                    except TimeoutError:  # the builtin only from Python 3.11
                        hangs += 1

            async def sample_memory() -> None:
                nonlocal peak
                while True:
                    peak = max(peak, resident_bytes())
                    await asyncio.sleep(0.02)

            sampler = asyncio.create_task(sample_memory())
            await asyncio.gather(*(one_call() for _ in range(calls)))
            sampler.cancel()
        served = len(emulator.requests)
    gc.collect()
    descriptors_after = open_descriptors()

    assert hangs == 0
    assert sum(outcomes.values()) == calls
    assert outcomes["success"] >= calls * 0.85, outcomes
    assert descriptors_after == descriptors_before
    assert served >= calls, "every call reached the emulator at least once"

    section = f"load ({calls:,} calls, {concurrency} at a time, 10% faulted)"
    reliability.count(section, "calls that ended", sum(outcomes.values()))
    reliability.count(section, "succeeded (retries absorbed the faults)", outcomes["success"])
    for kind, number in sorted(outcomes.items()):
        if kind != "success":
            reliability.count(section, f"ended in {kind}", number)
    reliability.count(section, "hangs", hangs)
    reliability.note(
        section,
        "peak memory growth (resident; client and emulator in one process)",
        f"{(peak - baseline) / 1024 / 1024:.1f} MiB",
    )
    reliability.note(
        section,
        "sockets / files open before -> after",
        f"{descriptors_before['sockets']}/{descriptors_before['files']} -> "
        f"{descriptors_after['sockets']}/{descriptors_after['files']}",
    )
