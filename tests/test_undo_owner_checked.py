"""The history a kept photo goes into is that of the person whose token made the change.

A host binds a person (``acting_as``); a token of someone else for the call (a ``token=``
argument, or a tool with one fixed token) would change that other user's photo and file
it in the bound person's history, whose undo would then put the other user's photo on
the bound person's profile. auth.test says whose the token is; a mismatch is refused
before anything is kept or sent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.undo import KeepingImpossible, PhotoHistory
from ocp_users_photo.undo.entries import HistoryOwner
from tests.installation_helpers import (
    TEAM_ID,
    emulator_source,
    install,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store,
)
from tests.undo_fixtures import picture, shown


async def test_a_token_argument_of_someone_else_is_refused_for_a_bound_person(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    store = sqlite_store(tmp_path / "installations.db")
    alice = await install(emulator, store, "UALICE0001")
    assert alice.user_token is not None
    await install(emulator, store, "UBOB000002")
    source = emulator_source(emulator, store)
    history = PhotoHistory(tmp_path / "history.sqlite3")
    tool = UsersSetPhoto(
        source, base_url=emulator.base_url, environ={}, keep_previous=True, photo_history=history
    )
    async with source, tool, history:
        as_alice = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
        as_bob = tool.acting_as(team_id=TEAM_ID, user_id="UBOB000002")
        await as_alice.call({"image": picture((250, 0, 0))})
        await as_bob.call({"image": picture((0, 250, 0))})
        alice_before = (await shown(emulator, alice.user_token)).original
        with pytest.raises(KeepingImpossible, match="not the own token of"):
            await as_bob.call({"image": picture((0, 0, 250)), "token": alice.user_token})
        assert (await shown(emulator, alice.user_token)).original == alice_before
        bob_kept = await history.entries(HistoryOwner(TEAM_ID, "UBOB000002"))
        assert len(bob_kept) == 1, "only Bob's own change is in his history"
        await as_bob.undo()  # Bob's own change undone, and nothing of Alice's
        assert (await shown(emulator, alice.user_token)).original == alice_before


async def test_a_fixed_token_under_acting_as_another_person_is_refused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    store = sqlite_store(tmp_path / "installations.db")
    alice = await install(emulator, store, "UALICE0001")
    assert alice.user_token is not None
    history = PhotoHistory(tmp_path / "history.sqlite3")
    tool = UsersSetPhoto(
        alice.user_token,
        base_url=emulator.base_url,
        environ={},
        keep_previous=True,
        photo_history=history,
    )
    async with tool, history:
        await tool.call({"image": picture((250, 0, 0))})
        alice_before = (await shown(emulator, alice.user_token)).original
        as_bob = tool.acting_as(team_id=TEAM_ID, user_id="UBOB000002")
        with pytest.raises(KeepingImpossible, match="UBOB000002"):
            await as_bob.call({"image": picture((0, 0, 250))})
        assert await history.entries(HistoryOwner(TEAM_ID, "UBOB000002")) == []
        assert (await shown(emulator, alice.user_token)).original == alice_before
        # Bound to Alice herself, the same tool keeps and changes as before.
        await tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001").call(
            {"image": picture((0, 250, 0))}
        )
        assert len(await history.entries(HistoryOwner(TEAM_ID, "UALICE0001"))) == 2
