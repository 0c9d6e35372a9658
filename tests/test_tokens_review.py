"""Per-person tokens, reviewed as an agent builder and an attacker would use them.

Every person's installation is made by the emulator's real OAuth and kept in slack_sdk's
SQLite store in a real file; every refresh and photo goes over loopback HTTP.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.file import FileInstallationStore
from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.credentials import ClientCredentials
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.emulator.faults import Fault
from ocp_users_photo.errors import TokenUnavailable, may_have_taken_effect
from ocp_users_photo.installations import (
    InstallationTokenSource,
    NotInstalled,
    SingleProcessRefreshLock,
    TokenRefreshFailed,
)
from ocp_users_photo.installations.refresh_locks import LockNotTaken
from ocp_users_photo.installations.sqlite_lease import SQLiteRefreshLock
from ocp_users_photo.tokens import ActingPerson
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    LIFETIME,
    TEAM_ID,
    Clock,
    install,
    photo_tokens,
    portrait,
    refreshes,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
)

INSTALL_URL = "https://photos.example.com/slack/install"
ALICE = "UALICE0001"


@pytest.fixture
async def tool(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> AsyncIterator[UsersSetPhoto]:
    """A tool over the store whose clock is 10 s before the person's token expires: too
    close to its end to be used when the refresh before the call fails."""
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=emulator.base_url,
        install_url=INSTALL_URL,
        clock=Clock(LIFETIME - 10),
        max_retries=0,
        environ={},
    )
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as made:
        yield made


NO_ANSWERS = [Fault.drop(), Fault.status(502), Fault.html_page()]


@pytest.mark.parametrize("no_answer", NO_ANSWERS, ids=["dropped", "502", "html"])
@pytest.mark.parametrize("when", ["before the call", "after token_expired"])
async def test_a_refresh_slack_does_not_answer_is_a_token_failure_not_a_change_that_may_have_been(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    tool: UsersSetPhoto,
    no_answer: Fault,
    when: str,
) -> None:
    """A refresh whose oauth.v2.access request meets a dropped connection, a 5xx or a page
    came back as a TransportError for oauth.v2.access: "it may have taken effect: do not
    call again; tell the person to check their photo in Slack" to a model, and
    may_have_taken_effect() true for a host (the example Bolt app told the person "Your
    photo may have changed"), though users.setPhoto was never sent or was refused. README:
    what goes wrong is a TokenUnavailable, raised before anything is sent."""
    installed = await install(emulator, store, ALICE)
    if when == "after token_expired":
        tool.token_source.refresh_margin = 0.0  # type: ignore[attr-defined]
        emulator.faults.inject(Fault.slack_error("token_expired"), path="users.setPhoto", times=2)
    emulator.faults.inject(no_answer, path="oauth.v2.access", times=2)
    as_alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE)

    result = await as_alice.run({"image": portrait()})
    assert result["error"] == "refresh_failed", result
    assert "did not change" in result["message"], result
    assert "check their photo" not in result["message"], result
    with pytest.raises(TokenRefreshFailed) as failed:
        await as_alice.call({"image": portrait()})
    assert failed.value.no_answer is True
    assert failed.value.slack_error is None
    assert not may_have_taken_effect(failed.value)
    assert "did not change" in str(failed.value)
    told = [str(failed.value), failed.value.model_message or "", result["message"], repr(result)]
    for secret in (installed.user_refresh_token or "", installed.user_token or "", CLIENT_SECRET):
        assert secret, "the installation has its tokens"
        assert not any(secret in text for text in told), "a secret reached the failure's text"

    # Nothing of the photo's reached Slack but the refused tries; trying again works.
    sent = len(photo_tokens(emulator))
    assert sent == (2 if when == "after token_expired" else 0)
    assert (await as_alice.run({"image": portrait()}))["ok"] is True
    # Before the call the token is refreshed a third time; after token_expired the token,
    # never expired by the clock, is taken as it is.
    assert refreshes(emulator) == (3 if when == "before the call" else 2)


@pytest.mark.parametrize(
    "refusal",
    [Fault.status(502), Fault.slack_error("invalid_refresh_token")],
    ids=["no answer", "refused"],
)
async def test_a_token_still_good_is_used_when_its_refresh_ahead_of_time_fails(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    refusal: Fault,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A token within the refresh margin (5 min) is refreshed before the call; when that
    refresh failed (Slack's OAuth endpoint down, or its refusal), the call failed too,
    though the token in hand had 100 s left: every person's photo change stopped with
    Slack's OAuth blip. The call goes on with it, and the host is told at WARNING."""
    alice = await install(emulator, store, ALICE)
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=emulator.base_url,
        clock=Clock(LIFETIME - 100),
        max_retries=0,
        environ={},
    )
    emulator.faults.inject(refusal, path="oauth.v2.access", times=1)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        with caplog.at_level(logging.WARNING, logger="ocp_users_photo"):
            reply = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE).call({"image": portrait()})
    assert reply["ok"] is True
    assert refreshes(emulator) == 1
    assert photo_tokens(emulator) == [alice.user_token]
    (warning,) = [record for record in caplog.records if "ahead of its end" in record.message]
    assert "refresh_failed" in warning.message
    assert "is used meanwhile" in warning.message
    assert alice.user_token is not None
    assert alice.user_refresh_token is not None
    assert alice.user_token not in caplog.text
    assert alice.user_refresh_token not in caplog.text


