"""One refresh among several OS processes sharing a store: SQLite files and a real PostgreSQL.

Four processes (``tests/refresh_worker.py``) open the same store, wait for one go
signal, and each finds the person's token about to expire: exactly one refresh reaches
the emulator, and all four end with the token that refresh produced. The SQLAlchemy
store runs on a PostgreSQL server the fixture starts on loopback.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.installations import InstallationTokenSource
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    LIFETIME,
    TEAM_ID,
    install,
    owner_of,
    photo_tokens,
    portrait,
    refreshes,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    set_up,
)

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = 4
USER = "UALICE0001"


def sqlalchemy_store(url: str) -> Any:
    import sqlalchemy
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    # hide_parameters: a database error's text would otherwise quote the row, tokens and all.
    engine = sqlalchemy.create_engine(url, hide_parameters=True)
    store = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)
    set_up(store.create_tables)
    return store


async def run_workers(
    emulator: RunningEmulator, store_spec: str, count: int
) -> list[dict[str, Any]]:
    """Start ``count`` workers, tell them all to go at once, and read what each printed."""
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.refresh_worker",
            store_spec,
            emulator.base_url,
            TEAM_ID,
            USER,
            str(LIFETIME),  # each sees the token as expiring
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(count)
    ]
    # Let every interpreter start and import before the signal, so they race for real.
    await asyncio.sleep(2.0)
    outputs = await asyncio.wait_for(
        asyncio.gather(*(worker.communicate(b"go\n") for worker in workers)), timeout=120
    )
    results = []
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err.decode()
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    return results


def digest(token: str | None) -> str:
    assert token is not None
    return hashlib.sha256(token.encode()).hexdigest()[:16]


async def assert_one_refresh_shared(
    emulator: RunningEmulator, store: InstallationStore, spec: str
) -> None:
    first = await install(emulator, store, USER)
    results = await run_workers(emulator, spec, PROCESSES)

    assert refreshes(emulator) == 1
    saved = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=USER)
    assert saved is not None
    assert saved.user_token != first.user_token
    assert {result["token_sha256"] for result in results} == {digest(saved.user_token)}
    assert saved.user_token is not None
    assert owner_of(emulator, saved.user_token) == USER


async def test_four_processes_sharing_a_sqlite_file_refresh_once(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    database = tmp_path / "shared.db"
    store = SQLite3InstallationStore(database=str(database), client_id=CLIENT_ID)
    set_up(store.init)
    await assert_one_refresh_shared(emulator, store, f"sqlite:{database}")


async def test_four_processes_sharing_a_postgres_store_refresh_once(
    emulator: RunningEmulator, postgres_url: str
) -> None:
    store = sqlalchemy_store(postgres_url)
    try:
        await assert_one_refresh_shared(emulator, store, postgres_url)
    finally:
        store.engine.dispose()


async def test_the_sqlalchemy_store_on_postgres_serves_refreshes_and_restarts(
    emulator: RunningEmulator, postgres_url: str
) -> None:
    store = sqlalchemy_store(postgres_url)
    try:
        first = await install(emulator, store, USER)
        await install(emulator, store, "UBOB000002")

        async def set_photo(source_store: Any) -> None:
            source = InstallationTokenSource(
                source_store,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                base_url=emulator.base_url,
                environ={},
            )
            async with source, UsersSetPhoto(source, base_url=emulator.base_url) as tool:
                await tool.acting_as(team_id=TEAM_ID, user_id=USER).call({"image": portrait()})

        emulator.state.advance_clock(LIFETIME)  # Slack says expired: refresh on token_expired
        await set_photo(store)
        assert refreshes(emulator) == 1
        # The old token met token_expired at auth.test (whose it is, before the change).
        asked = [r.header("authorization") for r in emulator.requests.for_path("auth.test")]
        assert f"Bearer {first.user_token}" in asked
        (new,) = photo_tokens(emulator)
        assert owner_of(emulator, new) == USER

        restarted = sqlalchemy_store(postgres_url)  # another process would open it anew
        try:
            await set_photo(restarted)
        finally:
            restarted.engine.dispose()
        assert photo_tokens(emulator)[-1] == new
        assert refreshes(emulator) == 1
    finally:
        store.engine.dispose()
