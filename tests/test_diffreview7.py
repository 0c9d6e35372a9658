"""Review of the background save of a refreshed installation (diffreview7): an older
installation saved over a newer one, a save in progress as the source closes, and a
forked child's background saves."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.oauth.installation_store import FileInstallationStore, Installation
from slack_sdk.oauth.installation_store.installation_store import InstallationStore

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.installations import (
    InstallationStoreFailed,
    InstallationTokenSource,
    SingleProcessRefreshLock,
)
from ocp_users_photo.installations import source as source_module
from ocp_users_photo.tokens import ActingPerson
from tests.conftest import FORKS_ON_PURPOSE
from tests.installation_helpers import (
    CLIENT_ID,
    LIFETIME,
    TEAM_ID,
    Clock,
    install,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
)

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")


class GatedStore(InstallationStore):
    """slack_sdk's file store (the last save is the newest) whose next ``failures`` saves
    meet a busy database, and whose save while ``gate`` is set waits for it to open."""

    def __init__(self, inner: FileInstallationStore) -> None:
        self.inner = inner
        self.failures = 0
        self.gate: threading.Event | None = None
        self.entered = threading.Event()

    def save(self, installation: Installation) -> None:
        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("database is locked")
        gate, self.gate = self.gate, None
        if gate is not None:
            self.entered.set()
            assert gate.wait(30), "the gate was never opened"
        self.inner.save(installation)

    def find_installation(self, **query: Any) -> Installation | None:
        return self.inner.find_installation(**query)

    def newest(self) -> Installation:
        found = self.inner.find_installation(
            enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id
        )
        assert found is not None
        return found


def _source(emulator: RunningEmulator, store: InstallationStore, clock: Clock) -> Any:
    return InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret="installations-test-client-secret",
        base_url=emulator.base_url,
        clock=clock,
        environ={},
        refresh_lock=SingleProcessRefreshLock(),
    )


async def test_a_late_save_of_a_kept_installation_never_overwrites_a_newer_refresh(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """_unsaved_for saves the kept installation without the person's lock: a call whose
    save of it is slow (a busy database) lets a second call save it too, refresh it (Slack
    spends its refresh token) and save the newer one; then the slow save lands, and the
    store's newest holds the spent refresh token: every process must install again."""
    monkeypatch.setattr(source_module, "RESAVE_FIRST_WAIT", 3600.0)  # no background save
    store = GatedStore(FileInstallationStore(base_dir=str(tmp_path), client_id=CLIENT_ID))
    await install(emulator, store.inner, ALICE.user_id)
    clock = Clock(offset=LIFETIME - 100)
    source = _source(emulator, store, clock)
    async with source:
        store.failures = source_module.SAVE_ATTEMPTS
        with pytest.raises(InstallationStoreFailed):
            await source.token_for(ALICE)  # refreshed; kept in memory, its save failed
        gate = threading.Event()
        store.gate = gate
        slow = asyncio.create_task(source.token_for(ALICE))  # saves the kept one, slowly
        assert await asyncio.to_thread(store.entered.wait, 30)
        clock.offset += LIFETIME  # the kept one expires: the next call refreshes it
        second = asyncio.create_task(source.token_for(ALICE))
        for _ in range(3000):  # until it is done, or waits for the person's lock
            if second.done() or _waiting_for_the_lock(source):
                break
            await asyncio.sleep(0.01)
        gate.set()
        outcomes = await asyncio.gather(slow, second, return_exceptions=True)
    # Another process (its clock past the newest token's end) refreshes from the store.
    later = Clock(offset=clock.offset + 2 * LIFETIME)
    async with _source(emulator, store, later) as other_process:
        await other_process.token_for(ALICE)  # TokenRefreshFailed: "install the app again"
    assert not any(isinstance(outcome, BaseException) for outcome in outcomes), outcomes


def _waiting_for_the_lock(source: InstallationTokenSource) -> bool:
    """Whether a call waits for a person's lock another holds (a task of the same loop
    waits for that loop's asyncio lock, one of another loop in the process's queue)."""
    locks = source._locks
    same_loop = any(users > 1 for held in locks._by_loop.values() for _, users in held.values())
    return same_loop or any(queue.waiting for queue in locks._queues.values())


async def test_closing_the_source_waits_for_a_background_save_in_the_store(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aclose cancels the background saves' concurrent futures (done at once) and stops
    the runner's loop: a save already in the store (a worker thread, which no cancellation
    cuts short) goes on after aclose returned, its task on a loop now closed, and writes
    to a store the host may be disposing of."""
    monkeypatch.setattr(source_module, "RESAVE_FIRST_WAIT", 0.01)
    store = GatedStore(FileInstallationStore(base_dir=str(tmp_path), client_id=CLIENT_ID))
    await install(emulator, store.inner, ALICE.user_id)
    source = _source(emulator, store, Clock(offset=LIFETIME - 100))
    gate = threading.Event()
    try:
        store.failures = source_module.SAVE_ATTEMPTS
        store.gate = gate  # the background save, once the refreshing call's have failed
        with pytest.raises(InstallationStoreFailed):
            await source.token_for(ALICE)
        assert await asyncio.to_thread(store.entered.wait, 30), "no save in the background"
        closing = asyncio.create_task(source.aclose())
        for _ in range(300):  # a bounded wait: it ends at once, or waits for the save
            if closing.done():
                break
            await asyncio.sleep(0.01)
        closed_first = closing.done()
    finally:
        gate.set()
    await asyncio.wait_for(closing, 30)
    assert not closed_first, "the source closed while its save was still under way"


@pytest.mark.filterwarnings(FORKS_ON_PURPOSE)
@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX's")
async def test_a_forked_child_saves_its_kept_installation_in_the_background(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner forgets the parent's loop in a forked child, but the source kept the
    parent's background save as running (its future never ends in the child): the child's
    own failed save then started no save in the background."""
    monkeypatch.setattr(source_module, "RESAVE_FIRST_WAIT", 3600.0)  # pending in the parent
    store = GatedStore(FileInstallationStore(base_dir=str(tmp_path), client_id=CLIENT_ID))
    await install(emulator, store.inner, ALICE.user_id)
    source = _source(emulator, store, Clock(offset=LIFETIME - 100))
    async with source:
        store.failures = source_module.SAVE_ATTEMPTS
        with pytest.raises(InstallationStoreFailed):
            await source.token_for(ALICE)
        key = source._lock_key(ALICE)
        assert key in source._resaving
        pid = os.fork()
        if pid == 0:  # the child: nothing but the check, then out
            code = 1
            try:
                source._resave_in_background(key, ALICE)  # its own save failed, say
                code = 0 if source._runner.started else 3
            finally:
                os._exit(code)
        _, status = await asyncio.to_thread(os.waitpid, pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "no save in the background in the child"
