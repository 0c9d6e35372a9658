"""InstallationTokenSource over a real SQLite file, against the emulator's OAuth over HTTP.

Each person's installation is made by the emulator's real install flow and saved in
slack_sdk's SQLite store; every call's token, refresh and photo goes over loopback HTTP.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import ActingTool, SlackApiError, UsersSetPhoto
from ocp_users_photo.credentials import ClientCredentials
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.emulator.faults import Fault
from ocp_users_photo.installations import (
    ForeignInstallation,
    InstallationStoreFailed,
    InstallationTokenSource,
    NoActingPerson,
    NotInstalled,
    RefreshImpossible,
    SingleProcessRefreshLock,
    TokenRefreshFailed,
    UserTokenMissing,
)
from ocp_users_photo.installations.refresh_grant import MAX_LIFETIME, refresh_user_token
from ocp_users_photo.model_result import error_result
from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome, ChangeInfo
from ocp_users_photo.slack.client import SlackClient
from ocp_users_photo.tokens import ActingPerson
from tests import loopback
from tests.conftest import inject
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    LIFETIME,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    TEAM_ID,
    Clock,
    auth_test_names,
    install,
    owner_of,
    photo_tokens,
    portrait,
    refreshes,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
    until_refreshes,
)

INSTALL_URL = "https://photos.example.com/slack/install"
MakeTool = Callable[..., UsersSetPhoto]
ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")
BOB = ActingPerson(team_id=TEAM_ID, user_id="UBOB000002")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def tool_for(
    emulator: RunningEmulator, store: SQLite3InstallationStore, clock: Clock
) -> AsyncIterator[Callable[..., UsersSetPhoto]]:
    made: list[tuple[InstallationTokenSource, UsersSetPhoto]] = []

    def make(**source_options: object) -> UsersSetPhoto:
        options: dict[str, object] = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "base_url": emulator.base_url,
            "install_url": INSTALL_URL,
            "clock": clock,
            "environ": {},
            **source_options,
        }
        source_store = options.pop("store", store)
        source = InstallationTokenSource(source_store, **options)  # type: ignore[arg-type]
        tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={}, retry_backoff=0.01)
        made.append((source, tool))
        return tool

    yield make
    for source, tool in made:
        await tool.aclose()
        await source.aclose()


async def cancelled_while_refreshing(emulator: RunningEmulator, tool: ActingTool) -> None:
    """A call cancelled once its token refresh has reached Slack (the refresh goes on)."""
    call = asyncio.create_task(tool.call({"image": portrait()}))
    await until_refreshes(emulator, 1)
    # Else the call would be cancelled before its refresh, and the test would not show
    # what a cancellation during one does.
    assert refreshes(emulator) == 1, "the refresh reached Slack before the cancellation"
    assert not call.done()
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call


async def test_each_person_gets_their_own_photo_with_their_own_token(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool_for: MakeTool
) -> None:
    alice = await install(emulator, store, ALICE.user_id)
    bob = await install(emulator, store, BOB.user_id)
    tool = tool_for()

    alice_reply = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call(
        {"image": portrait((200, 0, 0))}
    )
    async with tool.acting_as(team_id=TEAM_ID, user_id=BOB.user_id) as as_bob:
        bob_reply = await as_bob.call({"image": portrait((0, 0, 200))})

    assert photo_tokens(emulator) == [alice.user_token, bob.user_token]
    assert [owner_of(emulator, token) for token in photo_tokens(emulator)] == [
        ALICE.user_id,
        BOB.user_id,
    ]
    alice_now = emulator.state.person(ALICE.user_id)
    bob_now = emulator.state.person(BOB.user_id)
    assert alice_now is not None
    assert bob_now is not None
    assert alice_now.avatar_hash == alice_reply["profile"]["avatar_hash"]
    assert bob_now.avatar_hash == bob_reply["profile"]["avatar_hash"]
    assert alice_now.avatar_hash != bob_now.avatar_hash
    assert refreshes(emulator) == 0


async def test_the_newest_installation_of_a_person_wins(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool_for: MakeTool
) -> None:
    await install(emulator, store, ALICE.user_id)
    newer = await install(emulator, store, ALICE.user_id)  # installed again, same second
    await tool_for().acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    assert photo_tokens(emulator) == [newer.user_token]


async def test_a_person_without_an_installation_is_told_to_install_and_nothing_is_sent(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool_for: MakeTool
) -> None:
    await install(emulator, store, ALICE.user_id)
    as_bob = tool_for().acting_as(team_id=TEAM_ID, user_id=BOB.user_id)

    with pytest.raises(NotInstalled) as refused:
        await as_bob.call({"image": portrait()})
    assert refused.value.install_url == INSTALL_URL
    assert "UBOB000002 in T0EMULATOR has not installed the app" in refused.value.message
    assert INSTALL_URL in refused.value.message

    result = await as_bob.run({"image": portrait()})
    assert result["ok"] is False
    assert result["error"] == "not_installed"
    assert result["install_url"] == INSTALL_URL
    assert "install" in result["message"]
    assert photo_tokens(emulator) == []


async def test_no_person_bound_is_a_typed_error_saying_how_to_bind(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool_for: MakeTool
) -> None:
    await install(emulator, store, ALICE.user_id)
    tool = tool_for()
    with pytest.raises(NoActingPerson, match=r"tool\.acting_as\(team_id=\.\.\., user_id=\.\.\.\)"):
        await tool.call({"image": portrait()})
    assert (await tool.run({"image": portrait()}))["error"] == "no_acting_person"
    assert photo_tokens(emulator) == []


async def test_a_bot_only_installation_asks_for_a_reinstall_with_user_scopes(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool_for: MakeTool
) -> None:
    await install(emulator, store, ALICE.user_id, user_scope=None, bot_scope="commands")
    with pytest.raises(UserTokenMissing) as refused:
        await (
            tool_for().acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
        )
    assert "bot token only" in refused.value.message
    assert "users.profile:write" in refused.value.message
    assert "install it again" in refused.value.message
    assert photo_tokens(emulator) == []


async def test_a_store_answering_with_another_persons_installation_sends_nothing(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool_for: MakeTool
) -> None:
    bob = await install(emulator, store, BOB.user_id)

    class CarelessStore(InstallationStore):
        def save(self, installation: Installation) -> None:
            raise NotImplementedError

        def find_installation(self, **_: object) -> Installation | None:
            return bob

    tool = tool_for(store=CarelessStore(), refresh_lock=SingleProcessRefreshLock())
    with pytest.raises(ForeignInstallation):
        await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    assert photo_tokens(emulator) == []


async def test_a_store_that_raises_is_a_typed_error_without_its_text(
    emulator: RunningEmulator, tool_for: Callable[..., UsersSetPhoto]
) -> None:
    leaked = "xoxp-from-a-row-the-database-quoted"

    class BrokenStore(InstallationStore):
        def save(self, installation: Installation) -> None:
            raise RuntimeError(leaked)

        def find_installation(self, **_: object) -> Installation | None:
            raise ConnectionError(f"server closed the connection while reading {leaked}")

    tool = tool_for(store=BrokenStore(), refresh_lock=SingleProcessRefreshLock())
    with pytest.raises(InstallationStoreFailed) as failed:
        await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    assert "ConnectionError" in failed.value.message
    assert leaked not in failed.value.message
    assert failed.value.__cause__ is None
    assert failed.value.__context__ is None
    assert photo_tokens(emulator) == []


async def test_an_expiring_token_is_refreshed_before_the_call_and_saved(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    tool_for: Callable[..., UsersSetPhoto],
    clock: Clock,
) -> None:
    first = await install(emulator, store, ALICE.user_id)
    tool = tool_for(refresh_margin=300)
    clock.offset = LIFETIME - 200  # within the margin: refresh before sending anything

    await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})

    assert refreshes(emulator) == 1
    [used] = photo_tokens(emulator)
    assert used != first.user_token
    assert owner_of(emulator, used) == ALICE.user_id
    saved = alices_saved(store)
    assert saved.user_token == used
    assert saved.user_refresh_token != first.user_refresh_token
    assert saved.user_token_expires_at is not None
    assert saved.user_token_expires_at >= int(clock()) + LIFETIME - 5
    # The refresh authenticated the app by HTTP Basic, not with form fields.
    [refresh] = emulator.requests.for_path("oauth.v2.access")[-1:]
    assert (refresh.header("authorization") or "").startswith("Basic ")
    assert refresh.field("client_secret") is None


async def test_installation_for_gives_the_stored_installation_unrefreshed_or_a_typed_error(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    clock: Clock,
) -> None:
    first = await install(emulator, store, ALICE.user_id)
    source = InstallationTokenSource(
        store, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, clock=clock, environ={}
    )
    try:
        clock.offset = LIFETIME + 60  # expired: a host asking what is stored is not a call
        found = await source.installation_for(ALICE)
        assert found.user_id == ALICE.user_id
        assert found.user_token == first.user_token
        assert refreshes(emulator) == 0
        with pytest.raises(NotInstalled):
            await source.installation_for(BOB)
    finally:
        await source.aclose()


async def test_an_absurd_token_lifetime_from_the_refresh_is_saved_as_a_week(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    first = await install(emulator, store, ALICE.user_id)
    reply = {
        "ok": True,
        "token_type": "user",
        "access_token": "xoxe.xoxp-1-renewed0000000000000000",
        "refresh_token": "xoxe-1-renewedrefresh00000000000000",
        "expires_in": 10**400,  # a hostile or broken server's number
        "scope": "users.profile:write,users.profile:read",
    }
    inject(emulator, Fault.json(reply), method="oauth.v2.access")
    auth_test_names(emulator, ALICE.user_id)  # the new token is none the emulator issued
    slack = SlackClient(base_url=emulator.base_url, user_agent="test")
    try:
        outcome = await refresh_user_token(
            slack, ClientCredentials(CLIENT_ID, CLIENT_SECRET), first, ALICE, now=1_000_000.0
        )
    finally:
        await slack.aclose()
    assert outcome.unconfirmed is None
    refreshed = outcome.installation
    assert refreshed.user_token == reply["access_token"]
    assert refreshed.user_token_expires_at == 1_000_000 + MAX_LIFETIME


async def test_a_call_cancelled_during_its_refresh_still_saves_the_refreshed_token(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    tool_for: Callable[..., UsersSetPhoto],
    clock: Clock,
) -> None:
    """Slack spends the refresh token when it answers: a caller's timeout must not leave the
    store with the spent one (the person would have to install the app again)."""
    first = await install(emulator, store, ALICE.user_id)
    tool = tool_for(refresh_margin=300)
    alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
    clock.offset = LIFETIME - 200
    inject(emulator, Fault.delay(0.5), method="oauth.v2.access")
    await cancelled_while_refreshing(emulator, alice)

    # The refresh goes on without its caller: the next call waits for it and uses what it
    # saved. (Abandoned, it would leave this call to refresh again, or to find the refresh
    # token spent and ask the person to install the app again.)
    await alice.call({"image": portrait()})

    assert refreshes(emulator) == 1
    saved = alices_saved(store)
    assert saved.user_refresh_token != first.user_refresh_token
    assert photo_tokens(emulator) == [saved.user_token]


async def test_a_refresh_that_fails_after_its_caller_left_logs_no_unretrieved_error(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    tool_for: Callable[..., UsersSetPhoto],
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The refresh runs on without a cancelled caller; its failure is the next call's to
    # report, not asyncio's "Task exception was never retrieved" on the host's log.
    await install(emulator, store, ALICE.user_id)
    tool = tool_for(refresh_margin=300)
    alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
    clock.offset = LIFETIME - 200
    slow_refusal = Fault.slack_error("invalid_refresh_token", status_code=200).dripped(8, 0.05)
    inject(emulator, slow_refusal, method="oauth.v2.access")
    await cancelled_while_refreshing(emulator, alice)
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        for _ in range(300):  # until the refresh has failed, bounded
            await asyncio.sleep(0.01)
            if not tool.token_source._runner.under_way():  # type: ignore[attr-defined]
                break
        gc.collect()
        await asyncio.sleep(0)
    # Else the refresh would still be under way, and no failure yet to leave unretrieved.
    under_way = tool.token_source._runner.under_way()  # type: ignore[attr-defined]
    assert not under_way, "the refresh failed"
    assert not any("never retrieved" in record.getMessage() for record in caplog.records)


async def test_token_expired_from_slack_refreshes_once_and_retries(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool_for: MakeTool
) -> None:
    first = await install(emulator, store, ALICE.user_id)
    emulator.state.advance_clock(LIFETIME)  # Slack says expired; the source's clock does not

    reply = (
        await tool_for()
        .acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
        .call({"image": portrait()})
    )

    # The old token meets Slack's token_expired at the check of whose it is (auth.test,
    # before the change), and the change goes with the refreshed one.
    asked = [r.header("authorization") for r in emulator.requests.for_path("auth.test")]
    assert f"Bearer {first.user_token}" in asked
    (new,) = photo_tokens(emulator)
    assert new != first.user_token
    assert owner_of(emulator, new) == ALICE.user_id
    assert refreshes(emulator) == 1
    person = emulator.state.person(ALICE.user_id)
    assert person is not None
    assert person.avatar_hash == reply["profile"]["avatar_hash"]


async def test_a_restarted_source_uses_the_refreshed_token_without_refreshing(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    tool_for: Callable[..., UsersSetPhoto],
    tmp_path: Path,
) -> None:
    await install(emulator, store, ALICE.user_id)
    emulator.state.advance_clock(LIFETIME)
    await tool_for().acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    assert refreshes(emulator) == 1
    refreshed = photo_tokens(emulator)[-1]

    # A new process: a new store object on the same file, a new source and tool.
    reopened = SQLite3InstallationStore(database=store.database, client_id=CLIENT_ID)
    restarted = tool_for(store=reopened)
    await restarted.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    assert photo_tokens(emulator)[-1] == refreshed
    assert refreshes(emulator) == 1


async def test_an_expired_token_without_a_refresh_token_says_to_reinstall(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool_for: MakeTool
) -> None:
    installation = await install(emulator, store, ALICE.user_id)
    assert installation.user_scopes is not None
    stale = Installation(
        user_id=ALICE.user_id,
        team_id=TEAM_ID,
        app_id=installation.app_id,
        user_token=installation.user_token,
        user_scopes=installation.user_scopes,
        user_token_expires_at=int(time.time()) - 10,  # no refresh token kept
    )
    store.save(stale)
    with pytest.raises(RefreshImpossible) as refused:
        await (
            tool_for().acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
        )
    assert "no refresh token" in refused.value.message
    assert INSTALL_URL in refused.value.message
    assert photo_tokens(emulator) == []
    assert refreshes(emulator) == 0


async def test_a_refresh_token_of_another_app_is_refused_with_what_to_do(
    emulator: RunningEmulator, tmp_path: Path, tool_for: Callable[..., UsersSetPhoto]
) -> None:
    # The installation came from the other app, but the host gives this app's credentials.
    other = SQLite3InstallationStore(database=str(tmp_path / "mixed.db"), client_id=CLIENT_ID)
    await install(
        emulator, other, ALICE.user_id, client_id=OTHER_CLIENT_ID, client_secret=OTHER_CLIENT_SECRET
    )
    emulator.state.advance_clock(LIFETIME)
    with pytest.raises(TokenRefreshFailed) as refused:
        await (
            tool_for(store=other)
            .acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
            .call({"image": portrait()})
        )
    assert refused.value.slack_error == "invalid_refresh_token"
    assert "install the app again" in refused.value.message
    assert refreshes(emulator) == 1


async def test_a_wrong_client_secret_is_refused_with_what_to_do(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool_for: MakeTool
) -> None:
    await install(emulator, store, ALICE.user_id)
    emulator.state.advance_clock(LIFETIME)
    tool = tool_for(client_secret="not-the-secret")
    with pytest.raises(TokenRefreshFailed) as refused:
        await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    assert refused.value.slack_error == "bad_client_secret"
    assert "Basic Information" in refused.value.message
    assert "not-the-secret" not in refused.value.message


async def test_a_revoked_app_cannot_refresh_and_says_to_reinstall(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    tool_for: Callable[..., UsersSetPhoto],
    clock: Clock,
) -> None:
    await install(emulator, store, ALICE.user_id)
    emulator.state.oauth.revoke_installation(ALICE.user_id)
    clock.offset = LIFETIME  # the source sees it expiring and refreshes first
    result = (
        await tool_for()
        .acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
        .run({"image": portrait()})
    )
    assert result["error"] == "refresh_failed"
    assert "invalid_refresh_token" in result["message"]
    assert result["install_url"] == INSTALL_URL
    assert photo_tokens(emulator) == []


async def test_a_revoked_token_is_slacks_answer_not_a_refresh(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool_for: MakeTool
) -> None:
    installation = await install(emulator, store, ALICE.user_id)
    assert installation.user_token is not None
    emulator.state.revoke(installation.user_token)
    with pytest.raises(SlackApiError) as refused:
        await (
            tool_for().acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
        )
    assert refused.value.error == "token_revoked"
    assert refreshes(emulator) == 0


async def test_source_refuses_a_store_of_another_client_id(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    other = SQLite3InstallationStore(database=str(tmp_path / "o.db"), client_id=OTHER_CLIENT_ID)
    with pytest.raises(ValueError, match="a refresh token only works with the app that issued it"):
        InstallationTokenSource(other, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


@pytest.mark.parametrize(
    "page",
    [
        "slack.example/install",
        "https://photos.example.com/slack install",
        "https://exämple.com/i",
        "https://photos.example.com/" + "i" * 2048,
    ],
    ids=["no scheme", "space", "not ascii", "too long"],
)
async def test_source_refuses_an_install_url_that_is_not_a_url(tmp_path: Path, page: str) -> None:
    """A model is given the page under the output schema's format uri: refused at once."""
    store = SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id=CLIENT_ID)
    refusal = r"install_url must be an http\(s\) URL of at most 2048 characters, with spaces"
    with pytest.raises(ValueError, match=refusal):
        InstallationTokenSource(
            store, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, install_url=page
        )


