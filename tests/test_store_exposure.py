"""An installation database someone else made (Bolt, the app's own setup) readable by others.

The tool makes a new SQLite store's file readable by its owner only; one that exists is
left as it is (its mode is its owner's to choose), but it holds every person's tokens, so
a file other users may read is named once, at WARNING, with the command that mends it.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.installations.store_access import StoreAccess
from ocp_users_photo.tokens import ActingPerson
from tests.installation_helpers import set_up

PERSON = ActingPerson("T0123456789", "UALICE0001")


def _made_by_bolt(path: Path, mode: int) -> SQLite3InstallationStore:
    """A store whose file was made before the tool saw it, as Bolt's init() makes it."""
    store = SQLite3InstallationStore(database=str(path), client_id="111.222")
    set_up(store.init)
    os.chmod(path, mode)
    return store


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_store_file_others_can_read_is_named_once_with_the_remedy(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "bolt installations.db"
    access = StoreAccess(_made_by_bolt(database, 0o644))
    for _ in range(3):
        assert await access.find(PERSON) is None
    (warning,) = _warnings(caplog)
    assert "open to users other than its owner (mode 644)" in warning
    assert "every person's Slack tokens" in warning
    assert f"chmod 600 '{database}'" in warning
    # Left as its owner made it: the warning says, the tool does not change it.
    assert stat.S_IMODE(database.stat().st_mode) == 0o644


async def test_a_store_file_is_named_once_for_all_sources_and_again_if_its_mode_changes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A host that makes a token source (so a store access) per request was warned at every
    request: once per file and mode in a process now."""
    database = tmp_path / "installations.db"
    store = _made_by_bolt(database, 0o644)
    for _ in range(3):
        assert await StoreAccess(store).find(PERSON) is None
    assert len(_warnings(caplog)) == 1
    os.chmod(database, 0o640)  # mended in part: still open to the group
    assert await StoreAccess(store).find(PERSON) is None
    assert [w for w in _warnings(caplog) if "(mode 640)" in w]
    assert len(_warnings(caplog)) == 2


@pytest.mark.parametrize(("mode", "named"), [(0o620, "(mode 620)"), (0o600, None)])
async def test_a_store_file_is_named_when_its_group_may_write_and_not_when_owner_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, mode: int, named: str | None
) -> None:
    database = tmp_path / "installations.db"
    access = StoreAccess(_made_by_bolt(database, mode))
    assert await access.find(PERSON) is None
    warnings = _warnings(caplog)
    if named is None:
        assert warnings == []
    else:
        (warning,) = warnings
        assert named in warning


async def test_a_store_file_the_tool_makes_is_owner_only_and_not_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "new.db"
    store = SQLite3InstallationStore(database=str(database), client_id="111.222")
    previous = os.umask(0o022)
    try:
        assert await StoreAccess(store).find(PERSON) is None
    finally:
        os.umask(previous)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert _warnings(caplog) == []
