"""The latest fixes reviewed (clocks, other platforms, MCP): what must hold where they met."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path

import pytest

from ocp_users_photo.images.paths import open_confined
from ocp_users_photo.settings import resolve_roots
from ocp_users_photo.undo import PhotoHistory
from ocp_users_photo.undo.entries import HistoryOwner
from ocp_users_photo.undo.turns import try_lease
from tests.json_nesting import nested_arrays
from tests.test_clock_jumps import clock_off_by
from tests.test_mcp_wire_requests import PING_8_ANSWER, wire_server
from tests.test_mutation_survivors6b import _request_id

OWNER = HistoryOwner("T0REVIEW", "U0REVIEW")
DEEP = nested_arrays()  # past what json.loads can follow on this Python


async def test_a_live_lease_of_a_process_whose_clock_is_10_s_ahead_still_holds(
    tmp_path: Path,
) -> None:
    """README: "processes whose clocks differ by more than a lease should not share a
    history" -- so clocks 10 s apart (lease 30 s) may. turns.py's written_ahead doubts any
    lease more than _SLACK = 5 s beyond its length and takes it while its holder runs: two
    changes of one person overlap (the same for an NTP step back of > 5 s mid-change)."""
    path = tmp_path / "history.sqlite3"
    ahead = PhotoHistory(path, lease_seconds=30)
    behind = PhotoHistory(path, lease_seconds=30)
    try:
        with clock_off_by(10.0):
            held = await ahead.turn(OWNER)  # still under way: not ended
        try:
            second = await asyncio.wait_for(behind.turn(OWNER), 1.0)
        except TimeoutError:
            second = None
        if second is not None:
            await second.end()
        await held.end()
        assert second is None, "a live lease of a clock 10 s ahead was taken over at once"
    finally:
        await ahead.aclose()
        await behind.aclose()


def test_a_live_lease_named_by_an_older_version_is_not_taken_over(tmp_path: Path) -> None:
    """A lease written by the version before (holder ``host|pid|uuid``, no length) whose
    lease_seconds was longer than the taker's: _declared_length is None, so the taker's own
    seconds judge it "written ahead" and it is taken while its holder runs."""
    database = sqlite3.connect(tmp_path / "leases.sqlite3", isolation_level=None)
    database.execute(
        "CREATE TABLE leases (workspace TEXT, user_id TEXT, holder TEXT, expires_at REAL, "
        "PRIMARY KEY (workspace, user_id))"
    )
    database.execute(
        "INSERT INTO leases VALUES (?, ?, ?, ?)",
        (OWNER.workspace, OWNER.user_id, "otherhost|4242|0123abcd", time.time() + 590),
    )
    assert try_lease(database, OWNER, "thishost|1|feed|180", 180.0) is False


@pytest.mark.parametrize(
    ("line", "true_id"),
    [
        # A host whose serializer writes the id after params; the arguments hold an "id".
        (
            '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"usersSetPhoto",'
            '"arguments":{"note":{"id":3},"image":' + DEEP + '}},"id":7}',
            7,
        ),
        # Ids of many digits are read exactly, never cut short nor read as another number.
        (
            '{"jsonrpc":"2.0","id":1234567890123456789012,"method":"ping","x":' + DEEP + "}",
            1234567890123456789012,
        ),
        ('{"jsonrpc":"2.0","id":' + "1" * 101 + ',"method":"ping","x":"\\ud800"}', int("1" * 101)),
        # An id no request has (a fraction) is no id to answer.
        ('{"jsonrpc":"2.0","id":7.5,"method":"ping","x":' + DEEP + "}", None),
    ],
    ids=["nested id before the real one", "22-digit id", "101-digit id", "fraction"],
)
def test_an_unreadable_request_is_never_answered_under_another_id(
    line: str, true_id: int | None
) -> None:
    assert _request_id(line) == true_id


async def test_on_the_wire_a_nested_id_gets_the_parse_error(tmp_path: Path) -> None:
    """The parse error meant for request 7 is sent as the answer to request 3 (another call
    the host may have in flight, failed wrongly) and request 7 hangs."""
    line = (
        '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"usersSetPhoto",'
        '"arguments":{"note":{"id":3},"image":' + DEEP + '}},"id":7}'
    )
    async with wire_server(tmp_path) as wire:
        await wire.send_line(line)
        await wire.send_line(json.dumps({"jsonrpc": "2.0", "id": 8, "method": "ping"}))
        assert await wire.answer(8) == PING_8_ANSWER
        answered_7 = await wire.answer(7, seconds=3)
    assert 3 not in wire.seen, wire.seen.get(3)
    assert answered_7 is not None


def test_a_root_written_through_a_link_and_dotdot_confines_to_the_folder_it_names(
    tmp_path: Path,
) -> None:
    """``work/link/..`` is, for the kernel (and resolve()), the parent of the link's target
    (``a``); abspath() reads it as ``work``. resolve_roots keeps both, so a file in ``work``
    -- outside the folder the root really is -- is opened (settings.py's comment: "the
    opened file's real path ... is inside the resolved root" does not hold)."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    work = tmp_path / "work"
    work.mkdir()
    (work / "link").symlink_to(tmp_path / "a" / "b")
    (work / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    roots = resolve_roots([f"{work}/link/.."])
    assert roots is not None
    source, problems = open_confined(str(work / "secret.png"), roots, 10_000_000)
    if source is not None:
        source.close()
    assert source is None, f"opened outside {tmp_path / 'a'}: roots {roots}"
    assert problems


def test_a_file_url_of_another_machine_in_unc_form_is_refused() -> None:
    """README: "a file: URL of another machine is refused". RFC 8089's UNC form (empty
    authority, path //server/share/...) comes back as the path //server/share/x.png: on
    Windows a UNC path (the file fetched from that server over SMB), on Linux a local
    /server/share/x.png -- what commit 6c46d96 says it stopped doing."""
    from ocp_users_photo.images.input_kinds import kind_of

    kind, value, problems = kind_of("file:////server/share/x.png")
    assert kind is None, (kind, value)
    assert problems


def test_a_long_line_is_walked_for_its_id_up_to_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A line json.loads cannot read is walked for its id (its strings skipped in C; a long
    line in a worker thread, mcp_unread._answer): one over 256 KiB, an inline photo beside
    nesting past json's depth, is answered too (it was dropped); past the walk's bound (far
    above any image a host allows) it is dropped and logged."""
    from ocp_users_photo import mcp_unread

    head = '{"jsonrpc":"2.0","method":"ping","id":5,"x":' + DEEP
    assert _request_id(head + "}") == 5
    long_line = head[:-1] + ',"' + "a" * 300_000 + '"]}'
    assert _request_id(long_line) == 5
    monkeypatch.setattr(mcp_unread, "_MAX_WALKED_CHARS", 256 * 1024)
    assert _request_id(long_line) is None
