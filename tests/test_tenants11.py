"""A Slack assistant acting for every person of a workspace with their own tokens (review
angle tenants11): installations removed or replaced while a refreshed one waits, in this
process, for the store to take it; what a model is told for a person whose installation
lacks a scope."""

from __future__ import annotations

from pathlib import Path

from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.installations import InstallationTokenSource, SingleProcessRefreshLock
from ocp_users_photo.tokens import ActingPerson
from tests.installation_helpers import (
    LIFETIME,
    TEAM_ID,
    Clock,
    emulator_source,
    install,
    photo_tokens,
    portrait,
    refreshes,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
)
from tests.test_installations_hostile import SaveFails

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")
INSTALL_URL = "https://photos.example.com/install"


def _source(emulator: RunningEmulator, store: SaveFails, clock: Clock) -> InstallationTokenSource:
    return emulator_source(
        emulator,
        store,
        clock=clock,
        install_url=INSTALL_URL,
        refresh_lock=SingleProcessRefreshLock(),
    )


async def _refresh_left_unsaved(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tool: UsersSetPhoto
) -> None:
    """Alice's token is refreshed, and the store refuses the three saves of it: the
    refreshed installation is kept in the source's memory (the only copy of her live
    refresh token) and nothing is sent."""
    first = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run({"image": portrait()})
    assert first["error"] == "installation_store_error", first
    assert photo_tokens(emulator) == []


async def test_a_person_removed_while_their_refresh_waits_unsaved_is_not_acted_for(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """The host deletes Alice's installation (she removed the app: the Bolt example's
    tokens_revoked handler; or she asked to be forgotten) while her refreshed installation
    waits in memory for a store that refused it. Her next call must find no installation
    and send nothing: it set her photo with the copy in memory, and saved that copy back
    into the store, so the person the app forgot was stored again."""
    await install(emulator, store, ALICE.user_id)
    clock = Clock(offset=LIFETIME - 100)
    flaky = SaveFails(store, failures=3)  # every try of the refresh's save
    source = _source(emulator, flaky, clock)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        await _refresh_left_unsaved(emulator, store, tool)
        store.delete_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
        second = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
            {"image": portrait()}
        )
    assert second["error"] == "not_installed", second
    assert photo_tokens(emulator) == [], "a photo was set for a person whose installation is gone"
    found = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert found is None, "the deleted installation was saved back into the store"


async def test_a_person_who_installs_again_while_their_refresh_waits_unsaved_keeps_the_new_one(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """Told to, Alice installs the app again (another process of the app saves it) while
    her older refreshed installation waits in this process for the store. Her next call
    must use the new installation, and the store's newest must stay the new one: the old
    copy was saved over it (slack_sdk's SQLite store files every save as the newest)."""
    await install(emulator, store, ALICE.user_id)
    clock = Clock(offset=LIFETIME - 100)
    flaky = SaveFails(store, failures=3)
    source = _source(emulator, flaky, clock)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        await _refresh_left_unsaved(emulator, store, tool)
        clock.offset = 0  # the new installation is fresh: no refresh
        newer = await install(emulator, store, ALICE.user_id)
        second = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
            {"image": portrait()}
        )
    assert second.get("ok") is True, second
    assert photo_tokens(emulator) == [newer.user_token]
    found = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert found is not None
    assert found.user_token == newer.user_token, "the older installation was saved over hers"


async def test_a_refresh_of_the_copy_kept_unsaved_is_still_saved_once_the_store_takes_it(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """While the store refuses every save, Alice's copy kept in memory expires and is
    refreshed in turn (its refresh token is the live one). Once the store takes saves
    again, the newest copy must be saved and used: the store still holds the installation
    the first refresh came from, which is not a replacement."""
    await install(emulator, store, ALICE.user_id)
    clock = Clock(offset=LIFETIME - 100)
    flaky = SaveFails(store, failures=1_000_000)
    source = _source(emulator, flaky, clock)
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        await _refresh_left_unsaved(emulator, store, tool)
        clock.offset += LIFETIME  # the copy in memory expires too: refreshed, not saved
        again = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
            {"image": portrait()}
        )
        assert again["error"] == "installation_store_error", again
        assert refreshes(emulator) == 2
        flaky.failures = 0  # the database is back
        third = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
            {"image": portrait()}
        )
    assert third.get("ok") is True, third
    assert refreshes(emulator) == 2
    found = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=ALICE.user_id)
    assert found is not None
    assert photo_tokens(emulator) == [found.user_token]


async def test_a_person_whose_installation_cannot_read_photos_gets_the_install_page(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tmp_path: Path
) -> None:
    """Bob installed the app before it asked for users.profile:read. With keeping on (run()'s
    default with a history), his change is refused before anything is sent because his
    photo cannot be kept: installing the app again mends it, as for a missing
    users.profile:write (which carries the link), so the model must get the install page to
    hand him. It got only a fix for the app's developer (add the scope to the Slack app, or
    turn keeping off), and no link."""
    await install(emulator, store, "UBOB000001", user_scope="users.profile:write")
    source = emulator_source(emulator, store, install_url=INSTALL_URL)
    async with (
        source,
        UsersSetPhoto(
            source,
            base_url=emulator.base_url,
            environ={},
            photo_history=tmp_path / "history.sqlite3",
        ) as tool,
    ):
        result = await tool.acting_as(team_id=TEAM_ID, user_id="UBOB000001").run(
            {"image": portrait()}
        )
    assert result["error"] == "previous_photo_not_kept", result
    assert result.get("install_url") == INSTALL_URL, result
    assert INSTALL_URL in result["message"]
    assert photo_tokens(emulator) == []
