"""The wall clock jumping, or far off, must not break the history's turns or its entries.

time.time is patched in-process to stand for an NTP step, a resumed VM or a machine
booted without a real-time clock (it reads 1970 until NTP answers). A clock that steps
forward past a lease ends it early: the README says so (leases are the wall clock's).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from unittest import mock

import pytest

from ocp_users_photo.undo import PhotoHistory
from ocp_users_photo.undo.entries import HistoryOwner, ShownPhoto
from ocp_users_photo.undo.errors import HistoryBusy, HistoryUnavailable

OWNER = HistoryOwner("T0CLOCKS", "U0CLOCKS")
DEFAULT = ShownPhoto("default", "0123456789ab")
_REAL_TIME = time.time


def clock_off_by(seconds: float) -> mock._patch[object]:
    """The wall clock ``seconds`` away from the true time (monotonic time untouched)."""

    def off() -> float:
        return _REAL_TIME() + seconds

    return mock.patch("time.time", new=off)


def clock_at(epoch: float) -> mock._patch[object]:
    def at() -> float:
        return epoch

    return mock.patch("time.time", new=at)


async def test_a_photo_kept_while_the_clock_reads_1970_does_not_make_the_history_damaged(
    tmp_path: Path,
) -> None:
    """A Raspberry Pi (no real-time clock) reads 1970 until NTP answers. A photo kept then
    must not turn the person's history into "damaged: move the file away" for good (the
    entry is written, then _kept refuses its time below _EARLIEST; it is the person's
    original, which is never evicted)."""
    history = PhotoHistory(tmp_path / "history.sqlite3")
    try:
        kept_then: BaseException | None = None
        with clock_at(86_400.0):
            try:
                await history.keep(OWNER, DEFAULT, {})
            except HistoryUnavailable as raised:  # refused, saying to set the clock
                kept_then = raised
        await history.keep(OWNER, DEFAULT, {})  # the clock is right again
        listed = await history.entries(OWNER)
        assert listed, "the history lists the person's photos"
        assert kept_then is not None
        assert "this machine's clock reads 1970-01-02 00:00 UTC" in str(kept_then)
        assert "damaged" not in str(kept_then)
    finally:
        await history.aclose()


async def test_a_settling_lease_written_before_the_clock_was_set_back_lasts_its_seconds(
    tmp_path: Path,
) -> None:
    """A change cancelled mid-upload holds the turn SETTLE_SECONDS more (end_after). Written
    while the clock was a day ahead, then corrected back: the next change must get its turn
    once those seconds have passed, not a day later (a settling lease is held whatever
    becomes of its process, so nothing else frees it)."""
    path = tmp_path / "history.sqlite3"
    first = PhotoHistory(path)
    second = PhotoHistory(path, lease_seconds=0.5)
    try:
        with clock_off_by(86_400.0):
            cancelled = await first.turn(OWNER)
            cancelled.end_after(0.5, wait=True)
        await asyncio.sleep(0.6)
        try:
            turn = await second.turn(OWNER)  # waits up to lease_seconds + 5
        except HistoryBusy as busy:
            pytest.fail(f"the turn is still held a second after it was to end: {busy}")
        await turn.end()
    finally:
        await first.aclose()
        await second.aclose()