async def test_a_store_without_a_known_shared_lock_needs_one_named(tmp_path: Path) -> None:
    class MemoryStore(InstallationStore):
        def save(self, installation: Installation) -> None: ...

        def find_installation(self, **_: object) -> Installation | None:
            return None

    with pytest.raises(ValueError, match="SingleProcessRefreshLock"):
        InstallationTokenSource(MemoryStore(), client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


class ExpireMidRun(CallObserver):
    """Expires the person's token at Slack just before the ``count``-th call is sent."""

    def __init__(self, emulator: RunningEmulator, token: str, count: int) -> None:
        self._emulator, self._token, self._count = emulator, token, count
        self.sending = 0
        self.succeeded = 0

    async def before_change(self, call: CallInfo, change: ChangeInfo) -> None:
        self.sending += 1
        if self.sending == self._count:
            self._emulator.state.expire(self._token)

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        assert call.person == ALICE
        self.succeeded += outcome.succeeded


async def test_twenty_concurrent_calls_with_the_token_expiring_mid_run_refresh_once(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool_for: MakeTool
) -> None:
    first = await install(emulator, store, ALICE.user_id)
    await install(emulator, store, BOB.user_id)
    assert first.user_token is not None
    tool = tool_for()
    expire = ExpireMidRun(emulator, first.user_token, count=10)
    tool.observers = (expire,)

    as_alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
    replies = await asyncio.gather(*(as_alice.call({"image": portrait()}) for _ in range(20)))

    assert len(replies) == 20
    assert all(reply["ok"] is True for reply in replies)
    assert expire.succeeded == 20
    assert refreshes(emulator) == 1
    # Calls met the expired token (at auth.test, the check of whose it is, or at the
    # change) and went on with the one refreshed token.
    tokens = photo_tokens(emulator)
    asked = {(r.header("authorization") or "") for r in emulator.requests.for_path("auth.test")}
    assert {owner_of(emulator, token) for token in tokens} == {ALICE.user_id}
    used = set(tokens) | {header.removeprefix("Bearer ") for header in asked}
    assert first.user_token in used
    assert len(used) == 2, "some calls met the expired token and went on with the new one"
    bob = emulator.state.person(BOB.user_id)
    assert bob is not None
    assert bob.photo is None


async def test_a_refresh_goes_through_the_environments_proxy(
    emulator: RunningEmulator, store: SQLite3InstallationStore, clock: Clock
) -> None:
    # The refresh is a Slack call like the photo's: the same proxy rules (issue 11).
    await install(emulator, store, ALICE.user_id)
    clock.offset = LIFETIME  # expired: the token is refreshed before it is given
    async with loopback.serve() as proxy:
        proxy.on("slack.invalid:443", loopback.reply(502, b"no"))
        source = InstallationTokenSource(
            store,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            base_url="https://slack.invalid/api",
            clock=clock,
            max_retries=0,
            environ={"HTTPS_PROXY": proxy.url("")},
        )
        try:
            with pytest.raises(TokenRefreshFailed) as failed:
                await source.token_for(ActingPerson(team_id=TEAM_ID, user_id=ALICE.user_id))
        finally:
            await source.aclose()
    (request,) = proxy.requests
    assert (request.method, request.target) == ("CONNECT", "slack.invalid:443")
    # The refresh's own failure (no answer), with what the request met and what to check.
    assert failed.value.no_answer
    assert "check the proxy (HTTPS_PROXY" in str(failed.value)
    assert CLIENT_SECRET not in str(failed.value)


async def test_with_keeping_on_a_token_renewed_by_the_reads_is_the_one_the_change_uses(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    clock: Clock,
    tmp_path: Path,
) -> None:
    """Keeping reads the photo shown before the change: Slack's token_expired there renews
    the token, and the change goes with the new one (it went first with the expired one,
    a users.setPhoto Slack refused, counted against its rate limit)."""
    first = await install(emulator, store, ALICE.user_id)
    emulator.state.advance_clock(LIFETIME)  # Slack says expired; the source's clock does not
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=emulator.base_url,
        install_url=INSTALL_URL,
        clock=clock,
        environ={},
    )
    async with UsersSetPhoto(
        source,
        base_url=emulator.base_url,
        environ={},
        retry_backoff=0.01,
        keep_previous=True,
        photo_history=tmp_path / "history.sqlite3",
    ) as tool:
        try:
            await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
        finally:
            await source.aclose()

    (sent_with,) = photo_tokens(emulator)
    assert sent_with != first.user_token
    assert owner_of(emulator, sent_with) == ALICE.user_id
    assert refreshes(emulator) == 1
    # The first read (auth.test, whose answer says the token is Alice's own) met the expiry.
    reads = [
        *emulator.requests.for_path("auth.test"),
        *emulator.requests.for_path("users.profile.get"),
    ]
    assert [request.header("authorization") for request in reads].count(
        f"Bearer {first.user_token}"
    ) == 1


