"""Installing the app for a person through the emulator's real OAuth, and reading what it did.

``install`` is what a Bolt app's OAuth redirect does: the person approves the install
link, the app exchanges the code at oauth.v2.access and saves the Installation in
slack_sdk's store. Everything goes over HTTP to the emulator; the store is a real one.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from PIL import Image
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, Fault, OAuthApp, RunningEmulator
from ocp_users_photo.installations import InstallationTokenSource

CLIENT_ID = "7777777777.8888888888"
CLIENT_SECRET = "installations-test-client-secret"
OTHER_CLIENT_ID = "3333333333.4444444444"
OTHER_CLIENT_SECRET = "other-app-client-secret"
REDIRECT = "http://localhost:3000/slack/oauth_redirect"
USER_SCOPES = "users.profile:read,users.profile:write"
TEAM_ID = "T0EMULATOR"
LIFETIME = 3600


def rotation_config(*, lifetime: int = LIFETIME, rotation: bool = True) -> EmulatorConfig:
    """Two apps with rotation on; only tokens the emulator issued are accepted."""
    apps = (
        OAuthApp(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            token_rotation=rotation,
            access_token_seconds=lifetime,
        ),
        OAuthApp(
            client_id=OTHER_CLIENT_ID,
            client_secret=OTHER_CLIENT_SECRET,
            app_id="A0OTHERAPP1",
            token_rotation=rotation,
            access_token_seconds=lifetime,
        ),
    )
    return EmulatorConfig(rate_limit_per_minute=None, accept_any_user_token=False, oauth_apps=apps)


async def oauth_reply(
    emulator: RunningEmulator,
    user_id: str,
    *,
    user_scope: str | None = USER_SCOPES,
    bot_scope: str | None = None,
    client_id: str = CLIENT_ID,
    client_secret: str = CLIENT_SECRET,
) -> dict[str, Any]:
    """The person approves the install link; the app exchanges the code. The JSON reply."""
    query = {"client_id": client_id, "redirect_uri": REDIRECT, "emulator_user": user_id}
    if user_scope:
        query["user_scope"] = user_scope
    if bot_scope:
        query["scope"] = bot_scope
    async with httpx.AsyncClient(timeout=10) as http:
        approved = await http.get(f"{emulator.authorize_url}?{urlencode(query)}")
        assert approved.status_code == 302, approved.text
        code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
        exchanged = await http.post(
            f"{emulator.base_url}/oauth.v2.access",
            auth=(client_id, client_secret),
            data={"code": code, "redirect_uri": REDIRECT},
        )
        reply: dict[str, Any] = exchanged.json()
        assert reply["ok"] is True, reply
        if reply.get("access_token"):
            # Bolt asks auth.test for the bot's id, which the exchange does not give.
            identity = await http.post(
                f"{emulator.base_url}/auth.test",
                headers={"Authorization": f"Bearer {reply['access_token']}"},
            )
            reply["bot_id"] = identity.json()["bot_id"]
    return reply


def installation_from(reply: dict[str, Any]) -> Installation:
    """The Installation a Bolt app saves for this oauth.v2.access reply."""
    authed = reply["authed_user"]
    return Installation(
        app_id=reply["app_id"],
        enterprise_id=(reply.get("enterprise") or {}).get("id"),
        team_id=reply["team"]["id"],
        team_name=reply["team"]["name"],
        bot_token=reply.get("access_token"),
        bot_id=reply.get("bot_id"),
        bot_user_id=reply.get("bot_user_id"),
        bot_scopes=reply.get("scope", ""),
        bot_refresh_token=reply.get("refresh_token"),
        bot_token_expires_in=reply.get("expires_in"),
        user_id=authed["id"],
        user_token=authed.get("access_token"),
        user_scopes=authed.get("scope", ""),
        user_refresh_token=authed.get("refresh_token"),
        user_token_expires_in=authed.get("expires_in"),
        token_type="user" if authed.get("access_token") else "bot",
        is_enterprise_install=False,
    )


async def install(
    emulator: RunningEmulator, store: InstallationStore, user_id: str, **options: Any
) -> Installation:
    """Install the app for ``user_id`` and save the installation in ``store``."""
    installation = installation_from(await oauth_reply(emulator, user_id, **options))
    store.save(installation)
    return installation


def auth_test_names(emulator: RunningEmulator, user_id: str) -> None:
    """The next auth.test is answered as Slack's, naming ``user_id``: for a refresh answer
    (a Fault) whose new token the emulator never issued, so that the refresh's check of
    whose it is (installations/refresh_grant.py) finds the person refreshed."""
    identity = {"ok": True, "user_id": user_id, "team_id": TEAM_ID, "user": user_id.lower()}
    emulator.faults.inject(Fault.json(identity), path="auth.test")


def owner_of(emulator: RunningEmulator, token: str) -> str:
    """The user id the emulator issued ``token`` for (expired or not)."""
    issued = emulator.state.oauth.installation_of(token)
    assert issued is not None, "a token the emulator's OAuth did not issue"
    return issued[1]


def photo_tokens(emulator: RunningEmulator) -> list[str]:
    """The bearer token of every users.setPhoto request the emulator received."""
    tokens = []
    for request in emulator.requests.for_path("users.setPhoto"):
        header = request.header("authorization") or ""
        tokens.append(header.removeprefix("Bearer "))
    return tokens


def refreshes(emulator: RunningEmulator) -> int:
    """How many refresh grants reached oauth.v2.access."""
    return sum(
        1
        for request in emulator.requests.for_path("oauth.v2.access")
        if request.field("grant_type") == "refresh_token"
    )


async def until_refreshes(emulator: RunningEmulator, count: int) -> None:
    """Wait (10 s at most) until ``count`` refresh grants have reached oauth.v2.access:
    a call then cancelled, or a store changed, meets a refresh under way."""
    for _ in range(1000):
        if refreshes(emulator) >= count:
            return
        await asyncio.sleep(0.01)


def portrait(color: tuple[int, int, int] = (30, 160, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (512, 512), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(name="emulator_config")
def rotation_config_fixture() -> EmulatorConfig:
    """The emulator with token rotation on: import it into a test module to use it."""
    return rotation_config()


@pytest.fixture(name="store")
def sqlite_store_fixture(tmp_path: Path) -> SQLite3InstallationStore:
    """slack_sdk's SQLite installation store in the test's folder (import it, as above)."""
    return sqlite_store(tmp_path / "installations.db")


def sqlite_store(path: Path) -> SQLite3InstallationStore:
    """slack_sdk's SQLite store in a new file, its tables made, for the test's app."""
    store = SQLite3InstallationStore(database=str(path), client_id=CLIENT_ID)
    set_up(store.init)
    return store


def set_up(step: Callable[[], None]) -> None:
    """Run a store's setup step (init, create_tables): slack_sdk leaves them unannotated,
    and mypy --strict calls only typed functions; their typed view here is called."""
    step()


class Clock:
    """The source's clock, moved by the test (the emulator's clock is moved separately)."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def __call__(self) -> float:
        return time.time() + self.offset


