"""slack_sdk's SQLite store answers a failed read as "no installation" (it logs the error
and returns None): a locked, damaged or unreadable database must not tell every person
to install the app again. The source notes the failure the store logged in the thread of
its own read, and gives ``InstallationStoreFailed`` instead of ``NotInstalled``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.installations import (
    InstallationStoreFailed,
    NotInstalled,
)
from ocp_users_photo.installations.sqlite_absence import confirm_absent
from ocp_users_photo.installations.store_access import AsyncStoreInThreads
from ocp_users_photo.tokens import ActingPerson
from tests.installation_helpers import (
    CLIENT_ID,
    TEAM_ID,
    MakeTool,
    install,
    photo_tokens,
    portrait,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store,
    tool_for_fixture,  # noqa: F401 (fixture: tool_for)
)

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")
BOB = ActingPerson(team_id=TEAM_ID, user_id="UBOB000002")


def assert_store_failure_not_install_advice(refused: InstallationStoreFailed) -> None:
    assert not isinstance(refused, NotInstalled)
    assert refused.code == "installation_store_error"
    assert "install the app" not in refused.message
    assert "nothing was sent" in refused.message


async def test_a_damaged_database_is_a_store_failure_not_a_missing_installation(
    emulator: RunningEmulator, tool_for: MakeTool, tmp_path: Path
) -> None:
    database = tmp_path / "installations.db"
    database.write_bytes(b"this is not an SQLite database, but a file someone overwrote" * 100)
    tool = tool_for(SQLite3InstallationStore(database=str(database), client_id=CLIENT_ID))

    with pytest.raises(InstallationStoreFailed) as refused:
        await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    assert_store_failure_not_install_advice(refused.value)
    assert "DatabaseError" in refused.value.message
    assert photo_tokens(emulator) == []


async def test_a_database_locked_past_sqlites_wait_is_a_store_failure(
    emulator: RunningEmulator, tool_for: MakeTool, tmp_path: Path
) -> None:
    store = sqlite_store(tmp_path / "installations.db")
    await install(emulator, store, ALICE.user_id)
    tool = tool_for(store)
    holder = sqlite3.connect(store.database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # e.g. a backup or a migration holding the file
    try:
        with pytest.raises(InstallationStoreFailed) as refused:
            await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_store_failure_not_install_advice(refused.value)
    assert "OperationalError" in refused.value.message
    assert photo_tokens(emulator) == []
    # Once the file is free again, the same tool sets the photo.
    await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    assert len(photo_tokens(emulator)) == 1


async def test_a_person_not_in_a_healthy_database_is_still_told_to_install(
    emulator: RunningEmulator, tool_for: MakeTool, tmp_path: Path
) -> None:
    store = sqlite_store(tmp_path / "installations.db")
    await install(emulator, store, ALICE.user_id)
    with pytest.raises(NotInstalled):
        await (
            tool_for(store)
            .acting_as(team_id=TEAM_ID, user_id=BOB.user_id)
            .call({"image": portrait()})
        )


async def test_the_same_store_run_in_threads_for_bolts_async_app_says_so_too(
    emulator: RunningEmulator, tool_for: MakeTool, tmp_path: Path
) -> None:
    database = tmp_path / "installations.db"
    database.write_bytes(b"\x00overwritten\xff" * 400)
    store = SQLite3InstallationStore(database=str(database), client_id=CLIENT_ID)
    tool = tool_for(AsyncStoreInThreads(store))  # type: ignore[arg-type]

    with pytest.raises(InstallationStoreFailed) as refused:
        await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    assert_store_failure_not_install_advice(refused.value)
    assert photo_tokens(emulator) == []


async def test_a_database_in_a_folder_that_does_not_exist_is_a_store_failure(
    emulator: RunningEmulator, tool_for: MakeTool, tmp_path: Path
) -> None:
    # A mistyped path: the store cannot even create its file, and the read creates none.
    database = tmp_path / "no such folder" / "installations.db"
    tool = tool_for(SQLite3InstallationStore(database=str(database), client_id=CLIENT_ID))

    with pytest.raises(InstallationStoreFailed) as refused:
        await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    assert_store_failure_not_install_advice(refused.value)
    assert not database.parent.exists()


@pytest.mark.parametrize("folder", ["plain", "with ? and # and %41 and spaces"])
def test_the_check_reads_the_stores_own_file_whatever_its_folder_is_named(
    tmp_path: Path, folder: str
) -> None:
    # The check opens the file by a file: URI: a "?" or "#" in a folder's name must not
    # end its path (it would read another file, or none), nor "%41" be read as "A".
    (tmp_path / folder).mkdir()
    healthy = sqlite_store(tmp_path / folder / "installations.db")
    confirm_absent(healthy)  # reads well: the person is really absent
    damaged = tmp_path / folder / "damaged.db"
    damaged.write_bytes(b"not a database at all " * 200)
    with pytest.raises(sqlite3.DatabaseError):
        confirm_absent(SQLite3InstallationStore(database=str(damaged), client_id=CLIENT_ID))
    assert sorted(path.name for path in (tmp_path / folder).iterdir()) == [
        "damaged.db",
        "installations.db",
    ]