# A client secret's shape (32 hex digits), never this app's.
SWAPPED_SECRET = "3f1e0c2b9a8d7e6f5a4b3c2d1e0f9a8b"


def test_a_client_secret_given_as_the_client_id_is_never_quoted(tmp_path: Path) -> None:
    """A host that swapped its two settings (SLACK_CLIENT_ID holding the secret) had the
    secret quoted in the ValueError the source raised at start-up (a crash log, an error
    reporter) and, over a store that keeps no client id, in the source's repr."""
    right = SQLite3InstallationStore(database=str(tmp_path / "a.db"), client_id=CLIENT_ID)
    with pytest.raises(ValueError, match="only works with the app") as refused:
        InstallationTokenSource(
            right, client_id=SWAPPED_SECRET, client_secret=CLIENT_ID, environ={}
        )
    assert SWAPPED_SECRET not in str(refused.value)
    assert "client secret" in str(refused.value)  # what it may be, said
    assert repr(CLIENT_ID) in str(refused.value)  # a real client id is still quoted

    # The store made with the secret as its client id.
    swapped = SQLite3InstallationStore(database=str(tmp_path / "b.db"), client_id=SWAPPED_SECRET)
    with pytest.raises(ValueError, match="only works with the app") as refused:
        InstallationTokenSource(
            swapped, client_id=CLIENT_ID, client_secret=SWAPPED_SECRET, environ={}
        )
    assert SWAPPED_SECRET not in str(refused.value)

    # A store that keeps no client id: nothing refuses it here, and nothing shows it.
    files = FileInstallationStore(base_dir=str(tmp_path / "files"))
    source = InstallationTokenSource(
        files,
        client_id=SWAPPED_SECRET,
        client_secret=CLIENT_ID,
        refresh_lock=SingleProcessRefreshLock(),
        environ={},
    )
    shown = [repr(source), str(source), source.description]
    shown.append(repr(ClientCredentials(SWAPPED_SECRET, CLIENT_ID)))
    assert not [text for text in shown if SWAPPED_SECRET in text], shown


