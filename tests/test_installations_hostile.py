"""The per-person token path against a hostile or broken server, store or host: secrets
echoed in part, installations and refresh answers that are someone else's, refreshes
that fail half-way (a save, an odd lifetime, Ctrl-C), tokens no request can carry."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersPhotoError, UsersSetPhoto, register
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.emulator.faults import Fault
from ocp_users_photo.installations import (
    ForeignInstallation,
    InstallationTokenSource,
    SingleProcessRefreshLock,
    TokenRefreshFailed,
)
from ocp_users_photo.tokens import ActingPerson
from tests.conftest import inject, success_reply
from tests.installation_helpers import (
    CLIENT_ID,
    LIFETIME,
    TEAM_ID,
    Clock,
    install,
    owner_of,
    photo_tokens,
    portrait,
    refreshes,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store,
)
from tests.test_secrets import texts_of_error

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")
BOB = ActingPerson(team_id=TEAM_ID, user_id="UBOB000002")
# A client secret as Slack issues them: 32 hex digits.
HEX_SECRET = "0123456789abcdef0fedcba987654321"


@pytest.fixture
def store(tmp_path: Path) -> SQLite3InstallationStore:
    return sqlite_store(tmp_path / "i.db")


def source_for(
    emulator: RunningEmulator, store: Any, clock: Callable[[], float] = time.time, **options: Any
) -> InstallationTokenSource:
    settings: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": "installations-test-client-secret",
        "base_url": emulator.base_url,
        "install_url": "https://photos.example.com/install",
        "clock": clock,
        "environ": {},
        **options,
    }
    return InstallationTokenSource(store, **settings)


async def alice_filed_with_bobs_token(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> Installation:
    """Alice and Bob installed, then a row filed as Alice's holding Bob's token (a store
    written wrong); Alice's own installation, to file again."""
    alice = await install(emulator, store, ALICE.user_id)
    bob = await install(emulator, store, BOB.user_id)
    mixed = Installation(**alice.to_dict_for_copying())
    mixed.bot_scopes = []
    mixed.user_token = bob.user_token
    store.save(mixed)
    return alice


def holds_part(text: str, secret: str, run: int = 12) -> bool:
    return any(secret[i : i + run] in text for i in range(len(secret) - run + 1))


# --- 1. Secrets: a part of the refresh token, or of the client secret, echoed by the server.

REFRESH_BODY = "My0xLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MDEyMy0xMjM0NTY3ODkwMTIzNC1hYmNkZWY"


async def _stored_with_refresh_token(emulator: RunningEmulator, store: Any) -> str:
    installation = await install(emulator, store, ALICE.user_id)
    installation.user_refresh_token = "xoxe-1-" + REFRESH_BODY
    store.save(installation)
    return installation.user_refresh_token


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Fault.json({"ok": False, "error": REFRESH_BODY[:64]}), id="error-code"),
        pytest.param(Fault.status(200, body=f"<html>{REFRESH_BODY}</html>"), id="not-json"),
    ],
)
async def test_part_of_the_refresh_token_echoed_by_oauth_stays_out_of_errors_and_results(
    emulator: RunningEmulator, store: SQLite3InstallationStore, reply: Fault
) -> None:
    await _stored_with_refresh_token(emulator, store)
    clock = Clock(offset=LIFETIME + 60)  # expired: the call refreshes first
    source = source_for(emulator, store, clock)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        texts: list[str] = []
        inject(emulator, reply, method="oauth.v2.access")
        with pytest.raises(UsersPhotoError) as failed:
            await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
        texts.extend(texts_of_error(failed.value))
        inject(emulator, reply, method="oauth.v2.access")
        result = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
            {"image": portrait()}
        )
        texts.append(json.dumps(result))
    leaked = [text for text in texts if holds_part(text, REFRESH_BODY)]
    assert leaked == [], leaked[0][:300]


async def test_part_of_the_client_secret_echoed_as_an_error_code_stays_out_of_the_result(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    await install(emulator, store, ALICE.user_id)
    clock = Clock(offset=LIFETIME + 60)
    source = source_for(emulator, store, clock, client_secret=HEX_SECRET)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        inject(
            emulator, Fault.json({"ok": False, "error": HEX_SECRET[1:]}), method="oauth.v2.access"
        )
        result = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
            {"image": portrait()}
        )
    assert not holds_part(json.dumps(result), HEX_SECRET), result


