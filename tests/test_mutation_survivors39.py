"""Behaviour the tests of 2026-12-06's fixes did not hold (mutation survivors found on
2026-12-06 14:30 UTC): each test fails with the mutation named in it."""

from __future__ import annotations

import io
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.emulator.redaction import redact_json
from ocp_users_photo.emulator.server import start_emulator_in_thread
from ocp_users_photo.installations.sqlite_absence import confirm_no_bot
from ocp_users_photo.undo.shown_whole import shown_whole
from tests.test_emulator_review37 import TOKEN


@pytest.fixture(scope="module", name="emulator")
def emulator_fixture() -> Iterator[RunningEmulator]:
    with start_emulator_in_thread(EmulatorConfig(rate_limit_per_minute=None)) as running:
        yield running


# The emulator's request log -------------------------------------------------------------


def test_a_utf8_body_that_also_reads_as_utf16_is_redacted_as_utf8_too() -> None:
    # A NUL among its first bytes, an even length: it decodes whole as UTF-16 (garbage),
    # and must still be searched as UTF-8 (mutation: return after the UTF-16 reading).
    body = b'{\x00"note":1,"token":"s3cr3t-value-here-00000"} '
    assert len(body) % 2 == 0
    body.decode("utf-16-le")  # whole
    redacted = redact_json(body)
    assert b"s3cr3t" not in redacted, redacted
    assert b'"token":"[redacted]"' in redacted


def test_a_nested_credential_beside_a_top_level_one_is_redacted() -> None:
    # Mutation: the top-level fields replaced, the rewritten body not searched again.
    body = b'{"token":"s3cr3t-a","extra":{"client_secret":"s3cr3t-b"}}'
    redacted = redact_json(body)
    assert b"s3cr3t" not in redacted, redacted


def test_a_token_shaped_value_in_any_field_is_masked() -> None:
    # Mutation: the token shapes not masked after the members' values.
    token = b"xoxp-1111111111-2222222222-3333333333-" + b"a" * 32
    redacted = redact_json(b'{"text":"' + token + b'"}')
    assert token not in redacted, redacted


def test_a_body_less_post_naming_json_is_read_as_no_arguments(
    emulator: RunningEmulator,
) -> None:
    # Slack takes a POST with no payload whatever it names (mutation: the empty body read
    # as JSON, answered invalid_json).
    with httpx.Client(base_url=emulator.root_url, timeout=30) as http:
        answer = http.post(
            "/api/auth.test",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        )
    assert answer.json()["ok"] is True, answer.json()


# Undo's likeness ------------------------------------------------------------------------


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_a_fading_logo_zoomed_into_is_not_alike() -> None:
    # Opaque at the top, nearly clear at the bottom: what its transparency hides counts for
    # nothing only where it is laid on one grey (mutation: the alpha dropped instead).
    logo = Image.new("RGBA", (600, 600))
    for y in range(600):
        logo.paste((200, 30, 30, 255 - y * 240 // 600), (0, y, 600, y + 1))
    zoomed = logo.crop((150, 0, 450, 300)).resize((1024, 1024))
    assert shown_whole(_png(logo), _png(logo.resize((1024, 1024))))
    assert not shown_whole(_png(logo), _png(zoomed))


# The installation store's file, read beside slack_sdk ----------------------------------


def _org_wide(team_id: str | None) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id="E1",
        team_id=team_id,
        is_enterprise_install=True,
        user_id="U1",
        user_token="xoxp-1-" + "u" * 30,
        bot_token="xoxb-1-" + "b" * 30,
        bot_id="B1",
        bot_user_id="UB",
    )


def test_an_org_wide_bot_is_looked_for_as_find_bot_looks(tmp_path: Path) -> None:
    # slack_sdk finds an org-wide install's bot under no workspace: saved with a team_id,
    # find_bot with that team_id answers None, and the file read must agree (mutation: the
    # team_id looked for), or every save of it would fail as a read that could not be made.
    store = SQLite3InstallationStore(database=str(tmp_path / "store.db"), client_id="C1")
    store.save(_org_wide("T1"))
    assert store.find_bot(enterprise_id="E1", team_id="T1", is_enterprise_install=True) is None
    confirm_no_bot(store, enterprise_id="E1", team_id="T1", is_enterprise_install=True)


def test_the_file_read_makes_no_file_where_the_store_has_gone(tmp_path: Path) -> None:
    # Read-only (mutation: opened read-write, which makes an empty file in its place).
    where = tmp_path / "store.db"
    store = SQLite3InstallationStore(database=str(where), client_id="C1")
    store.save(_org_wide(None))
    os.remove(where)
    with pytest.raises(sqlite3.OperationalError):
        confirm_no_bot(store, enterprise_id="E1", team_id=None, is_enterprise_install=True)
    assert not where.exists()
