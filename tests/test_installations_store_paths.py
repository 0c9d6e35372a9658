"""An SQLite store's path that is no file (a named pipe, a folder, a device), and a store's
file another program holds locked: each is told for what it is, promptly, and nothing is
sent. A named pipe once held the call until its deadline, and the read's thread for ever
(a read-only open of a pipe waits for a writer), so the process could not exit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.installations import (
    InstallationStoreFailed,
    InstallationTokenSource,
    SingleProcessRefreshLock,
)
from ocp_users_photo.installations.sqlite_file import StoreNotAFile
from ocp_users_photo.installations.sqlite_lease import SQLiteRefreshLock
from ocp_users_photo.tokens import ActingPerson
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    TEAM_ID,
    MakeTool,
    absence_confirmed,
    install,
    photo_tokens,
    portrait,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store,
    tool_for_fixture,  # noqa: F401 (fixture: tool_for)
)

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")
# Far above what a refusal takes, far below the call's default deadline (120 s).
PROMPTLY = 10.0

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A named pipe where the store's file would be. Afterwards a writer opens it for a
    moment: a read-only open left waiting on it (the defect) returns, and its thread ends."""
    path = tmp_path / "fifo.db"
    os.mkfifo(path)
    yield path
    with contextlib.suppress(OSError):  # ENXIO: nobody waits on it to read, as it should be
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def assert_told_not_a_file(refused: InstallationStoreFailed, kind: str) -> None:
    assert refused.code == "installation_store_error"
    assert "not a file" in refused.message
    assert kind in refused.message
    assert "nothing was sent" in refused.message
    assert "path of an SQLite database file" in refused.message
    assert "install the app" not in refused.message


async def set_photo(tool: UsersSetPhoto) -> None:
    acting = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)
    await asyncio.wait_for(acting.call({"image": portrait()}), PROMPTLY)


@needs_fifo
async def test_a_named_pipe_as_the_stores_file_is_refused_promptly(
    emulator: RunningEmulator, tool_for: MakeTool, fifo: Path
) -> None:
    tool = tool_for(SQLite3InstallationStore(database=str(fifo), client_id=CLIENT_ID))

    with pytest.raises(InstallationStoreFailed) as refused:
        await set_photo(tool)
    assert_told_not_a_file(refused.value, "named pipe")
    assert photo_tokens(emulator) == []


async def test_a_folder_as_the_stores_file_is_refused_not_told_to_chmod(
    emulator: RunningEmulator,
    tool_for: MakeTool,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = tmp_path / "isdir.db"
    folder.mkdir(mode=0o755)
    tool = tool_for(SQLite3InstallationStore(database=str(folder), client_id=CLIENT_ID))

    with (
        caplog.at_level(logging.WARNING, logger="ocp_users_photo"),
        pytest.raises(InstallationStoreFailed) as refused,
    ):
        await set_photo(tool)
    assert_told_not_a_file(refused.value, "folder")
    assert "chmod" not in caplog.text
    assert photo_tokens(emulator) == []


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
async def test_a_device_as_the_stores_file_is_refused(
    emulator: RunningEmulator, tool_for: MakeTool
) -> None:
    tool = tool_for(SQLite3InstallationStore(database="/dev/zero", client_id=CLIENT_ID))

    with pytest.raises(InstallationStoreFailed) as refused:
        await set_photo(tool)
    assert_told_not_a_file(refused.value, "device")
    assert photo_tokens(emulator) == []


def raised_in_time(work: Callable[[], object]) -> BaseException | None:
    """What ``work`` raised, run in a thread of its own that nothing waits for at exit
    (one stuck opening a pipe must fail the test, not hang the run)."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # handed to the test
            raised.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(PROMPTLY)
    assert not thread.is_alive(), "the open of the named pipe is still waiting"
    return raised[0] if raised else None


@needs_fifo
def test_no_open_of_the_stores_path_waits_on_a_named_pipe(fifo: Path) -> None:
    # The absence check and the refresh lock open the path themselves: neither may wait.
    store = SQLite3InstallationStore(database=str(fifo), client_id=CLIENT_ID)
    assert isinstance(raised_in_time(lambda: absence_confirmed(store)), StoreNotAFile)
    lock = SQLiteRefreshLock(fifo, wait_seconds=1.0)

    async def take() -> None:
        async with lock.hold("key"):
            pass

    assert isinstance(raised_in_time(lambda: asyncio.run(take())), StoreNotAFile)


def assert_told_locked(refused: InstallationStoreFailed) -> None:
    assert refused.code == "installation_store_error"
    assert "locked by another program" in refused.message
    assert "try again in a moment" in refused.message
    assert "tables exist" not in refused.message
    assert "nothing was sent" in refused.message


@pytest.mark.waits
async def test_a_store_another_program_holds_locked_is_said_to_be_locked(
    emulator: RunningEmulator, tool_for: MakeTool, tmp_path: Path
) -> None:
    store = sqlite_store(tmp_path / "installations.db")
    await install(emulator, store, ALICE.user_id)
    tool = tool_for(store)
    holder = sqlite3.connect(store.database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # a migration, a backup, a writer that hangs
    try:
        with pytest.raises(InstallationStoreFailed) as refused:
            await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_told_locked(refused.value)
    assert photo_tokens(emulator) == []


@pytest.mark.waits
async def test_a_new_store_whose_file_is_held_in_a_write_is_said_to_be_locked(
    emulator: RunningEmulator, tool_for: MakeTool, tmp_path: Path
) -> None:
    # The store cannot make its tables while another program writes: its read then finds
    # none, which is the lock's doing, not tables missing for good.
    database = tmp_path / "installations.db"
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        tool = tool_for(SQLite3InstallationStore(database=str(database), client_id=CLIENT_ID))
        with pytest.raises(InstallationStoreFailed) as refused:
            await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_told_locked(refused.value)
    assert photo_tokens(emulator) == []


class _StoreThatNeverAnswers(InstallationStore):
    """A store behind a database that does not answer (a firewall dropping packets)."""

    def __init__(self, database: str) -> None:
        self.database = database  # what the source's description names

    def save(self, installation: object) -> None:
        raise AssertionError("nothing is saved")

    def find_installation(self, **_: object) -> None:
        threading.Event().wait(3.0)


async def test_a_model_is_not_told_the_stores_database_path(
    emulator: RunningEmulator, tool_for: MakeTool, tmp_path: Path
) -> None:
    """The host reads where its store is; a model, which cannot mend it, read the path
    (and, for SQLAlchemy, the database URL's host and user) in every failing call."""
    folder = tmp_path / "isdir.db"
    folder.mkdir()
    as_folder = tool_for(SQLite3InstallationStore(database=str(folder), client_id=CLIENT_ID))
    source = InstallationTokenSource(
        _StoreThatNeverAnswers(database=str(tmp_path / "slow.db")),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=emulator.base_url,
        environ={},
        refresh_lock=SingleProcessRefreshLock(),
    )
    async with (
        source,
        UsersSetPhoto(source, base_url=emulator.base_url, environ={}, deadline=1.0) as silent,
    ):
        for tool, said in (
            (as_folder, "its database path is a folder, not a file"),
            (silent, "gave no token within the call's 1 s deadline"),
        ):
            result = await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).run(
                {"image": portrait()}
            )
            assert result["ok"] is False
            assert said in result["message"], result["message"]
            assert str(tmp_path) not in json.dumps(result), result
            assert "whoever runs this app" in result["message"]
    assert photo_tokens(emulator) == []
