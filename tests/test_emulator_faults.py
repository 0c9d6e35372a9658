"""Fault injection on the emulator: what a client really sees for each kind, and the control API."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ocp_users_photo.emulator import (
    ANY_PATH,
    Fault,
    FaultQueue,
    RunningEmulator,
)
from ocp_users_photo.sizes import byte_size
from tests.emulator_fixtures import solid_png

TOKEN = "xoxp-fault-test"


def png() -> bytes:
    return solid_png((200, 100, 0))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(timeout=10, headers=headers) as http:
        yield http


async def set_photo(client: httpx.AsyncClient, emulator: RunningEmulator) -> httpx.Response:
    return await client.post(
        emulator.base_url + "/users.setPhoto", files={"image": ("p.png", png(), "image/png")}
    )


async def test_status_fault_hits_the_next_n_calls_only(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    emulator.faults.inject(Fault.status(503, body="down"), times=2)
    first, second, third = [await set_photo(client, emulator) for _ in range(3)]
    assert (first.status_code, first.text) == (503, "down")
    assert (second.status_code, second.text) == (503, "down")
    assert third.status_code == 200
    assert third.json()["ok"] is True
    assert emulator.faults.pending() == []


async def test_rate_limited_fault(emulator: RunningEmulator, client: httpx.AsyncClient) -> None:
    emulator.faults.inject(Fault.rate_limited(retry_after=7))
    response = await set_photo(client, emulator)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json() == {"ok": False, "error": "ratelimited"}


async def test_slack_error_with_200_or_400(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    emulator.faults.inject(Fault.slack_error("invalid_form_data"))
    assert (await set_photo(client, emulator)).status_code == 200  # as Slack sends its errors
    emulator.faults.inject(Fault.slack_error("invalid_form_data", status_code=400))
    response = await set_photo(client, emulator)
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": "invalid_form_data"}
    assert response.headers["x-slack-failure"] == "invalid_form_data"


async def test_malformed_bodies(emulator: RunningEmulator, client: httpx.AsyncClient) -> None:
    for fault in (
        Fault.html_page(),
        Fault.truncated_json(),
        Fault.empty_body(),
        Fault.non_object_json(),
    ):
        emulator.faults.inject(fault)

    html = await set_photo(client, emulator)
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert html.text.startswith("<!DOCTYPE html>")

    truncated = await set_photo(client, emulator)
    assert truncated.status_code == 200
    assert truncated.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(truncated.content)

    empty = await set_photo(client, emulator)
    assert (empty.status_code, empty.content) == (200, b"")
    assert empty.headers["content-length"] == "0"

    not_object = await set_photo(client, emulator)
    assert isinstance(not_object.json(), list)

    assert (await set_photo(client, emulator)).json()["ok"] is True


async def test_huge_body(emulator: RunningEmulator, client: httpx.AsyncClient) -> None:
    emulator.faults.inject(Fault.huge_body(6 * 1024 * 1024))
    response = await set_photo(client, emulator)
    assert response.status_code == 200
    assert len(response.content) == 6 * 1024 * 1024
    assert int(response.headers["content-length"]) == 6 * 1024 * 1024
    assert response.json()["ok"] is True


async def test_delay_is_a_real_delay_then_the_normal_answer(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    emulator.faults.inject(Fault.delay(0.6))
    started = time.monotonic()
    response = await set_photo(client, emulator)
    elapsed = time.monotonic() - started
    assert response.json()["ok"] is True
    assert 0.6 <= elapsed < 10
    started = time.monotonic()
    assert (await set_photo(client, emulator)).json()["ok"] is True
    assert time.monotonic() - started < 0.6  # the fault was used up


async def test_a_delayed_call_still_takes_effect_after_the_client_gave_up(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    emulator.faults.inject(Fault.delay(0.8))
    with pytest.raises(httpx.ReadTimeout):
        await client.post(
            emulator.base_url + "/users.setPhoto",
            files={"image": ("p.png", png(), "image/png")},
            timeout=httpx.Timeout(10, read=0.2),
        )
    profile_url = emulator.base_url + "/users.profile.get"
    deadline = time.monotonic() + 10
    while (await client.get(profile_url)).json()["profile"]["is_custom_image"] is False:
        assert time.monotonic() < deadline, "the delayed call never took effect"
        await asyncio.sleep(0.05)


async def test_drop_closes_the_connection_without_any_response(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    emulator.faults.inject(Fault.drop())
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        await set_photo(client, emulator)
    # The request did arrive; the next one is answered normally.
    assert emulator.requests.for_path("users.setPhoto")[-1].fault == "drop"
    assert (await set_photo(client, emulator)).json()["ok"] is True


async def test_drop_fault_seen_by_a_raw_socket(emulator: RunningEmulator) -> None:
    # Below any HTTP client: not a single byte comes back before the close.
    emulator.faults.inject(Fault.drop(), path="users.profile.get")
    reader, writer = await asyncio.open_connection(emulator.host, emulator.port)
    writer.write(
        b"GET /api/users.profile.get HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Authorization: Bearer xoxp-r\r\n\r\n"
    )
    await writer.drain()
    received = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    assert received == b""


async def test_faults_target_a_path_or_any_path(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    profile_url = emulator.base_url + "/users.profile.get"
    emulator.faults.inject(Fault.status(502), path="users.profile.get")
    # setPhoto is not affected by a fault aimed at profile.get.
    photo = await set_photo(client, emulator)
    assert photo.status_code == 200
    assert (await client.get(profile_url)).status_code == 502
    assert (await client.get(profile_url)).status_code == 200

    emulator.faults.inject(Fault.status(500), path=ANY_PATH, times=2)
    # "*" covers image URLs too, but never the control endpoints.
    assert (await client.get(emulator.root_url + "/_emulator/health")).status_code == 200
    assert (await client.get(photo.json()["profile"]["image_72"])).status_code == 500
    assert (await client.post(emulator.base_url + "/users.deletePhoto")).status_code == 500
    assert (await client.post(emulator.base_url + "/users.deletePhoto")).status_code == 200


async def test_faults_are_taken_in_injection_order(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    emulator.faults.inject(Fault.status(503))
    emulator.faults.inject(Fault.status(504))
    assert [(await set_photo(client, emulator)).status_code for _ in range(3)] == [503, 504, 200]


async def test_clear(emulator: RunningEmulator, client: httpx.AsyncClient) -> None:
    emulator.faults.inject(Fault.status(503), times=5)
    emulator.faults.clear()
    assert (await set_photo(client, emulator)).status_code == 200


def test_fault_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="out of range"):
        Fault.status(99)
    with pytest.raises(ValueError, match="negative"):
        Fault.delay(-1)
    with pytest.raises(ValueError, match="times"):
        FaultQueue().inject(Fault.drop(), times=0)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"kind": "status", "status": 503, "body": "x", "headers": {"a": "b"}},
         Fault.status(503, body="x", headers={"a": "b"})),
        ({"kind": "slack_error", "error": "fatal_error", "status": 500},
         Fault.slack_error("fatal_error", status_code=500)),
        ({"kind": "rate_limited", "retry_after": 3}, Fault.rate_limited(3)),
        ({"kind": "html_page"}, Fault.html_page()),
        ({"kind": "truncated_json"}, Fault.truncated_json()),
        ({"kind": "empty_body"}, Fault.empty_body()),
        ({"kind": "non_object_json"}, Fault.non_object_json()),
        ({"kind": "huge_body", "size_bytes": 1000}, Fault.huge_body(1000)),
        ({"kind": "delay", "seconds": 0.5}, Fault.delay(0.5)),
        ({"kind": "drop"}, Fault.drop()),
    ],
)  # fmt: skip
def test_fault_from_json(spec: dict[str, Any], expected: Fault) -> None:
    assert Fault.from_json(spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "explode"},
        {},
        {"kind": "status"},
        {"kind": "status", "status": "503"},
        {"kind": "delay", "seconds": "1"},
        {"kind": "status", "status": 503, "headers": {"a": 1}},
    ],
)
def test_fault_from_json_rejects_bad_specs(spec: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"must be|unknown fault kind"):
        Fault.from_json(spec)


@pytest.mark.parametrize(
    ("slip", "meant"),
    [
        ("users.setphoto", "users.setPhoto"),
        ("/api/AUTH.TEST", "auth.test"),
        ("/API/users.setPhoto", "users.setPhoto"),
    ],
)
def test_a_served_method_in_the_wrong_case_is_refused_with_its_name(slip: str, meant: str) -> None:
    """Slack's method names are case-sensitive: a fault for "users.setphoto" was taken
    and never fired, the test it was for passing without it."""
    queue = FaultQueue()
    with pytest.raises(ValueError, match="method names are case-sensitive") as refused:
        queue.inject(Fault.empty_body(), path=slip)
    assert f"give {meant!r}" in str(refused.value)
    assert queue.pending() == []
    # A method the emulator does not serve stays a fault's to stand in for.
    assert queue.inject(Fault.empty_body(), path="chat.postMessage").path == "/api/chat.postMessage"


async def test_the_control_api_says_a_fault_kind_in_json_words_bounded(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    """A spec without a kind, or with null, was told "unknown fault kind None" (Python's
    name, of a kind not given at all), true as "True", and a long kind was echoed whole."""
    faults_url = emulator.root_url + "/_emulator/faults"
    told = {}
    for name, spec in {
        "absent": {},
        "null": {"kind": None},
        "true": {"kind": True},
        "object": {"kind": {"a": None}},
        "long": {"kind": "x" * 5000},
    }.items():
        answer = await client.post(faults_url, json=spec)
        assert answer.status_code == 400
        told[name] = answer.json()["detail"]
    assert told["absent"].startswith("'kind' must be given: use one of ")
    assert told["null"].startswith("'kind' must be a string, got null: ")
    assert told["true"].startswith("'kind' must be a string, got true: ")
    assert told["object"].startswith("'kind' must be a string, got an object: ")
    assert told["long"].startswith("unknown fault kind a text of 5000 characters: ")
    assert all("None" not in detail and "True" not in detail for detail in told.values())


async def test_control_endpoint_injects_lists_and_clears(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    faults_url = emulator.root_url + "/_emulator/faults"
    created = await client.post(
        faults_url, json={"kind": "status", "status": 503, "times": 2, "path": "users.setPhoto"}
    )
    assert created.status_code == 200
    assert created.json()["fault"]["remaining"] == 2
    assert created.json()["fault"]["path"] == "/api/users.setPhoto"
    listed = (await client.get(faults_url)).json()["faults"]
    assert [(item["kind"], item["status"], item["remaining"]) for item in listed] == [
        ("respond", 503, 2)
    ]
    assert (await set_photo(client, emulator)).status_code == 503
    assert (await client.get(faults_url)).json()["faults"][0]["remaining"] == 1
    assert (await client.delete(faults_url)).json() == {"ok": True}
    assert (await client.get(faults_url)).json()["faults"] == []
    assert (await set_photo(client, emulator)).status_code == 200


async def test_control_endpoint_drop_and_delay(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    faults_url = emulator.root_url + "/_emulator/faults"
    await client.post(faults_url, json={"kind": "drop"})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        await set_photo(client, emulator)
    await client.post(faults_url, json={"kind": "delay", "seconds": 0.3})
    started = time.monotonic()
    assert (await set_photo(client, emulator)).status_code == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1]", b'{"kind": "nope"}', b'{"kind": "drop", "times": 0}'],
)
async def test_control_endpoint_rejects_bad_requests(
    emulator: RunningEmulator, client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(emulator.root_url + "/_emulator/faults", content=body)
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert emulator.faults.pending() == []


def test_a_fault_has_a_repr_of_bounded_size() -> None:
    """A fault's repr held its body written out as escapes: huge_body()'s 5 MB, a pending
    fault's too, in a failed assert on faults.pending() (to_json() gives it by size)."""
    queue = FaultQueue()
    fault = Fault.huge_body()
    pending = queue.inject(fault, path="*")
    for shown in (repr(fault), repr(pending)):
        assert len(shown) < 2000, shown[:300]
        assert f"body=<{byte_size(len(fault.body))}>" in shown
        assert "label='huge_body'" in shown
        assert "status_code=200" in shown


