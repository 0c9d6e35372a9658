"""Many people served by one tool on an installation store: the end of one call's own loop
waits for no one else's token refresh."""

from __future__ import annotations

import asyncio
import time

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.installation_helpers import (
    TEAM_ID,
    emulator_source,
    install,
    owner_of,
    photo_tokens,
    portrait,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
    until_refreshes,
)


@pytest.mark.blocking_by_design  # call_sync in a worker thread runs a loop of its own there
async def test_a_call_sync_does_not_wait_for_another_persons_slow_refresh(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """Alice's token expired and Slack's OAuth is slow to refresh it (6 s). Bob's token is
    good: his call_sync (a host's thread pool, a synchronous agent's call) sets his photo
    at once, but waited for the end of Alice's refresh before returning (the source's
    settle() waited for every refresh under way, whoever's), up to 10 s per call."""
    alice = await install(emulator, store, "UALICE0001")
    await install(emulator, store, "UBOB000002")
    assert alice.user_token is not None
    emulator.state.expire(alice.user_token)
    source = emulator_source(emulator, store)
    async with (
        source,
        UsersSetPhoto(source, base_url=emulator.base_url, keep_previous=False) as tool,
    ):
        emulator.faults.inject(Fault.delay(6), path="oauth.v2.access")
        as_alice = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
        alices = asyncio.create_task(as_alice.call({"image": portrait()}))
        await until_refreshes(emulator, 1)
        started = time.monotonic()
        as_bob = tool.acting_as(team_id=TEAM_ID, user_id="UBOB000002")
        reply = await asyncio.to_thread(as_bob.call_sync, {"image": portrait((1, 2, 3))})
        took = time.monotonic() - started
        assert reply["ok"] is True
        assert not alices.done(), "Alice's refresh is still under way"
        assert took < 3, f"Bob's call waited {took:.1f} s for Alice's refresh"
        assert (await alices)["ok"] is True
    owners = [owner_of(emulator, token) for token in photo_tokens(emulator)]
    assert sorted(owners) == ["UALICE0001", "UBOB000002"]
