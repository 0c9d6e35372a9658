"""A source over slack_sdk's caching wrapper (``CacheableInstallationStore``) beside another
source, another process's stand-in, on the same SQLite file.

The wrapper answers every read from the copy it kept. Once the other source refreshed
the person's token (spending the refresh token that copy holds), this one read its copy
again under the shared refresh lock, refreshed with the spent token, and told the person
to reinstall, on every call until restarted; and it needed a ``refresh_lock`` named, the
SQLite file beneath the wrapper not being seen. Found by a token-rotation review.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.async_cacheable_installation_store import (
    AsyncCacheableInstallationStore,
)
from slack_sdk.oauth.installation_store.cacheable_installation_store import (
    CacheableInstallationStore,
)
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.installations import InstallationTokenSource
from ocp_users_photo.installations.refresh_locks import refresh_lock_for
from ocp_users_photo.installations.sqlite_lease import SQLiteRefreshLock
from ocp_users_photo.installations.store_access import (
    AnyInstallationStore,
    AsyncStoreInThreads,
    StoreAccess,
)
from tests.installation_helpers import (
    CLIENT_ID,
    LIFETIME,
    TEAM_ID,
    Clock,
    emulator_source,
    install,
    owner_of,
    photo_tokens,
    portrait,
    refreshes,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store,
)

ALICE = "UALICE0001"


CACHE_KINDS = ("sync", "async", "nested")


def _cached(database: Path, kind: str) -> AnyInstallationStore:
    """slack_sdk's cache around the SQLite store: its own, its async twin around the
    store's async view (a Bolt AsyncApp's), or that around a view of a cached store."""
    if kind == "sync":
        return CacheableInstallationStore(sqlite_store(database))
    if kind == "async":
        return AsyncCacheableInstallationStore(AsyncStoreInThreads(sqlite_store(database)))
    inner = CacheableInstallationStore(sqlite_store(database))
    return AsyncCacheableInstallationStore(AsyncStoreInThreads(inner))


@pytest.fixture(params=CACHE_KINDS)
async def two_sources(
    emulator: RunningEmulator, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[Clock, list[UsersSetPhoto], SQLite3InstallationStore]]:
    """Two tools for the same installations file, the second's store wrapped in slack_sdk's
    cache; both on one clock, which the test moves."""
    database = tmp_path / "installations.db"
    plain = sqlite_store(database)
    clock = Clock()
    sources: list[InstallationTokenSource] = [
        emulator_source(emulator, plain, clock=clock),
        # No refresh_lock named: the SQLite file beneath the cache gives it.
        emulator_source(emulator, _cached(database, request.param), clock=clock),  # type: ignore[arg-type]
    ]
    tools = [UsersSetPhoto(source, base_url=emulator.base_url, environ={}) for source in sources]
    yield clock, tools, plain
    for tool, source in zip(tools, sources, strict=True):
        await tool.aclose()
        await source.aclose()


async def test_a_cached_store_uses_the_token_another_source_refreshed_not_its_spent_copy(
    emulator: RunningEmulator,
    two_sources: tuple[Clock, list[UsersSetPhoto], SQLite3InstallationStore],
) -> None:
    clock, (other, cached), plain = two_sources
    first = await install(emulator, plain, ALICE)
    # The cached source reads Alice's installation once: its copy is kept.
    await cached.acting_as(team_id=TEAM_ID, user_id=ALICE).call({"image": portrait()})
    assert photo_tokens(emulator) == [first.user_token]

    clock.offset = LIFETIME - 60  # about to expire, for both
    await other.acting_as(team_id=TEAM_ID, user_id=ALICE).call({"image": portrait()})
    assert refreshes(emulator) == 1
    refreshed = photo_tokens(emulator)[-1]
    assert refreshed != first.user_token

    reply = await cached.acting_as(team_id=TEAM_ID, user_id=ALICE).call({"image": portrait()})
    assert reply["ok"] is True
    assert refreshes(emulator) == 1  # no second refresh, with the spent refresh token
    assert photo_tokens(emulator)[-1] == refreshed
    assert owner_of(emulator, refreshed) == ALICE


def test_the_refresh_lock_is_found_beneath_slack_sdks_caches(tmp_path: Path) -> None:
    database = tmp_path / "installations.db"
    for kind in CACHE_KINDS:
        lock = refresh_lock_for(_cached(database, kind))
        assert isinstance(lock, SQLiteRefreshLock)


async def test_a_refresh_saved_through_the_hosts_cache_is_what_the_host_reads_next(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Saves go through the wrapper, which forgets its copy: the host (a Bolt app sharing
    the cached store) reads the refreshed installation, not the one whose refresh token
    the tool's refresh spent."""
    plain = sqlite_store(tmp_path / "installations.db")
    cached = CacheableInstallationStore(plain)
    first = await install(emulator, plain, ALICE)
    host_copy = cached.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE)
    assert host_copy is not None
    assert host_copy.user_token == first.user_token  # the host's read, now cached
    clock = Clock()
    source = emulator_source(emulator, cached, clock=clock)
    tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={})
    try:
        clock.offset = LIFETIME - 60
        await tool.acting_as(team_id=TEAM_ID, user_id=ALICE).call({"image": portrait()})
    finally:
        await tool.aclose()
        await source.aclose()
    assert refreshes(emulator) == 1
    seen = cached.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE)
    assert seen is not None
    assert seen.user_token == photo_tokens(emulator)[-1] != first.user_token
    assert seen.user_refresh_token != first.user_refresh_token


def test_a_cached_stores_description_and_client_id_are_the_store_beneaths(
    tmp_path: Path,
) -> None:
    database = tmp_path / "installations.db"
    for kind in CACHE_KINDS:
        access = StoreAccess(_cached(database, kind))
        assert access.describe() == f"SQLite3InstallationStore({database})"
        assert access.client_id == CLIENT_ID
