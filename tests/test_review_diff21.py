"""Review of today's changes (c289de5..2a08d8c): each test here failed before its fix."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import RateLimited, UsersPhotoError
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.emulator.faults import Fault
from ocp_users_photo.tokens import ActingPerson
from tests.conftest import inject
from tests.installation_helpers import (
    CLIENT_SECRET,
    LIFETIME,
    TEAM_ID,
    Clock,
    emulator_source,
    install,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store,
)

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")


@pytest.fixture
def store(tmp_path: Path) -> SQLite3InstallationStore:
    return sqlite_store(tmp_path / "installations.db")


def rendered_with_locals(error: BaseException) -> str:
    """The traceback as an error reporter that captures locals renders it."""
    return "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())


async def _refresh_answered_with_an_echo(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """Install Alice; her next refresh is answered 429 with "tokens" that echo the spent
    refresh token and the client secret (out of the test's frame, whose locals show too)."""
    installation = await install(emulator, store, ALICE.user_id)
    echo = {
        "ok": False,
        "error": "ratelimited",
        "access_token": CLIENT_SECRET,
        "refresh_token": installation.user_refresh_token,
    }
    fault = Fault.json(echo, status_code=429, headers={"Retry-After": "600"})
    inject(emulator, fault, method="oauth.v2.access")


async def test_a_rate_limited_refresh_echoing_secrets_keeps_them_out_of_its_frames_locals(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    # client.py noted the issued fields of every answer before redacting it, in a plain
    # dict in _call's frame: a 429 (or a refusal) whose "tokens" echo the spent refresh
    # token and the client secret left both as text in the locals of the RateLimited the
    # caller gets (Sentry's default captures them; README: "Nor is it in the locals...").
    await _refresh_answered_with_an_echo(emulator, store)
    source = emulator_source(emulator, store, clock=Clock(offset=LIFETIME + 60))
    async with source:
        with pytest.raises(UsersPhotoError) as raised:
            await source.token_for(ALICE)
    assert isinstance(raised.value, RateLimited)
    rendered = rendered_with_locals(raised.value)  # before this frame holds the secrets
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    assert saved.user_refresh_token
    assert CLIENT_SECRET not in rendered
    assert saved.user_refresh_token not in rendered