# --- 2. Identity: an installation or a refresh answer that is another person's.


class OtherTeamStore(InstallationStore):
    """A store keyed by user id only (a custom one): it answers with the person's
    installation in another workspace."""

    def __init__(self, inner: SQLite3InstallationStore) -> None:
        self.inner = inner

    def save(self, installation: Installation) -> None:
        self.inner.save(installation)

    def find_installation(self, *, user_id: str | None = None, **_: Any) -> Installation | None:
        found = self.inner.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=user_id)
        return found


async def test_an_installation_of_another_workspace_is_foreign(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    await install(emulator, store, ALICE.user_id)
    source = source_for(emulator, OtherTeamStore(store), refresh_lock=SingleProcessRefreshLock())
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        # The host acts for UALICE0001 of workspace T0OTHER (or of enterprise E0OTHER).
        for person in (
            {"team_id": "T0OTHER01", "user_id": ALICE.user_id},
            {"team_id": TEAM_ID, "user_id": ALICE.user_id, "enterprise_id": "E0OTHER01"},
        ):
            with pytest.raises(ForeignInstallation):
                await tool.acting_as(**person).call({"image": portrait()})
    assert photo_tokens(emulator) == []


async def test_a_refresh_answered_with_another_persons_token_is_not_saved_as_theirs(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    await install(emulator, store, ALICE.user_id)
    bob = await install(emulator, store, BOB.user_id)
    # 10 s left: the refresh must succeed, or the call fails (with more, it goes on).
    clock = Clock(offset=LIFETIME - 10)  # too close to its end to be used
    source = source_for(emulator, store, clock)
    # oauth.v2.access answers Alice's refresh with Bob's tokens (a mixed-up cache or proxy,
    # a server bug): the reply says whose they are.
    reply = {
        "ok": True,
        "app_id": "A0EMULATOR1",
        "token_type": "user",
        "user_id": BOB.user_id,
        "authed_user": {"id": BOB.user_id},
        "access_token": bob.user_token,
        "refresh_token": bob.user_refresh_token,
        "expires_in": LIFETIME,
        "scope": "users.profile:read,users.profile:write",
        "team": {"id": "T0OTHER01", "name": "Other"},
    }
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        inject(emulator, Fault.json(reply), method="oauth.v2.access")
        with pytest.raises(UsersPhotoError):
            await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    assert [owner_of(emulator, token) for token in photo_tokens(emulator)] == []


async def test_another_persons_genuine_refresh_answer_naming_no_user_is_not_saved_as_theirs(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """Slack's refresh answer (the emulator's, as Slack's) names no user: Bob's own answer,
    handed to Alice's refresh, passed every check of the answer and was saved as Alice's,
    so every call acting for Alice set Bob's photo (the review of 2026-12-05). auth.test
    with the new token now says whose it is."""
    alice = await install(emulator, store, ALICE.user_id)
    bob = await install(emulator, store, BOB.user_id)
    emulator.state.advance_clock(LIFETIME + 10)
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{emulator.base_url}/oauth.v2.access",
            auth=(CLIENT_ID, "installations-test-client-secret"),
            data={"grant_type": "refresh_token", "refresh_token": bob.user_refresh_token},
        )
    bobs = answer.json()
    assert bobs["ok"] is True
    assert "user_id" not in bobs
    assert "authed_user" not in bobs
    source = source_for(emulator, store, Clock(offset=LIFETIME + 10))
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        inject(emulator, Fault.json(bobs), method="oauth.v2.access")
        with pytest.raises(TokenRefreshFailed, match="it is for another user") as refused:
            await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    # Neither person's tokens, old or new, in anything the refusal could show.
    secrets = [
        alice.user_token,
        alice.user_refresh_token,
        bobs["access_token"],
        bobs["refresh_token"],
    ]
    shown_texts = "\n".join(texts_of_error(refused.value))
    assert not [secret for secret in secrets if secret and secret in shown_texts]
    assert photo_tokens(emulator) == []
    kept = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert kept is not None
    assert kept.user_refresh_token == alice.user_refresh_token


@pytest.mark.parametrize(
    ("auth_test_faults"),
    [[Fault.status(503, body="down")] * 3, [Fault.slack_error("token_expired")]],
    ids=["unanswered", "refused"],
)
async def test_a_refreshed_token_whose_owner_is_unconfirmed_is_not_used(
    emulator: RunningEmulator, store: SQLite3InstallationStore, auth_test_faults: list[Fault]
) -> None:
    """Bob's refresh is answered with Alice's tokens (a mixed-up cache or proxy), and the
    auth.test that says whose they are gets no answer, or a refusal. The tokens were kept
    as Bob's and used: the call for Bob set Alice's photo, and every later call for Bob
    did too (the review of 2026-12-05, second sitting). Now the call fails, sending
    nothing; the new tokens are saved (Slack spent Bob's refresh token) but due at once,
    so the next call refreshes them again and asks whose they are before any use."""
    alice = await install(emulator, store, ALICE.user_id)
    bob = await install(emulator, store, BOB.user_id)
    alices_refresh = {
        "ok": True,
        "app_id": "A0EMULATOR1",
        "token_type": "user",
        "access_token": alice.user_token,
        "refresh_token": alice.user_refresh_token,
        "expires_in": LIFETIME,
        "scope": "users.profile:read,users.profile:write",
        "team": {"id": TEAM_ID},
    }
    clock = Clock(offset=LIFETIME + 10)  # Bob's token has run out: it must be refreshed
    source = source_for(emulator, store, clock)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        inject(emulator, Fault.json(alices_refresh), method="oauth.v2.access")
        inject(emulator, *auth_test_faults, method="auth.test")  # each attempt's answer
        with pytest.raises(TokenRefreshFailed, match="did not confirm whose") as refused:
            await tool.acting_as(team_id=TEAM_ID, user_id=BOB.user_id).call({"image": portrait()})
        assert photo_tokens(emulator) == [], "a photo was sent with a token of unknown owner"
        assert refused.value.no_answer, "said as a failure that may pass: try again"
        assert "try again" in str(refused.value)
        shown_texts = "\n".join(texts_of_error(refused.value))
        secrets = [alice.user_token, alice.user_refresh_token, bob.user_refresh_token]
        assert not [secret for secret in secrets if secret and secret in shown_texts]
        # Saved, as Slack spent Bob's refresh token, but due now: never used as it is.
        kept = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=BOB.user_id)
        assert kept is not None
        assert kept.user_token == alice.user_token
        assert kept.user_token_expires_at is not None
        assert kept.user_token_expires_at <= clock()
        # The next call refreshes it again (the emulator answers with Alice's tokens once
        # more, as the mixed-up proxy would), and auth.test, answering now, says whose.
        inject(emulator, Fault.json(alices_refresh), method="oauth.v2.access")
        with pytest.raises(TokenRefreshFailed, match="it is for another user"):
            await tool.acting_as(team_id=TEAM_ID, user_id=BOB.user_id).call({"image": portrait()})
    assert photo_tokens(emulator) == []


async def test_a_registered_bearer_header_does_not_override_the_bound_person(
    emulator: RunningEmulator, store: SQLite3InstallationStore, ocp_agent_library: Any
) -> None:
    await install(emulator, store, ALICE.user_id)
    developer = await install(emulator, store, BOB.user_id)  # the developer's own user token
    source = source_for(emulator, store)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        agent = ocp_agent_library.OCPAgent(enable_cache=False)
        # The agent serves Alice; the Slack API's headers were registered for other Slack tools.
        register(agent, tool=tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id))
        await agent.register_api(
            "slack", headers={"Authorization": f"Bearer {developer.user_token}"}
        )
        await agent.call_tool("usersSetPhoto", {"image": portrait()})
    assert [owner_of(emulator, token) for token in photo_tokens(emulator)] == [ALICE.user_id]