async def test_a_revoked_token_gives_the_model_the_install_page_and_sends_no_photo(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool_for: MakeTool
) -> None:
    alice = await install(emulator, store, ALICE.user_id)
    tool = tool_for()
    as_alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
    first = await as_alice.run({"image": portrait((200, 0, 0))})
    assert first["ok"] is True
    async with httpx.AsyncClient() as client:
        revoked = await client.post(
            emulator.control_url + "oauth/revoke", json={"token": alice.user_token}
        )
    assert revoked.json()["ok"] is True

    result = await as_alice.run({"image": portrait((0, 0, 200))})
    assert result["error"] == "token_revoked"
    assert result["install_url"] == INSTALL_URL
    assert result["message"].endswith(f"The app's install page: {INSTALL_URL}")
    assert alice.user_token is not None
    assert alice.user_token not in repr(result)

    # Putting the first photo's predecessor back reads Slack with the same token.
    async with as_alice:
        restored = await tool.restore_tool().run({"entry": 1})
    assert restored["error"] == "token_revoked"
    assert restored["install_url"] == INSTALL_URL

    # A Python caller gets Slack's error as raised: the page is the host's own.
    with pytest.raises(SlackApiError) as refused:
        await as_alice.call({"image": portrait()})
    assert refused.value.error == "token_revoked"
    assert INSTALL_URL not in refused.value.message
    person = emulator.state.person(ALICE.user_id)
    assert person is not None
    assert person.avatar_hash == first["profile"]["avatar_hash"]


