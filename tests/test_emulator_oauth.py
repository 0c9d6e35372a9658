"""OAuth v2 on the emulator over real HTTP: the authorize page, oauth.v2.access, rotation."""

from __future__ import annotations

import asyncio
import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ocp_users_photo.emulator import EmulatorConfig, OAuthApp, RunningEmulator, run_emulator
from ocp_users_photo.emulator.oauth_apps import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.emulator_fixtures import solid_png

REDIRECT = "http://127.0.0.1:3000/slack/oauth_redirect"
USER_SCOPES = "users.profile:read,users.profile:write"
ROTATING = OAuthApp(
    client_id="3333333333.4444444444",
    client_secret="rotating-secret",
    app_id="A0ROTATING1",
    redirect_uris=(REDIRECT,),
    user_scopes=("users.profile:read", "users.profile:write"),
    bot_scopes=("users.profile:read",),
    token_rotation=True,
    access_token_seconds=600,
)


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(
        rate_limit_per_minute=None, oauth_apps=(OAuthApp(), ROTATING), team_name="Acme"
    )


async def authorize(
    client: httpx.AsyncClient, emulator: RunningEmulator, **parameters: str
) -> httpx.Response:
    query = {"client_id": DEFAULT_CLIENT_ID, "user_scope": USER_SCOPES, "redirect_uri": REDIRECT}
    query.update(parameters)
    return await client.get(emulator.authorize_url, params=query, follow_redirects=False)


def redirected_query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    return {key: values[0] for key, values in parse_qs(location.query).items()}


async def exchange(
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    *,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    basic: bool = False,
    **fields: str,
) -> dict[str, Any]:
    headers = {}
    if basic:
        pair = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        headers["Authorization"] = f"Basic {pair}"
    else:
        fields = {"client_id": client_id, "client_secret": client_secret, **fields}
    response = await client.post(
        emulator.base_url + "/oauth.v2.access", data=fields, headers=headers
    )
    assert response.status_code == 200
    reply: dict[str, Any] = response.json()
    return reply


async def install(
    client: httpx.AsyncClient, emulator: RunningEmulator, **parameters: str
) -> dict[str, Any]:
    query = redirected_query(await authorize(client, emulator, **parameters))
    client_id = parameters.get("client_id", DEFAULT_CLIENT_ID)
    secret = ROTATING.client_secret if client_id == ROTATING.client_id else DEFAULT_CLIENT_SECRET
    return await exchange(
        client,
        emulator,
        client_id=client_id,
        client_secret=secret,
        code=query["code"],
        redirect_uri=parameters.get("redirect_uri", REDIRECT),
    )


