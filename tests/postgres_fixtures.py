"""The PostgreSQL fixtures (loaded by conftest.py): one server per session, a database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.postgres_server import (
    REQUIRE_POSTGRES,
    PostgresServer,
    find_postgres_bin,
    running_postgres,
)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server on loopback for the session; a visible skip where none is installed."""
    bin_folder = find_postgres_bin()
    if bin_folder is None:
        if os.environ.get(REQUIRE_POSTGRES):
            pytest.fail(f"{REQUIRE_POSTGRES} is set but PostgreSQL (initdb, pg_ctl) is missing")
        pytest.skip(
            "PostgreSQL is not installed (no initdb and pg_ctl found): "
            "apt-get install postgresql to run the tests on a real server"
        )
    with running_postgres(bin_folder) as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The SQLAlchemy URL of a fresh database on the session's server, dropped afterwards."""
    import sqlalchemy

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(postgres_server.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
        yield postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
