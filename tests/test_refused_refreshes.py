"""A refused refresh is not asked again for a minute (installations/refused_refreshes.py).

With the app's client_secret wrong, twenty calls of one person made twenty refused
refreshes, one after another under the person's lock; every other person's made theirs.
"""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.installations import InstallationTokenSource, TokenRefreshFailed
from ocp_users_photo.installations.refused_refreshes import (
    REMEMBERED_SECONDS,
    RefusedRefreshes,
    key_of,
)
from ocp_users_photo.tokens import ActingPerson
from tests.installation_helpers import (
    CLIENT_ID,
    LIFETIME,
    TEAM_ID,
    install,
    portrait,
    refreshes,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
)

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")
BOB = ActingPerson(team_id=TEAM_ID, user_id="UBOB000002")


def test_a_lasting_refusal_is_remembered_a_minute_for_its_refresh_token() -> None:
    now = [1000.0]
    refused = RefusedRefreshes(clock=lambda: now[0])
    refused.remember(key_of("xoxe-1-alice"), "invalid_refresh_token")
    assert refused.recall(key_of("xoxe-1-alice")) == "invalid_refresh_token"
    assert refused.recall(key_of("xoxe-1-bob")) is None  # another person's token: asked
    now[0] += REMEMBERED_SECONDS
    assert refused.recall(key_of("xoxe-1-alice")) is None


def test_the_apps_own_refusal_is_remembered_for_every_refresh() -> None:
    now = [0.0]
    refused = RefusedRefreshes(clock=lambda: now[0])
    refused.remember(key_of("xoxe-1-alice"), "bad_client_secret")
    assert refused.recall(key_of("xoxe-1-bob")) == "bad_client_secret"
    now[0] += REMEMBERED_SECONDS + 1
    assert refused.recall(key_of("xoxe-1-bob")) is None


@pytest.mark.parametrize("slack_error", [None, "ratelimited", "internal_error", "fatal_error"])
def test_a_refusal_that_may_pass_is_asked_again(slack_error: str | None) -> None:
    refused = RefusedRefreshes()
    refused.remember(key_of("xoxe-1-alice"), slack_error)
    assert refused.recall(key_of("xoxe-1-alice")) is None


def test_no_refresh_token_is_kept_in_the_clear() -> None:
    refused = RefusedRefreshes()
    refused.remember(key_of("xoxe-1-secret-refresh"), "token_revoked")
    assert "xoxe-1-secret-refresh" not in repr(vars(refused))


async def test_a_wrong_client_secret_is_asked_of_slack_once_for_every_call(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    await install(emulator, store, ALICE.user_id)
    await install(emulator, store, BOB.user_id)
    emulator.state.advance_clock(LIFETIME)  # both tokens expired: each call must refresh
    async with (
        InstallationTokenSource(
            store,
            client_id=CLIENT_ID,
            client_secret="not-the-secret",
            base_url=emulator.base_url,
            environ={},
        ) as source,
        UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool,
    ):
        people = [
            tool.acting_as(team_id=TEAM_ID, user_id=person.user_id) for person in (ALICE, BOB)
        ]
        outcomes = await asyncio.gather(
            *(person.call({"image": portrait()}) for person in people for _ in range(10)),
            return_exceptions=True,
        )
    failures = [outcome for outcome in outcomes if isinstance(outcome, TokenRefreshFailed)]
    assert len(failures) == len(outcomes), outcomes
    assert {failure.slack_error for failure in failures} == {"bad_client_secret"}
    assert {failure.person.user_id for failure in failures} == {ALICE.user_id, BOB.user_id}
    # At most the two people's first refreshes, under way at once; the other 18 calls
    # were told at once (each refused refresh asked again was 20 before).
    assert 1 <= refreshes(emulator) <= 2
    for person in (ALICE, BOB):  # sent with the expired token only: refused, nothing set
        shown = emulator.state.person(person.user_id)
        assert shown is not None
        assert shown.photo is None
