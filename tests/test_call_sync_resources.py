"""call_sync runs each call on a loop of its own: what the call opened on it (the tool's
connections, and the token source's, for refreshes) is closed before that loop ends,
not left to the garbage collector."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from pathlib import Path

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorThread
from tests.installation_helpers import (
    TEAM_ID,
    emulator_source,
    install,
    refreshes,
    rotation_config,
    sqlite_store,
)
from tests.undo_fixtures import picture

CALLS = 6


def open_sockets() -> int:
    count = 0
    for descriptor in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed since it was listed
            count += os.readlink(f"/proc/self/fd/{descriptor}").startswith("socket:")
    return count


def test_call_sync_that_refreshes_leaves_no_connection_open(tmp_path: Path) -> None:
    # A token lifetime under the refresh margin: every call refreshes first.
    with EmulatorThread(rotation_config(lifetime=200)) as emulator:
        store = sqlite_store(tmp_path / "installations.db")
        asyncio.run(install(emulator, store, "UONE00001"))
        source = emulator_source(emulator, store)
        tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={})
        person = tool.acting_as(team_id=TEAM_ID, user_id="UONE00001")
        gc.disable()
        try:
            before = open_sockets()
            for number in range(CALLS):
                assert person.call_sync({"image": picture((number * 40, 2, 3))})["ok"] is True
            after = open_sockets()
        finally:
            gc.enable()
        assert refreshes(emulator) == CALLS
    # The emulator's server side may keep a socket or two in closing: not one per call.
    assert after - before <= 2, (before, after)