# --- 3. Refreshes that fail half-way.


class SaveFails(InstallationStore):
    """slack_sdk's SQLite store whose first ``failures`` saves meet a busy database."""

    def __init__(self, inner: SQLite3InstallationStore, failures: int) -> None:
        self.inner = inner
        self.failures = failures

    def save(self, installation: Installation) -> None:
        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("database is locked")
        self.inner.save(installation)

    def find_installation(self, **query: Any) -> Installation | None:
        return self.inner.find_installation(**query)


async def test_a_refresh_whose_save_fails_once_is_saved_on_the_next_try(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    installed = await install(emulator, store, ALICE.user_id)
    clock = Clock(offset=LIFETIME - 100)
    flaky = SaveFails(store, failures=1)
    source = source_for(emulator, flaky, clock, refresh_lock=SingleProcessRefreshLock())
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        first = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
            {"image": portrait()}
        )
    assert first.get("ok") is True, first
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    # The refreshed installation, saved on the second try: new tokens, still Alice's.
    assert saved.user_refresh_token != installed.user_refresh_token
    assert saved.user_token != installed.user_token
    assert owner_of(emulator, saved.user_token or "") == ALICE.user_id
    assert refreshes(emulator) == 1


async def test_a_refresh_the_store_will_not_save_does_not_cost_the_person_their_installation(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    await install(emulator, store, ALICE.user_id)
    clock = Clock(offset=LIFETIME - 100)
    flaky = SaveFails(store, failures=3)  # every try of the refreshing call fails
    source = source_for(emulator, flaky, clock, refresh_lock=SingleProcessRefreshLock())
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        as_alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
        first = await as_alice.run({"image": portrait()})
        assert first["error"] == "installation_store_error"  # a transient failure, said so
        # The database is fine again: the next call saves what was kept, and works.
        second = await as_alice.run({"image": portrait()})
    assert second.get("ok") is True, second
    assert refreshes(emulator) == 1
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    assert owner_of(emulator, saved.user_token or "") == ALICE.user_id


async def test_a_refresh_of_a_copy_kept_unsaved_is_saved_not_dropped_for_the_stores_older_one(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """A refresh whose owner Slack did not confirm is kept due at once; its save failing
    too, it is kept unsaved, and the store still holds the installation it came from. The
    next call refreshed the copy, then took the store's older row (a token lasting longer
    than the copy's, due at once) for a new installation and dropped the refreshed one:
    the only live refresh token was lost, and the call after was told to install again."""
    await install(emulator, store, ALICE.user_id)
    clock = Clock(offset=LIFETIME - 100)  # due within the margin, not run out
    # The first call's 3 tries, then the next call's 3 before its refresh (a backup holding it).
    flaky = SaveFails(store, failures=6)
    source = source_for(emulator, flaky, clock, refresh_lock=SingleProcessRefreshLock())
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        as_alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
        inject(emulator, Fault.json({"ok": False, "error": "invalid_auth"}), method="auth.test")
        first = await as_alice.run({"image": portrait()})
        assert first["error"] == "installation_store_error", first
        second = await as_alice.run({"image": portrait()})
        assert second.get("ok") is True, second
        third = await as_alice.run({"image": portrait()})
    assert third.get("ok") is True, third
    assert refreshes(emulator) == 2  # the unconfirmed one, and the next call's: kept since
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    assert owner_of(emulator, saved.user_token or "") == ALICE.user_id


def refresh_answer(**changes: object) -> dict[str, object]:
    """oauth.v2.access's answer to a refresh, new tokens in it, with ``changes``."""
    return {
        "ok": True,
        "token_type": "user",
        "access_token": "xoxe.xoxp-1-renewed0000000000000000",
        "refresh_token": "xoxe-1-renewedrefresh00000000000000",
        "expires_in": 43200,
        "scope": "users.profile:read,users.profile:write",
        **changes,
    }


@pytest.mark.parametrize("expires_in", ["43200", 43200.0, 0])
async def test_a_refresh_answer_with_new_tokens_but_an_odd_lifetime_keeps_the_new_tokens(
    emulator: RunningEmulator, store: SQLite3InstallationStore, expires_in: object
) -> None:
    await install(emulator, store, ALICE.user_id)
    clock = Clock(offset=LIFETIME - 100)
    source = source_for(emulator, store, clock)
    reply = refresh_answer(expires_in=expires_in)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        inject(emulator, Fault.json(reply), method="oauth.v2.access")
        await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run({"image": portrait()})
    # Slack spent the old refresh token when it answered: the new one must not be thrown away.
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    assert saved.user_refresh_token == reply["refresh_token"]


async def test_a_refreshed_token_holding_a_line_break_is_refused_not_saved_and_sent(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    first = await install(emulator, store, ALICE.user_id)
    # 10 s left: the refresh must succeed, or the call fails (with more, it goes on).
    clock = Clock(offset=LIFETIME - 10)  # too close to its end to be used
    source = source_for(emulator, store, clock)
    reply = refresh_answer(access_token="xoxe.xoxp-1-abcdefghijklmnopqrstuv\r\nX-Evil: 1")
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        inject(emulator, Fault.json(reply), method="oauth.v2.access")
        # run() is the model's door: it answers with an error object, it does not raise.
        result = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
            {"image": portrait()}
        )
    assert result["ok"] is False
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    assert "\n" not in (saved.user_token or ""), "a token no header can carry was saved"
    assert saved.user_token == first.user_token


async def test_a_refreshed_token_too_long_for_any_door_is_said_so_not_as_odd_characters(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """A 4,102-character access token is refused as every door refuses it: the reason said
    it held spaces, control or non-ASCII characters, and it held none."""
    first = await install(emulator, store, ALICE.user_id)
    clock = Clock(offset=LIFETIME - 10)  # too close to its end to be used
    source = source_for(emulator, store, clock)
    reply = refresh_answer(access_token="xoxe.xoxp-1-" + "a" * 4090)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        inject(emulator, Fault.json(reply), method="oauth.v2.access")
        result = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
            {"image": portrait()}
        )
    assert result["ok"] is False
    assert "its access token is 4102 characters long, longer than any token" in result["message"]
    assert "spaces, control" not in result["message"]
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    assert saved.user_token == first.user_token


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ({"max_retries": -1}, "max_retries must be a whole number 0 or more, got -1"),
        ({"timeout": 0}, "timeout must be a number of seconds above 0, got 0"),
        ({"timeout": -1}, "timeout must be a number of seconds above 0, got -1"),
        ({"timeout": float("nan")}, "timeout must be a number of seconds above 0, got nan"),
        (
            {"refresh_margin": 10**400},
            "refresh_margin must be a number of seconds 0 or more, got a 1329",
        ),
        ({"refresh_margin": -1}, "refresh_margin must be a number of seconds 0 or more, got -1"),
        ({"max_retries": True}, "max_retries must be a whole number 0 or more, got True"),
    ],
    ids=[
        "max_retries=-1",
        "timeout=0",
        "timeout=-1",
        "timeout=nan",
        "refresh_margin=10**400",
        "refresh_margin=-1",
        "max_retries=True",
    ],
)
def test_a_source_setting_no_refresh_can_keep_is_refused_when_made(
    emulator: RunningEmulator, store: SQLite3InstallationStore, setting: dict[str, Any], said: str
) -> None:
    """As the tool refuses its own: taken, max_retries=-1 raised an AssertionError at the
    first refresh, a timeout of 0, -1 or NaN failed every refresh as "try again in a few
    minutes", and a refresh_margin of 10**400 raised OverflowError naming no setting."""
    with pytest.raises(ValueError, match=said):
        source_for(emulator, store, **setting)
    assert not emulator.requests.for_path("/api/oauth.v2.access")


