"""Review of the per-person token path (session 21)."""

from __future__ import annotations

import base64

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.emulator.faults import Fault
from ocp_users_photo.installations import TokenRefreshFailed
from ocp_users_photo.tokens import ActingPerson
from tests.conftest import inject
from tests.installation_helpers import (
    LIFETIME,
    TEAM_ID,
    Clock,
    auth_test_names,
    emulator_source,
    install,
    portrait,
    refreshes,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
)

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")


def slack_shaped(prefix: str, *numbers: str, secret: str) -> str:
    """A rotating token as Slack issues them: its prefix, then base64 of "<kind>-<version>-"
    and the workspace's and person's numbers, then a random hex secret."""
    inner = "-".join((*numbers, secret))
    return prefix + base64.b64encode(inner.encode()).decode().rstrip("=")


# The same workspace and person: Slack's tokens for them share these numbers, base64-encoded.
WORKSPACE, PERSON = "4014835228961", "4432819356438"
OLD_REFRESH = slack_shaped(
    "xoxe-1-", "3", "1", WORKSPACE, PERSON, "4463119614672", secret="ac68eb" + "f4" * 29
)
NEW_REFRESH = slack_shaped(
    "xoxe-1-", "3", "1", WORKSPACE, PERSON, "5512345678901", secret="0123456789abcdef" * 4
)
NEW_ACCESS = slack_shaped(
    "xoxe.xoxp-1-",
    "2",
    "2",
    WORKSPACE,
    "4002103693155",
    PERSON,
    "5512345678999",
    secret="fedcba9876543210" * 4,
)


def refresh_answer(**changes: object) -> dict[str, object]:
    """oauth.v2.access's answer to a refresh, Slack-shaped new tokens in it, with ``changes``."""
    return {
        "ok": True,
        "app_id": "A0EMULATOR",
        "token_type": "user",
        "access_token": NEW_ACCESS,
        "refresh_token": NEW_REFRESH,
        "expires_in": 43200,
        "scope": "users.profile:read,users.profile:write",
        "team": {"id": TEAM_ID},
        **changes,
    }


