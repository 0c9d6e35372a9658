"""Tokens on the emulator: where they are read from, and every auth error Slack documents."""

from __future__ import annotations

import httpx
import pytest

from ocp_users_photo.emulator import (
    EmulatorConfig,
    RunningEmulator,
    TokenGrant,
    run_emulator,
    user_id_for_token,
)
from tests.emulator_fixtures import solid_png


def png() -> bytes:
    return solid_png((10, 20, 30))


CONFIG = EmulatorConfig(
    tokens=(
        TokenGrant("xoxp-reader", "UREADER0001", ("users.profile:read",)),
        TokenGrant("plain-configured-token", "UCONFIG0001"),
        TokenGrant("xoxb-configured-bot", "UBOT0000001", ("users.profile:read", "chat:write")),
    ),
    revoked_tokens=frozenset({"xoxp-revoked-in-config"}),
    rate_limit_per_minute=None,
)


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return CONFIG


async def set_photo(
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    *,
    headers: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        emulator.base_url + "/users.setPhoto",
        headers=headers,
        data=data,
        params=params,
        files={"image": ("p.png", png(), "image/png")},
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_of(response: httpx.Response) -> str:
    assert response.status_code == 200
    reply = response.json()
    assert reply["ok"] is False
    assert response.headers["x-slack-failure"] == reply["error"]
    error: str = reply["error"]
    return error


async def test_no_token_is_not_authed(emulator: RunningEmulator, client: httpx.AsyncClient) -> None:
    assert error_of(await set_photo(client, emulator)) == "not_authed"
    # A header of another scheme, or an empty bearer, is no token either.
    assert error_of(await set_photo(client, emulator, headers={"Authorization": "Basic eA=="})) == (
        "not_authed"
    )
    assert error_of(await set_photo(client, emulator, headers={"Authorization": "Bearer"})) == (
        "not_authed"
    )


@pytest.mark.parametrize("token", ["xoxa-2-unknown", "nonsense", "xoxe-1-x"])
async def test_unknown_token_is_invalid_auth(
    emulator: RunningEmulator, client: httpx.AsyncClient, token: str
) -> None:
    assert error_of(await set_photo(client, emulator, headers=bearer(token))) == "invalid_auth"


async def test_any_user_token_is_accepted_by_default(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    response = await set_photo(client, emulator, headers=bearer("xoxp-anything-at-all"))
    assert response.json()["ok"] is True
    assert (
        f"/avatars/{user_id_for_token('xoxp-anything-at-all')}/"
        in (response.json()["profile"]["image_24"])
    )


async def test_configured_non_slack_shaped_token_works(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    response = await set_photo(client, emulator, headers=bearer("plain-configured-token"))
    assert response.json()["ok"] is True
    assert "/avatars/UCONFIG0001/" in response.json()["profile"]["image_24"]


@pytest.mark.parametrize("token", ["xoxb-any-bot", "xoxb-configured-bot"])
async def test_bot_token_is_not_allowed(
    emulator: RunningEmulator, client: httpx.AsyncClient, token: str
) -> None:
    response = await set_photo(client, emulator, headers=bearer(token))
    assert error_of(response) == "not_allowed_token_type"
    delete = await client.post(emulator.base_url + "/users.deletePhoto", headers=bearer(token))
    assert error_of(delete) == "not_allowed_token_type"


async def test_bot_token_may_read_profiles(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    response = await client.get(
        emulator.base_url + "/users.profile.get", headers=bearer("xoxb-configured-bot")
    )
    assert response.json()["ok"] is True


async def test_missing_scope_names_needed_and_provided(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    response = await set_photo(client, emulator, headers=bearer("xoxp-reader"))
    assert response.json() == {
        "ok": False,
        "error": "missing_scope",
        "needed": "users.profile:write",
        "provided": "users.profile:read",
    }
    assert response.headers["x-slack-failure"] == "missing_scope"


async def test_missing_read_scope_on_profile_get(client: httpx.AsyncClient) -> None:
    config = EmulatorConfig(
        tokens=(TokenGrant("xoxp-writer", "UWRITER0001", ("users.profile:write", "chat:write")),)
    )
    async with run_emulator(config) as emulator:
        response = await client.get(
            emulator.base_url + "/users.profile.get", headers=bearer("xoxp-writer")
        )
    assert response.json() == {
        "ok": False,
        "error": "missing_scope",
        "needed": "users.profile:read",
        "provided": "users.profile:write,chat:write",
    }


async def test_revoked_token_from_config(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    response = await set_photo(client, emulator, headers=bearer("xoxp-revoked-in-config"))
    assert error_of(response) == "token_revoked"


async def test_revocation_at_run_time_and_regrant(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    token = "xoxp-revoked-later"
    assert (await set_photo(client, emulator, headers=bearer(token))).json()["ok"] is True
    emulator.state.revoke(token)
    assert error_of(await set_photo(client, emulator, headers=bearer(token))) == "token_revoked"
    profile = await client.get(emulator.base_url + "/users.profile.get", headers=bearer(token))
    assert error_of(profile) == "token_revoked"
    emulator.state.add_token(token)
    assert (await set_photo(client, emulator, headers=bearer(token))).json()["ok"] is True


async def test_token_added_at_run_time_with_scopes(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    emulator.state.add_token("custom-1", user_id="UCUSTOM0001", scopes="users.profile:read")
    response = await set_photo(client, emulator, headers=bearer("custom-1"))
    assert response.json()["error"] == "missing_scope"
    emulator.state.add_token("custom-1", user_id="UCUSTOM0001")
    response = await set_photo(client, emulator, headers=bearer("custom-1"))
    assert "/avatars/UCUSTOM0001/" in response.json()["profile"]["image_72"]


async def test_token_in_form_field(emulator: RunningEmulator, client: httpx.AsyncClient) -> None:
    response = await set_photo(client, emulator, data={"token": "xoxp-form"})
    assert response.json()["ok"] is True
    assert user_id_for_token("xoxp-form") in response.json()["profile"]["image_24"]


async def test_header_token_wins_over_form_token(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    response = await set_photo(
        client, emulator, headers=bearer("xoxp-header"), data={"token": "xoxb-form"}
    )
    assert response.json()["ok"] is True
    assert user_id_for_token("xoxp-header") in response.json()["profile"]["image_24"]


async def test_write_methods_ignore_a_query_token(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    response = await set_photo(client, emulator, params={"token": "xoxp-query"})
    assert error_of(response) == "not_authed"


async def test_profile_get_reads_the_token_from_header_form_or_query(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    url = emulator.base_url + "/users.profile.get"
    by_header = await client.get(url, headers=bearer("xoxp-p"))
    by_query = await client.get(url, params={"token": "xoxp-p"})
    by_form = await client.post(url, data={"token": "xoxp-p"})
    replies = [response.json() for response in (by_header, by_query, by_form)]
    assert all(reply["ok"] for reply in replies)
    assert len({reply["profile"]["avatar_hash"] for reply in replies}) == 1
    assert error_of(await client.get(url)) == "not_authed"


async def test_json_body_token_is_ignored(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    url = emulator.base_url + "/users.profile.get"
    assert error_of(await client.post(url, json={"token": "xoxp-json"})) == "not_authed"
    response = await client.post(url, json={}, headers=bearer("xoxp-json"))
    assert response.json()["ok"] is True


async def test_only_listed_tokens(client: httpx.AsyncClient) -> None:
    config = EmulatorConfig(
        tokens=(TokenGrant("xoxp-listed", "ULISTED0001"),),
        accept_any_user_token=False,
        accept_any_bot_token=False,
    )
    async with run_emulator(config) as emulator:
        assert (await set_photo(client, emulator, headers=bearer("xoxp-listed"))).json()["ok"]
        assert error_of(await set_photo(client, emulator, headers=bearer("xoxp-other"))) == (
            "invalid_auth"
        )
        assert error_of(await set_photo(client, emulator, headers=bearer("xoxb-other"))) == (
            "invalid_auth"
        )
