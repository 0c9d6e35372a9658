"""People's tokens rotating while one tool is shared by threads (call_sync), while Bolt
rotates the workspace's bot token, and with a store that answers with another org's row."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.installations import (
    ForeignInstallation,
    InstallationTokenSource,
    SingleProcessRefreshLock,
)
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    LIFETIME,
    TEAM_ID,
    Clock,
    install,
    owner_of,
    photo_tokens,
    portrait,
    refreshes,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
)


@pytest.mark.parametrize("lock", ["single_process", "sqlite_lease"])
async def test_threads_calling_sync_for_one_person_refresh_once(
    emulator: RunningEmulator, store: SQLite3InstallationStore, lock: str
) -> None:
    """README: "concurrent calls for one person refresh once. In a process, an asyncio
    lock per person"; and call_sync is how threads share one tool. Four threads call for
    Alice while her token expires within the margin: one refresh, every call made with
    her (refreshed) token, none told to install the app again."""
    await install(emulator, store, "UALICE0001")
    await install(emulator, store, "UBOB000002")
    options: dict[str, Any] = {}
    if lock == "single_process":
        options["refresh_lock"] = SingleProcessRefreshLock()
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=emulator.base_url,
        environ={},
        clock=Clock(offset=LIFETIME - 100),
        **options,
    )
    tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={}, keep_previous=False)
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def work(user_id: str) -> None:
        barrier.wait()
        try:
            tool.acting_as(team_id=TEAM_ID, user_id=user_id).call_sync({"image": portrait()})
        except BaseException as error:
            failures.append(error)

    users = ["UALICE0001", "UALICE0001", "UBOB000002", "UBOB000002"]
    await asyncio.gather(*(asyncio.to_thread(work, user) for user in users))
    await tool.aclose()
    await source.aclose()
    assert failures == []
    assert refreshes(emulator) == 2  # one per person
    owners = sorted(owner_of(emulator, token) for token in photo_tokens(emulator))
    assert owners == sorted(users)


class UserIdOnlyStore(InstallationStore):
    """A custom store keyed by user id alone (the case ForeignInstallation guards against):
    it answers with the person's org-wide installation of another organization."""

    def __init__(self, inner: SQLite3InstallationStore, enterprise_id: str) -> None:
        self.inner = inner
        self.enterprise_id = enterprise_id

    def save(self, installation: Installation) -> None:
        self.inner.save(installation)

    def find_installation(self, *, user_id: str | None = None, **_: Any) -> Installation | None:
        return self.inner.find_installation(
            enterprise_id=self.enterprise_id,
            team_id=None,
            user_id=user_id,
            is_enterprise_install=True,
        )


async def test_an_org_wide_installation_of_another_org_is_foreign_for_a_workspace_person(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """README (Tokens per person): ForeignInstallation when "the store answered with another
    person's, or one of another workspace or organization". The host acts for Alice of
    workspace T0EMULATOR (no enterprise); the store answers with an org-wide installation of
    organization E0OTHER01. Its token acts in that org: refused, nothing sent."""
    installed = await install(emulator, store, "UALICE0001")
    assert installed.user_scopes is not None
    store.save(
        Installation(
            app_id=installed.app_id,
            enterprise_id="E0OTHER01",
            team_id=None,
            user_id="UALICE0001",
            user_token=installed.user_token,
            user_scopes=installed.user_scopes,
            user_refresh_token=installed.user_refresh_token,
            user_token_expires_at=installed.user_token_expires_at,
            token_type="user",
            is_enterprise_install=True,
        )
    )
    source = InstallationTokenSource(
        UserIdOnlyStore(store, "E0OTHER01"),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=emulator.base_url,
        environ={},
        refresh_lock=SingleProcessRefreshLock(),
    )
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(ForeignInstallation):
            await tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001").call({"image": portrait()})
    assert photo_tokens(emulator) == []


async def test_a_persons_refresh_does_not_put_back_a_bot_token_rotated_meanwhile(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """The installation store is shared with the Bolt app (README: "a Bolt app sharing the
    store uses it"), whose authorize step rotates the workspace's bot token. While Alice's
    user token is being refreshed, Bolt rotates the bot token and saves it. The source then
    saves Alice's refreshed installation. The newest bot must stay the one Bolt rotated.
    Before, the saved copy carried the bot read before the refresh, and slack_sdk's save
    wrote it as the newest: every later Bolt request of the workspace got the old bot
    token, whose refresh token Slack had spent."""
    installed = await install(emulator, store, "UALICE0001", bot_scope="chat:write")
    assert installed.bot_refresh_token is not None
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=emulator.base_url,
        environ={},
        clock=Clock(offset=LIFETIME - 100),  # Alice's user token expires within the margin
    )
    emulator.faults.inject(Fault.delay(2.5), times=1, path="oauth.v2.access")

    async def bolt_rotates_the_bot() -> str:
        while refreshes(emulator) == 0:  # Alice's refresh is at Slack now (2.5 s there)  # noqa: ASYNC110  (polling the emulator's record)
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(timeout=10) as http:
            reply = (
                await http.post(
                    f"{emulator.base_url}/oauth.v2.access",
                    auth=(CLIENT_ID, CLIENT_SECRET),
                    data={
                        "grant_type": "refresh_token",
                        "refresh_token": installed.bot_refresh_token,
                    },
                )
            ).json()
        assert reply["ok"] is True, reply
        assert reply["token_type"] == "bot", reply
        latest = store.find_installation(enterprise_id=None, team_id=TEAM_ID)
        assert latest is not None
        latest.bot_token = reply["access_token"]
        latest.bot_refresh_token = reply["refresh_token"]
        latest.bot_token_expires_at = int(time.time()) + int(reply["expires_in"])
        store.save(latest)  # as Bolt's authorize saves a rotated bot token
        return str(reply["access_token"])

    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        rotated, _ = await asyncio.gather(
            bolt_rotates_the_bot(),
            tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001").call({"image": portrait()}),
        )
    bot = store.find_bot(enterprise_id=None, team_id=TEAM_ID)
    assert bot is not None
    assert bot.bot_token == rotated, "the newest bot is the stale copy the refresh saved"