async def call(
    client: httpx.AsyncClient, emulator: RunningEmulator, method: str, token: str
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    if method == "users.setPhoto":
        response = await client.post(
            emulator.base_url + "/users.setPhoto",
            headers=headers,
            files={"image": ("p.png", solid_png(), "image/png")},
        )
    else:
        response = await client.post(emulator.base_url + "/" + method, headers=headers)
    reply: dict[str, Any] = response.json()
    return reply


async def test_authorize_approves_at_once_and_redirects_with_code_and_state(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    query = redirected_query(await authorize(client, emulator, state="s-123"))
    assert query["state"] == "s-123"
    assert query["code"]
    location = urlsplit((await authorize(client, emulator)).headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    assert "state" not in parse_qs(location.query)


async def test_the_redirect_keeps_the_redirect_uris_own_query(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    response = await authorize(client, emulator, redirect_uri=REDIRECT + "?tenant=7", state="x")
    assert redirected_query(response).keys() == {"tenant", "code", "state"}


async def test_code_exchange_gives_a_user_token_shaped_like_slacks_reply(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    reply = await install(client, emulator)
    assert reply["ok"] is True
    assert reply["app_id"] == "A0EMULATOR1"
    user = reply["authed_user"]
    assert user["id"] == "U0INSTALLER"
    assert user["token_type"] == "user"
    assert user["scope"] == USER_SCOPES
    assert user["access_token"].startswith("xoxp-")
    assert "refresh_token" not in user
    assert reply["team"] == {"id": "T0EMULATOR", "name": "Acme"}
    assert reply["enterprise"] is None
    assert reply["is_enterprise_install"] is False
    # No bot scopes asked: no bot token.
    assert "access_token" not in reply
    assert "bot_user_id" not in reply
    # The token works, for that person.
    test = await call(client, emulator, "auth.test", user["access_token"])
    assert (test["ok"], test["user_id"], test["team_id"]) == (True, "U0INSTALLER", "T0EMULATOR")
    assert (await call(client, emulator, "users.setPhoto", user["access_token"]))["ok"] is True


async def test_bot_scopes_give_a_bot_token_too(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    reply = await install(client, emulator, scope="users.profile:read")
    assert reply["token_type"] == "bot"
    assert reply["access_token"].startswith("xoxb-")
    assert reply["scope"] == "users.profile:read"
    assert reply["bot_user_id"].startswith("U")
    bot = await client.post(
        emulator.base_url + "/auth.test",
        headers={"Authorization": f"Bearer {reply['access_token']}"},
    )
    assert bot.json()["user_id"] == reply["bot_user_id"]
    assert bot.json()["bot_id"].startswith("B")
    assert bot.headers["x-oauth-scopes"] == "users.profile:read"
    assert (await call(client, emulator, "users.setPhoto", reply["access_token"]))["error"] == (
        "not_allowed_token_type"
    )


async def test_emulator_user_chooses_who_approves(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    first = await install(client, emulator, emulator_user="UALICE0001")
    second = await install(client, emulator, emulator_user="WBOB000002")
    assert first["authed_user"]["id"] == "UALICE0001"
    assert second["authed_user"]["id"] == "WBOB000002"
    alice = await call(client, emulator, "users.setPhoto", first["authed_user"]["access_token"])
    assert "/avatars/UALICE0001/" in alice["profile"]["image_72"]


async def test_client_credentials_by_http_basic_auth(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    code = redirected_query(await authorize(client, emulator))["code"]
    reply = await exchange(client, emulator, basic=True, code=code, redirect_uri=REDIRECT)
    assert reply["ok"] is True
    code = redirected_query(await authorize(client, emulator))["code"]
    wrong = await exchange(
        client, emulator, basic=True, client_secret="nope", code=code, redirect_uri=REDIRECT
    )
    assert wrong == {"ok": False, "error": "bad_client_secret"}


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"client_id": "9.9"}, "invalid_client_id"),
        ({"client_id": ""}, "invalid_client_id"),
        ({"client_secret": "wrong"}, "bad_client_secret"),
        ({"code": "not-a-code"}, "invalid_code"),
        ({"code": ""}, "invalid_code"),
        ({"redirect_uri": "http://127.0.0.1:3000/other"}, "bad_redirect_uri"),
        ({"grant_type": "password"}, "invalid_grant_type"),
    ],
)
async def test_code_exchange_errors(
    emulator: RunningEmulator, client: httpx.AsyncClient, changes: dict[str, str], error: str
) -> None:
    code = redirected_query(await authorize(client, emulator))["code"]
    fields = {"code": code, "redirect_uri": REDIRECT, **changes}
    reply = await exchange(client, emulator, basic=False, **fields)  # basic: its default
    assert reply == {"ok": False, "error": error}


async def test_a_code_is_single_use_bound_to_its_app_and_short_lived(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    code = redirected_query(await authorize(client, emulator))["code"]
    assert (await exchange(client, emulator, code=code, redirect_uri=REDIRECT))["ok"] is True
    again = await exchange(client, emulator, code=code, redirect_uri=REDIRECT)
    assert again["error"] == "invalid_code"

    code = redirected_query(await authorize(client, emulator))["code"]
    other_app = await exchange(
        client,
        emulator,
        client_id=ROTATING.client_id,
        client_secret=ROTATING.client_secret,
        code=code,
        redirect_uri=REDIRECT,
    )
    assert other_app["error"] == "invalid_code"

    code = redirected_query(await authorize(client, emulator))["code"]
    emulator.state.advance_clock(601)  # Slack's codes last 10 minutes
    late = await exchange(client, emulator, code=code, redirect_uri=REDIRECT)
    assert late["error"] == "invalid_code"


async def test_redirect_uri_rules_at_exchange(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    # Given at authorize: the exchange must repeat it.
    code = redirected_query(await authorize(client, emulator))["code"]
    assert (await exchange(client, emulator, code=code))["error"] == "bad_redirect_uri"
    # Not given at authorize (the app's first Redirect URL is used): may be left out.
    response = await client.get(
        emulator.authorize_url,
        params={"client_id": ROTATING.client_id, "user_scope": "users.profile:read"},
    )
    assert response.headers["location"].startswith(REDIRECT + "?")
    code = redirected_query(response)["code"]
    reply = await exchange(
        client,
        emulator,
        client_id=ROTATING.client_id,
        client_secret=ROTATING.client_secret,
        code=code,
    )
    assert reply["ok"] is True


@pytest.mark.parametrize(
    ("parameters", "error"),
    [
        ({"client_id": "0000.0000"}, "invalid_client_id"),
        ({"redirect_uri": "https://evil.example/steal"}, "bad_redirect_uri"),
        ({"redirect_uri": "javascript:alert(1)"}, "bad_redirect_uri"),
        ({"redirect_uri": ""}, "bad_redirect_uri"),  # no Redirect URL configured to fall back to
        ({"user_scope": "", "scope": ""}, "invalid_scope"),
        ({"emulator_user": "alice"}, "invalid_emulator_user"),
        (
            {"client_id": ROTATING.client_id, "user_scope": "admin", "redirect_uri": REDIRECT},
            "invalid_scope",
        ),
        (
            {"client_id": ROTATING.client_id, "redirect_uri": "http://127.0.0.1:3000/elsewhere"},
            "bad_redirect_uri",
        ),
    ],
)
async def test_authorize_errors_are_a_page_never_a_redirect(
    emulator: RunningEmulator,
    client: httpx.AsyncClient,
    parameters: dict[str, str],
    error: str,
) -> None:
    response = await authorize(client, emulator, **parameters)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert f"<code>{error}</code>" in response.text


async def test_a_configured_redirect_url_admits_paths_below_it(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    below = REDIRECT + "/team-1"
    response = await authorize(client, emulator, client_id=ROTATING.client_id, redirect_uri=below)
    assert response.headers["location"].startswith(below + "?code=")
    beside = REDIRECT + "-evil"
    response = await authorize(client, emulator, client_id=ROTATING.client_id, redirect_uri=beside)
    assert response.status_code == 400


async def test_a_person_can_decline(emulator: RunningEmulator, client: httpx.AsyncClient) -> None:
    response = await authorize(client, emulator, state="s1", emulator_decision="deny")
    assert redirected_query(response) == {"error": "access_denied", "state": "s1"}


async def test_rotation_issues_expiring_tokens_with_refresh_tokens(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    reply = await install(
        client,
        emulator,
        client_id=ROTATING.client_id,
        scope="users.profile:read",
        emulator_user="UROTATE001",
    )
    user = reply["authed_user"]
    assert user["access_token"].startswith("xoxe.xoxp-1-")
    assert user["refresh_token"].startswith("xoxe-1-")
    assert user["expires_in"] == 600
    assert reply["access_token"].startswith("xoxe.xoxb-1-")
    assert reply["refresh_token"].startswith("xoxe-1-")
    assert reply["expires_in"] == 600
    test = await call(client, emulator, "auth.test", user["access_token"])
    assert 0 < test["expires_in"] <= 600


async def test_expired_tokens_answer_token_expired_on_every_method_then_refresh_works(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    reply = await install(client, emulator, client_id=ROTATING.client_id, emulator_user="UROT00002")
    first = reply["authed_user"]
    assert (await call(client, emulator, "users.setPhoto", first["access_token"]))["ok"] is True
    emulator.state.advance_clock(600)
    for method in ("users.setPhoto", "users.profile.get", "users.deletePhoto", "auth.test"):
        answer = await call(client, emulator, method, first["access_token"])
        assert answer == {"ok": False, "error": "token_expired"}, method

    refreshed = await exchange(
        client,
        emulator,
        client_id=ROTATING.client_id,
        client_secret=ROTATING.client_secret,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
    )
    assert refreshed["ok"] is True
    assert refreshed["token_type"] == "user"
    assert refreshed["access_token"].startswith("xoxe.xoxp-1-")
    assert refreshed["access_token"] != first["access_token"]
    # Slack: the refresh token is revoked and a new one given.
    assert refreshed["refresh_token"].startswith("xoxe-1-")
    assert refreshed["refresh_token"] != first["refresh_token"]
    assert refreshed["expires_in"] == 600
    assert refreshed["scope"] == USER_SCOPES
    assert refreshed["team"] == {"id": "T0EMULATOR", "name": "Acme"}

    # The same person, photo included: identity is the user id, not the token.
    profile = await call(client, emulator, "users.profile.get", refreshed["access_token"])
    assert profile["profile"]["is_custom_image"] is True
    test = await call(client, emulator, "auth.test", refreshed["access_token"])
    assert test["user_id"] == "UROT00002"


async def test_refresh_token_reuse_other_client_and_revocation(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    reply = await install(client, emulator, client_id=ROTATING.client_id, emulator_user="UROT00003")
    refresh_token = reply["authed_user"]["refresh_token"]

    async def refresh(token: str, **credentials: str) -> dict[str, Any]:
        given = {"client_id": ROTATING.client_id, "client_secret": ROTATING.client_secret}
        given.update(credentials)
        return await exchange(  # basic: its default, named so no field is taken for it
            client, emulator, basic=False, grant_type="refresh_token", refresh_token=token, **given
        )

    other = await refresh(
        refresh_token, client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET
    )
    assert other == {"ok": False, "error": "invalid_refresh_token"}
    wrong_secret = await refresh(refresh_token, client_secret="nope")
    assert wrong_secret["error"] == "bad_client_secret"
    assert (await refresh("xoxe-1-unknown"))["error"] == "invalid_refresh_token"
    assert (await refresh(""))["error"] == "invalid_refresh_token"

    new = await refresh(refresh_token)
    assert new["ok"] is True
    assert (await refresh(refresh_token)) == {"ok": False, "error": "invalid_refresh_token"}

    # Revoking the installation: its access tokens answer token_revoked, refresh fails.
    revoked = await client.post(
        emulator.control_url + "oauth/revoke", json={"token": new["access_token"]}
    )
    assert revoked.json()["ok"] is True
    assert (await call(client, emulator, "auth.test", new["access_token"]))["error"] == (
        "token_revoked"
    )
    assert (await refresh(new["refresh_token"]))["error"] == "invalid_refresh_token"


async def test_a_refresh_token_revoked_alone(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    reply = await install(client, emulator, client_id=ROTATING.client_id)
    refresh_token = reply["authed_user"]["refresh_token"]
    control = emulator.control_url + "oauth/revoke"
    assert (await client.post(control, json={"refresh_token": refresh_token})).json()["ok"]
    # Revoked already: nothing left to revoke, said plainly.
    again = await client.post(control, json={"refresh_token": refresh_token})
    assert again.status_code == 400
    refreshed = await exchange(
        client,
        emulator,
        client_id=ROTATING.client_id,
        client_secret=ROTATING.client_secret,
        grant_type="refresh_token",
        refresh_token=refresh_token,
    )
    assert refreshed["error"] == "invalid_refresh_token"
    # The access token still works until it expires.
    test = await call(client, emulator, "auth.test", reply["authed_user"]["access_token"])
    assert test["ok"] is True


async def test_rotation_and_lifetimes_set_through_the_control_api(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    settings = await client.put(
        emulator.control_url + "oauth/settings",
        json={"client_id": DEFAULT_CLIENT_ID, "token_rotation": True, "access_token_seconds": 30},
    )
    assert settings.status_code == 200
    listed = {app["client_id"]: app for app in settings.json()["apps"]}
    assert listed[DEFAULT_CLIENT_ID]["token_rotation"] is True
    assert listed[ROTATING.client_id]["access_token_seconds"] == 600  # untouched
    user = (await install(client, emulator))["authed_user"]
    assert user["expires_in"] == 30
    clock = await client.post(emulator.control_url + "clock", json={"advance_seconds": 31})
    assert clock.json()["offset_seconds"] == 31
    assert (await client.get(emulator.control_url + "clock")).json()["offset_seconds"] == 31
    assert (await call(client, emulator, "auth.test", user["access_token"]))["error"] == (
        "token_expired"
    )
    for bad in (
        {"client_id": "nobody"},
        {"access_token_seconds": 0},
        {"token_rotation": "yes"},
    ):
        response = await client.put(emulator.control_url + "oauth/settings", json=bad)
        assert response.status_code == 400, bad
    assert (
        await client.post(emulator.control_url + "clock", json={"advance_seconds": -1})
    ).status_code == 400


async def test_tokens_added_with_a_lifetime_and_expired_on_demand(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    added = await client.post(
        emulator.control_url + "tokens",
        json={"token": "xoxe.xoxp-1-short", "user_id": "USHORT0001", "expires_in": 5},
    )
    assert added.json()["ok"] is True
    assert (await call(client, emulator, "auth.test", "xoxe.xoxp-1-short"))["ok"] is True
    emulator.state.advance_clock(5)
    assert (await call(client, emulator, "auth.test", "xoxe.xoxp-1-short"))["error"] == (
        "token_expired"
    )
    # Any valid token can be made to expire now, a default-accepted one too.
    assert (await call(client, emulator, "auth.test", "xoxp-lasting"))["ok"] is True
    expired = await client.post(
        emulator.control_url + "tokens/expire", json={"token": "xoxp-lasting"}
    )
    assert expired.json() == {"ok": True}
    assert (await call(client, emulator, "auth.test", "xoxp-lasting"))["error"] == "token_expired"
    unknown = await client.post(emulator.control_url + "tokens/expire", json={"token": "nonsense"})
    assert unknown.status_code == 400


async def test_enterprise_fields(client: httpx.AsyncClient) -> None:
    config = EmulatorConfig(enterprise_id="E0ORG00001", enterprise_name="Org")
    async with run_emulator(config) as emulator:
        reply = await install(client, emulator)
        assert reply["enterprise"] == {"id": "E0ORG00001", "name": "Org"}
        test = await call(client, emulator, "auth.test", reply["authed_user"]["access_token"])
        assert test["enterprise_id"] == "E0ORG00001"
        assert test["is_enterprise_install"] is False


def test_oauth_app_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="client_id"):
        OAuthApp(client_id="")
    with pytest.raises(ValueError, match="':'"):
        OAuthApp(client_id="a:b")
    with pytest.raises(ValueError, match="redirect URI"):
        OAuthApp(redirect_uris=("/relative",))
    with pytest.raises(ValueError, match="at least 1"):
        OAuthApp(access_token_seconds=0)
    with pytest.raises(ValueError, match="own client_id"):
        EmulatorConfig(oauth_apps=(OAuthApp(), OAuthApp()))
    with pytest.raises(ValueError, match="Slack user id"):
        EmulatorConfig(oauth_default_user_id="alice")


async def test_a_refresh_token_races_once(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    reply = await install(client, emulator, client_id=ROTATING.client_id)
    refresh_token = reply["authed_user"]["refresh_token"]
    answers = await asyncio.gather(
        *(
            exchange(
                client,
                emulator,
                client_id=ROTATING.client_id,
                client_secret=ROTATING.client_secret,
                grant_type="refresh_token",
                refresh_token=refresh_token,
            )
            for _ in range(10)
        )
    )
    assert sorted(answer.get("error", "ok") for answer in answers) == [
        "invalid_refresh_token"
    ] * 9 + ["ok"]


async def test_revoking_one_person_leaves_the_workspaces_bot_working(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    """Each install issued a bot token, and revoking a person revoked their install's bot
    token too: the Bolt example, which authorizes with the newest bot, then answered every
    person, those still installed included, with Bolt's "installation no longer available"
    (a first-try audit). In Slack one person's tokens_revoked leaves the workspace's bot."""
    scopes = {"scope": "commands", "user_scope": "users.profile:write"}
    alice = await install(client, emulator, emulator_user="UALICE0001", **scopes)
    bob = await install(client, emulator, emulator_user="UBOB000002", **scopes)
    control = emulator.control_url + "oauth/revoke"
    revoked = await client.post(control, json={"user_id": "UBOB000002"})
    assert revoked.json() == {"ok": True, "revoked": 1}, revoked.text
    bob_user = bob["authed_user"]["access_token"]
    assert (await call(client, emulator, "auth.test", bob_user))["error"] == "token_revoked"
    for bot in (alice["access_token"], bob["access_token"]):
        assert bot.startswith("xoxb-")
        assert (await call(client, emulator, "auth.test", bot))["ok"] is True
    alice_user = alice["authed_user"]["access_token"]
    assert (await call(client, emulator, "auth.test", alice_user))["ok"] is True
    # Nothing of Bob's is left to revoke; the bot is revoked as an uninstall does.
    again = await client.post(control, json={"user_id": "UBOB000002"})
    assert again.status_code == 400
    assert "tokens/revoke" in again.json()["detail"], again.text


async def test_revoking_a_person_of_a_rotating_app_leaves_the_bots_refresh_token(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    reply = await install(
        client,
        emulator,
        client_id=ROTATING.client_id,
        scope="users.profile:read",
        user_scope="users.profile:write",
        emulator_user="UROTATE001",
    )
    revoked = await client.post(
        emulator.control_url + "oauth/revoke", json={"user_id": "UROTATE001"}
    )
    assert revoked.json() == {"ok": True, "revoked": 2}, revoked.text  # access and refresh
    user = reply["authed_user"]
    assert (await call(client, emulator, "auth.test", user["access_token"]))["error"] == (
        "token_revoked"
    )

    async def refreshed(token: str) -> dict[str, Any]:
        return await exchange(
            client,
            emulator,
            client_id=ROTATING.client_id,
            client_secret=ROTATING.client_secret,
            grant_type="refresh_token",
            refresh_token=token,
        )

    assert (await refreshed(user["refresh_token"]))["error"] == "invalid_refresh_token"
    bot = await refreshed(reply["refresh_token"])
    assert bot["ok"] is True, bot
    assert bot["access_token"].startswith("xoxe.xoxb-")
