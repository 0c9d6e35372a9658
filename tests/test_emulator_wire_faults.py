"""Hostile and broken answers as emulator faults, seen by a plain httpx client and raw sockets.

Echoed credentials, drips, lying lengths, raw bytes, gzip bombs, redirects and deep JSON.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.emulator.fault_specs import fault_from_json

TOKEN = "xoxp-wire-fault-canary-0123456789"
PROFILE = "users.profile.get"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(timeout=10, headers=headers) as http:
        yield http


async def profile_get(client: httpx.AsyncClient, emulator: RunningEmulator) -> httpx.Response:
    return await client.get(emulator.base_url + "/" + PROFILE)


async def raw_pieces(emulator: RunningEmulator) -> list[bytes]:
    """Send one request on a raw socket; every piece read until the server closes."""
    reader, writer = await asyncio.open_connection(emulator.host, emulator.port)
    writer.write(
        f"GET /api/{PROFILE} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {TOKEN}\r\n\r\n".encode()
    )
    await writer.drain()
    pieces = []
    while piece := await asyncio.wait_for(reader.read(65536), timeout=10):
        pieces.append(piece)
    writer.close()
    return pieces


async def test_a_respond_fault_echoes_the_credentials_sent(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    fault = Fault.status(
        401,
        body='{"ok":false,"error":"bad {token}","auth":"{authorization}"}',
        headers={"content-type": "application/json; note={token}", "x-echo": "{authorization}"},
    )
    emulator.faults.inject(fault, path=PROFILE)
    response = await profile_get(client, emulator)
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error": f"bad {TOKEN}", "auth": f"Bearer {TOKEN}"}
    assert response.headers["content-type"] == f"application/json; note={TOKEN}"
    assert response.headers["x-echo"] == f"Bearer {TOKEN}"
    assert int(response.headers["content-length"]) == len(response.content)


async def test_echo_of_a_form_token_and_of_none(emulator: RunningEmulator) -> None:
    emulator.faults.inject(Fault.status(200, body="[{token}|{authorization}]"), times=2)
    async with httpx.AsyncClient(timeout=10) as plain:
        url = emulator.base_url + "/users.setPhoto"
        by_form = await plain.post(url, data={"token": "xoxp-form-token"})
        assert by_form.text == "[xoxp-form-token|]"
        assert (await plain.post(url)).text == "[|]"


async def test_a_dripped_body_arrives_whole_and_in_pieces(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    body = b'{"ok":true,"dripped":"yes"}'
    fault = Fault.status(200, body=body, headers={"content-type": "application/json"})
    emulator.faults.inject(fault.dripped(8, 0.15), path=PROFILE)
    response = await profile_get(client, emulator)
    assert response.content == body
    assert response.headers["connection"] == "close"

    emulator.faults.inject(fault.dripped(8, 0.15), path=PROFILE)
    pieces = await raw_pieces(emulator)
    assert b"".join(pieces).endswith(body)
    # Status and headers come at once; the body 8 bytes at a time after them.
    assert len(pieces) >= 4
    assert pieces[-1] == body[24:]


async def test_a_longer_declared_length_leaves_the_body_short(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    emulator.faults.inject(Fault.status(200, body=b'{"ok":true}', content_length=100), path=PROFILE)
    with pytest.raises(httpx.RemoteProtocolError):
        await profile_get(client, emulator)
    # The same lie, dripped: a client waiting for the rest waits until the close.
    lying = Fault.status(200, body=b'{"ok":true}', content_length=100).dripped(4, 0.05)
    emulator.faults.inject(lying, path=PROFILE)
    with pytest.raises(httpx.RemoteProtocolError):
        await profile_get(client, emulator)


async def test_a_shorter_declared_length_cuts_the_body(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    emulator.faults.inject(Fault.status(200, body=b'{"ok":true}', content_length=5), path=PROFILE)
    response = await profile_get(client, emulator)
    assert response.content == b'{"ok"'


async def test_raw_bytes_a_reason_phrase_holding_the_token(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    raw = "HTTP/1.1 200 {token}\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n"
    emulator.faults.inject(Fault.raw(raw + '{"ok":true}'), path=PROFILE)
    response = await profile_get(client, emulator)
    assert response.reason_phrase == TOKEN
    assert response.json() == {"ok": True}
    assert emulator.requests.last().fault == "raw"


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nthis line has no colon {token}\r\n\r\n",
        b"HTTP/1.1 OK {token}\r\n\r\n",
        b"NOT-HTTP {token}\r\n\r\n",
        b'HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n{"ok"',
        b"",
    ],
)
async def test_malformed_raw_answers_are_protocol_errors(
    emulator: RunningEmulator, client: httpx.AsyncClient, raw: bytes
) -> None:
    emulator.faults.inject(Fault.raw(raw), path=PROFILE)
    with pytest.raises(httpx.RemoteProtocolError):
        await profile_get(client, emulator)
    # The emulator goes on serving.
    assert (await profile_get(client, emulator)).json()["ok"] is True


async def test_raw_headers_dripped_byte_by_byte(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    raw = b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n" + b'{"ok":true}'
    emulator.faults.inject(Fault.raw(raw).dripped(1, 0.002), path=PROFILE)
    assert (await profile_get(client, emulator)).json() == {"ok": True}
    emulator.faults.inject(Fault.raw(raw).dripped(1, 0.002), path=PROFILE)
    pieces = await raw_pieces(emulator)
    assert b"".join(pieces) == raw
    assert len(pieces) > 10


async def test_any_json_reply(emulator: RunningEmulator, client: httpx.AsyncClient) -> None:
    reply = {"ok": True, "profile": {}, "warning": "superfluous_charset"}
    emulator.faults.inject(Fault.json(reply, headers={"x-slack-req-id": "1"}), path=PROFILE)
    response = await profile_get(client, emulator)
    assert response.json() == reply
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-slack-req-id"] == "1"


async def test_gzip_body_is_decoded_by_the_client(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    emulator.faults.inject(Fault.gzip('{"ok":true,"zipped":1}'), path=PROFILE)
    response = await profile_get(client, emulator)
    assert response.headers["content-encoding"] == "gzip"
    assert response.json() == {"ok": True, "zipped": 1}


async def test_gzip_bomb_is_small_on_the_wire_and_huge_inflated(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    inflated = 32 * 1024 * 1024
    fault = Fault.gzip_bomb(inflated)
    assert len(fault.body) < inflated // 500
    assert len(gzip.decompress(fault.body)) == inflated
    emulator.faults.inject(fault, path=PROFILE)
    async with client.stream("GET", emulator.base_url + "/" + PROFILE) as response:
        decoded = 0
        async for chunk in response.aiter_bytes():
            decoded += len(chunk)
        assert response.num_bytes_downloaded == len(fault.body)
    assert decoded == inflated


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects(emulator: RunningEmulator, client: httpx.AsyncClient, status: int) -> None:
    location = "http://127.0.0.1:9/elsewhere"
    emulator.faults.inject(Fault.redirect(location, status_code=status), path=PROFILE)
    response = await profile_get(client, emulator)
    assert response.status_code == status
    assert response.headers["location"] == location
    assert response.content == b""


async def test_deep_json(emulator: RunningEmulator, client: httpx.AsyncClient) -> None:
    emulator.faults.inject(Fault.deep_json(3, ok=False), path=PROFILE)
    assert (await profile_get(client, emulator)).json() == {"ok": False, "nested": [[["é"]]]}
    emulator.faults.inject(Fault.deep_json(200_000), path=PROFILE)
    response = await profile_get(client, emulator)
    assert response.content.count(b"[") == 200_000
    assert b"\\u00e9" in response.content
    with pytest.raises(RecursionError):
        json.loads(response.content)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"kind": "raw", "data": "HTTP/1.1 200 {token}\r\n\r\n"},
         Fault.raw("HTTP/1.1 200 {token}\r\n\r\n")),
        ({"kind": "raw", "data_base64": "AAEC"}, Fault.raw(b"\x00\x01\x02")),
        ({"kind": "raw", "data": "x", "drip_bytes": 1, "drip_seconds": 0.5},
         Fault.raw("x").dripped(1, 0.5)),
        ({"kind": "status", "status": 200, "body": "{}", "content_length": 9, "drip_bytes": 2},
         Fault.status(200, body="{}", content_length=9).dripped(2, 0.1)),
        ({"kind": "gzip", "body": "{}", "status": 500},
         Fault.gzip("{}", status_code=500)),
        ({"kind": "gzip_bomb", "inflated_bytes": 4096}, Fault.gzip_bomb(4096)),
        ({"kind": "redirect", "location": "http://x/", "status": 307},
         Fault.redirect("http://x/", status_code=307)),
        ({"kind": "deep_json", "depth": 7, "ok": False}, Fault.deep_json(7, ok=False)),
        ({"kind": "json", "value": {"ok": False, "error": "x"}, "status": 429,
          "headers": {"retry-after": "3"}},
         Fault.json(
{"ok": False, "error": "x"},
status_code=429,
headers={"retry-after": "3"},
)),
    ],
)  # fmt: skip
def test_new_kinds_from_json(spec: dict[str, Any], expected: Fault) -> None:
    assert fault_from_json(spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "raw", "data_base64": "not base64!"},
        {"kind": "delay", "seconds": 1, "drip_bytes": 1},
        {"kind": "raw", "data": "x", "drip_bytes": 0},
        {"kind": "raw", "data": "x", "drip_bytes": 1, "drip_seconds": 3600},
        {"kind": "redirect", "location": "http://x/", "status": 200},
        {"kind": "redirect"},
        {"kind": "gzip_bomb", "inflated_bytes": 10 * 1024**3},
        {"kind": "deep_json", "depth": 0},
        {"kind": "status", "status": 200, "content_length": -1},
        {"kind": "status", "status": 200, "headers": {"x": "a\r\nb"}},
        {"kind": "huge_body", "size_bytes": 2 * 1024**3},
        {"kind": "json"},
    ],
)
def test_bad_specs_are_refused(spec: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"must|only|unknown|needs|one of"):
        fault_from_json(spec)


async def test_wire_faults_through_the_control_api(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    faults_url = emulator.control_url + "faults"
    created = await client.post(
        faults_url,
        json={
            "kind": "status",
            "status": 200,
            "body": '{"ok":true,"t":"{token}"}',
            "drip_bytes": 5,
            "drip_seconds": 0.01,
            "path": PROFILE,
        },
    )
    assert created.json()["fault"]["drip_bytes"] == 5
    assert (await profile_get(client, emulator)).json() == {"ok": True, "t": TOKEN}
    await client.post(faults_url, json={"kind": "redirect", "location": "/x", "path": PROFILE})
    assert (await profile_get(client, emulator)).status_code == 302
    bad = await client.post(faults_url, json={"kind": "gzip_bomb", "inflated_bytes": 1})
    assert bad.status_code == 400
    assert "inflated_bytes" in bad.json()["detail"]
