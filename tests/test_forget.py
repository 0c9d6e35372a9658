"""Forgetting a person: every photo kept for them leaves the history, its bytes the disk."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.undo import HistoryOwner, PhotoHistory
from ocp_users_photo.undo.entries import ShownPhoto
from tests.conftest import CANARY_TOKEN, shown_avatar_hash
from tests.test_cli import cli
from tests.undo_fixtures import picture

ALICE = HistoryOwner("T0WORKSPACE", "UALICE")
BOB = HistoryOwner("T0WORKSPACE", "UBOB")


def _on_disk(folder: Path, marker: bytes) -> int:
    return sum(path.read_bytes().count(marker) for path in folder.iterdir() if path.is_file())


async def _kept(history: PhotoHistory, owner: HistoryOwner, data: bytes, hash_: str) -> None:
    shown = ShownPhoto("custom", hash_, data, "image/png")
    entry = await history.keep(owner, shown, {"change": "set"})
    await history.finish(entry.entry, "changed", "f" + hash_[1:])


async def test_forgetting_a_person_removes_their_photos_and_keeps_everyone_elses(
    tmp_path: Path,
) -> None:
    alice_only = b"ALICE-ONLY-" * 50_000
    shared = b"SHARED-BYTES-" * 40_000  # the same photo kept for both (stored once)
    history = PhotoHistory(tmp_path / "history.sqlite3")
    try:
        await _kept(history, ALICE, alice_only, "a00000000001")
        await _kept(history, ALICE, shared, "a00000000002")
        await _kept(history, BOB, shared, "b00000000001")
        assert await history.forget(ALICE) == 2
        assert await history.entries(ALICE) == []
        (bobs,) = await history.entries(BOB)
        assert (await history.entry(BOB, bobs.entry)) is not None
        on_disk = await asyncio.to_thread(_on_disk, tmp_path, b"ALICE-ONLY-")
        assert await history.forget(ALICE) == 0  # nothing left: nothing more to remove
    finally:
        await history.aclose()
    assert on_disk == 0  # not in the file, not in its write-ahead log
    assert await asyncio.to_thread(_on_disk, tmp_path, b"SHARED-BYTES-") > 0  # Bob's photo


async def test_forgetting_a_workspace_removes_its_peoples_photos_only(tmp_path: Path) -> None:
    # The Bolt app's app_uninstalled (examples/bolt_revocation.py): every person of the
    # workspace, no one of another.
    elsewhere = HistoryOwner("T0ELSEWHERE", "UALICE")
    history = PhotoHistory(tmp_path / "history.sqlite3")
    try:
        await _kept(history, ALICE, b"ALICE-ONLY-" * 50_000, "a00000000001")
        await _kept(history, BOB, b"BOB-ONLY-" * 50_000, "b00000000001")
        await _kept(history, elsewhere, b"ELSEWHERE-" * 50_000, "c00000000001")
        assert await history.forget_workspace("T0WORKSPACE") == 2
        assert await history.entries(ALICE) == await history.entries(BOB) == []
        assert len(await history.entries(elsewhere)) == 1
        gone = await asyncio.to_thread(_on_disk, tmp_path, b"BOB-ONLY-")
    finally:
        await history.aclose()
    assert gone == 0
    assert await asyncio.to_thread(_on_disk, tmp_path, b"ELSEWHERE-") > 0


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def test_history_forget_removes_the_tokens_persons_kept_photos(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "history.sqlite3"),
    }
    for number, colour in enumerate([(200, 30, 30), (30, 160, 60)]):
        image = tmp_path / f"{number}.png"
        image.write_bytes(picture(colour))
        assert cli("set", str(image), env=env).returncode == 0
    shown = shown_avatar_hash(slack_emulator)
    before = json.loads(cli("history", "--json", env=env).stdout)
    assert len(before["entries"]) == 2

    forgotten = cli("history", "--forget", "--yes", env=env)  # a script: no one to ask
    assert forgotten.returncode == 0, forgotten.stderr
    assert forgotten.stdout.startswith("Removed 2 kept photo(s) from ")
    after = json.loads(cli("history", "--json", env=env).stdout)
    assert after["entries"] == []
    assert after["undo_entry"] is None
    assert shown_avatar_hash(slack_emulator) == shown  # Slack is not touched
    assert (
        json.loads(cli("history", "--forget", "--yes", "--json", env=env).stdout)["forgotten"] == 0
    )
