"""The photo history after months of a workspace's use: many people, removed photos, big files.

Each test fills a history as a year of use would (other people's entries written with
SQL in one transaction, fast), then uses ``PhotoHistory`` as the tool does. Nothing here
is timed: work is counted (SQLite's virtual-machine steps, bytes read from the file).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import sys
from pathlib import Path

import pytest

from ocp_users_photo.undo import PhotoHistory
from ocp_users_photo.undo.entries import HistoryOwner, ShownPhoto

WORKSPACE = "T0WORKSPACE"
ALICE = HistoryOwner(WORKSPACE, "UALICE")


def _fill(path: Path, people: int, per_person: int, photo_bytes: int) -> None:
    """``people`` others, each with ``per_person`` changes of distinct photos, kept a year ago."""
    PhotoHistory(path).check_usable()  # the package makes the file and its tables
    database = sqlite3.connect(path, isolation_level=None)
    database.execute("PRAGMA synchronous = OFF")
    described = json.dumps({"change": "set", "image": {"format": "PNG"}})
    database.execute("BEGIN")
    number = 0
    for person in range(people):
        for change in range(per_person):
            number += 1
            data = (f"P{person:06d}C{change:03d}".encode() * (photo_bytes // 11 + 1))[:photo_bytes]
            sha256 = hashlib.sha256(data).hexdigest()
            database.execute(
                "INSERT INTO photos VALUES (?, 'image/png', ?, ?)", (sha256, len(data), data)
            )
            database.execute(
                "INSERT INTO entries (workspace, user_id, kept_at, kind, photo_sha256, "
                "avatar_hash, replaced_by, status, result_avatar_hash, ended_at) "
                "VALUES (?, ?, ?, 'custom', ?, ?, ?, 'changed', ?, ?)",
                (
                    WORKSPACE,
                    f"U{person:08d}",
                    1_750_000_000 + number,
                    sha256,
                    f"a{number:011d}",
                    described,
                    f"b{number:011d}",
                    1_750_000_000 + number,
                ),
            )
    database.execute("COMMIT")
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()


async def _change(history: PhotoHistory, owner: HistoryOwner, index: int) -> None:
    data = f"alice-{index}-".encode() * 200
    kept = await history.keep(
        owner, ShownPhoto("custom", f"c{index:011d}", data, "image/png"), {"change": "set"}
    )
    await history.finish(kept.entry, "changed", f"d{index:011d}")


async def _steps_of_a_change_at_the_cap(path: Path) -> int:
    """SQLite VM steps (in hundreds) of one change of Alice's that evicts her oldest photo."""
    history = PhotoHistory(path, max_entries=5)
    try:
        for index in range(5):  # Alice reaches her cap
            await _change(history, ALICE, index)
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        assert history._connection is not None
        history._connection.set_progress_handler(count, 100)
        await _change(history, ALICE, 99)  # evicts one of her photos
        history._connection.set_progress_handler(None, 0)
        return steps[0]
    finally:
        await history.aclose()


async def test_a_change_that_evicts_costs_the_same_however_many_other_people_are_kept(
    tmp_path: Path,
) -> None:
    # An agent acting for a workspace: 2,000 other people, 10 entries each. Evicting one of
    # Alice's photos must not walk everybody's entries (store.py _drop_unused_photo's NOT
    # EXISTS and the photos foreign key both scan `entries`: no index on photo_sha256),
    # inside the write transaction that holds the whole file.
    alone, crowded = tmp_path / "alone.sqlite3", tmp_path / "crowded.sqlite3"
    await asyncio.to_thread(_fill, alone, people=0, per_person=0, photo_bytes=0)
    await asyncio.to_thread(_fill, crowded, people=2_000, per_person=10, photo_bytes=64)
    steps_alone = await _steps_of_a_change_at_the_cap(alone)
    steps_crowded = await _steps_of_a_change_at_the_cap(crowded)
    assert steps_crowded < 3 * steps_alone + 50, (steps_alone, steps_crowded)


def _bytes_read() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/io is Linux's")
async def test_listing_one_persons_photos_does_not_read_every_persons_photos(
    tmp_path: Path,
) -> None:
    # Every command (set, history, undo) and every server start opens a new PhotoHistory,
    # whose first opening runs PRAGMA quick_check: a read of the whole file. A year of a
    # workspace's photos is gigabytes (3.8 GB: 14 s for `history`, 19 s for `set`, from
    # a cold cache), and that time comes out of the call's deadline.
    path = tmp_path / "year.sqlite3"
    # About 48 MB of others' photos.
    await asyncio.to_thread(_fill, path, people=100, per_person=8, photo_bytes=60_000)
    assert (await asyncio.to_thread(path.stat)).st_size > 40_000_000
    history = PhotoHistory(path)
    try:
        before = await asyncio.to_thread(_bytes_read)
        assert await history.entries(ALICE) == []
        read = await asyncio.to_thread(_bytes_read) - before
    finally:
        await history.aclose()
    assert read < 8_000_000, f"{read / 1e6:.1f} MB read to list one person's (empty) history"


async def test_a_photo_removed_from_the_history_does_not_stay_in_its_wal(
    tmp_path: Path,
) -> None:
    # Slack refused the change (or the entry was evicted): "the entry is removed". In a
    # long-lived process (the MCP server, the Bolt app) the -wal file is never truncated
    # (no journal_size_limit, no TRUNCATE checkpoint), so the removed face stays on disk.
    path = tmp_path / "history.sqlite3"
    marker = b"ALICE-FACE-"
    photo = (marker * 200_000)[:2_000_000]
    history = PhotoHistory(path)
    try:
        kept = await history.keep(
            ALICE, ShownPhoto("custom", "aaaaaaaaaaaa", photo, "image/jpeg"), {"change": "set"}
        )
        await history.discard(kept.entry)
        assert await history.entries(ALICE) == []
        for index in range(30):  # later changes of other people, same process
            other = HistoryOwner(WORKSPACE, f"U{index:08d}")
            entry = await history.keep(
                other, ShownPhoto("default", f"g{index:011d}"), {"change": "set"}
            )
            await history.finish(entry.entry, "changed", f"h{index:011d}")
        on_disk = await asyncio.to_thread(_markers_on_disk, tmp_path, marker)
    finally:
        await history.aclose()
    assert all(count == 0 for count in on_disk.values()), on_disk


def _markers_on_disk(folder: Path, marker: bytes) -> dict[str, int]:
    return {
        name: (folder / name).read_bytes().count(marker)
        for name in ("history.sqlite3", "history.sqlite3-wal")
        if (folder / name).exists()
    }