async def test_a_person_of_an_org_wide_installation_bound_with_their_workspace_is_told_how_to_bind(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """An org-wide (Enterprise Grid) installation, and a host that binds the person as the
    README says, "give enterprise_id too, Bolt's context.enterprise_id", with the team_id
    Slack's request names: slack_sdk files the installation under the organization alone,
    so it is not found, and NotInstalled said only "ask them to install it", which they
    did (installing again cannot help). It now says how to bind them (team_id=None)."""
    workspace = await install(emulator, store, ALICE)
    org_wide = Installation(**workspace.to_dict_for_copying())
    org_wide.enterprise_id, org_wide.team_id, org_wide.is_enterprise_install = "E0ORG1", None, True
    org_wide.bot_scopes = []
    store.save(org_wide)
    source = InstallationTokenSource(
        store, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=emulator.base_url
    )
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(NotInstalled) as missing:
            await tool.acting_as(team_id=TEAM_ID, user_id=ALICE, enterprise_id="E0ORG1").call(
                {"image": portrait()}
            )
        assert "team_id=None" in str(missing.value), str(missing.value)
        # Bound so, the person is found: the advice is the way.
        bound = tool.acting_as(team_id=None, user_id=ALICE, enterprise_id="E0ORG1")
        assert (await bound.call({"image": portrait()}))["ok"] is True
    assert photo_tokens(emulator) == [workspace.user_token]


async def test_a_person_of_a_grid_workspace_installation_bound_as_org_wide_is_told_how_to_bind(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """An installation made in a workspace of an Enterprise Grid org, and a host that binds
    the person as for an org-wide one (team_id=None): not found, and NotInstalled said only
    "ask them to install it", which they had (installing again cannot help). It now says
    to bind them with their team_id too."""
    workspace = await install(emulator, store, ALICE)
    in_org = Installation(**workspace.to_dict_for_copying())
    in_org.enterprise_id, in_org.bot_scopes = "E0ORG1", []
    store.save(in_org)
    source = InstallationTokenSource(
        store, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=emulator.base_url
    )
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(NotInstalled) as missing:
            await tool.acting_as(team_id=None, user_id=ALICE, enterprise_id="E0ORG1").call(
                {"image": portrait()}
            )
        assert "with their team_id too" in str(missing.value), str(missing.value)
        bound = tool.acting_as(team_id=TEAM_ID, user_id=ALICE, enterprise_id="E0ORG1")
        assert (await bound.call({"image": portrait()}))["ok"] is True
    assert photo_tokens(emulator) == [workspace.user_token]


async def test_a_person_of_a_workspace_installation_bound_with_an_enterprise_is_told_how_to_bind(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """A workspace's own installation (no Enterprise Grid org) and a host that binds the
    person with an enterprise id all the same: not found, and NotInstalled said to install
    the app (they had) and pointed at an org-wide binding, where the mistake is the
    enterprise id. It now says where the installation is filed and how to bind them."""
    workspace = await install(emulator, store, ALICE)
    assert workspace.enterprise_id is None
    source = InstallationTokenSource(
        store, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=emulator.base_url
    )
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(NotInstalled) as missing:
            await tool.acting_as(team_id=TEAM_ID, user_id=ALICE, enterprise_id="E0ORG1").call(
                {"image": portrait()}
            )
        said = str(missing.value)
        assert "filed under their workspace alone" in said, said
        assert "enterprise_id=None" in said, said
        assert "install it" not in said, said
        # Someone else bound so is told to install the app, as before.
        with pytest.raises(NotInstalled) as other:
            await tool.acting_as(
                team_id=TEAM_ID, user_id="UNOBODY0001", enterprise_id="E0ORG1"
            ).call({"image": portrait()})
        assert "ask them to install it" in str(other.value)
        bound = tool.acting_as(team_id=TEAM_ID, user_id=ALICE, enterprise_id=None)
        assert (await bound.call({"image": portrait()}))["ok"] is True
    assert photo_tokens(emulator) == [workspace.user_token]


class HangingStore(InstallationStore):
    """A store whose reads hang until ``release`` (a database behind a network that drops
    packets, a pool that never gives a connection)."""

    def __init__(self, inner: InstallationStore) -> None:
        self.inner = inner
        self.release = threading.Event()
        self.reading = threading.Event()
        self.answered = 0  # reads answered before the store hangs

    def save(self, installation: Installation) -> None:
        self.inner.save(installation)

    def find_installation(self, **lookup: Any) -> Installation | None:
        if self.answered > 0:
            self.answered -= 1
            return self.inner.find_installation(**lookup)
        self.reading.set()
        self.release.wait(8)  # bounded: a test that fails still ends
        return self.inner.find_installation(**lookup)


@pytest.fixture
def hanging(store: SQLite3InstallationStore) -> Iterator[HangingStore]:
    hung = HangingStore(store)
    yield hung
    hung.release.set()


@pytest.mark.parametrize("door", ["call", "run", "renewal"])
async def test_a_store_that_hangs_ends_the_call_at_its_deadline_with_nothing_sent(
    emulator: RunningEmulator, store: SQLite3InstallationStore, hanging: HangingStore, door: str
) -> None:
    """README: "the whole call" keeps to ``deadline=``. A store whose read never came back
    held the call for as long as the store hung (for ever, for a PostgreSQL server behind a
    firewall that drops packets), whatever the deadline, and a cancellation (the host's
    own timeout) waited for the store's thread too."""
    await install(emulator, store, ALICE)
    source = InstallationTokenSource(
        hanging,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=emulator.base_url,
        refresh_lock=SingleProcessRefreshLock(),
        environ={},
    )
    async with (
        source,
        UsersSetPhoto(source, base_url=emulator.base_url, environ={}, deadline=1) as tool,
    ):
        as_alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE)
        # Well under the store's 8 s: the call ends by its own deadline, or this fails.
        bounded = asyncio.timeout(5)
        if door == "renewal":
            # The token is read; Slack answers token_expired; the refresh's read hangs.
            hanging.answered = 1
            emulator.faults.inject(Fault.slack_error("token_expired"), path="users.setPhoto")
        if door != "run":
            with pytest.raises(TokenUnavailable) as failed:
                async with bounded:
                    await as_alice.call({"image": portrait()})
            said = str(failed.value)
        else:
            async with bounded:
                result = await as_alice.run({"image": portrait()})
            assert result["error"] == "token_unavailable", result
            said = result["message"]
        assert hanging.reading.is_set()
        assert "1 s deadline" in said, said
        assert "nothing was sent" in said, said
        hanging.release.set()  # a refresh under way ends, and the source closes
    assert len(photo_tokens(emulator)) == (1 if door == "renewal" else 0)  # refused


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://app@db.internal/slack?password=hunter2-db-secret",
        "postgresql+psycopg:///slack?host=db.internal&user=app&password=hunter2-db-secret",
    ],
    ids=["password in the query", "libpq keywords"],
)
def test_a_database_password_in_the_urls_query_is_never_shown(url: str) -> None:
    """libpq (psycopg) takes the password as a query parameter too; SQLAlchemy's
    hide_password masks only the URL's own password, so the store's description, the
    source's and its lock's reprs showed it, and a model was given the description in
    messages about the source's tokens."""
    import psycopg  # noqa: F401  (the driver the URLs name; the test extras install it)
    import sqlalchemy
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    engine = sqlalchemy.create_engine(url, hide_parameters=True)  # nothing connects
    store = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)
    source = InstallationTokenSource(
        store, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, environ={}
    )
    shown = [repr(source), source.description, repr(source.refresh_lock)]
    shown.append(source.refresh_lock.description)
    assert not [text for text in shown if "hunter2" in text], shown
    assert "/slack" in source.description  # the database is still named


