"""The control API: its index, and request listings that keep credentials out by default."""

from __future__ import annotations

import base64
import json

import httpx

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator, run_emulator
from ocp_users_photo.emulator.oauth_apps import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

TOKEN = "xoxp-control-listing-canary-31415"


async def test_the_index_lists_every_endpoint_once_with_one_line(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    response = await client.get(emulator.control_url)
    assert response.status_code == 200
    endpoints = response.json()["endpoints"]
    listed = {(item["method"], item["path"]) for item in endpoints}
    assert len(listed) == len(endpoints)
    for expected in [
        ("GET", "/_emulator/"),
        ("GET", "/_emulator/health"),
        ("POST", "/_emulator/faults"),
        ("GET", "/_emulator/requests"),
        ("POST", "/_emulator/tokens"),
        ("POST", "/_emulator/tokens/expire"),
        ("POST", "/_emulator/clock"),
        ("PUT", "/_emulator/oauth/settings"),
        ("POST", "/_emulator/oauth/revoke"),
    ]:
        assert expected in listed
    assert all(item["summary"] and "\n" not in item["summary"] for item in endpoints)
    # Each listed endpoint is routed: none answers 404 or 405.
    for method, path in listed:
        answer = await client.request(method, emulator.root_url + path, content=b"{}")
        assert answer.status_code not in (404, 405), (method, path)


async def test_listing_redacts_tokens_everywhere_they_can_be(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    api = emulator.base_url
    # The token echoed in a header of the client's own, and another token-shaped value there.
    other = "xoxb-9999999999-8888888888-othercanary0123456789"
    await client.post(
        api + "/users.deletePhoto",
        headers={"Authorization": f"Bearer {TOKEN}", "X-Echo": TOKEN, "X-Other": other},
    )
    await client.post(api + "/users.deletePhoto", data={"token": TOKEN})
    await client.get(api + "/users.profile.get", params={"token": TOKEN})
    await client.post(
        api + "/users.setPhoto",
        data={"token": TOKEN},
        files={"image": ("p.png", b"not an image", "image/png")},
    )
    await client.post(
        api + "/oauth.v2.access",
        data={
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "code": "c0de-123",
        },
    )
    pair = base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()
    await client.post(
        api + "/oauth.v2.access",
        headers={"Authorization": f"Basic {pair}"},
        data={"grant_type": "refresh_token", "refresh_token": "xoxe-1-refresh-canary"},
    )
    listing = await client.get(emulator.control_url + "requests", params={"include_body": "1"})
    text = listing.text
    records = listing.json()["requests"]
    assert len(records) == 6
    for secret in (TOKEN, other, DEFAULT_CLIENT_SECRET, "c0de-123", "xoxe-1-refresh-canary", pair):
        assert secret not in text
        for record in records:
            body = base64.b64decode(record.get("body_base64", ""))
            assert secret.encode() not in body
    assert all(record["secrets_redacted"] for record in records)
    assert ["authorization", "Bearer [redacted]"] in records[0]["headers"]
    assert ["x-echo", "[redacted]"] in records[0]["headers"]
    assert ["x-other", "[redacted]"] in records[0]["headers"]
    assert ["token", "[redacted]"] in records[1]["form"]
    assert records[2]["query_string"] == "token=[redacted]"
    assert ["client_id", DEFAULT_CLIENT_ID] in records[4]["form"]  # not a secret
    assert ["authorization", "Basic [redacted]"] in records[5]["headers"]
    # In process, the log keeps everything, for the tool's own tests.
    assert emulator.requests.all()[0].header("authorization") == f"Bearer {TOKEN}"
    assert emulator.requests.all()[1].field("token") == TOKEN


async def test_an_emulator_configured_to_reveal_lists_credentials(
    client: httpx.AsyncClient,
) -> None:
    config = EmulatorConfig(reveal_secrets_in_control_api=True)
    async with run_emulator(config) as emulator:
        await client.post(
            emulator.base_url + "/users.deletePhoto", data={"token": TOKEN}, params={"token": TOKEN}
        )
        listing = await client.get(
            emulator.control_url + "requests", params={"include_body": "yes"}
        )
    [record] = listing.json()["requests"]
    assert record["secrets_redacted"] is False
    assert ["token", TOKEN] in record["form"]
    assert record["query_string"] == f"token={TOKEN}"
    assert TOKEN.encode() in base64.b64decode(record["body_base64"])


async def test_bad_control_requests_say_what_is_wrong(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    for method, path, body in [
        ("POST", "clock", {"advance_seconds": "1"}),
        ("POST", "clock", {}),
        ("POST", "tokens", {"token": "x", "expires_in": -5}),
        ("POST", "tokens/expire", {}),
        ("POST", "oauth/revoke", {}),
        ("POST", "oauth/revoke", {"user_id": "UNOBODY001"}),
        ("POST", "oauth/revoke", {"token": "xoxp-never-installed"}),
    ]:
        response = await client.request(method, emulator.control_url + path, json=body)
        assert response.status_code == 400, (path, body)
        reply = response.json()
        assert reply["ok"] is False
        assert reply["detail"], (path, body)
    not_json = await client.post(emulator.control_url + "clock", content=b"{")
    assert json.loads(not_json.text)["detail"] == "the body must be JSON"