async def test_a_refusal_installing_again_does_not_mend_carries_no_install_page(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool_for: MakeTool
) -> None:
    await install(emulator, store, ALICE.user_id)
    as_alice = tool_for().acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
    inject(emulator, Fault.slack_error("too_many_frames", status_code=200))
    result = await as_alice.run({"image": portrait()})
    assert result["error"] == "too_many_frames"
    assert "install_url" not in result
    assert INSTALL_URL not in result["message"]


async def test_an_installation_made_again_while_the_old_token_is_refreshed_stays_the_newest(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    tool_for: Callable[..., UsersSetPhoto],
    clock: Clock,
) -> None:
    """The person installs the app again (told to, for a scope the old installation lacked)
    while a call of theirs refreshes the old token: the refreshed copy of the old one was
    saved over the new installation (the SQLite store stamps each save with the time), and
    the person was refused again for the scope they had just granted."""
    old = await install(emulator, store, ALICE.user_id)
    tool = tool_for(refresh_margin=300)
    alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
    clock.offset = LIFETIME - 200
    inject(emulator, Fault.delay(0.5), method="oauth.v2.access")
    call = asyncio.create_task(alice.call({"image": portrait()}))
    await until_refreshes(emulator, 1)
    assert refreshes(emulator) == 1
    again = await install(emulator, store, ALICE.user_id)
    assert again.user_token != old.user_token
    await call
    newest = alices_saved(store)
    assert newest.user_token == again.user_token
    assert photo_tokens(emulator) == [again.user_token]