async def test_two_sources_in_one_process_with_the_single_process_lock_refresh_once(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """README: ``SingleProcessRefreshLock()`` "when one process alone refreshes". Two
    sources in that one process (a tool for the agent, another for a Bolt app; a source
    made per request) each held only their own per-person lock: both refreshed the same
    person's token at once, Slack spent the refresh token for the first, and the second
    call was told to have the person install the app again."""
    files = FileInstallationStore(base_dir=str(tmp_path / "installations"), client_id=CLIENT_ID)
    await install(emulator, files, ALICE)
    sources = [
        InstallationTokenSource(
            files,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            base_url=emulator.base_url,
            refresh_lock=SingleProcessRefreshLock(),
            clock=Clock(LIFETIME - 100),  # within the margin: refreshed before use
            environ={},
        )
        for _ in range(2)
    ]
    emulator.faults.inject(Fault.delay(0.3), path="oauth.v2.access")  # both ask meanwhile
    person = ActingPerson(team_id=TEAM_ID, user_id=ALICE)
    try:
        tokens = await asyncio.gather(*(source.token_for(person) for source in sources))
    finally:
        for source in sources:
            await source.aclose()
    assert refreshes(emulator) == 1
    assert tokens[0] == tokens[1]


async def test_a_lease_left_by_a_process_that_died_before_the_clock_was_set_back_ends_in_its_time(
    tmp_path: Path,
) -> None:
    """README: "a lease left by a process that died ends after 60 s". Taken by a process
    whose wall clock then stepped back a day (an NTP step, a restored VM) and which died
    holding it, the lease's end lay a day ahead: every process refreshing that person got
    RefreshBusy for a day. A lease ending further ahead than two leases (hosts' clocks
    within a minute of each other, as the README asks) is one no clock now can have
    written: taken over."""
    database = tmp_path / "installations.db"
    key = f"{CLIENT_ID}||{TEAM_ID}|{ALICE}"
    day_ahead = SQLiteRefreshLock(database, clock=lambda: time.time() + 86400)
    assert await asyncio.to_thread(day_ahead._try_take, key, "died")  # never released
    async with SQLiteRefreshLock(database, wait_seconds=1).hold(key):
        pass
    # A lease of a live holder whose clock runs up to a minute ahead is still waited for.
    minute_ahead = SQLiteRefreshLock(database, clock=lambda: time.time() + 60)
    assert await asyncio.to_thread(minute_ahead._try_take, key, "alive")
    with pytest.raises(LockNotTaken):
        async with SQLiteRefreshLock(database, wait_seconds=0.2).hold(key):
            pass