@pytest.mark.parametrize("path", ["/_emulator/faults", "/_emulator/requests"])
async def test_a_fault_for_the_control_api_is_refused(
    path: str, emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    """docs/emulator.md: a fault's path is "never the control API"; one was taken and never
    fired (the control API's requests are never faulted), listed as pending for ever."""
    with pytest.raises(ValueError, match="no fault is given for the control API") as refused:
        emulator.faults.inject(Fault.drop(), path=path)
    assert "give a method name, an /api/ or /avatars/ path, or '*'" in str(refused.value)
    answer = await client.post(
        emulator.root_url + "/_emulator/faults", json={"kind": "drop", "path": path}
    )
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("no fault is given for the control API")
    assert emulator.faults.pending() == []


async def test_the_control_apis_bare_root_is_neither_faulted_nor_a_faults_path(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    """docs/emulator.md: a fault is for an API or image path, "or '*' for any of them; never
    the control API, whose paths are refused". /_emulator (no slash), which the control
    API answers with its index's address, was faulted: a '*' fault meant for Slack's
    methods was spent there (a 503 for the control API, users.setPhoto then unfaulted),
    and a fault named "/_emulator" was taken."""
    index = emulator.root_url + "/_emulator"
    emulator.faults.inject(Fault.status(503, body="down"), path=ANY_PATH)
    answer = await client.get(index)
    assert answer.status_code == 307
    assert answer.headers["location"].endswith("/_emulator/")
    assert (await set_photo(client, emulator)).status_code == 503  # the fault, still pending
    with pytest.raises(ValueError, match="no fault is given for the control API"):
        emulator.faults.inject(Fault.drop(), path="/_emulator")
    refused = await client.post(
        emulator.root_url + "/_emulator/faults", json={"kind": "drop", "path": "/_emulator"}
    )
    assert refused.status_code == 400
    assert emulator.faults.pending() == []
