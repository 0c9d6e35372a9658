"""Review of session 13: what its changes left, mended.

Each test was seen failing before its fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.agents.route import SlackPhotoRoute
from ocp_users_photo.undo.entries import HistoryOwner
from ocp_users_photo.undo.store import PhotoHistory
from tests.conftest import CANARY_TOKEN
from tests.test_undo10 import history_checks_recorded

# A history copied over the closed one, in place, is checked --------------------------------


def test_a_history_copied_over_the_closed_one_in_place_is_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Session 13 checks a file swapped in after ``check_usable``/``close`` by its device and
    inode alone. A backup put back with ``cp backup history.sqlite3`` (or written over the
    file by any program that truncates and writes) keeps the inode: the next opening took
    it for the file it had checked and skipped SQLite's quick check. What the closed
    connection left (its size and change time too) is compared now."""
    checks = history_checks_recorded(monkeypatch)
    where = tmp_path / "history.sqlite3"
    owner = HistoryOwner("T0001", "U0001")
    backup = PhotoHistory(tmp_path / "backup.sqlite3")
    history = PhotoHistory(where)
    try:
        backup.check_usable()
        backup.close()
        with contextlib.closing(sqlite3.connect(tmp_path / "backup.sqlite3")) as database:
            # A page more than the history (an index: a table of another name is another
            # program's database, refused as such).
            database.execute("CREATE INDEX leases_by_holder ON leases (holder)")
        history.check_usable()
        assert asyncio.run(history.entries(owner)) == []
        assert checks == [True, True, False], "the same file, opened again: not checked again"
        asyncio.run(history.aclose())
        assert asyncio.run(history.entries(owner)) == []
        assert checks == [True, True, False, False], "nor after aclose"
        asyncio.run(history.aclose())
        inode = where.stat().st_ino
        where.write_bytes((tmp_path / "backup.sqlite3").read_bytes())  # cp's way: in place
        assert where.stat().st_ino == inode
        assert asyncio.run(history.entries(owner)) == []
        assert checks == [True, True, False, False, True], "a file copied over it is checked"
    finally:
        history.close()
        backup.close()


# Two re-discoveries of Slack at once -------------------------------------------------------


def test_a_rediscovery_ending_leaves_the_slack_api_another_one_moved_aside(
    tmp_path: Path,
) -> None:
    """Two ``register_api('slack', spec_url=...)`` at once: the first's discovery is in (its
    spec under ``slack``) and, before its task resumes to end the block, the second begins
    and moves that spec aside. The first's end removed the aside entry whatever it held,
    the second's included: the Slack tools vanished from ``list_tools()`` for the second
    discovery's length, what session 13 mended for one. Each end removes only its own."""
    tool = UsersSetPhoto(CANARY_TOKEN, environ={}, image_roots=[tmp_path])
    route = SlackPhotoRoute(tool)
    first_spec, found_by_first = object(), object()
    agent = SimpleNamespace(known_apis={"slack": first_spec})
    second = route.rediscovering(agent)
    with route.rediscovering(agent):
        assert list(agent.known_apis.values()) == [first_spec]
        agent.known_apis["slack"] = found_by_first  # the first discovery's result is in
        second.__enter__()  # the second begins before the first's block has ended
        assert list(agent.known_apis.values()) == [found_by_first]
    assert list(agent.known_apis.values()) == [found_by_first], (
        "the Slack API the second discovery moved aside is still listed"
    )
    agent.known_apis["slack"] = object()  # the second discovery's result is in
    second.__exit__(None, None, None)
    assert list(agent.known_apis) == ["slack"]
    asyncio.run(tool.aclose())


def test_a_failed_rediscovery_leaves_another_ones_slack_api_listed(tmp_path: Path) -> None:
    """A second ``register_api('slack', spec_url=...)`` begun while the first discovers (it
    finds no ``slack`` to move aside) and failing first removed the first's aside entry:
    the Slack tools were gone from ``list_tools()`` until the first discovery ended."""
    tool = UsersSetPhoto(CANARY_TOKEN, environ={}, image_roots=[tmp_path])
    route = SlackPhotoRoute(tool)
    earlier = object()
    agent = SimpleNamespace(known_apis={"slack": earlier})
    with route.rediscovering(agent):
        with pytest.raises(OSError, match="cannot be read"), route.rediscovering(agent):
            raise OSError("the second spec_url cannot be read")
        assert list(agent.known_apis.values()) == [earlier], "listed while the first discovers"
        agent.known_apis["slack"] = object()
    assert list(agent.known_apis) == ["slack"]
    asyncio.run(tool.aclose())
