"""The emulator's request log, and its answers to what Slack documents (the reviews of
2026-12-06 10:25 UTC; each test failed before its fix)."""

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
from ocp_users_photo.emulator.redaction import redact_json
from ocp_users_photo.emulator.server import start_emulator_in_thread
from tests.test_emulator_review37 import TOKEN, logged_json_bytes


@pytest.fixture(scope="module", name="emulator")
def emulator_fixture() -> Iterator[RunningEmulator]:
    with start_emulator_in_thread(EmulatorConfig(rate_limit_per_minute=None)) as running:
        yield running


@pytest.fixture(name="http")
def http_fixture(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.root_url, timeout=30) as client:
        yield client


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_a_credential_in_a_utf16_or_32_json_body_is_redacted(
    emulator: RunningEmulator, http: httpx.Client, encoding: str
) -> None:
    # The emulator reads such a body (json.loads does), and logged it: a nested credential
    # was looked for in it read as UTF-8, and so never found.
    body = {"inner": {"client_secret": "77777777777777777777"}, "text": "kept"}
    emulator.requests.clear()
    http.post(
        "/api/users.profile.get",
        content=json.dumps(body).encode(encoding),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    listed = http.get("/_emulator/requests", params={"include_body": "1"}).json()
    [entry] = listed["requests"]
    logged = base64.b64decode(entry["body_base64"])
    assert json.loads(logged) == {"inner": {"client_secret": "[redacted]"}, "text": "kept"}


def test_escaped_quotes_after_a_member_do_not_hide_it() -> None:
    # Each string is read whole, escapes and all: a name is never taken from inside one.
    body = b'{"text": "say \\"token\\": \\"x\\"", "token": "77777777777777777777"} junk'
    redacted = redact_json(body).decode()
    assert '"text": "say \\"token\\": \\"x\\""' in redacted
    assert '"token": "[redacted]"' in redacted
    assert "7777777777" not in redacted


def test_a_run_of_escaped_quotes_comes_back_as_it_was() -> None:
    body = b'"\\' * 5000
    assert redact_json(body) == body


@pytest.mark.parametrize(
    ("content_type", "error"),
    [
        ("application/xml", "invalid_post_type"),
        ("application/json; charset=utf-16", "invalid_charset"),
        ("application/x-www-form-urlencoded; charset=utf-16", "invalid_charset"),
    ],
)
def test_a_post_with_no_payload_has_its_content_type_checked(
    emulator: RunningEmulator, content_type: str, error: str
) -> None:
    # Slack names no payload for invalid_post_type or invalid_charset; a body-less POST
    # skipped both here (users.deletePhoto deleted the photo), unlike one with a body.
    client = WebClient(token=TOKEN, base_url=emulator.base_url + "/")
    with pytest.raises(SlackApiError) as refused:
        client.api_call("users.deletePhoto", headers={"Content-Type": content_type})
    assert refused.value.response["error"] == error


def test_a_post_with_no_payload_and_no_content_type_is_taken(emulator: RunningEmulator) -> None:
    # missing_post_type is for a POST "that included a data payload".
    answer = httpx.post(
        f"{emulator.base_url}/auth.test", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.json()["ok"] is True


def test_an_animated_png_of_many_frames_is_taken_as_its_first(emulator: RunningEmulator) -> None:
    # Slack documents too_many_frames for an animated GIF; the emulator refused an APNG.
    frames = [Image.new("RGB", (520, 520), (shade % 250, 40, 90)) for shade in range(101)]
    animated = io.BytesIO()
    frames[0].save(animated, format="PNG", save_all=True, append_images=frames[1:])
    client = WebClient(token=TOKEN, base_url=emulator.base_url + "/")
    assert client.users_setPhoto(image=io.BytesIO(animated.getvalue()))["ok"] is True


def test_a_utf8_body_with_a_nul_at_its_start_is_still_redacted() -> None:
    # A NUL among its first bytes makes JSON's encoding guess UTF-16: read only so, its
    # credential was logged as sent (the fix's review).
    body = b'{\x00"token":"77777777777777777777"}'
    redacted = redact_json(body)
    assert b"7777777777" not in redacted
    assert redacted == b'{\x00"token":"[redacted]"}'


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("after", [b"\x00", b"\xff\xdf", b"\x00\xd8"], ids=["odd", "lone", "cut"])
def test_a_utf16_or_32_body_that_does_not_decode_whole_is_redacted(
    emulator: RunningEmulator, http: httpx.Client, encoding: str, after: bytes
) -> None:
    # A stray byte or a lone surrogate after it (the review of 14:30): the reading in its
    # own encoding failed and was skipped, and the UTF-8 one never finds a name spelt with
    # NULs between its letters, so the credential was logged as sent.
    secret = "77777777777777777777"
    body = json.dumps({"inner": {"client_secret": secret}}).encode(encoding) + after
    logged = logged_json_bytes(emulator, http, body)
    assert secret.encode(encoding) not in logged, logged
    assert "[redacted]".encode(encoding) in logged
    assert secret.encode(encoding) not in redact_json(body)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("before", [b" ", "\u4e00"], ids=["stray-byte", "wide-letter"])
def test_a_wide_body_a_json_reader_guesses_otherwise_is_redacted(
    encoding: str, before: bytes | str
) -> None:
    # A stray byte before it, or a letter outside ASCII first: JSON's guess (mostly UTF-8)
    # missed it, and its credential was logged as sent (the review of the day's changes).
    secret = "s3cr3t-value-here"
    written = json.dumps({"token": secret}).encode(encoding)
    body = before + written if isinstance(before, bytes) else before.encode(encoding) + written
    redacted = redact_json(body)
    assert secret.encode(encoding) not in redacted, redacted
    assert "[redacted]".encode(encoding) in redacted


def test_a_body_with_a_nul_and_nothing_secret_is_logged_as_it_came() -> None:
    body = b'{"note":"a\\u0000b","count":1}\x00 \xff'
    assert redact_json(body) == body
