"""Mutation survivors in ocp_users_photo/installations/: behaviours no test pinned yet."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from slack_sdk.oauth.installation_store import Installation, InstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.credentials import SlackToken
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.emulator.faults import Fault
from ocp_users_photo.installations import (
    InstallationStoreFailed,
    InstallationTokenSource,
    NotInstalled,
    SingleProcessRefreshLock,
    TokenRefreshFailed,
    UserTokenMissing,
)
from ocp_users_photo.installations import source as source_module
from ocp_users_photo.installations.person_locks import PersonLocks
from ocp_users_photo.installations.refused_refreshes import key_of
from ocp_users_photo.installations.shared_failures import SharedFailures
from ocp_users_photo.installations.source import _installed_again
from ocp_users_photo.tokens import ActingPerson
from tests.conftest import inject
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    LIFETIME,
    TEAM_ID,
    Clock,
    emulator_source,
    install,
    oauth_reply,
    refreshes,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store,
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
    until_refreshes,
)
from tests.test_installations_hostile import SaveFails

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")


async def test_a_token_that_never_expires_is_used_without_a_refresh(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """_expiring: an installation whose user token has no end (token rotation off) is never
    refreshed, even with a refresh token beside it."""
    installed = await install(emulator, store, ALICE.user_id)
    installed.user_token_expires_at = None
    store.save(installed)
    source = emulator_source(emulator, store)
    async with source:
        token = await source.token_for(ALICE)
    assert token.reveal() == installed.user_token
    assert refreshes(emulator) == 0


async def test_a_token_living_less_than_twice_the_margin_is_refreshed_at_half_its_life(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """_margin_for: once a refresh showed the person's tokens live less than twice the margin
    (an hour, under a margin of 2500 s), the next is refreshed at half its life (1800 s
    before its end), not at the margin's 2500 s."""
    await install(emulator, store, ALICE.user_id)
    clock = Clock()
    source = emulator_source(emulator, store, clock=clock, refresh_margin=2500)
    async with source:
        clock.offset = 1200  # the installed token's hour within the margin: refreshed
        await source.token_for(ALICE)
        assert refreshes(emulator) == 1
        clock.offset = 1200 + 1500  # 2100 s left of the new token's hour: not yet half
        await source.token_for(ALICE)
        assert refreshes(emulator) == 1
        clock.offset = 1200 + 1900  # 1700 s left: past half its life, refreshed again
        await source.token_for(ALICE)
        assert refreshes(emulator) == 2


async def test_a_token_refreshed_meanwhile_is_taken_while_it_lasts_thirty_seconds(
    tmp_path: Any,
) -> None:
    """_fresher: a token another call refreshed meanwhile is taken when it lasts 30 s more,
    not only when it lasts the whole margin (300 s): else each waiting call refreshed again."""
    now = time.time()
    source = InstallationTokenSource(
        sqlite_store(tmp_path / "i.db"),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        clock=lambda: now,
        environ={},
    )
    refreshed = Installation(
        user_id=ALICE.user_id,
        team_id=TEAM_ID,
        user_token="xoxe.xoxp-1-new",
        user_token_expires_in=100,
        installed_at=now,
    )
    async with source:
        assert source._fresher(refreshed, SlackToken("xoxe.xoxp-1-old"), ALICE)


