"""The emulator's request log, and its answers to what Slack documents (the reviews of
2026-12-06 10:25 UTC; each test failed before its fix)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.emulator.redaction import redact_json
from ocp_users_photo.emulator.server import start_emulator_in_thread
from tests.test_emulator_review37 import TOKEN


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
