"""slack_sdk's SQLite store answers a failed read as "no installation" (it logs the error
and returns None): a locked, damaged or unreadable database must not tell every person
to install the app again. The source notes the failure the store logged in the thread of
its own read, and gives ``InstallationStoreFailed`` instead of ``NotInstalled``."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import traceback
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.installations import (
    InstallationStoreFailed,
    NotInstalled,
)
from ocp_users_photo.installations.store_access import AsyncStoreInThreads
from ocp_users_photo.tokens import ActingPerson
from tests.installation_helpers import (
    CLIENT_ID,
    LIFETIME,
    TEAM_ID,
    Clock,
    MakeTool,
    absence_confirmed,
    emulator_source,
    install,
    photo_tokens,
    portrait,
    refreshes,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    set_up,
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


@pytest.mark.waits
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
    absence_confirmed(healthy)  # reads well: the person is really absent
    damaged = tmp_path / folder / "damaged.db"
    damaged.write_bytes(b"not a database at all " * 200)
    with pytest.raises(sqlite3.DatabaseError):
        absence_confirmed(SQLite3InstallationStore(database=str(damaged), client_id=CLIENT_ID))
    assert sorted(path.name for path in (tmp_path / folder).iterdir()) == [
        "damaged.db",
        "installations.db",
    ]


async def _store_failure_under_a_python_task(
    emulator: RunningEmulator, store: SQLite3InstallationStore, **options: Any
) -> str:
    """Alice's token asked for, past its lifetime, in a pure-Python Task on the caller's
    loop (the refresh runs there, given ``http_client``); the InstallationStoreFailed it
    raises, as a traceback prints it (its __context__ chain too)."""
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient() as http:
        source = emulator_source(
            emulator, store, clock=Clock(LIFETIME + 400), http_client=http, **options
        )
        loop.set_task_factory(_python_task)
        try:
            with pytest.raises(InstallationStoreFailed) as refused:
                await loop.create_task(source.token_for(ALICE))
        finally:
            loop.set_task_factory(None)
            await source.aclose()
    error = refused.value
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


class _SaveQuotesTheRow(SQLite3InstallationStore):
    """A store whose save fails once told to, quoting the row as database errors do
    (SQLAlchemy's without hide_parameters): the refreshed tokens, their only live copies."""

    failing = False

    def save(self, installation: Installation) -> None:
        if self.failing:
            raise sqlite3.IntegrityError(
                f"cannot save row ({installation.user_token!r}, "
                f"{installation.user_refresh_token!r})"
            )
        super().save(installation)


def _python_task(loop: asyncio.AbstractEventLoop, coro: Any) -> asyncio.Task[Any]:
    # The pure-Python Task (nest_asyncio, Jupyter): it resumes a coroutine from inside the
    # except block that handled the awaited error, which then becomes a later raise's
    # context unless that raise clears it.
    task: asyncio.Task[Any] = asyncio.tasks._PyTask(coro, loop=loop)  # type: ignore[attr-defined]
    return task


async def test_a_failed_save_of_refreshed_tokens_keeps_them_out_of_the_error_chain(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    store = _SaveQuotesTheRow(database=str(tmp_path / "installations.db"), client_id=CLIENT_ID)
    set_up(store.init)
    await install(emulator, store, ALICE.user_id)
    store.failing = True
    # Past the token's lifetime: the source refreshes it, then fails to save the result.
    logged = await _store_failure_under_a_python_task(emulator, store)
    assert refreshes(emulator) == 1, "the refresh the failed save followed"
    assert "saving the refreshed installation" in logged
    assert "IntegrityError: cannot save row" not in logged
    assert "xoxe" not in logged
    assert "xoxp-" not in logged


class _LockQuotingItsPassword:
    """A refresh lock (``refresh_lock=``) whose connection fails in a worker thread, its
    error quoting the connection's password, as a database driver's may."""

    description = "a lock service that cannot be reached"
    wait_seconds = 5.0

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        def connect() -> None:
            raise RuntimeError("could not connect to redis://:s3cret-lock-password@db:6379")

        await anyio.to_thread.run_sync(connect)
        yield


async def test_a_failed_refresh_lock_keeps_its_error_out_of_the_chain(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    store = sqlite_store(tmp_path / "installations.db")
    await install(emulator, store, ALICE.user_id)
    logged = await _store_failure_under_a_python_task(
        emulator, store, refresh_lock=_LockQuotingItsPassword()
    )
    assert "taking the refresh lock (RuntimeError)" in logged
    assert "s3cret-lock-password" not in logged
