"""The wall clock jumping, or far off, must not break the history's turns or its entries.

time.time is patched in-process to stand for an NTP step, a resumed VM or a machine
booted without a real-time clock (it reads 1970 until NTP answers). A clock that steps
forward past a lease ends it early: the README says so (leases are the wall clock's).
"""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

from ocp_users_photo.emulator.clock import EmulatorClock
from ocp_users_photo.emulator.config import EmulatorConfig
from ocp_users_photo.emulator.installations import OAuthGrants, OAuthRefused
from ocp_users_photo.emulator.oauth_apps import OAuthApp
from ocp_users_photo.emulator.tokens import TokenRegistry, TokenStatus
from ocp_users_photo.undo import PhotoHistory
from ocp_users_photo.undo.entries import HistoryOwner, KeptPhoto, ShownPhoto
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


def test_the_emulators_clock_never_moves_back_when_the_machines_clock_is_set_back() -> None:
    """The emulator's clock reads the wall clock. Set back an hour (an NTP step), it went
    back an hour with it: a token a test expired (``expire``, or past its lifetime) was
    taken again, and an expired OAuth code exchanged, though its assumptions say the
    clock never moves back."""
    wall = [1_800_000_000.0]
    clock = EmulatorClock(lambda: wall[0])
    config = EmulatorConfig(oauth_apps=(OAuthApp(),))
    tokens = TokenRegistry(config, clock)
    grants = OAuthGrants(config, tokens, clock)
    app = grants.app(OAuthApp().client_id)
    assert app is not None
    tokens.grant("xoxp-1-2-3-clockstep", expires_in=60)
    tokens.expire("xoxp-1-2-3-clockstep")
    code = grants.issue_code(
        app,
        user_id="U0CLOCKS",
        user_scopes=("users.profile:write",),
        bot_scopes=(),
        redirect_uri="http://127.0.0.1:3000/slack/oauth_redirect",
        redirect_uri_given=False,
    )
    wall[0] += app.code_seconds  # the code's lifetime passes
    seen = clock.now()
    wall[0] -= 3600  # then the machine's clock is set back an hour
    assert tokens.lookup("xoxp-1-2-3-clockstep").status is TokenStatus.EXPIRED
    with pytest.raises(OAuthRefused, match="invalid_code"):
        grants.redeem_code(app, code, None)
    assert clock.now() >= seen
    # Moved forward meanwhile, it moves from where it stood, not from the earlier time.
    assert clock.advance(10) == seen + 10


@pytest.fixture
def new_york_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time in New York's zone, DST rules included (a POSIX zone: no tz database)."""
    monkeypatch.setenv("TZ", "EST5EDT,M3.2.0,M11.1.0")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _kept_at(entry: int, moment: datetime.datetime) -> KeptPhoto:
    return KeptPhoto(entry, moment, "default", "0123456789ab", "changed")


@pytest.mark.usefixtures("new_york_time")
def test_history_lines_across_the_hour_dst_sets_back_say_which_came_first() -> None:
    """On 1 November 2026 New York's clocks go from 01:59 EDT back to 01:00 EST. An entry
    kept at 01:30 EDT and one kept 40 minutes later, at 01:10 EST, were listed "newest
    first" as 01:10:00 above 01:30:00, with no zone: in the wrong order to a reader, and
    two entries an hour apart could show the same time."""
    earlier = _kept_at(1, datetime.datetime(2026, 11, 1, 5, 30, tzinfo=datetime.UTC))
    later = _kept_at(2, datetime.datetime(2026, 11, 1, 6, 10, tzinfo=datetime.UTC))
    assert "2026-11-01 01:30:00 -0400" in earlier.describe()
    assert "2026-11-01 01:10:00 -0500" in later.describe()
    an_hour_on = _kept_at(3, datetime.datetime(2026, 11, 1, 6, 30, tzinfo=datetime.UTC))
    assert earlier.describe().split("  ")[1] != an_hour_on.describe().split("  ")[1]
