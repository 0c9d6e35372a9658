"""Faults on the wire, against the emulator over real HTTP: every case ends, typed, in bounded time.

Each case runs on every HTTP stack the tool's own client can use (tests/http_stacks.py).

Each case asserts the outcome, how many requests reached the server and an upper bound on
the time taken; afterwards no socket or file handle of the process is left open.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import (
    RateLimited,
    SlackApiError,
    TransportError,
    UsersPhotoError,
    UsersSetPhoto,
)
from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator, run_emulator
from tests import loopback
from tests.conftest import CANARY_TOKEN, make_image
from tests.http_stacks import stack_environ, stack_of
from tests.reliability_report import ReliabilityReport

IMAGE = make_image((600, 600))


def left_open(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The kinds with more descriptors open after than before, and how many more.

    Fewer after is fine: a connection another test left to the collector may close
    while this one runs (seen once in 1,519 tests); a leak of this test's is more.
    """
    grown = {kind: after[kind] - before[kind] for kind in after}
    return {kind: count for kind, count in grown.items() if count > 0}


def open_descriptors() -> dict[str, int]:
    """This process's open file descriptors, by kind (sockets, files, other)."""
    kinds = {"sockets": 0, "files": 0, "other": 0}
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue  # the descriptor listdir itself used, gone already
        if target.startswith("socket:"):
            kinds["sockets"] += 1
        elif target.startswith("/"):
            kinds["files"] += 1
        else:
            kinds["other"] += 1
    return kinds


@dataclass
class Case:
    faults: list[tuple[Fault, int]]
    outcome: type[BaseException] | None  # None: success
    requests: int
    max_seconds: float
    options: dict[str, Any] = field(default_factory=dict)
    says: str = ""


CASES: dict[str, Case] = {
    "429 with Retry-After, honoured": Case([(Fault.rate_limited(1), 1)], None, 2, 4.0),
    "429 asking longer than max_retry_wait": Case(
        [(Fault.rate_limited(120), 1)], RateLimited, 1, 1.5, {"max_retry_wait": 30}, "120"
    ),
    "429 until the retries run out": Case(
        [(Fault.rate_limited(0), 5)], RateLimited, 3, 2.0, {"max_retries": 2}
    ),
    **{
        f"{status} once, then success": Case([(Fault.status(status), 1)], None, 2, 2.0)
        for status in (500, 502, 503, 504)
    },
    **{
        f"{status} every time": Case(
            [(Fault.status(status), 5)], TransportError, 3, 2.0, {}, f"HTTP {status}"
        )
        for status in (500, 502, 503, 504)
    },
    "a dropped connection, then success": Case([(Fault.drop(), 1)], None, 2, 2.0),
    "dropped every time": Case(
        [(Fault.drop(), 5)], TransportError, 3, 2.0, {}, "so it may have taken effect"
    ),
    # Slack had the whole upload: it is not sent again (slack/retry.py).
    "a reply slower than the timeout": Case(
        [(Fault.delay(3.0), 2)],
        TransportError,
        1,
        1.5,
        {"timeout": 0.4, "max_retries": 1},
        "no complete answer within the 0.4 s",
    ),
    "200 with an HTML page": Case([(Fault.html_page(), 1)], TransportError, 1, 1.0, {}, "not JSON"),
    "200 with truncated JSON": Case(
        [(Fault.truncated_json(), 1)], TransportError, 1, 1.0, {}, "JSON reply cut short"
    ),
    "200 with an empty body": Case(
        [(Fault.empty_body(), 1)], TransportError, 1, 1.0, {}, "empty body"
    ),
    "200 with JSON that is not an object": Case(
        [(Fault.non_object_json(), 1)], TransportError, 1, 1.0, {}, "not an object"
    ),
    "400 carrying a Slack error (no retry)": Case(
        [(Fault.slack_error("invalid_form_data", status_code=400), 1)],
        SlackApiError,
        1,
        1.0,
        {},
        "invalid_form_data",
    ),
    "a huge reply body (bounded read)": Case(
        [(Fault.huge_body(8 * 1024 * 1024), 1)], TransportError, 1, 2.0, {}, "1048576"
    ),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_a_fault_on_the_wire(
    name: str, http_stack: str, reliability: ReliabilityReport
) -> None:
    case = CASES[name]
    # Counted before the checks: a case that fails them shows as tried, not as ended well.
    reliability.count("faults on the wire", "cases tried")
    gc.collect()
    before = open_descriptors()
    async with run_emulator(
        EmulatorConfig(rate_limit_per_minute=None, process_images=False, record_bodies=False)
    ) as emulator:
        for fault, times in case.faults:
            emulator.faults.inject(fault, times=times)
        options: dict[str, Any] = {
            "retry_backoff": 0.01,
            "environ": stack_environ(http_stack),
            **case.options,
        }
        async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, **options) as tool:
            assert stack_of(tool) == http_stack
            started = time.monotonic()
            outcome: BaseException | None = None
            try:
                reply = await tool.call({"image": IMAGE})
            except UsersPhotoError as error:
                outcome = error
            elapsed = time.monotonic() - started
        requests = len(emulator.requests.for_path("/api/users.setPhoto"))
    gc.collect()
    after = open_descriptors()

    if case.outcome is None:
        assert outcome is None, repr(outcome)
        assert reply["ok"] is True
    else:
        assert type(outcome) is case.outcome, repr(outcome)
        assert case.says in str(outcome)
    assert requests == case.requests
    assert elapsed < case.max_seconds, f"{elapsed:.2f} s"
    assert left_open(before, after) == {}, f"descriptors before {before}, after {after}"
    reliability.count("faults on the wire", "ended as expected, in time, nothing left open")


async def test_a_call_cancelled_mid_upload_stops_at_once_and_the_tool_still_works(
    tmp_path: Path, http_stack: str, reliability: ReliabilityReport
) -> None:
    path = tmp_path / "big.png"
    from tests.test_tool import padded_png

    path.write_bytes(padded_png(16 * 1024 * 1024))
    reliability.count("faults on the wire", "cases tried")
    gc.collect()
    before = open_descriptors()
    async with (
        loopback.serve() as slow,
        UsersSetPhoto(
            CANARY_TOKEN, base_url=slow.base_url(), environ=stack_environ(http_stack)
        ) as tool,
    ):
        assert stack_of(tool) == http_stack
        ok = json.dumps({"ok": True}).encode()
        slow.on(
            "/api/users.setPhoto", loopback.reply(200, ok, [("Content-Type", "application/json")])
        )
        slow.read_delay = 0.05
        call = asyncio.create_task(tool.call({"image": path}))
        await asyncio.wait_for(slow.receiving.wait(), timeout=10)
        assert not call.done()
        started = time.monotonic()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert time.monotonic() - started < 0.5
        assert slow.received_bytes < path.stat().st_size, "the upload was still under way"
        slow.read_delay = 0.0
        reply = await tool.call({"image": make_image()})
        assert reply["ok"] is True
    gc.collect()
    after = open_descriptors()
    assert left_open(before, after) == {}, f"descriptors before {before}, after {after}"
    reliability.count("faults on the wire", "ended as expected, in time, nothing left open")


async def test_an_emulator_fault_on_another_path_does_not_touch_the_call(
    emulator: RunningEmulator, http_stack: str
) -> None:
    emulator.faults.inject(Fault.status(503), times=3, path="users.profile.get")
    environ = stack_environ(http_stack)
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ=environ) as tool:
        assert (await tool.call({"image": IMAGE}))["ok"] is True
    assert len(emulator.requests.for_path("/api/users.setPhoto")) == 1
