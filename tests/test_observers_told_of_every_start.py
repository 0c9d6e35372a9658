"""Every observer told that a call started is told how it ended, or that it was abandoned.

A host's observers run in order: one that awaits in ``call_started`` (a quota kept in a
database, an approval service) may be cancelled there by the host's timeout, or fail. The
observers told before it had heard of the start: an audit log's entry, a gauge of calls in
flight, then never heard of an end, so the gauge grew by one with each such call for the
life of the process.
"""

from __future__ import annotations

import asyncio

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import picture


class InFlight(CallObserver):
    """A host's gauge of the calls under way."""

    def __init__(self) -> None:
        self.under_way = 0

    async def call_started(self, call: CallInfo) -> None:
        self.under_way += 1

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.under_way -= 1

    def call_abandoned(self, call: CallInfo) -> None:
        self.under_way -= 1


class SlowQuota(CallObserver):
    """A host's quota, checked over the network as a call starts."""

    async def call_started(self, call: CallInfo) -> None:
        await asyncio.sleep(30)


class BrokenQuota(CallObserver):
    """A host's quota whose backend is down."""

    async def call_started(self, call: CallInfo) -> None:
        raise RuntimeError("quota backend down")


def _tool(*observers: CallObserver) -> UsersSetPhoto:
    # Nothing reaches Slack: each call ends while the observers hear of its start.
    return UsersSetPhoto(
        CANARY_TOKEN, base_url="http://127.0.0.1:9", environ={}, observers=observers
    )


async def test_a_call_cancelled_as_a_later_observer_starts_ends_for_earlier_ones() -> None:
    gauge = InFlight()
    tool = _tool(gauge, SlowQuota())
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(tool.call({"image": picture((1, 2, 3))}), 0.2)
    finally:
        await tool.aclose()
    assert gauge.under_way == 0


async def test_a_call_a_later_observer_fails_to_start_ends_for_earlier_ones() -> None:
    gauge = InFlight()
    tool = _tool(gauge, BrokenQuota())
    try:
        with pytest.raises(RuntimeError, match="quota backend down"):
            await tool.call({"image": picture((1, 2, 3))})
    finally:
        await tool.aclose()
    assert gauge.under_way == 0