async def test_an_old_copy_saved_back_during_a_refresh_does_not_lose_the_refreshed_token(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    tool_for: Callable[..., UsersSetPhoto],
    clock: Clock,
) -> None:
    """Another writer (a Bolt app saving a row it read earlier) files an old copy while a
    refresh runs: that is no new installation. Taken for one, the refreshed token was
    dropped and the store kept a refresh token Slack had spent: "install the app again"."""
    first = await install(emulator, store, ALICE.user_id)
    tool = tool_for(refresh_margin=300)
    alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
    clock.offset = LIFETIME - 200
    await alice.call({"image": portrait()})  # the first refresh
    assert refreshes(emulator) == 1
    clock.offset = 2 * LIFETIME - 400
    inject(emulator, Fault.delay(0.5), method="oauth.v2.access")
    call = asyncio.create_task(alice.call({"image": portrait()}))
    await until_refreshes(emulator, 2)
    assert refreshes(emulator) == 2
    store.save(first)  # the old copy, saved back: the store's newest now
    await call
    newest = alices_saved(store)
    assert newest.user_token != first.user_token  # the refreshed one was saved over it
    await alice.call({"image": portrait()})  # and it works, with no refresh
    assert refreshes(emulator) == 2
    assert photo_tokens(emulator)[-1] == newest.user_token


