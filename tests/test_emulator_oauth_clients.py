"""Slack's own clients through the emulator's OAuth: slack_sdk and Bolt for Python, unmodified.

Independent clients: the authorize URL slack_sdk's AuthorizeUrlGenerator builds, its
WebClient's oauth_v2_access (client credentials by HTTP Basic auth) and auth_test,
its TokenRotator, and Bolt's OAuth flow and installation-store authorization.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.context import BoltContext
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth import AuthorizeUrlGenerator
from slack_sdk.oauth.installation_store import FileInstallationStore, Installation
from slack_sdk.oauth.state_store import FileOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator

from ocp_users_photo.emulator import EmulatorConfig, OAuthApp, RunningEmulator

CLIENT_ID, CLIENT_SECRET = "5555555555.6666666666", "sdk-test-secret"
REDIRECT = "http://localhost:3000/slack/oauth_redirect"
USER_SCOPES = ["users.profile:read", "users.profile:write"]
BOT_SCOPES = ["users.profile:read"]
# Longer than any lifetime here, so the rotators always find the tokens "expiring".
ALWAYS_MINUTES = 24 * 60


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    app = OAuthApp(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uris=(REDIRECT,),
        token_rotation=True,
    )
    return EmulatorConfig(rate_limit_per_minute=None, oauth_apps=(app,))


def sdk_client(emulator: RunningEmulator, token: str | None = None) -> WebClient:
    return WebClient(token=token, base_url=emulator.base_url + "/")


def follow_authorize(url: str) -> dict[str, str]:
    """What a browser does with the install link: one GET, the redirect not followed."""
    response = httpx.get(url, follow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def test_authorize_url_generator_then_oauth_v2_access(slack_emulator: RunningEmulator) -> None:
    generator = AuthorizeUrlGenerator(
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT,
        scopes=BOT_SCOPES,
        user_scopes=USER_SCOPES,
        authorization_url=slack_emulator.authorize_url,
    )
    query = follow_authorize(generator.generate(state="st-1"))
    assert query["state"] == "st-1"

    reply = sdk_client(slack_emulator).oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=query["code"], redirect_uri=REDIRECT
    )
    user_token = reply["authed_user"]["access_token"]
    assert user_token.startswith("xoxe.xoxp-")
    assert reply["authed_user"]["expires_in"] == 43200  # Slack's 12 hours
    assert reply["access_token"].startswith("xoxe.xoxb-")
    # slack_sdk sends the client credentials by HTTP Basic auth, as Slack recommends.
    [exchange] = slack_emulator.requests.for_path("oauth.v2.access")
    assert (exchange.header("authorization") or "").startswith("Basic ")
    assert exchange.field("client_secret") is None

    identity = sdk_client(slack_emulator, user_token).auth_test()
    assert identity["user_id"] == "U0INSTALLER"
    assert identity["team_id"] == "T0EMULATOR"
    assert identity.headers["x-oauth-scopes"] == ",".join(USER_SCOPES)
    bot = sdk_client(slack_emulator, reply["access_token"]).auth_test()
    assert bot["user_id"] == reply["bot_user_id"]
    assert bot["bot_id"].startswith("B")

    with pytest.raises(SlackApiError) as reused:
        sdk_client(slack_emulator).oauth_v2_access(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=query["code"]
        )
    assert reused.value.response["error"] == "invalid_code"


def test_token_rotator_refreshes_for_the_same_person(slack_emulator: RunningEmulator) -> None:
    url = AuthorizeUrlGenerator(
        client_id=CLIENT_ID,
        user_scopes=USER_SCOPES,
        redirect_uri=REDIRECT,
        authorization_url=slack_emulator.authorize_url,
    ).generate(state="s")
    code = follow_authorize(url + "&emulator_user=UROTATED01")["code"]
    reply = sdk_client(slack_emulator).oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code, redirect_uri=REDIRECT
    )
    installed = reply["authed_user"]
    installation = Installation(
        user_id=installed["id"],
        team_id=reply["team"]["id"],
        user_token=installed["access_token"],
        user_scopes=installed["scope"],
        user_refresh_token=installed["refresh_token"],
        user_token_expires_in=installed["expires_in"],
    )
    slack_emulator.state.advance_clock(43200)
    with pytest.raises(SlackApiError) as expired:
        sdk_client(slack_emulator, installation.user_token).users_profile_get()
    assert expired.value.response["error"] == "token_expired"

    rotator = TokenRotator(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, client=sdk_client(slack_emulator)
    )
    rotated = rotator.perform_token_rotation(
        installation=installation, minutes_before_expiration=ALWAYS_MINUTES
    )
    assert rotated is not None
    assert rotated.user_token != installation.user_token
    assert rotated.user_refresh_token != installation.user_refresh_token
    assert sdk_client(slack_emulator, rotated.user_token).auth_test()["user_id"] == "UROTATED01"

    # The old refresh token is spent.
    with pytest.raises(SlackTokenRotationError) as spent:
        rotator.perform_token_rotation(
            installation=installation, minutes_before_expiration=ALWAYS_MINUTES
        )
    assert spent.value.api_error.response["error"] == "invalid_refresh_token"


def test_bolt_oauth_flow_installs_and_bolt_authorize_refreshes(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    client = sdk_client(slack_emulator)
    store = FileInstallationStore(base_dir=str(tmp_path / "installations"), client_id=CLIENT_ID)
    settings = OAuthSettings(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=BOT_SCOPES,
        user_scopes=USER_SCOPES,
        redirect_uri=REDIRECT,
        install_page_rendering_enabled=False,
        authorization_url=slack_emulator.authorize_url,
        installation_store=store,
        state_store=FileOAuthStateStore(
            expiration_seconds=600, base_dir=str(tmp_path / "states"), client_id=CLIENT_ID
        ),
    )
    flow = OAuthFlow(client=client, settings=settings)

    install = flow.handle_installation(BoltRequest(body="", query="", headers={}))
    assert install.status == 302
    cookie = install.headers["set-cookie"][0].split(";")[0]
    query = follow_authorize(install.headers["location"][0])
    callback = flow.handle_callback(
        BoltRequest(
            body="",
            query=f"code={query['code']}&state={query['state']}",
            headers={"cookie": cookie},
        )
    )
    assert callback.status == 200, callback.body

    saved = store.find_installation(enterprise_id=None, team_id="T0EMULATOR", user_id="U0INSTALLER")
    assert saved is not None
    assert saved.user_token is not None
    assert saved.user_token.startswith("xoxe.xoxp-")
    assert saved.bot_id is not None  # Bolt asked auth.test for it
    assert saved.bot_id.startswith("B")

    slack_emulator.state.advance_clock(43200)
    authorize = InstallationStoreAuthorize(
        logger=logging.getLogger("bolt-authorize-test"),
        installation_store=store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_rotation_expiration_minutes=ALWAYS_MINUTES,
        client=client,
    )
    context = BoltContext(client=client)  # Bolt's auth.test calls go to the emulator too
    result = authorize(
        context=context, enterprise_id=None, team_id="T0EMULATOR", user_id="U0INSTALLER"
    )
    assert result is not None
    assert result.user_token is not None
    assert result.user_token != saved.user_token
    assert sdk_client(slack_emulator, result.user_token).auth_test()["user_id"] == "U0INSTALLER"
