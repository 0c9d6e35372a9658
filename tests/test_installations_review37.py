"""Two bounds of a person's token refresh that a second reading found missing (the review
of 2026-12-06):

- the refresh grant and the auth.test confirming whose its token is had 35 s each, though
  the refresh lock's lease (60 s) was sized for one refresh of 35 s: a slow Slack let the
  lease run out, and a second process sent the refresh token Slack had spent. They now
  share one deadline;
- ``call_sync`` waited for the refreshes under way without a bound: a store that stalled
  before Slack was even asked held it as long, for ever if it never answered.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import TokenUnavailable, UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.emulator.server import start_emulator_in_thread
from ocp_users_photo.tokens import ActingPerson
from tests.installation_helpers import (
    CLIENT_ID,
    LIFETIME,
    TEAM_ID,
    Clock,
    emulator_source,
    install,
    portrait,
    refreshes,
    rotation_config,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    set_up,
    sqlite_store,
)

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")
source_module = sys.modules["ocp_users_photo.installations.source"]


async def test_the_grant_and_its_confirmation_share_one_deadline(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source_module, "REFRESH_DEADLINE", 3.0)
    store = sqlite_store(tmp_path / "installations.db")
    await install(emulator, store, ALICE.user_id)
    source = emulator_source(emulator, store, clock=Clock(LIFETIME + 10))
    emulator.faults.inject(Fault.delay(2.0), path="oauth.v2.access")
    emulator.faults.inject(Fault.delay(2.0), path="auth.test")
    started = time.monotonic()
    try:
        with pytest.raises(TokenUnavailable):  # its token unconfirmed: not used as it is
            await source.token_for(ALICE)
    finally:
        took = time.monotonic() - started
        await source.aclose()
    assert refreshes(emulator) == 1
    # Each with a deadline of its own, the two took 4 s; sharing one, they end by 3 s.
    assert took < 3.6


class _StallingStore(SQLite3InstallationStore):
    """A store whose second read, once told to, stalls (a database whose packets are
    dropped): the read a refresh makes under the person's lock, before asking Slack."""

    stall = threading.Event()
    stalling = threading.Event()  # the stalled read has begun
    reads = 0

    def find_installation(self, **arguments: Any) -> Any:
        if _StallingStore.stall.is_set():
            _StallingStore.reads += 1
            if _StallingStore.reads == 2:
                _StallingStore.stalling.set()
                time.sleep(10)
        return super().find_installation(**arguments)


def test_call_sync_waits_for_a_stalled_refresh_no_longer_than_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source_module, "SETTLE_SECONDS", 1.0)
    store = _StallingStore(database=str(tmp_path / "installations.db"), client_id=CLIENT_ID)
    set_up(store.init)
    # In a thread of its own: call_sync runs a loop of its own, as a synchronous host does.
    with start_emulator_in_thread(rotation_config()) as emulator:
        asyncio.run(install(emulator, store, ALICE.user_id))
        source = emulator_source(emulator, store, clock=Clock(LIFETIME + 10))
        tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={}, deadline=2.0)
        acting = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
        _StallingStore.stall.set()
        started = time.monotonic()
        try:
            with pytest.raises(TokenUnavailable):
                acting.call_sync({"image": portrait()})
        finally:
            _StallingStore.stall.clear()
        took = time.monotonic() - started
    # The call's 2 s deadline, then at most the 1 s bound (the store stalls 10 s).
    assert took < 5.0


async def test_aclose_returns_though_a_refresh_waits_on_a_store_that_never_answers(
    emulator: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # settle() was bounded, but the runner's own close then waited for the same stalled
    # refresh for as long as the store stalled: for ever, if it never answered.
    monkeypatch.setattr(source_module, "SETTLE_SECONDS", 1.0)
    monkeypatch.setattr(_StallingStore, "reads", 0)
    monkeypatch.setattr(_StallingStore, "stalling", threading.Event())
    store = _StallingStore(database=str(tmp_path / "installations.db"), client_id=CLIENT_ID)
    set_up(store.init)
    await install(emulator, store, ALICE.user_id)
    source = emulator_source(emulator, store, clock=Clock(LIFETIME + 10))
    _StallingStore.stall.set()
    try:
        asking = asyncio.ensure_future(source.token_for(ALICE))
        # The refresh's own read has begun, and stalls.
        assert await asyncio.to_thread(_StallingStore.stalling.wait, 10)
        asking.cancel()
        started = time.monotonic()
        await source.aclose()
        took = time.monotonic() - started
    finally:
        _StallingStore.stall.clear()
    # The settle bound, then the runner's own (each 1 s here); the store stalls 10 s.
    assert took < 4.0, took
    assert "closed with work still under way" in caplog.text