async def test_an_installation_deleted_while_its_token_is_refreshed_stays_deleted(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    tool_for: Callable[..., UsersSetPhoto],
    clock: Clock,
) -> None:
    """The host forgets a person who removed the app (a Bolt app's tokens_revoked) while a
    call of theirs is refreshing: the refresh saved their installation again, and the next
    call acted for them. It is not saved, and the call is told they are not installed."""
    await install(emulator, store, ALICE.user_id)
    tool = tool_for(refresh_margin=300)
    alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
    clock.offset = LIFETIME - 200
    inject(emulator, Fault.delay(0.5), method="oauth.v2.access")
    call = asyncio.create_task(alice.call({"image": portrait()}))
    await until_refreshes(emulator, 1)
    assert refreshes(emulator) == 1
    store.delete_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    with pytest.raises(NotInstalled):
        await call
    assert (
        store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id) is None
    )
    with pytest.raises(NotInstalled):
        await alice.call({"image": portrait()})
    assert photo_tokens(emulator) == []


@pytest.mark.parametrize("code", ["invalid_client_id", "bad_client_secret", "invalid_grant_type"])
def test_a_refresh_refused_for_the_apps_own_settings_sends_nobody_to_the_install_page(
    code: str,
) -> None:
    """The app's operator mends these, for everyone at once: the install page was added to
    invalid_client_id's advice ("installation" read as "install"), and a model was told
    neither that nothing was sent nor that calling again would not help."""
    refused = TokenRefreshFailed(ALICE, slack_error=code, install_url=INSTALL_URL)
    assert INSTALL_URL not in refused.message
    told = error_result(refused, install_url=INSTALL_URL)
    assert "install_url" not in told
    assert INSTALL_URL not in told["message"]
    assert "nothing was sent to users.setPhoto" in told["message"]
    assert "Calling again will not help" in told["message"]
    assert "whoever runs this app must fix its settings" in told["message"]
    # Advice to install again still names the page.
    spent = TokenRefreshFailed(ALICE, slack_error="invalid_refresh_token", install_url=INSTALL_URL)
    assert f"({INSTALL_URL})" in spent.message


