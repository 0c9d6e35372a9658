"""A change cancelled while the photo it replaces is being kept, on a loop that ends right
after: a web view's ``asyncio.run`` per request with a timeout, ``anyio.run`` with a
cancel scope. Nothing was sent, so nothing may be left behind.

Both clean-ups ran in tasks of that loop, which ``asyncio.run`` cancels as it ends: the
person's turn (the history's lease) was not given back, and the person's next change, in
this process or another, waited the whole lease (180 s); an entry written for the change
was not removed, and the history listed a pending change that was never sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, EmulatorThread, Fault
from ocp_users_photo.undo import store
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import GREEN, RED, picture

BLUE = picture((30, 60, 200))
# Far under the lease (180 s), over what the next change takes when the turn is free.
NEXT_CHANGE_SECONDS = 20.0


def _tool(base_url: str, history: Path) -> UsersSetPhoto:
    return UsersSetPhoto(
        CANARY_TOKEN, base_url=base_url, environ={}, keep_previous=True, photo_history=history
    )


def _slow_keeps(seconds: float) -> tuple[threading.Event, Callable[..., Any]]:
    """A stand-in for store._keep that says it began (the event), waits ``seconds`` (a
    slow disk), then writes as the real one does."""
    writing = threading.Event()
    keep = store._keep

    def slow_keep(*args: Any) -> Any:
        writing.set()
        time.sleep(seconds)
        return keep(*args)

    return writing, slow_keep


def _next_change_in_its_own_loop(tool: UsersSetPhoto) -> float:
    """Seconds the person's next change took, on a loop of its own."""
    started = time.monotonic()

    async def change() -> None:
        async with asyncio.timeout(NEXT_CHANGE_SECONDS):
            await tool.call({"image": BLUE})

    asyncio.run(change())
    return time.monotonic() - started


@pytest.mark.parametrize("loop", ["asyncio", "anyio"])
def test_a_change_timed_out_while_keeping_leaves_the_turn_free(tmp_path: Path, loop: str) -> None:
    history = tmp_path / "history.sqlite3"
    with EmulatorThread(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        tool = _tool(emulator.base_url, history)
        tool.call_sync({"image": RED})  # the history exists; the person has a photo
        emulator.faults.inject(Fault.delay(2.0), path="users.profile.get")
        sent_before = len(emulator.requests.for_path("/api/users.setPhoto"))

        async def timed_out() -> None:
            with anyio.move_on_after(0.5):  # the keeper is reading the photo shown now
                await tool.call({"image": GREEN})

        if loop == "asyncio":
            asyncio.run(timed_out())
        else:
            anyio.run(timed_out)
        assert len(emulator.requests.for_path("/api/users.setPhoto")) == sent_before
        took = _next_change_in_its_own_loop(tool)
    assert took < NEXT_CHANGE_SECONDS / 2


def test_an_entry_written_for_a_change_timed_out_meanwhile_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry's write is under way in its thread when the loop ends (a slow disk, here
    half a second): it is removed once written, by that thread."""
    history = tmp_path / "history.sqlite3"
    keep = store._keep
    writing, slow_keep = _slow_keeps(0.5)

    with EmulatorThread(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        tool = _tool(emulator.base_url, history)
        tool.call_sync({"image": RED})
        sent_before = len(emulator.requests.for_path("/api/users.setPhoto"))
        monkeypatch.setattr(store, "_keep", slow_keep)

        async def cancelled_while_writing() -> None:
            call = asyncio.create_task(tool.call({"image": GREEN}))
            assert await anyio.to_thread.run_sync(writing.wait, 10.0)  # set in the write's thread
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call

        asyncio.run(cancelled_while_writing())  # the loop ends with the write under way
        time.sleep(1.5)  # the write, and its removal, are done by now
        monkeypatch.setattr(store, "_keep", keep)
        assert len(emulator.requests.for_path("/api/users.setPhoto")) == sent_before
        kept = asyncio.run(tool.history())
        assert [entry.status for entry in kept] == ["changed"], kept  # RED's change alone
        _next_change_in_its_own_loop(tool)


def test_the_history_still_waits_for_a_lock_after_an_entry_removed_in_its_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writing thread's removal left the history's connection waiting for no lock at
    all (busy_timeout 0): the next change met a backup's short lock as "locked"."""
    history = tmp_path / "history.sqlite3"
    keep = store._keep
    writing, slow_keep = _slow_keeps(0.3)

    def lock_for_a_moment() -> None:
        with contextlib.closing(sqlite3.connect(history, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            time.sleep(1.0)
            other.execute("ROLLBACK")

    async def changes(tool: UsersSetPhoto) -> None:
        await tool.call({"image": RED})
        monkeypatch.setattr(store, "_keep", slow_keep)
        call = asyncio.create_task(tool.call({"image": GREEN}))
        assert await anyio.to_thread.run_sync(writing.wait, 10.0)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        await asyncio.sleep(1.0)  # the write, and its removal in its thread, are done
        monkeypatch.setattr(store, "_keep", keep)
        locker = threading.Thread(target=lock_for_a_moment)
        locker.start()
        await asyncio.sleep(0.2)
        try:
            await tool.call({"image": BLUE})  # waits the lock out (busy_timeout 5 s)
        finally:
            await anyio.to_thread.run_sync(locker.join)

    with EmulatorThread(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        tool = _tool(emulator.base_url, history)
        asyncio.run(changes(tool))
        assert [entry.status for entry in asyncio.run(tool.history())] == ["changed"] * 2
