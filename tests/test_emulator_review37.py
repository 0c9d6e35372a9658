"""Six ways a client or a test's control request broke the emulator, found by the review of
2026-12-06 (each answered with a 500, a dropped connection or a secret in the clear):
JSON nested too deep; a truncated GIF; a malformed redirect_uri; a credential
%-encoded otherwise in the request log; a fault's header HTTP cannot carry; Infinity."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.emulator.server import start_emulator_in_thread

TOKEN = "xoxp-1111111111-2222222222-3333333333-abcdefabcdefabcdefabcdefabcdefab"
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator_in_thread(EmulatorConfig(rate_limit_per_minute=None)) as running:
        yield running


@pytest.fixture
def http(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.root_url, timeout=30) as client:
        yield client


def test_json_nested_too_deep_is_invalid_json_not_a_crash(http: httpx.Client) -> None:
    answer = http.post(
        "/api/users.profile.get",
        content=DEEP,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 200
    assert answer.json() == {"ok": False, "error": "invalid_json"}
    control = http.post("/_emulator/faults", content=DEEP)
    assert control.status_code == 400


def test_a_truncated_gif_is_bad_image_not_a_crash(emulator: RunningEmulator) -> None:
    frames = [Image.new("RGB", (600, 600), (shade * 40, 0, 0)) for shade in range(3)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    whole = out.getvalue()
    # Cut inside the second frame's image descriptor (after its graphic control block).
    second = whole.index(b",", whole.index(b"\x21\xf9", 40) + 8)
    cut = whole[: second + 3]
    client = WebClient(token=TOKEN, base_url=emulator.base_url + "/")
    with pytest.raises(SlackApiError) as refused:
        client.users_setPhoto(image=io.BytesIO(cut))
    assert refused.value.response.status_code == 200
    assert refused.value.response["error"] == "bad_image"


@pytest.mark.parametrize(
    "redirect_uri", ["http://[::1/cb", "http://127.0.0.1:99999/cb", "http://127.0.0.1:x/cb"]
)
def test_a_malformed_redirect_uri_is_refused_as_such(http: httpx.Client, redirect_uri: str) -> None:
    answer = http.get(
        "/oauth/v2/authorize",
        params={
            "client_id": "1111111111.2222222222",
            "user_scope": "users.profile:write",
            "redirect_uri": redirect_uri,
        },
    )
    assert answer.status_code == 400
    assert "redirect_uri" in answer.text


def test_a_token_encoded_otherwise_is_redacted_from_the_request_log(
    emulator: RunningEmulator, http: httpx.Client
) -> None:
    emulator.requests.clear()
    # Runs of seven digits: no port (at most five) holds one; "5555" was found in the
    # emulator's own port (45555) in the listing, and the test failed so.
    over_encoded = "xoxp%2D5555555%2D6666666%2D7777777%2D8888888"
    http.get(f"/api/auth.test?token={over_encoded}")
    http.post(
        "/api/users.deletePhoto",
        content=f"%74oken={over_encoded.lower()}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    listed = http.get("/_emulator/requests", params={"include_body": "1"}).json()
    shown = json.dumps(listed)
    bodies = [base64.b64decode(entry.get("body_base64", "")) for entry in listed["requests"]]
    for text in (shown, *(body.decode("latin-1") for body in bodies)):
        assert "5555555" not in text
        assert "8888888" not in text
    assert any(b"%74oken=[redacted]" in body for body in bodies)


@pytest.mark.parametrize(
    "headers", [{"x-note": "\u20ac"}, {"x note": "a"}, {"x\u00e9": "a"}], ids=str
)
def test_a_fault_with_a_header_http_cannot_carry_is_refused_at_once(
    http: httpx.Client, headers: dict[str, str]
) -> None:
    fault = {"kind": "status", "status": 503, "headers": headers, "path": "auth.test"}
    answer = http.post("/_emulator/faults", json=fault)
    assert answer.status_code == 400
    assert "HTTP token" in answer.text


def test_a_token_echoed_into_a_faults_header_is_sent_as_header_text(
    http: httpx.Client,
) -> None:
    fault = {
        "kind": "status",
        "status": 401,
        "headers": {"www-authenticate": "Bearer {token}"},
        "path": "auth.test",
    }
    assert http.post("/_emulator/faults", json=fault).status_code == 200
    answer = http.post(
        "/api/auth.test",
        content="token=xoxp-1-2-3-%E2%82%AC%0D%0AX-Injected:%201",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 401
    assert "x-injected" not in answer.headers
    assert answer.headers["www-authenticate"].startswith("Bearer xoxp-1-2-3-")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_emulator/tokens", '{"token": "xoxp-9-9-9-inf", "expires_in": Infinity}'),
        ("/_emulator/clock", '{"advance_seconds": Infinity}'),
        ("/_emulator/clock", '{"advance_seconds": 1e300}'),
    ],
)
def test_infinite_or_huge_numbers_are_refused(http: httpx.Client, path: str, body: str) -> None:
    answer = http.post(path, content=body)
    assert answer.status_code == 400
    assert http.post("/api/auth.test", data={"token": TOKEN}).json()["ok"] is True


def _logged_json_body(emulator: RunningEmulator, http: httpx.Client, body: str) -> str:
    """``body`` posted as JSON to users.profile.get, as the request log then lists it."""
    return logged_json_bytes(emulator, http, body.encode()).decode()


def logged_json_bytes(emulator: RunningEmulator, http: httpx.Client, body: bytes) -> bytes:
    """``body`` posted as JSON to users.profile.get, as the request log then lists it."""
    emulator.requests.clear()
    http.post(
        "/api/users.profile.get",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    listed = http.get("/_emulator/requests", params={"include_body": "1"}).json()
    [entry] = listed["requests"]
    return base64.b64decode(entry["body_base64"])


def test_a_json_bodys_escaped_token_is_redacted_from_the_request_log(
    emulator: RunningEmulator, http: httpx.Client
) -> None:
    escaped = '{"token":"xoxp\\u002d5555\\u002d6666\\u002d7777\\u002d8888"}'
    body = _logged_json_body(emulator, http, escaped)
    assert json.loads(body) == {"token": "[redacted]"}


@pytest.mark.parametrize(
    "body",
    [
        '{"token":"xoxp-5555555555-6666666666-77777777777777777777",}',
        '{"token":"xoxp\\u002d5555555555\\u002d6666666666\\u002d77777777777777777777"} x',
        '{"\\u0074oken": "77777777777777777777", "a": [1,}',
        '[{"refresh_token":"xoxe-1-77777777777777777777"}]',
        '{"nested": {"client_secret": 77777777777777777777}, "x": }',
        '{"code":"77777777777777777777',
    ],
    ids=[
        "trailing comma",
        "junk after",
        "escaped name",
        "an array",
        "nested, unquoted",
        "cut short",
    ],
)
def test_a_refused_json_bodys_credential_is_redacted_by_its_field(
    emulator: RunningEmulator, http: httpx.Client, body: str
) -> None:
    # The emulator answers invalid_json (or no such method's arguments), and logs the body:
    # its credential fields' values are redacted all the same (they were logged as sent).
    logged = _logged_json_body(emulator, http, body)
    assert "7777777777" not in logged, logged
    assert "[redacted]" in logged


def test_a_nested_credential_in_a_json_body_is_redacted(
    emulator: RunningEmulator, http: httpx.Client
) -> None:
    body = {"a": 1, "inner": {"client_secret": "77777777777777777777"}, "text": "kept"}
    logged = json.loads(_logged_json_body(emulator, http, json.dumps(body)))
    assert logged == {"a": 1, "inner": {"client_secret": "[redacted]"}, "text": "kept"}