async def test_an_agents_history_records_what_a_model_is_told_of_a_refused_refresh() -> None:
    """The history (what an agent's model reads of a failure) recorded the operator's text
    ("give the token source the client_id"), not the model's."""
    from ocp_users_photo.agents.history import HistoryObserver

    recorded: list[dict[str, Any]] = []

    class Context:
        def add_interaction(self, **interaction: Any) -> None:
            recorded.append(interaction)

    class Agent:
        context = Context()

    observer = HistoryObserver(Agent())
    refused = TokenRefreshFailed(ALICE, slack_error="invalid_client_id", install_url=INSTALL_URL)
    call = CallInfo(
        tool_name="usersSetPhoto", method="POST", endpoint="x", arguments={}, person=ALICE
    )
    await observer.call_ended(call, CallOutcome(image={}, error=refused))
    (entry,) = recorded
    said = entry["metadata"]["error_message"]
    assert "Calling again will not help" in said
    assert "give the token source" not in said
    assert "install_url" not in entry["metadata"]


def alices_saved(store: SQLite3InstallationStore) -> Installation:
    """Alice's installation as the store holds it now (it must hold one)."""
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None, "the store holds no installation of Alice"
    return saved


@pytest.mark.parametrize(
    "no_answer",
    [Fault.status(503, body=b"busy"), Fault.delay(3.0)],
    ids=["503", "no-answer-in-time"],
)
async def test_calls_that_waited_on_a_failed_refresh_share_its_failure_not_try_again(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    tool_for: Callable[..., UsersSetPhoto],
    clock: Clock,
    no_answer: Fault,
) -> None:
    """Slack's OAuth slow or failing, five calls at once for one person whose token still
    works: each waiting call took the lock in turn and refreshed again (five refreshes one
    after another, the later calls out of their deadlines, a spent refresh token sent
    again). One refresh now; every call goes on with the current token."""
    installed = await install(emulator, store, ALICE.user_id)
    tool = tool_for(refresh_margin=300, timeout=1.0, max_retries=0)
    alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
    clock.offset = LIFETIME - 200  # within the margin, 200 s left: refreshed ahead, may wait
    for _ in range(5):
        emulator.faults.inject(no_answer, path="oauth.v2.access")
    results = await asyncio.gather(*(alice.run({"image": portrait((i, 90, 60))}) for i in range(5)))
    assert [result["ok"] for result in results] == [True] * 5, results
    assert refreshes(emulator) == 1
    assert set(photo_tokens(emulator)) == {installed.user_token}
    # A call that asks after the failure refreshes again (nothing is refused for longer).
    emulator.faults.clear()
    assert (await alice.run({"image": portrait()}))["ok"] is True
    assert refreshes(emulator) == 2


async def test_a_token_refreshed_at_auth_test_is_asked_whose_it_is_once(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """auth.test meets token_expired (the check of whose a token is, keeping off) and is
    asked again with the refreshed token: that answer is remembered for the refreshed token,
    so the next call asks nothing (it was filed under the expired one, and asked again)."""
    first = await install(emulator, store, ALICE.user_id)
    emulator.state.advance_clock(LIFETIME)  # Slack says expired; the source's clock does not
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=emulator.base_url,
        environ={},
    )
    alice = {"team_id": TEAM_ID, "user_id": ALICE.user_id}
    async with (
        source,
        UsersSetPhoto(source, base_url=emulator.base_url, keep_previous=False) as tool,
    ):
        await tool.acting_as(**alice).call({"image": portrait()})
        asked = len(emulator.requests.for_path("auth.test"))
        await tool.acting_as(**alice).call({"image": portrait()})
    old, new = photo_tokens(emulator)
    assert old == new != first.user_token
    assert refreshes(emulator) == 1
    assert len(emulator.requests.for_path("auth.test")) == asked, "asked again"