def test_a_source_at_the_least_of_its_settings_is_made(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """No margin (refresh when the token is due) and no retries are a host's to choose:
    the refusals are of settings no refresh can keep, not of these."""
    assert source_for(emulator, store, refresh_margin=0, max_retries=0) is not None


@pytest.mark.parametrize(
    ("expires_in", "seconds"),
    [
        (43200, 43200),
        ("43200", 43200),
        (43200.7, 43200),
        (10**400, 7 * 24 * 3600),
        (float("inf"), 0),
        (float("nan"), 0),
        (-5, 0),
        ("12h", 0),
        (None, 0),
        (True, 0),
    ],
)
def test_any_lifetime_a_refresh_states_is_read_never_refused(
    expires_in: object, seconds: int
) -> None:
    # The new tokens are saved whatever their lifetime says: an unreadable one is 0 (the
    # next call refreshes again), never a reason to drop tokens Slack spent the old ones for.
    from ocp_users_photo.installations.refresh_grant import _lifetime

    assert _lifetime(expires_in) == seconds


def test_an_error_code_that_echoes_part_of_a_secret_is_not_quoted() -> None:
    from ocp_users_photo.installations.refresh_grant import _code_of

    assert _code_of("invalid_refresh_token", (REFRESH_BODY, HEX_SECRET)) == "invalid_refresh_token"
    assert _code_of(HEX_SECRET[3:20], (HEX_SECRET,)) == "unknown_error"
    assert _code_of(REFRESH_BODY[10:40], (REFRESH_BODY,)) == "unknown_error"
    assert _code_of("no spaces allowed", ()) == "unknown_error"


async def test_a_refresh_saved_at_last_is_forgotten_and_never_overwrites_a_newer_one(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """Once the refreshed installation the store would not take is saved at last, the
    process lets go of its copy: kept, it was saved again at every call, over whatever
    another process (or the person installing again) saved since."""
    await install(emulator, store, ALICE.user_id)
    clock = Clock(offset=LIFETIME - 100)
    flaky = SaveFails(store, failures=3)
    source = source_for(emulator, flaky, clock, refresh_lock=SingleProcessRefreshLock())
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        as_alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
        assert (await as_alice.run({"image": portrait()}))["error"] == "installation_store_error"
        assert (await as_alice.run({"image": portrait()})).get("ok") is True  # saved at last
        clock.offset = 0  # the next installation is fresh: no refresh
        newer = await install(emulator, store, ALICE.user_id)  # installed again, elsewhere
        third = await as_alice.run({"image": portrait()})
    assert third.get("ok") is True, third
    assert photo_tokens(emulator)[-1] == newer.user_token
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    assert saved.user_token == newer.user_token


async def test_a_source_used_again_after_its_close_still_saves_again_in_the_background(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """``aclose`` stops the background saves, and "a later refresh starts it again": a
    source used in a second ``async with`` whose refresh the store refuses at first saves
    it in the background as a fresh source does. It never did (the review of 2026-12-05):
    the close's mark stayed, so other processes kept reading a spent refresh token."""
    await install(emulator, store, ALICE.user_id)
    clock = Clock(offset=LIFETIME - 100)
    flaky = SaveFails(store, failures=0)
    source = source_for(emulator, flaky, clock, refresh_lock=SingleProcessRefreshLock())
    async with source:
        await source.token_for(ALICE)  # refreshed and saved
    clock.offset += LIFETIME
    emulator.state.advance_clock(LIFETIME)
    async with source:
        flaky.failures = 3  # the call's own tries; the background's first one goes through
        with contextlib.suppress(UsersPhotoError):
            await source.token_for(ALICE)
        for _ in range(100):  # a bounded wait: the first save in the background is 1 s on
            if not source._unsaved:
                break
            await asyncio.sleep(0.05)
        assert not source._unsaved, "not saved again in the background after the reuse"
    assert flaky.failures == 0
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert saved is not None
    assert refreshes(emulator) == 2


async def test_a_store_that_never_saves_again_does_not_hold_the_sources_close(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """The refreshed installation whose save failed is saved again in the background (other
    processes read the store meanwhile), for up to an hour: closing the source stops that,
    it does not wait for it, and nothing is saved after the close."""
    await install(emulator, store, ALICE.user_id)
    clock = Clock(offset=LIFETIME - 100)
    broken = SaveFails(store, failures=1_000_000)
    source = source_for(emulator, broken, clock, refresh_lock=SingleProcessRefreshLock())
    async with UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        first = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
            {"image": portrait()}
        )
        assert first["error"] == "installation_store_error"
        assert source._resaving, "no save in the background after the failed ones"
        failures_before = broken.failures
        for _ in range(200):  # a bounded wait: the first resave is 1 s on
            if broken.failures != failures_before:
                break
            await asyncio.sleep(0.05)
        assert broken.failures != failures_before, "no save was tried in the background"
        await asyncio.wait_for(source.aclose(), timeout=30)
    assert not source._resaving
    after_close = broken.failures
    await asyncio.sleep(1.5)  # past the next resave, had it not stopped
    assert broken.failures == after_close


# --- 1b. Secrets the server knows beside the token, echoed in a later call's answer.

# 32 hex digits sharing no 12-digit run with the replies' avatar hash (HEX_SECRET does).
ECHOED_SECRET = "f00dfacecafe1234beef5678abcd9012"


async def test_the_refresh_token_and_client_secret_echoed_to_a_photo_call_are_redacted(
    emulator: RunningEmulator, store: SQLite3InstallationStore, caplog: pytest.LogCaptureFixture
) -> None:
    """oauth.v2.access gets the app's secret and the person's refresh token; a Slack (a
    bug, a hostile one) that echoes them in users.setPhoto's answer showed them to the
    model's result, the returned reply, the warning logged and the error: only the call's
    own credentials were looked for in its answer."""
    refresh = await _stored_with_refresh_token(emulator, store)
    source = source_for(emulator, store, client_secret=ECHOED_SECRET)
    echoed = f"client_secret={ECHOED_SECRET} refresh_token={refresh}"
    refused = {"ok": False, "error": "invalid_auth", "detail": echoed, "warning": echoed}
    answered = {**success_reply(), "warning": echoed}
    answered["response_metadata"] = {"warnings": [ECHOED_SECRET, refresh]}
    texts: list[str] = []
    caplog.set_level(logging.DEBUG)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
        inject(emulator, Fault.json(refused), method="users.setPhoto")
        texts.append(json.dumps(await alice.run({"image": portrait()})))
        inject(emulator, Fault.json(refused), method="users.setPhoto")
        with pytest.raises(UsersPhotoError) as failed:
            await alice.call({"image": portrait()})
        texts.extend(texts_of_error(failed.value))
        inject(emulator, Fault.json(answered), method="users.setPhoto")
        texts.append(json.dumps(await alice.call({"image": portrait()})))
        inject(emulator, Fault.json(answered), method="users.setPhoto")
        texts.append(json.dumps(await alice.run({"image": portrait()})))
    texts.extend(record.getMessage() for record in caplog.records)
    assert any("warning" in text for text in texts)  # the echoes came back, redacted
    for secret in (ECHOED_SECRET, REFRESH_BODY):
        leaked = [text for text in texts if holds_part(text, secret)]
        assert leaked == [], leaked[0][:300]


async def test_the_client_secret_echoed_by_the_check_after_a_refresh_is_redacted(
    emulator: RunningEmulator, store: SQLite3InstallationStore, caplog: pytest.LogCaptureFixture
) -> None:
    """The auth.test that confirms whose a refreshed token is: its answer was searched for
    the new token and refresh token only, and an echoed client secret reached the refusal,
    the warning logged and the debug log."""
    await install(emulator, store, ALICE.user_id)
    source = source_for(emulator, store, Clock(offset=LIFETIME + 60), client_secret=ECHOED_SECRET)
    refreshed = {
        "ok": True,
        "token_type": "user",
        "access_token": "xoxe.xoxp-1-Mi0yLTk5OTktbmV3YWNjZXNzdG9rZW5zZWNyZXRwYXJ0",
        "refresh_token": "xoxe-1-My0xLTEyMzQtbmV3cmVmcmVzaHNlY3JldHNsb25nZW5vdWdo",
        "expires_in": LIFETIME,
        "scope": "users.profile:read,users.profile:write",
    }
    inject(emulator, Fault.json(refreshed), method="oauth.v2.access")
    inject(emulator, Fault.json({"ok": False, "error": ECHOED_SECRET}), method="auth.test")
    caplog.set_level(logging.DEBUG)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(UsersPhotoError) as failed:
            await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    texts = [*texts_of_error(failed.value), *(r.getMessage() for r in caplog.records)]
    assert any("auth.test answered unknown_error" in text for text in texts), texts[:3]
    leaked = [text for text in texts if holds_part(text, ECHOED_SECRET)]
    assert leaked == [], leaked[0][:300]


@pytest.mark.parametrize("kind", ["bot", "app", "refresh"])
async def test_a_stored_user_token_of_another_kind_is_a_damaged_installation(
    emulator: RunningEmulator, store: SQLite3InstallationStore, kind: str
) -> None:
    """A bot, app or refresh token in the user token's place: no "give the user token
    (xoxp-)" quoting the store's path to the model, but the installation's fault, with the
    page to install again; nothing is sent with it."""
    alice = await install(emulator, store, ALICE.user_id, bot_scope="chat:write")
    assert alice.bot_token
    assert alice.user_refresh_token
    damaged = Installation(**alice.to_dict_for_copying())
    damaged.bot_scopes = list(alice.bot_scopes or [])
    damaged.user_token = {
        "bot": alice.bot_token,
        "app": "xapp-1-A0EMULATOR-1-0123456789abcdef",
        "refresh": alice.user_refresh_token,
    }[kind]
    store.save(damaged)
    source = source_for(emulator, store)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        answer = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
            {"image": portrait()}
        )
    assert answer["error"] == "user_token_missing", answer
    assert answer["install_url"] == "https://photos.example.com/install"
    assert "install the app again" in answer["message"]
    assert str(store.database) not in json.dumps(answer)
    assert photo_tokens(emulator) == []


async def test_an_installation_holding_another_persons_token_sets_no_photo(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """A row filed as Alice's that holds Bob's token (a store written wrong): with keeping
    off (Python's default), the call acting for Alice set Bob's photo and answered ok."""
    alice = await alice_filed_with_bobs_token(emulator, store)
    source = source_for(emulator, store)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(UsersPhotoError) as refused:
            await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
        # Alice's own token, filed again, is used as ever.
        store.save(alice)
        reply = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call(
            {"image": portrait()}
        )
    assert refused.value.code == "token_not_usable"
    assert "not their own" in refused.value.message
    assert reply["ok"] is True
    assert [owner_of(emulator, token) for token in photo_tokens(emulator)] == [ALICE.user_id]


async def test_an_installation_holding_another_persons_token_gives_the_install_page(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """The model is told to have the person install the app again: the page to do it goes
    with it, as with every other installation that installing again mends."""
    await alice_filed_with_bobs_token(emulator, store)
    source = source_for(emulator, store)
    async with (
        source,
        UsersSetPhoto(source, base_url=emulator.base_url, environ={}, keep_previous=False) as tool,
    ):
        answer = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
            {"image": portrait()}
        )
    assert answer["error"] == "token_not_usable", answer
    assert "install the app again" in answer["message"]
    assert answer.get("install_url") == "https://photos.example.com/install", answer
    assert photo_tokens(emulator) == []


async def test_keeping_does_not_advise_turning_itself_off_for_another_persons_token(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """Keeping on refuses an installation holding another user's token and advised turning
    keeping off; with keeping off the same call is refused too (token_not_usable), so the
    advice led nowhere."""
    await alice_filed_with_bobs_token(emulator, store)
    answers = []
    for keep in (True, False):
        source = source_for(emulator, store)
        async with (
            source,
            UsersSetPhoto(
                source, base_url=emulator.base_url, environ={}, keep_previous=keep
            ) as tool,
        ):
            answers.append(
                await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
                    {"image": portrait()}
                )
            )
    kept, unkept = answers
    assert kept["error"] == "previous_photo_not_kept", kept
    assert unkept["error"] == "token_not_usable", unkept
    assert "keep_previous=False" not in kept["message"], kept["message"]
    assert "keeping off" not in kept["message"], kept["message"]
    assert photo_tokens(emulator) == []


async def test_an_auth_test_reply_naming_no_user_is_not_kept_nor_blamed_on_the_store(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """With keeping off, one odd auth.test reply (ok, no user_id) was remembered for the
    token: every later call for the person was refused for good, as a store holding
    someone else's token, with "install the app again"."""
    await install(emulator, store, ALICE.user_id)
    inject(emulator, Fault.json({"ok": True, "team_id": TEAM_ID}), method="auth.test")
    source = source_for(emulator, store)
    alice = {"team_id": TEAM_ID, "user_id": ALICE.user_id}
    async with (
        source,
        UsersSetPhoto(source, base_url=emulator.base_url, environ={}, keep_previous=False) as tool,
    ):
        first = await tool.acting_as(**alice).run({"image": portrait()})
        second = await tool.acting_as(**alice).run({"image": portrait()})
    assert first["error"] == "token_not_usable", first
    assert "named no user" in first["message"], first["message"]
    assert "someone else's token" not in first["message"], first["message"]
    assert "install_url" not in first, first
    assert second["ok"] is True, second
    assert [owner_of(emulator, token) for token in photo_tokens(emulator)] == [ALICE.user_id]
