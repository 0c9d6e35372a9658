"""Review 18 of undo and tokens per person: what an attacker in a shared workspace tries.

A token given for one call (a ``token=`` argument) is no source's choice for the bound
person, and neither is the tool's one fixed token once an upload prepared for one person
is sent outside that binding: with keeping off, Slack set the token owner's photo and
the call answered ok, as if the bound person's had changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo import TokenNotUsable, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from tests.installation_helpers import (
    TEAM_ID,
    emulator_source,
    install,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store,
)
from tests.undo_fixtures import picture, shown


async def test_a_token_argument_of_someone_else_is_refused_with_keeping_off(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    store = sqlite_store(tmp_path / "installations.db")
    alice = await install(emulator, store, "UALICE0001")
    assert alice.user_token is not None
    bob = await install(emulator, store, "UBOB000002")
    source = emulator_source(emulator, store)
    tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={}, keep_previous=False)
    async with source, tool:
        before = (await shown(emulator, alice.user_token)).avatar_hash
        as_bob = tool.acting_as(team_id=TEAM_ID, user_id="UBOB000002")
        with pytest.raises(TokenNotUsable, match="UBOB000002") as refused:
            await as_bob.call({"image": picture((0, 0, 250)), "token": alice.user_token})
        assert alice.user_token not in str(refused.value)
        assert (await shown(emulator, alice.user_token)).avatar_hash == before
        assert not emulator.requests.for_path("users.setPhoto")
        # Bob's own token given for the call still sets Bob's photo.
        reply = await as_bob.call({"image": picture((0, 250, 0)), "token": bob.user_token})
        assert reply["ok"] is True


async def test_an_upload_prepared_for_a_person_is_not_sent_for_the_fixed_tokens_owner(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    store = sqlite_store(tmp_path / "installations.db")
    alice = await install(emulator, store, "UALICE0001")
    assert alice.user_token is not None
    tool = UsersSetPhoto(
        alice.user_token, base_url=emulator.base_url, environ={}, keep_previous=False
    )
    async with tool:
        before = (await shown(emulator, alice.user_token)).avatar_hash
        upload = await tool.acting_as(team_id=TEAM_ID, user_id="UBOB000002").prepare(
            {"image": picture((0, 0, 250))}
        )
        with pytest.raises(TokenNotUsable, match="UBOB000002"):
            await tool.send(upload)  # the person bound at prepare, no longer bound here
        assert (await shown(emulator, alice.user_token)).avatar_hash == before
        assert not emulator.requests.for_path("users.setPhoto")
        # Prepared for Alice herself, it goes.
        mine = await tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001").prepare(
            {"image": picture((0, 0, 250))}
        )
        assert (await tool.send(mine))["ok"] is True


async def test_an_upload_prepared_for_one_person_is_not_sent_where_another_is_bound(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """With a token source too (the review of 2026-12-05): prepared for Alice, then sent
    inside Bob's binding, it set Alice's photo while the host had bound Bob. Refused now,
    as a fixed token's was; sent where Alice is bound, or nobody is, it goes."""
    store = sqlite_store(tmp_path / "installations.db")
    alice = await install(emulator, store, "UALICE0001")
    assert alice.user_token is not None
    await install(emulator, store, "UBOB000002")
    source = emulator_source(emulator, store)
    tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={}, keep_previous=False)
    async with source, tool:
        as_alice = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
        as_bob = tool.acting_as(team_id=TEAM_ID, user_id="UBOB000002")
        before = (await shown(emulator, alice.user_token)).avatar_hash
        upload = await as_alice.prepare({"image": picture((0, 0, 250))})
        with pytest.raises(TokenNotUsable, match=r"prepared for .*UALICE0001.*UBOB000002"):
            await as_bob.send(upload)
        assert (await shown(emulator, alice.user_token)).avatar_hash == before
        assert not emulator.requests.for_path("users.setPhoto")
        again = await as_alice.prepare({"image": picture((0, 0, 250))})
        assert (await as_alice.send(again))["ok"] is True
