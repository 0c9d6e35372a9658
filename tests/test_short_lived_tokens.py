"""Tokens that live less than the refresh margin: refreshed at half their life, not each call.

Slack's rotated user tokens live 12 hours, but an app (or a test workspace) may be given
shorter ones; the margin of 300 s would then find every token expiring, and each call
would spend a refresh (and a round trip to Slack) before its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.tokens import ActingPerson
from tests.installation_helpers import (
    CLIENT_ID,
    TEAM_ID,
    Clock,
    emulator_source,
    install,
    photo_tokens,
    portrait,
    refreshes,
    rotation_config,
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
)

LIFETIME = 100  # seconds: less than the default margin (300 s)
ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")
BOB = ActingPerson(team_id=TEAM_ID, user_id="UBOB000002")


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return rotation_config(lifetime=LIFETIME)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def tool(
    emulator: RunningEmulator, store: SQLite3InstallationStore, clock: Clock
) -> AsyncIterator[UsersSetPhoto]:
    source = emulator_source(emulator, store, clock=clock)  # the default margin
    made = UsersSetPhoto(source, base_url=emulator.base_url, environ={})
    yield made
    await made.aclose()
    await source.aclose()


async def test_a_token_living_less_than_the_margin_is_refreshed_at_half_its_life(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    tool: UsersSetPhoto,
    clock: Clock,
) -> None:
    await install(emulator, store, ALICE.user_id)
    alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)

    await alice.call({"image": portrait()})  # 100 s left of a 300 s margin: refreshed
    assert refreshes(emulator) == 1
    for _ in range(3):  # the new token, 100 s left of its 100: not refreshed again
        await alice.call({"image": portrait()})
    assert refreshes(emulator) == 1
    assert len(set(photo_tokens(emulator))) == 1

    clock.offset = LIFETIME / 2 + 1  # past half its life: refreshed
    await alice.call({"image": portrait()})
    assert refreshes(emulator) == 2
    await alice.call({"image": portrait()})
    assert refreshes(emulator) == 2
    assert len(set(photo_tokens(emulator))) == 2


async def test_the_lifetime_seen_for_one_person_leaves_another_on_the_margin(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    tool: UsersSetPhoto,
) -> None:
    await install(emulator, store, ALICE.user_id)
    await install(emulator, store, BOB.user_id)
    await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    assert refreshes(emulator) == 1
    # Bob's token was never refreshed here: the margin alone judges it (100 s < 300 s).
    await tool.acting_as(team_id=TEAM_ID, user_id=BOB.user_id).call({"image": portrait()})
    assert refreshes(emulator) == 2


async def test_calls_at_once_refresh_a_token_living_less_than_half_a_minute_once(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool: UsersSetPhoto
) -> None:
    # A token another call refreshed while this one waited was taken only if it lasted
    # FRESH_ENOUGH_SECONDS (30 s) more: with 20 s tokens each waiting call refreshed again.
    emulator.state.oauth.configure(CLIENT_ID, access_token_seconds=20)
    await install(emulator, store, ALICE.user_id)
    alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
    await asyncio.gather(*(alice.call({"image": portrait()}) for _ in range(5)))
    assert refreshes(emulator) == 1
    assert len(set(photo_tokens(emulator))) == 1


async def test_only_lifetimes_shorter_than_twice_the_margin_are_kept(
    emulator: RunningEmulator, store: SQLite3InstallationStore, clock: Clock
) -> None:
    # Every other lifetime leaves the margin as it is: kept for each person refreshed, the
    # table grew by one entry per person served (thousands of them), never dropped.
    emulator.state.oauth.configure(CLIENT_ID, access_token_seconds=3600)
    await install(emulator, store, ALICE.user_id)
    clock.offset = 3600 - 10  # within the margin: refreshed
    emulator.state.advance_clock(3600 - 10)
    source = emulator_source(emulator, store, clock=clock)
    async with source:
        await source.token_for(ALICE)
        assert refreshes(emulator) == 1
        assert source._lifetimes == {}
        emulator.state.oauth.configure(CLIENT_ID, access_token_seconds=LIFETIME)
        clock.offset += 3600
        emulator.state.advance_clock(3600)
        await source.token_for(ALICE)  # a short one is kept, and dropped again when long
        assert len(source._lifetimes) == 1
        emulator.state.oauth.configure(CLIENT_ID, access_token_seconds=3600)
        clock.offset += LIFETIME
        emulator.state.advance_clock(LIFETIME)
        await source.token_for(ALICE)
        assert refreshes(emulator) == 3
        assert source._lifetimes == {}
