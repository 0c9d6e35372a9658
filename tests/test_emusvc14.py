"""Attacks on the local emulator from a web page, a local process or a hostile client."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ocp_users_photo.emulator import RunningEmulator, installations
from ocp_users_photo.emulator.installations import OAuthRefused
from ocp_users_photo.emulator.oauth_apps import CODE_SECONDS, OAuthApp

# What a browser sends for fetch(url, {method: "POST", mode: "no-cors", body}) from a page
# of another origin: no preflight, and a text/plain body may be JSON all the same.
_CROSS_SITE = {
    "content-type": "text/plain;charset=UTF-8",
    "origin": "https://attacker.example",
    "sec-fetch-site": "cross-site",
}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_emulator/faults", b'{"kind": "status", "status": 503, "times": 5}'),
        ("/_emulator/tokens", b'{"token": "xoxp-planted"}'),
        ("/_emulator/tokens/revoke", b'{"token": "xoxp-victim"}'),
        ("/_emulator/users", b'{"user_id": "UPLANTED01"}'),
        ("/_emulator/clock", b'{"advance_seconds": 86400}'),
    ],
)
async def test_a_cross_origin_page_changes_nothing_through_the_control_api(
    emulator: RunningEmulator, client: httpx.AsyncClient, path: str, body: bytes
) -> None:
    response = await client.post(emulator.root_url + path, content=body, headers=_CROSS_SITE)
    assert response.status_code == 403
    assert response.json()["error"] == "cross_origin_refused"
    assert emulator.faults.pending() == []
    assert emulator.state.clock.offset_seconds == 0
    assert emulator.state.tokens.lookup("xoxp-victim").status is None


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "null"},
        {"origin": "http://localhost:1"},
        {"sec-fetch-site": "same-site"},
    ],
)
async def test_a_form_post_from_any_other_origin_is_refused(
    emulator: RunningEmulator, client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    body = b'{"kind": "status", "status": 503}'
    response = await client.post(
        emulator.root_url + "/_emulator/faults", content=body, headers=headers
    )
    assert response.status_code == 403
    assert emulator.faults.pending() == []


async def test_programs_and_the_emulators_own_origin_still_use_the_control_api(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    body = b'{"kind": "status", "status": 503}'
    # curl -d: a form content type and no Origin.
    plain = await client.post(
        emulator.root_url + "/_emulator/faults",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert plain.status_code == 200
    same_origin = await client.post(
        emulator.root_url + "/_emulator/faults",
        content=body,
        headers={"origin": emulator.root_url, "sec-fetch-site": "same-origin"},
    )
    assert same_origin.status_code == 200
    assert len(emulator.faults.pending()) == 2


def _authorize_query() -> dict[str, str]:
    return {
        "client_id": OAuthApp().client_id,
        "scope": "users.profile:write",
        "redirect_uri": "http://127.0.0.1:1/callback",
    }


async def _code_from_authorize(emulator: RunningEmulator, client: httpx.AsyncClient) -> str:
    # What an <img src> to the authorize page does: a GET whose answer nobody reads.
    response = await client.get(emulator.authorize_url, params=_authorize_query())
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


async def test_codes_nobody_redeems_are_forgotten_once_expired(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    for _ in range(20):
        await _code_from_authorize(emulator, client)
    emulator.state.advance_clock(CODE_SECONDS + 1)
    await _code_from_authorize(emulator, client)
    assert len(emulator.state.oauth._codes) == 1


async def test_pending_codes_are_bounded_the_oldest_forgotten(
    emulator: RunningEmulator, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(installations, "MAX_PENDING_CODES", 3)
    codes = [await _code_from_authorize(emulator, client) for _ in range(5)]
    assert len(emulator.state.oauth._codes) == 3
    app = OAuthApp()
    with pytest.raises(OAuthRefused, match="invalid_code"):
        emulator.state.oauth.redeem_code(app, codes[0], None)
    redirect_uri = _authorize_query()["redirect_uri"]
    assert emulator.state.oauth.redeem_code(app, codes[-1], redirect_uri).bot is not None
