"""The emulator's request log and its HTTP control endpoints for requests, tokens and limits."""

from __future__ import annotations

import base64
import hashlib
import logging

import httpx
import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator, run_emulator
from tests.emulator_fixtures import solid_png

TOKEN = "xoxp-request-log-secret"


def png() -> bytes:
    return solid_png((1, 2, 3))


async def upload(
    client: httpx.AsyncClient, emulator: RunningEmulator, image: bytes, **fields: str
) -> httpx.Response:
    return await client.post(
        emulator.base_url + "/users.setPhoto",
        headers={"Authorization": f"Bearer {TOKEN}"},
        data=fields,
        files={"image": ("me.png", image, "image/png")},
    )


async def test_records_what_reached_the_server(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    image = png()
    response = await upload(client, emulator, image, crop_x="1", crop_y="2", crop_w="300")
    assert response.json()["ok"] is True
    [record] = emulator.requests.for_path("users.setPhoto")
    assert record.method == "POST"
    assert record.path == "/api/users.setPhoto"
    assert record.header("Authorization") == f"Bearer {TOKEN}"
    content_type = record.header("content-type")
    assert content_type is not None
    assert content_type.startswith("multipart/form-data; boundary=")
    assert record.form == (("crop_x", "1"), ("crop_y", "2"), ("crop_w", "300"))
    part = record.file("image")
    assert part is not None
    assert (part.filename, part.content_type, part.size) == ("me.png", "image/png", len(image))
    assert part.sha256 == hashlib.sha256(image).hexdigest()
    assert record.fault is None
    assert record.body is not None
    assert record.body_size == len(record.body)
    assert image in record.body


async def test_token_only_in_the_header_is_provable(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    await upload(client, emulator, png())
    record = emulator.requests.last()
    assert record.body is not None
    assert TOKEN.encode() not in record.body
    assert record.field("token") is None
    assert TOKEN not in record.query_string
    headers_with_token = [name for name, value in record.headers if TOKEN in value]
    assert headers_with_token == ["authorization"]


async def test_a_form_token_shows_in_the_record(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    await client.post(emulator.base_url + "/users.deletePhoto", data={"token": TOKEN})
    record = emulator.requests.last()
    assert record.field("token") == TOKEN
    assert record.header("authorization") is None


async def test_body_recording_cap_and_switch(client: httpx.AsyncClient) -> None:
    image = png()
    async with run_emulator(EmulatorConfig(max_recorded_body_bytes=100)) as emulator:
        await upload(client, emulator, image)
        record = emulator.requests.last()
        assert record.body is not None
        assert len(record.body) == 100
        assert record.body_size > len(image)
    async with run_emulator(EmulatorConfig(record_bodies=False)) as emulator:
        await upload(client, emulator, image)
        record = emulator.requests.last()
        assert record.body is None
        assert record.body_size > len(image)
        assert record.file("image") is not None  # the digest is still kept


async def test_log_is_bounded(client: httpx.AsyncClient) -> None:
    async with run_emulator(EmulatorConfig(max_recorded_requests=3)) as emulator:
        for _ in range(5):
            await client.get(emulator.base_url + "/users.profile.get", params={"token": TOKEN})
        records = emulator.requests.all()
        assert len(records) == 3
        assert [record.sequence for record in records] == [3, 4, 5]


async def test_requests_endpoint(emulator: RunningEmulator, client: httpx.AsyncClient) -> None:
    image = png()
    await upload(client, emulator, image)
    await client.get(emulator.base_url + "/users.profile.get", params={"token": TOKEN})
    requests_url = emulator.root_url + "/_emulator/requests"

    everything = (await client.get(requests_url)).json()["requests"]
    # The control call itself is not recorded.
    assert [item["path"] for item in everything] == [
        "/api/users.setPhoto",
        "/api/users.profile.get",
    ]
    assert "body_base64" not in everything[0]
    assert everything[0]["files"][0]["sha256"] == hashlib.sha256(image).hexdigest()
    # Credentials are redacted in the listing (the in-process log keeps them).
    assert ["authorization", "Bearer [redacted]"] in everything[0]["headers"]
    assert emulator.requests.all()[0].header("authorization") == f"Bearer {TOKEN}"

    only_photo = (
        await client.get(requests_url, params={"path": "users.setPhoto", "include_body": "1"})
    ).json()["requests"]
    assert len(only_photo) == 1
    assert image in base64.b64decode(only_photo[0]["body_base64"])

    assert (await client.delete(requests_url)).json() == {"ok": True}
    assert (await client.get(requests_url)).json()["requests"] == []
    assert len(emulator.requests) == 0


async def test_tokens_revoke_and_rate_limit_endpoints(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    root = emulator.root_url + "/_emulator"
    assert (await client.get(root + "/health")).json() == {"ok": True}

    added = await client.post(
        root + "/tokens",
        json={"token": "custom", "user_id": "UCUSTOM0002", "scopes": "users.profile:read"},
    )
    assert added.json() == {"ok": True, "user_id": "UCUSTOM0002", "scopes": "users.profile:read"}
    profile = await client.get(emulator.base_url + "/users.profile.get", params={"token": "custom"})
    assert profile.json()["ok"] is True

    assert (await client.post(root + "/tokens/revoke", json={"token": "custom"})).json()["ok"]
    profile = await client.get(emulator.base_url + "/users.profile.get", params={"token": "custom"})
    assert profile.json()["error"] == "token_revoked"

    assert (await client.put(root + "/rate_limit", json={"calls_per_minute": 1})).json() == {
        "ok": True,
        "calls_per_minute": 1,
    }
    first = await upload(client, emulator, png())
    second = await upload(client, emulator, png())
    assert (first.status_code, second.status_code) == (200, 429)
    await client.put(root + "/rate_limit", json={"calls_per_minute": None})
    assert (await upload(client, emulator, png())).status_code == 200

    for path, bad in [
        ("/tokens", {"token": ""}),
        ("/tokens", {"token": "x", "scopes": 5}),
        ("/tokens/revoke", {}),
        ("/rate_limit", {"calls_per_minute": 0}),
        ("/rate_limit", {"calls_per_minute": "5"}),
    ]:
        method = "PUT" if path == "/rate_limit" else "POST"
        response = await client.request(method, root + path, json=bad)
        assert response.status_code == 400, (path, bad)


async def test_no_token_reaches_any_log(
    emulator: RunningEmulator, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await upload(client, emulator, png())
        await upload(client, emulator, b"broken")
        await client.get(emulator.base_url + "/users.profile.get", params={"token": TOKEN})
    # The client's own loggers (httpx, httpcore) print URLs; the server side must not.
    server_side = [
        record for record in caplog.records if not record.name.startswith(("httpx", "httpcore"))
    ]
    assert all(TOKEN not in record.getMessage() for record in server_side)
    assert not [record for record in server_side if record.name == "uvicorn.access"]