async def test_a_refresh_token_slack_refused_is_not_sent_again_at_the_next_call(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """_refresh_now: a refresh Slack refused (invalid_refresh_token) is not asked again at the
    person's next call within the minute; their token, still good, is used meanwhile."""
    installed = await install(emulator, store, ALICE.user_id)
    installed.user_refresh_token = "xoxe-1-not-one-the-emulator-issued"
    installed.user_token_expires_at = int(time.time()) + 120  # within the margin, still good
    store.save(installed)
    source = emulator_source(emulator, store)
    async with source:
        for _ in range(2):
            assert (await source.token_for(ALICE)).reveal() == installed.user_token
    assert refreshes(emulator) == 1


async def test_two_sources_sharing_a_sqlite_store_refresh_an_expiring_token_once(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """_refresh_once: a call that waited on the store's refresh lock while another process
    (here another source) refreshed takes the token it saved, not refreshing again."""
    installed = await install(emulator, store, ALICE.user_id)
    installed.user_token_expires_at = int(time.time()) + 10
    store.save(installed)
    first, second = emulator_source(emulator, store), emulator_source(emulator, store)
    async with first, second:
        tokens = await asyncio.gather(first.token_for(ALICE), second.token_for(ALICE))
    assert refreshes(emulator) == 1
    assert tokens[0].reveal() == tokens[1].reveal() != installed.user_token


def test_people_of_two_workspaces_with_one_user_id_are_kept_apart(tmp_path: Any) -> None:
    """_lock_key: the same user id in two workspaces is two people; their lock, refreshed
    copy kept unsaved, shared failure and token lifetime are each their own."""
    source = InstallationTokenSource(
        sqlite_store(tmp_path / "i.db"),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        environ={},
    )
    elsewhere = ActingPerson(team_id="T0ELSEWHERE", user_id=ALICE.user_id)
    in_org = ActingPerson(team_id=TEAM_ID, user_id=ALICE.user_id, enterprise_id="E0ORG00001")
    keys = {source._lock_key(person) for person in (ALICE, elsewhere, in_org)}
    assert len(keys) == 3


class _StaleUntilRefreshed(SQLite3InstallationStore):
    """The store as a host's replica lagging behind reads it: the person's installation
    before the refresh another app made, until this source's own refresh was refused."""

    def __init__(self, path: Any, emulator: RunningEmulator, stale: Installation) -> None:
        super().__init__(database=str(path), client_id=CLIENT_ID)
        self.emulator, self.stale = emulator, stale

    def find_installation(self, **query: Any) -> Installation | None:
        if refreshes(self.emulator) < 2:
            return self.stale
        return super().find_installation(**query)


async def _spent_by_another_app(
    emulator: RunningEmulator, tmp_path: Any, *, old_lasts: int, new_lasts: int | None = None
) -> tuple[_StaleUntilRefreshed, Installation, dict[str, Any]]:
    """Alice's installation read stale (its token lasting ``old_lasts`` s) while another app
    spent its refresh token and saved the new one (lasting ``new_lasts`` s, else Slack's)."""
    store = _StaleUntilRefreshed(tmp_path / "i.db", emulator, Installation(user_id="U"))
    old = await install(emulator, store, ALICE.user_id)
    old.user_token_expires_at = int(time.time()) + old_lasts
    store.stale = old
    async with httpx.AsyncClient() as client:
        reply = await client.post(
            f"{emulator.base_url.rstrip('/')}/oauth.v2.access",
            data={
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "grant_type": "refresh_token",
                "refresh_token": old.user_refresh_token,
            },
        )
    new: dict[str, Any] = reply.json()
    saved = copy.copy(old)
    saved.user_token, saved.user_refresh_token = new["access_token"], new["refresh_token"]
    lasts = new["expires_in"] if new_lasts is None else new_lasts
    saved.user_token_expires_at = int(time.time()) + lasts
    SQLite3InstallationStore.save(store, saved)
    return store, old, new


async def test_a_refresh_token_another_app_spent_gives_the_token_it_saved(
    emulator: RunningEmulator, tmp_path: Any
) -> None:
    """_refreshed: Slack refused the refresh (invalid_refresh_token) because another app (a
    Bolt app, outside the lock) spent the refresh token and saved what it got: that token
    is used, not the old one."""
    store, _, new = await _spent_by_another_app(emulator, tmp_path, old_lasts=120)
    source = emulator_source(emulator, store)
    async with source:
        token = await source.token_for(ALICE)
    assert refreshes(emulator) == 2  # the other app's, and this source's refused one
    assert token.reveal() == new["access_token"]


async def test_a_token_another_app_saved_expiring_at_once_is_not_used(
    emulator: RunningEmulator, tmp_path: Any
) -> None:
    """_refreshed: after invalid_refresh_token, what another app saved is used only while it
    lasts a little: one expiring in 10 s (the person's own token expired) fails the call."""
    store, _, _ = await _spent_by_another_app(emulator, tmp_path, old_lasts=-1, new_lasts=10)
    source = emulator_source(emulator, store)
    async with source:
        with pytest.raises(TokenRefreshFailed):
            await source.token_for(ALICE)


async def test_a_refresh_kept_unsaved_is_not_saved_after_the_host_deleted_the_person(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """_replaced: a refreshed installation whose save failed is dropped, not saved, once the
    host deleted the person's installation (they removed the app): saved, it brought them
    back, and their token was used again."""
    await install(emulator, store, ALICE.user_id)
    flaky = SaveFails(store, failures=3)  # every try of the refreshing call fails
    lock = SingleProcessRefreshLock()
    source = emulator_source(emulator, flaky, clock=Clock(offset=LIFETIME - 100), refresh_lock=lock)
    async with source:
        with pytest.raises(InstallationStoreFailed):
            await source.token_for(ALICE)
        store.delete_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
        with pytest.raises(NotInstalled):
            await source.token_for(ALICE)
    assert (
        store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id) is None
    )


async def test_a_refresh_kept_unsaved_is_not_filed_over_the_persons_new_installation(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """_replaced: a refreshed installation whose save failed is dropped once the person
    installed the app again: saved, it was filed over their new installation."""
    await install(emulator, store, ALICE.user_id)
    flaky = SaveFails(store, failures=3)  # every try of the refreshing call fails
    clock = Clock(offset=LIFETIME - 100)
    source = emulator_source(emulator, flaky, clock=clock, refresh_lock=SingleProcessRefreshLock())
    async with source:
        with pytest.raises(InstallationStoreFailed):
            await source.token_for(ALICE)
        clock.offset = 0  # the new installation's token, good for its hour, is not refreshed
        again = await install(emulator, store, ALICE.user_id)
        assert (await source.token_for(ALICE)).reveal() == again.user_token
    newest = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert newest is not None
    assert newest.user_refresh_token == again.user_refresh_token


async def test_a_stored_user_token_holding_a_space_is_a_damaged_installation(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """_installation: a user token no Slack token is shaped as (a space inside) is the
    installation's damage, said as such (install again), not sent to Slack."""
    installed = await install(emulator, store, ALICE.user_id)
    installed.user_token = "xoxp-1-not a-token"
    store.save(installed)
    source = emulator_source(emulator, store)
    async with source:
        with pytest.raises(UserTokenMissing) as refused:
            await source.token_for(ALICE)
    assert "no request can use" in str(refused.value)


async def test_a_refresh_of_a_copy_kept_unsaved_is_saved_once_the_store_takes_it(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """_save_refreshed: refreshed again from the copy kept unsaved, and its save failing too,
    the new copy is still known to come from the store's row: saved at the next call, not
    dropped as if the person had installed again (the only live refresh token lost)."""
    await install(emulator, store, ALICE.user_id)
    clock = Clock(offset=LIFETIME - 100)
    flaky = SaveFails(store, failures=3)  # every try of the first refresh fails
    source = emulator_source(emulator, flaky, clock=clock, refresh_lock=SingleProcessRefreshLock())
    async with source:
        with pytest.raises(InstallationStoreFailed):
            await source.token_for(ALICE)
        clock.offset += LIFETIME - 100  # the copy kept unsaved is due now
        flaky.failures = 1000  # and every save of the second call fails
        with pytest.raises(InstallationStoreFailed):
            await source.token_for(ALICE)
        flaky.failures = 0
        token = await source.token_for(ALICE)  # the store takes saves again
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    assert token.reveal() == saved.user_token
    assert refreshes(emulator) == 2


@pytest.mark.parametrize(
    "elsewhere",
    [
        {"team": {"id": "T0OTHER01", "name": "Other"}},
        {"team": {"id": TEAM_ID, "name": "Acme"}, "enterprise": {"id": "E0OTHER01"}},
        {"user_id": "UBOB000001", "authed_user": {"id": "UBOB000001"}},
    ],
    ids=["another-workspace", "another-organization", "another-user"],
)
async def test_a_refresh_answer_for_another_user_workspace_or_organization_is_not_saved(
    emulator: RunningEmulator, store: SQLite3InstallationStore, elsewhere: dict[str, Any]
) -> None:
    """refresh_grant._someone_else: a refresh answer naming another user, workspace or
    organization (a mixed-up cache or proxy) is refused, though auth.test would name the
    person: its tokens are neither used nor saved as the person's here."""
    installed = await install(emulator, store, ALICE.user_id)
    other = (await oauth_reply(emulator, ALICE.user_id))["authed_user"]
    reply = {
        "ok": True,
        "app_id": "A0EMULATOR1",
        "token_type": "user",
        "user_id": ALICE.user_id,
        "authed_user": {"id": ALICE.user_id},
        "access_token": other["access_token"],
        "refresh_token": other["refresh_token"],
        "expires_in": LIFETIME,
        "scope": "users.profile:read,users.profile:write",
        **elsewhere,
    }
    source = emulator_source(emulator, store, clock=Clock(offset=LIFETIME - 10))
    async with source:
        inject(emulator, Fault.json(reply), method="oauth.v2.access")
        with pytest.raises(TokenRefreshFailed, match="another"):
            await source.token_for(ALICE)
    kept = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert kept is not None
    assert kept.user_token == installed.user_token


async def test_a_sqlite_lease_ending_past_any_lease_is_taken_over(tmp_path: Any) -> None:
    """SQLiteRefreshLock: a lease row ending further ahead than a lease can last (a clock
    set wrong, a damaged row) is taken over, not waited on until the refresh is busy."""
    from ocp_users_photo.installations.sqlite_lease import _CREATE, LEASE_TABLE, SQLiteRefreshLock

    database = tmp_path / "i.db"
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        connection.execute(_CREATE)
        connection.execute(
            f"INSERT INTO {LEASE_TABLE} VALUES ('key', 'a holder long gone', ?)",
            (time.time() + 10**6,),
        )
    async with SQLiteRefreshLock(database, wait_seconds=0.5).hold("key"):
        with contextlib.closing(sqlite3.connect(database)) as connection:
            (holder,) = connection.execute(f"SELECT holder FROM {LEASE_TABLE}").fetchone()
    assert holder != "a holder long gone"


def test_a_refresh_failing_at_the_instant_a_call_began_waiting_is_told_to_that_call() -> None:
    """SharedFailures.ended_since: a refresh that failed at the very time a call began to wait
    (a coarse clock, as Windows' monotonic one is) is told to it, not tried again."""
    failures = SharedFailures(clock=lambda: 100.0)
    asked_at = failures.now()
    failures.record("key", TokenRefreshFailed(ALICE, slack_error="invalid_refresh_token"))
    told = failures.ended_since("key", asked_at)
    assert isinstance(told, TokenRefreshFailed)
    assert failures.ended_since("key", asked_at + 0.001) is None


async def test_two_single_process_refresh_locks_let_one_holder_of_a_key_in_at_a_time() -> None:
    """SingleProcessRefreshLock: two of them (two sources over one store) share the process's
    lock per key: the second waits until the first lets go."""
    first_lock, second_lock = SingleProcessRefreshLock(), SingleProcessRefreshLock()
    inside, asking, release = asyncio.Event(), asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def first() -> None:
        async with first_lock.hold("key"):
            order.append("first in")
            inside.set()
            await release.wait()
            order.append("first out")

    async def second() -> None:
        await inside.wait()
        asking.set()
        async with second_lock.hold("key"):
            order.append("second in")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await asking.wait()  # the second ran on into the lock's hold, and waits there
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["first in", "first out", "second in"]


def _refreshed_copy(**changes: Any) -> tuple[Installation, Installation]:
    """An installation whose refresh began, and the store's newest: a copy with ``changes``."""
    old = Installation(
        user_id=ALICE.user_id,
        team_id=TEAM_ID,
        user_token="xoxe.xoxp-1-old",
        user_refresh_token="xoxe-1-old",
        user_token_expires_at=int(time.time()) + 100,
    )
    stored = copy.copy(old)
    for name, value in changes.items():
        setattr(stored, name, value)
    return old, stored


def test_a_copy_saved_back_with_the_same_user_token_is_no_new_installation() -> None:
    """_installed_again: the store's newest holding the very user token the refresh began
    from (under another refresh token: a writer's mixed copy) is no new installation: the
    refreshed one is saved over it, not dropped for a token Slack is about to end."""
    old, stored = _refreshed_copy(user_refresh_token="xoxe-1-other")
    assert not _installed_again(stored, old, key_of(old.user_refresh_token or ""))


def test_a_token_with_an_end_is_no_new_installation_over_one_that_had_none() -> None:
    """_installed_again: a newest token that ends is no installation made since the refresh of
    one that had no end (it lasts less), however late its end."""
    old, stored = _refreshed_copy(
        user_token="xoxe.xoxp-1-other",
        user_refresh_token="xoxe-1-other",
        user_token_expires_at=int(time.time()) + 10**6,
    )
    old.user_token_expires_at = None
    assert not _installed_again(stored, old, key_of(old.user_refresh_token or ""))
    old.user_token_expires_at = int(time.time()) + 100
    assert _installed_again(stored, old, key_of(old.user_refresh_token or ""))


class _SavedBehindARefresh(InstallationStore):
    """slack_sdk's SQLite store whose saves of the copy kept unsaved (``kept``) fail until
    Slack was asked to refresh that copy; then one (another call's) lands only after the
    refresh's own save, which waits until that call saves or waits for the person's lock."""

    def __init__(self, inner: SQLite3InstallationStore, emulator: RunningEmulator) -> None:
        self.inner, self.emulator = inner, emulator
        self.failing, self.kept = True, Installation(user_id="U")
        self.other_saving, self.refresh_saved = threading.Event(), threading.Event()
        self.other_waits: Callable[[], bool] = lambda: False

    def save(self, installation: Installation) -> None:
        if self.failing:
            self.kept = installation
            raise sqlite3.OperationalError("database is locked")
        if installation.user_refresh_token == self.kept.user_refresh_token:
            if refreshes(self.emulator) < 2:  # the refreshing call's own tries
                raise sqlite3.OperationalError("database is locked")
            self.other_saving.set()
            self.refresh_saved.wait(10)
            self.inner.save(installation)
            return
        for _ in range(2000):  # the other call saves, or waits for the lock, first
            if self.other_saving.wait(0.005) or self.other_waits():
                break
        self.inner.save(installation)
        self.refresh_saved.set()

    def find_installation(self, **query: Any) -> Installation | None:
        return self.inner.find_installation(**query)


async def test_a_copy_kept_unsaved_is_not_saved_over_the_refresh_made_from_it(
    emulator: RunningEmulator, store: SQLite3InstallationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """_unsaved_for: a call finding the person's copy kept unsaved while another call refreshes
    it waits for the person's lock: saved beside the refresh, it landed after the refresh's
    save, and the store's newest held the refresh token Slack had just spent."""
    monkeypatch.setattr(source_module, "RESAVE_FIRST_WAIT", 3600.0)  # no background save
    await install(emulator, store, ALICE.user_id)
    clock = Clock(offset=LIFETIME - 100)
    behind = _SavedBehindARefresh(store, emulator)
    source = emulator_source(emulator, behind, clock=clock, refresh_lock=SingleProcessRefreshLock())
    key = source._lock_key(ALICE)

    def other_waits() -> bool:  # two calls in the person's locks: the other one waits
        users = [locks[key][1] for locks in list(source._locks._by_loop.values()) if key in locks]
        return sum(users) >= 2

    behind.other_waits = other_waits
    async with source:
        with pytest.raises(InstallationStoreFailed):
            await source.token_for(ALICE)  # refreshed once, kept unsaved
        behind.failing = False
        clock.offset += LIFETIME - 100  # the copy kept unsaved is due now
        refreshing = asyncio.create_task(source.token_for(ALICE))
        await until_refreshes(emulator, 2)
        tokens = await asyncio.gather(refreshing, source.token_for(ALICE))
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    assert saved.user_refresh_token != behind.kept.user_refresh_token
    assert tokens[0].reveal() == saved.user_token


class _AskingAgainByTurns:
    """person_locks' asyncio, whose waits between a waiter's asks are the test's to end: each
    ask refused is told (``asked``), and the waiter asks again once let (``again``), or at
    once after ``free``."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.asked = {name: threading.Semaphore(0) for name in names}
        self.again = {name: threading.Semaphore(0) for name in names}
        self.free = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, seconds: float) -> None:
        name = threading.current_thread().name
        self.asked[name].release()
        if self.free.is_set():
            await asyncio.sleep(seconds)
        else:
            await asyncio.to_thread(self.again[name].acquire)


def test_a_later_waiter_asking_again_first_does_not_take_a_persons_lock_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PersonLocks: once the holder lets go, the call of another event loop that asked later,
    asking again before the one that asked first, waits still: the first asker takes the
    lock first, whichever loop runs first."""
    from ocp_users_photo.installations import person_locks

    turns = _AskingAgainByTurns(("first", "second"))
    monkeypatch.setattr(person_locks, "asyncio", turns)
    locks = PersonLocks()
    holding, let_go = threading.Event(), threading.Event()
    order: list[str] = []

    async def hold(name: str) -> None:
        async with locks.hold("key"):
            order.append(name)
            if name == "holder":
                holding.set()
                await asyncio.to_thread(let_go.wait)

    threads = {
        name: threading.Thread(target=asyncio.run, args=(hold(name),), name=name, daemon=True)
        for name in ("holder", "first", "second")
    }
    threads["holder"].start()
    assert holding.wait(30)
    for name in ("first", "second"):
        threads[name].start()
        assert turns.asked[name].acquire(timeout=30)  # refused once: it waits in the queue
    let_go.set()
    threads["holder"].join(30)
    assert not threads["holder"].is_alive()
    turns.again["second"].release()  # the later asks again first, the first one waiting still
    while not turns.asked["second"].acquire(timeout=0.01):  # refused again, or it took the turn
        if not threads["second"].is_alive():
            break
    turns.free.set()
    for name in ("first", "second"):
        turns.again[name].release()
    threads["second"].join(30)  # the last in turn: a call passed over waits for ever
    assert order == ["holder", "first", "second"]


def test_a_postgres_refresh_lock_refuses_an_engine_of_another_database() -> None:
    """PostgresRefreshLock: an engine of another database (SQLite) is refused when the lock is
    made, not at each refresh as an SQL error of pg_try_advisory_lock."""
    import sqlalchemy

    from ocp_users_photo.installations.postgres_lock import PostgresRefreshLock

    engine = sqlalchemy.create_engine("sqlite://")
    try:
        with pytest.raises(ValueError, match="needs a PostgreSQL engine, not sqlite"):
            PostgresRefreshLock(engine)
    finally:
        engine.dispose()


async def test_a_postgres_refresh_lock_outlives_the_servers_idle_session_timeouts(
    postgres_url: str,
) -> None:
    """PostgresRefreshLock: the holder's session waits out the refresh idle, and not inside a
    transaction; a server ending idle sessions (idle_session_timeout, and
    idle_in_transaction_session_timeout) does not end it, nor the lock with it: another
    process can take the lock only once the holder lets go, and the store's engine gets its
    connection back with the server's settings."""
    import sqlalchemy

    from ocp_users_photo.installations.postgres_lock import PostgresRefreshLock, advisory_key

    timeouts = ("idle_session_timeout", "idle_in_transaction_session_timeout")
    admin = sqlalchemy.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    database = sqlalchemy.engine.make_url(postgres_url).database
    with admin.connect() as connection:
        known = connection.execute(
            sqlalchemy.text("SELECT name FROM pg_settings WHERE name IN :names").bindparams(
                sqlalchemy.bindparam("names", expanding=True)
            ),
            {"names": list(timeouts)},
        ).scalars()
        for name in known:
            connection.execute(sqlalchemy.text(f'ALTER DATABASE "{database}" SET {name} = 200'))
    admin.dispose()
    engine = sqlalchemy.create_engine(postgres_url)
    observer = sqlalchemy.create_engine(
        postgres_url, isolation_level="AUTOCOMMIT", poolclass=sqlalchemy.NullPool
    )

    def others() -> list[tuple[str, bool]]:  # the holder's state; whether its lock is free
        with observer.connect() as connection:
            states = connection.execute(
                sqlalchemy.text(
                    "SELECT state FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )
            ).scalars()
            free = connection.execute(
                sqlalchemy.text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key("key")}
            ).scalar_one()
            return [(state, bool(free)) for state in states]

    pooled: list[tuple[str, str]] = []

    def pooled_as(dbapi_connection: Any, _: object) -> None:  # as it goes back to the pool
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT name, setting FROM pg_settings WHERE name LIKE 'idle%timeout'")
        pooled.extend(cursor.fetchall())
        dbapi_connection.rollback()

    sqlalchemy.event.listen(engine, "checkin", pooled_as)
    try:
        async with PostgresRefreshLock(engine, wait_seconds=1.0).hold("key"):
            assert others() == [("idle", False)]
            await asyncio.sleep(1.0)  # a refresh five times as long as the server's timeouts
            assert others() == [("idle", False)]
        assert pooled
        assert {setting for _, setting in pooled} == {"200"}
    finally:
        engine.dispose()
        observer.dispose()


async def test_a_postgres_refresh_lock_gives_back_a_connection_that_follows_a_reload(
    postgres_url: str,
) -> None:
    """PostgresRefreshLock: the idle timeouts it turned off are put back as the server's, not
    set by the session: the store's pooled connection follows an idle_session_timeout changed
    in the server's configuration and reloaded, as it did before the lock held it."""
    import sqlalchemy

    from ocp_users_photo.installations.postgres_lock import PostgresRefreshLock

    engine = sqlalchemy.create_engine(postgres_url, pool_size=1, max_overflow=0)
    admin = sqlalchemy.create_engine(
        postgres_url, isolation_level="AUTOCOMMIT", poolclass=sqlalchemy.NullPool
    )
    setting = sqlalchemy.text("SELECT setting FROM pg_settings WHERE name = 'idle_session_timeout'")

    def server_setting() -> str | None:
        with admin.connect() as connection:
            return connection.execute(setting).scalar_one_or_none()

    if server_setting() is None:
        pytest.fail("the test server has no idle_session_timeout (PostgreSQL 14 and later)")
    try:
        async with PostgresRefreshLock(engine).hold("key"):
            pass
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text("ALTER SYSTEM SET idle_session_timeout = '5min'"))
            connection.execute(sqlalchemy.text("SELECT pg_reload_conf()"))
        for _ in range(3000):  # a new session sees it once the server has reloaded
            if server_setting() == "300000":
                break
            await asyncio.sleep(0.01)
        assert server_setting() == "300000"
        with engine.connect() as connection:  # the connection the lock held, pooled again
            assert connection.execute(setting).scalar_one() == "300000"
    finally:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text("ALTER SYSTEM RESET idle_session_timeout"))
            connection.execute(sqlalchemy.text("SELECT pg_reload_conf()"))
        engine.dispose()
        admin.dispose()


async def test_a_postgres_refresh_lock_sets_again_an_idle_timeout_the_session_set(
    postgres_url: str,
) -> None:
    """PostgresRefreshLock: an idle timeout the store's engine set on its sessions (a connect
    event's SET) is set again when the lock lets its connection go, not reset to the server's."""
    import sqlalchemy

    from ocp_users_photo.installations.postgres_lock import PostgresRefreshLock

    engine = sqlalchemy.create_engine(postgres_url, pool_size=1, max_overflow=0)

    def set_on_connect(dbapi_connection: Any, _: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET idle_in_transaction_session_timeout = 250")
        dbapi_connection.commit()

    sqlalchemy.event.listen(engine, "connect", set_on_connect)
    setting = sqlalchemy.text(
        "SELECT setting, source FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout'"
    )
    try:
        async with PostgresRefreshLock(engine).hold("key"):
            pass
        with engine.connect() as connection:  # the connection the lock held, pooled again
            assert tuple(connection.execute(setting).one()) == ("250", "session")
    finally:
        engine.dispose()