def emulator_source(
    emulator: RunningEmulator,
    store: InstallationStore,
    *,
    clock: Callable[[], float] = time.time,
    install_url: str | None = None,
    http_client: httpx.AsyncClient | None = None,
    **options: Any,
) -> InstallationTokenSource:
    """The app's token source for the installations in ``store``, refreshing at the emulator
    (on ``clock``'s time when given; through ``http_client`` when given); ``options``: the
    source's others (``refresh_lock=``)."""
    return InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=emulator.base_url,
        environ={},
        clock=clock,
        install_url=install_url,
        http_client=http_client,
        **options,
    )


MakeTool = Callable[[SQLite3InstallationStore], UsersSetPhoto]


@pytest.fixture(name="tool_for")
async def tool_for_fixture(emulator: RunningEmulator) -> AsyncIterator[MakeTool]:
    """Tools on SQLite installation stores, each with a source of its own; closed after."""
    made: list[tuple[InstallationTokenSource, UsersSetPhoto]] = []

    def make(store: SQLite3InstallationStore) -> UsersSetPhoto:
        source = InstallationTokenSource(
            store,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            base_url=emulator.base_url,
            environ={},
        )
        tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={})
        made.append((source, tool))
        return tool

    yield make
    for source, tool in made:
        await tool.aclose()
        await source.aclose()


def absence_confirmed(store: SQLite3InstallationStore, user_id: str = "UNOBODY0001") -> None:
    """``confirm_absent`` for a person of the workspace (by default one never installed)."""
    from ocp_users_photo.installations.sqlite_absence import confirm_absent

    confirm_absent(
        store, enterprise_id=None, team_id=TEAM_ID, user_id=user_id, is_enterprise_install=False
    )