async def test_tokens_slack_issues_for_the_same_person_are_saved_whole_not_redacted(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    # Slack's new tokens share the workspace's and person's numbers with the refresh token
    # they replace: a run of it is in each, and must not be cut out of what is saved.
    installation = await install(emulator, store, ALICE.user_id)
    installation.user_refresh_token = OLD_REFRESH
    store.save(installation)
    assert OLD_REFRESH[7:19] in NEW_REFRESH
    assert OLD_REFRESH[11:23] in NEW_ACCESS
    source = emulator_source(emulator, store, clock=Clock(offset=LIFETIME + 60))
    async with source:
        inject(emulator, Fault.json(refresh_answer()), method="oauth.v2.access")
        auth_test_names(emulator, ALICE.user_id)  # the new token is none the emulator issued
        token = await source.token_for(ALICE)
    assert token.reveal() == NEW_ACCESS
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    assert (saved.user_token, saved.user_refresh_token) == (NEW_ACCESS, NEW_REFRESH)


async def _refreshed_with(
    emulator: RunningEmulator, store: SQLite3InstallationStore, refresh_token: str
) -> str | TokenRefreshFailed:
    """A person whose stored refresh token is Slack-shaped (OLD_REFRESH), past their token's
    end, refreshed with an answer whose refresh token is ``refresh_token``: the access token
    given, or the refusal."""
    installation = await install(emulator, store, ALICE.user_id)
    installation.user_refresh_token = OLD_REFRESH
    store.save(installation)
    source = emulator_source(emulator, store, clock=Clock(offset=LIFETIME + 60))
    async with source:
        reply = refresh_answer(refresh_token=refresh_token)
        inject(emulator, Fault.json(reply), method="oauth.v2.access")
        auth_test_names(emulator, ALICE.user_id)  # the new token is none the emulator issued
        try:
            return (await source.token_for(ALICE)).reveal()
        except TokenRefreshFailed as refused:
            return refused


def _saved_tokens(store: SQLite3InstallationStore) -> tuple[str | None, str | None]:
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    return saved.user_token, saved.user_refresh_token


async def test_a_refresh_answer_that_echoes_the_whole_refresh_token_as_the_new_one_is_redacted(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    # Taken as sent only where a field shares a part with the spent token, never its whole:
    # an echo of it (or of the client secret) is no token Slack issued. It stays redacted,
    # and the answer is refused (review diff 21): "x[redacted]" is no token to save either.
    refreshed = await _refreshed_with(emulator, store, f"x{OLD_REFRESH}")
    assert isinstance(refreshed, TokenRefreshFailed)
    _, refresh_token = _saved_tokens(store)
    assert f"x{OLD_REFRESH}" not in (refresh_token or "")
    assert "[redacted]" not in (refresh_token or "")


async def test_a_refresh_token_handed_back_unchanged_is_kept_with_the_new_access_token(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    # OAuth lets the server keep the refresh token (RFC 6749, section 6: it "MAY issue a new
    # refresh token"). Handed back as sent, it is no echo to redact: it was refused as "it
    # echoes a credential the refresh sent", and every refresh failed.
    assert await _refreshed_with(emulator, store, OLD_REFRESH) == NEW_ACCESS
    assert _saved_tokens(store) == (NEW_ACCESS, OLD_REFRESH)


@pytest.mark.parametrize(
    "expires_in",
    [
        pytest.param(-(10**400), id="negative-int-past-float"),
        pytest.param("\u00b2", id="superscript-digit"),
    ],
)
async def test_a_lifetime_no_float_holds_still_keeps_the_new_tokens(
    emulator: RunningEmulator, store: SQLite3InstallationStore, expires_in: object
) -> None:
    # _lifetime promises an unreadable expires_in is 0, never a reason to drop the new tokens
    # (Slack spent the old refresh token when it answered); these raised instead, and the
    # call met an OverflowError or ValueError.
    await install(emulator, store, ALICE.user_id)
    source = emulator_source(emulator, store, clock=Clock(offset=LIFETIME + 60))
    reply = refresh_answer(
        access_token="xoxe.xoxp-1-renewed0000000000000000",
        refresh_token="xoxe-1-renewedrefresh00000000000000",
        expires_in=expires_in,
    )
    async with source:
        inject(emulator, Fault.json(reply), method="oauth.v2.access")
        auth_test_names(emulator, ALICE.user_id)  # the new token is none the emulator issued
        token = await source.token_for(ALICE)
    assert token.reveal() == reply["access_token"]
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    assert saved.user_refresh_token == reply["refresh_token"]


def test_a_lifetime_in_another_scripts_decimal_digits_is_still_read() -> None:
    from ocp_users_photo.installations.refresh_grant import _lifetime

    assert _lifetime("\u0664\u0663\u0662\u0660\u0660") == 43200
    assert _lifetime(-(10**400)) == 0


@pytest.mark.parametrize(
    ("seconds_left", "answered"),
    [(200, "ok"), (10, "ratelimited")],
    ids=["ahead of its end: the call goes on", "at its end: the rate limit is told"],
)
async def test_a_rate_limited_refresh_fails_the_call_only_when_the_token_is_at_its_end(
    emulator: RunningEmulator, store: SQLite3InstallationStore, seconds_left: int, answered: str
) -> None:
    """Within the refresh margin, a refresh Slack rate-limits (for longer than the call can
    wait) must not fail a call the token can still make, as a refusal or no answer does not
    (README: Rotation); under 30 s left, the rate limit is what the caller is told."""
    await install(emulator, store, ALICE.user_id)
    source = emulator_source(emulator, store, clock=Clock(offset=LIFETIME - seconds_left))
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        inject(emulator, Fault.rate_limited(600), method="oauth.v2.access")
        result = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
            {"image": portrait()}
        )
    if answered == "ok":
        assert result.get("ok") is True, result
    else:
        assert result["error"] == "ratelimited", result
    assert refreshes(emulator) == 1
