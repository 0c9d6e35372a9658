"""Attacks on the local emulator from a web page, a local process or a hostile client."""

from __future__ import annotations

import httpx
import pytest

from ocp_users_photo.emulator import RunningEmulator

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
