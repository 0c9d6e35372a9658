"""A token lifetime shorter than the refresh margin (or none that can be read: expires_in 0,
negative, text) must not make concurrent calls refresh one after another. Fails on 7db2e13."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.tokens import ActingPerson
from tests.installation_helpers import (
    TEAM_ID,
    emulator_source,
    install,
    refreshes,
    rotation_config,
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
)

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return rotation_config(lifetime=120)  # under the default refresh_margin, 300 s


async def test_concurrent_calls_refresh_a_short_lived_token_once(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """README: "concurrent calls for one person refresh once". Ten calls at once for a
    person whose token lives 120 s: the first refreshes; the nine that waited on the lock
    find a token refreshed a moment ago, still within the margin, and refresh it again,
    one after another (each spending the refresh token the one before got)."""
    await install(emulator, store, ALICE.user_id)
    source = emulator_source(emulator, store)
    try:
        await asyncio.gather(*(source.token_for(ALICE) for _ in range(10)))
    finally:
        await source.aclose()
    assert refreshes(emulator) == 1
