"""Review of today's changes (c289de5..2a08d8c): each test here failed before its fix."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import RateLimited, TransportError, UsersPhotoError
from ocp_users_photo.cli import next_step_for
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.emulator.faults import Fault
from ocp_users_photo.installations import TokenRefreshFailed
from ocp_users_photo.slack.replies import HttpReply, decode_reply
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
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
)
from tests.test_debug_secrets import rendered_with_locals

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")


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


async def _refresh_answered_ok_with(
    emulator: RunningEmulator, store: SQLite3InstallationStore, field: str, echoed: str
) -> None:
    """Install Alice; her next refresh is answered ok, ``field`` holding a credential the
    refresh sends ("refresh" for the spent refresh token, "secret" for the client secret),
    the other field a good new token."""
    installation = await install(emulator, store, ALICE.user_id)
    credential = installation.user_refresh_token if echoed == "refresh" else CLIENT_SECRET
    assert credential
    answer: dict[str, object] = {
        "ok": True,
        "app_id": "A0EMULATOR",
        "token_type": "user",
        "access_token": "xoxe.xoxp-1-renewedaccess0000000000000000",
        "refresh_token": "xoxe-1-renewedrefresh000000000000000000",
        "expires_in": 43200,
        "team": {"id": TEAM_ID},
    }
    answer[field] = credential if field == "refresh_token" else f"xoxe.xoxp-1-{credential}"
    inject(emulator, Fault.json(answer), method="oauth.v2.access")


@pytest.mark.parametrize(
    ("field", "echoed"),
    [
        ("refresh_token", "secret"),
        ("access_token", "refresh"),
        ("access_token", "secret"),
    ],
)
async def test_a_refresh_answer_echoing_a_sent_credential_is_refused_not_saved_redacted(
    emulator: RunningEmulator, store: SQLite3InstallationStore, field: str, echoed: str
) -> None:
    # A new token that holds a whole credential the refresh sent stays redacted (793e109):
    # "[redacted]" or "xoxe.xoxp-1-[redacted]" was then saved as the person's token, no
    # token at all, over the refresh token the store held; the next call sent it as the
    # Bearer or the next refresh as the refresh token, each refused with a misleading code.
    await _refresh_answered_ok_with(emulator, store, field, echoed)
    before = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert before is not None
    source = emulator_source(emulator, store, clock=Clock(offset=LIFETIME + 60))
    async with source:
        with pytest.raises(TokenRefreshFailed) as refused:
            await source.token_for(ALICE)
    assert "it echoes a credential the refresh sent" in str(refused.value)
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    assert (saved.user_token, saved.user_refresh_token) == (
        before.user_token,
        before.user_refresh_token,
    )


@pytest.mark.parametrize("status", [300, 304, 305, 399])
def test_a_reads_3xx_outside_the_five_redirects_points_at_the_address_not_at_waiting(
    status: int,
) -> None:
    # f0d2acc: any 3xx is never Slack's answer but what the base URL points at. The CLI's
    # next step still knew only 301/302/303/307/308: whoami answered 300 (Slack-shaped
    # JSON, taken as invalid_auth before) was told "try again in a few minutes", which
    # will not move the address back, beside an error that says to check SLACK_API_URL.
    reply = HttpReply(
        status_code=status,
        headers=httpx.Headers({"content-type": "application/json"}),
        body=b'{"ok": false, "error": "invalid_auth"}',
        attempts=1,
    )
    with pytest.raises(TransportError) as raised:
        decode_reply(reply, method="auth.test", redact=lambda value: value)
    assert "SLACK_API_URL" in str(raised.value)
    advice = next_step_for(raised.value, command="whoami") or ""
    assert "SLACK_API_URL" in advice, advice
    assert "try again in a few minutes" not in advice, advice
