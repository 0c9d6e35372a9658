"""Undo against the emulator over real HTTP, with a real SQLite history file.

Each test compares what Slack shows (the avatar hash and every rendition a client
would load), not only the bytes kept.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.observers import CallInfo, CallObserver, ChangeInfo
from ocp_users_photo.undo import NothingToUndo, PhotoHistory
from ocp_users_photo.undo.entries import HistoryOwner, ShownPhoto
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import GREEN, RED, exists, file_mode, history_tool, picture, rows, shown

BLUE_JPEG = picture((40, 60, 200), fmt="JPEG")


@pytest.fixture
def history_file(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
async def keeping(emulator: RunningEmulator, history_file: Path) -> AsyncIterator[UsersSetPhoto]:
    """The Python API with keeping asked for (keep_previous=True) and its own history file."""
    async with history_tool(emulator, history_file, keep_previous=True) as tool:
        yield tool


async def test_set_a_with_a_crop_box_set_b_undo_gives_a_as_shown_undo_again_gives_b(
    emulator: RunningEmulator, keeping: UsersSetPhoto
) -> None:
    await keeping.call({"image": RED, "crop_x": 40, "crop_y": 80, "crop_w": 480})
    shown_a = await shown(emulator, CANARY_TOKEN)
    await keeping.call({"image": GREEN})
    shown_b = await shown(emulator, CANARY_TOKEN)
    assert shown_b.avatar_hash != shown_a.avatar_hash
    assert shown_b.renditions != shown_a.renditions

    reply = await keeping.undo()
    assert reply["profile"]["avatar_hash"] == shown_a.avatar_hash
    # The same picture cut the same way: the hash covers the crop box, the renditions show it.
    assert await shown(emulator, CANARY_TOKEN) == shown_a

    await keeping.undo()
    assert await shown(emulator, CANARY_TOKEN) == shown_b

    await keeping.undo()
    assert await shown(emulator, CANARY_TOKEN) == shown_a


async def test_default_avatar_set_a_undo_gives_the_default_avatar_back(
    emulator: RunningEmulator, keeping: UsersSetPhoto
) -> None:
    before = await shown(emulator, CANARY_TOKEN)
    assert not before.is_custom
    await keeping.call({"image": BLUE_JPEG})
    assert (await shown(emulator, CANARY_TOKEN)).is_custom

    reply = await keeping.undo()

    assert reply == {"ok": True}  # users.deletePhoto's answer
    assert await shown(emulator, CANARY_TOKEN) == before
    assert emulator.requests.for_path("/api/users.deletePhoto")
    # And the undo of the undo sets the JPEG again.
    await keeping.undo()
    again = await shown(emulator, CANARY_TOKEN)
    assert again.is_custom
    assert again.original == BLUE_JPEG


async def test_history_lists_time_size_hash_and_kind_and_restore_puts_back_any_entry(
    emulator: RunningEmulator, keeping: UsersSetPhoto
) -> None:
    started = datetime.datetime.now(datetime.UTC)
    original = await shown(emulator, CANARY_TOKEN)
    await keeping.call({"image": RED, "crop_x": 0, "crop_y": 0, "crop_w": 512})
    shown_red = await shown(emulator, CANARY_TOKEN)
    await keeping.call({"image": GREEN})
    await keeping.call({"image": BLUE_JPEG})

    listed = await keeping.history()

    assert [entry.kind for entry in listed] == ["custom", "custom", "default"]
    newest, red, first = listed
    assert first.original
    assert not newest.original
    assert not red.original
    assert first.avatar_hash == original.avatar_hash
    assert red.avatar_hash == shown_red.avatar_hash
    assert red.byte_count == len(RED)
    assert red.content_type == "image/png"
    assert red.crop_box is not None
    assert (red.crop_box.x, red.crop_box.width) == (0, 512)
    assert all(entry.status == "changed" for entry in listed)
    assert all(entry.kept_at >= started - datetime.timedelta(seconds=1) for entry in listed)
    assert newest.replaced_by["image"]["format"] == "JPEG"
    text = json.dumps([entry.as_dict() for entry in listed])
    # Exactly the listed facts: no bytes, no field added unnoticed.
    assert set(json.loads(text)[0]) == {
        "entry",
        "kept_at",
        "kind",
        "avatar_hash",
        "sha256",
        "bytes",
        "content_type",
        "crop",
        "status",
        "status_text",
        "original",
        "replaced_by",
    }

    await keeping.restore(red)
    assert await shown(emulator, CANARY_TOKEN) == shown_red
    await keeping.restore(first.entry)
    assert await shown(emulator, CANARY_TOKEN) == original
    kinds = [
        (entry.replaced_by["change"], entry.replaced_by.get("restores"))
        for entry in await keeping.history()
    ][:2]
    assert kinds == [("restore", first.entry), ("restore", red.entry)]


async def test_python_call_keeps_nothing_unless_asked(
    emulator: RunningEmulator, history_file: Path
) -> None:
    async with history_tool(emulator, history_file) as tool:
        await tool.call({"image": RED})
        upload = await tool.prepare({"image": GREEN})
        await tool.send(upload)
        assert not emulator.requests.for_path("/api/users.profile.get")
        assert not exists(history_file)
        with pytest.raises(NothingToUndo, match="no kept photo"):
            await tool.undo()


async def test_prepare_then_send_keeps_when_asked(
    emulator: RunningEmulator, keeping: UsersSetPhoto
) -> None:
    before = await shown(emulator, CANARY_TOKEN)
    async with keeping.prepare({"image": RED}) as upload:
        reply = await keeping.send(upload)
    assert reply["ok"] is True
    assert upload.summary()["format"] == "PNG"
    (entry,) = await keeping.history()
    assert entry.avatar_hash == before.avatar_hash
    assert entry.status == "changed"


async def test_model_doors_keep_by_default_and_not_when_the_host_turns_it_off(
    emulator: RunningEmulator, history_file: Path
) -> None:
    async with history_tool(emulator, history_file) as tool:
        result = await tool.run({"image": RED})
        assert result["ok"] is True
        assert len(await tool.history()) == 1
    async with history_tool(emulator, history_file, keep_previous=False) as tool:
        assert (await tool.run({"image": GREEN}))["ok"] is True
        assert len(await tool.history()) == 1


async def test_the_default_history_is_in_the_users_data_folder(
    emulator: RunningEmulator, private_data_folder: Path
) -> None:
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        assert (await tool.run({"image": RED}))["ok"] is True
        path = tool.photo_history.path
    assert path == private_data_folder / "ocp-users-photo" / "photo-history.sqlite3"
    assert rows(path, "SELECT COUNT(*) FROM entries") == [(1,)]
    assert file_mode(path) & 0o077 == 0  # people's photos: readable by their owner only


async def test_the_default_history_file_is_found_once_and_kept(
    private_data_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocp_users_photo.undo import HistoryOwner

    owner = HistoryOwner("T1", "U1")
    history = PhotoHistory()
    try:
        assert await history.entries(owner) == []
        first = history.path
        assert first == private_data_folder / "ocp-users-photo" / "photo-history.sqlite3"
        # The environment changing later moves neither the connection nor the messages.
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "later"))
        assert await history.entries(owner) == []
        assert history.path == first
        assert not exists(tmp_path / "later")
    finally:
        await history.aclose()


async def test_the_history_variable_names_the_file(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    wanted = tmp_path / "elsewhere" / "kept.sqlite3"
    environ = {"OCP_USERS_PHOTO_HISTORY": str(wanted)}
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ=environ) as tool:
        await tool.run({"image": RED})
    assert rows(wanted, "SELECT kind FROM entries") == [("default",)]


async def test_the_same_original_is_stored_once(
    emulator: RunningEmulator, keeping: UsersSetPhoto, history_file: Path
) -> None:
    for image in (RED, GREEN, RED, GREEN, RED, GREEN):
        await keeping.call({"image": image})
    assert rows(history_file, "SELECT COUNT(*) FROM entries") == [(6,)]
    # The default avatar has no bytes; RED and GREEN are kept twice and thrice each.
    stored = rows(history_file, "SELECT byte_count FROM photos ORDER BY byte_count")
    counts: list[int] = []
    for (count,) in stored:
        assert isinstance(count, int)  # an INTEGER column
        counts.append(count)
    assert sorted(counts) == sorted([len(RED), len(GREEN)])


async def test_the_original_photo_is_never_evicted(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history = PhotoHistory(tmp_path / "small.sqlite3", max_entries=3)
    colours = [picture((10 * step, 100, 200 - 10 * step)) for step in range(8)]
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})  # the original becomes RED: keep a custom one
        first_custom = await shown(emulator, CANARY_TOKEN)
        for image in colours:
            await tool.call({"image": image})
        listed = await tool.history()
        assert len(listed) == 3
        assert listed[-1].original
        assert listed[-1].kind == "default"
        # RED's entry was evicted.
        assert first_custom.avatar_hash not in {entry.avatar_hash for entry in listed}
        assert listed[0].sha256 is not None
        await tool.restore(listed[-1])
    assert not (await shown(emulator, CANARY_TOKEN)).is_custom


async def test_the_size_cap_evicts_but_keeps_the_original_and_the_newest(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    big = [picture((step * 30, 50, 90), size=900) for step in range(5)]
    history = PhotoHistory(tmp_path / "capped.sqlite3", max_bytes=len(big[0]) + 10)
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": big[0]})  # keeps RED: the original is the default avatar
        for image in big[1:]:
            await tool.call({"image": image})
        listed = await tool.history()
    # Over the cap, only the original (default avatar, no bytes) and the newest kept stay.
    assert [entry.kind for entry in listed] == ["custom", "default"]
    assert listed[0].byte_count == len(big[-2])
    assert len(rows(tmp_path / "capped.sqlite3", "SELECT sha256 FROM photos")) == 1


async def test_two_changes_at_once_for_one_person_are_both_kept_in_order(
    emulator: RunningEmulator, keeping: UsersSetPhoto, history_file: Path
) -> None:
    before = await shown(emulator, CANARY_TOKEN)

    await asyncio.gather(keeping.call({"image": RED}), keeping.call({"image": GREEN}))

    now = await shown(emulator, CANARY_TOKEN)
    newest, oldest = await keeping.history()
    assert oldest.avatar_hash == before.avatar_hash
    # The second change kept what the first one set: nothing was replaced unseen.
    assert newest.avatar_hash != now.avatar_hash
    assert newest.avatar_hash == newest_replaced_hash(history_file, oldest.entry)
    await keeping.undo()
    await keeping.restore(oldest)
    assert await shown(emulator, CANARY_TOKEN) == before


async def test_two_histories_on_one_file_take_turns_through_the_lease(
    emulator: RunningEmulator, history_file: Path
) -> None:
    # Two PhotoHistory objects share no asyncio lock: only the file's lease orders them,
    # as it orders two processes.
    before = await shown(emulator, CANARY_TOKEN)
    tools = [
        history_tool(emulator, PhotoHistory(history_file), keep_previous=True) for _ in range(2)
    ]
    try:
        await asyncio.gather(tools[0].call({"image": RED}), tools[1].call({"image": GREEN}))
        newest, oldest = await tools[0].history()
    finally:
        for tool in tools:
            await tool.aclose()
    assert oldest.avatar_hash == before.avatar_hash
    assert newest.avatar_hash == newest_replaced_hash(history_file, oldest.entry)
    assert rows(history_file, "SELECT COUNT(*) FROM leases") == [(0,)]


def newest_replaced_hash(history_file: Path, entry: int) -> object:
    """What Slack showed after the change that followed ``entry``."""
    ((found,),) = rows(history_file, f"SELECT result_avatar_hash FROM entries WHERE id = {entry}")
    return found


async def test_putting_a_photo_back_asks_the_token_source_once(
    emulator: RunningEmulator, history_file: Path
) -> None:
    from ocp_users_photo.credentials import SlackToken
    from ocp_users_photo.tokens import ActingPerson

    class CountedToken:
        """The canary token, counting how often a call asks for it."""

        description = "counted"
        asked = 0

        async def token_for(self, person: ActingPerson | None) -> SlackToken:
            self.asked += 1
            return SlackToken(CANARY_TOKEN)

        async def renew(self, person: ActingPerson | None, expired: SlackToken) -> None:
            return None

    source = CountedToken()
    async with UsersSetPhoto(
        source,
        base_url=emulator.base_url,
        environ={},
        photo_history=history_file,
        keep_previous=True,
    ) as tool:
        await tool.call({"image": RED})
        source.asked = 0
        assert await tool.undo() == {"ok": True}
        assert source.asked == 1  # the history's owner and users.deletePhoto share one token
        assert not (await shown(emulator, CANARY_TOKEN)).is_custom
        source.asked = 0
        assert (await tool.undo())["ok"] is True
        assert source.asked == 1  # and so do the owner and users.setPhoto putting RED back
    assert (await shown(emulator, CANARY_TOKEN)).original == RED


@pytest.mark.parametrize("entry", [0, -1])
async def test_restore_of_a_number_below_one_is_refused_as_an_argument(
    emulator: RunningEmulator, keeping: UsersSetPhoto, entry: int
) -> None:
    with pytest.raises(InvalidArguments, match=f"entry {entry} is no entry number"):
        await keeping.restore(entry)
    with pytest.raises(TypeError, match="not str"):
        await keeping.restore("1")  # type: ignore[arg-type]
    assert not emulator.requests.for_path("/api/users.setPhoto")


@pytest.mark.parametrize(
    "entry",
    [2**53, 10**1000, 10**5000, -(10**5000)],
    ids=["2**53", "10**1000", "10**5000", "-10**5000"],
)
async def test_restore_of_a_number_past_every_entry_is_refused_as_the_models_door_refuses_it(
    emulator: RunningEmulator, keeping: UsersSetPhoto, entry: int
) -> None:
    """usersRestorePhoto takes 1 to 2**53 - 1; tool.restore took any int: one of a thousand
    digits was quoted whole in its refusal, and one past 4,300 digits raised Python's own
    ValueError (int to text) instead of an InvalidArguments."""
    with pytest.raises(
        InvalidArguments, match="entries are numbered from 1 to 9007199254740991"
    ) as refused:
        await keeping.restore(entry)
    assert len(refused.value.message) < 300
    assert not emulator.requests.for_path("/api/users.setPhoto")


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ({"busy_timeout": 10**400}, "busy_timeout must be a number of seconds above 0, got a "),
        ({"lease_seconds": 10**400}, "lease_seconds must be a number of seconds above 0, got a "),
        ({"max_entries": -(10**5000)}, "max_entries must be a whole number of at least 2, got a"),
    ],
    ids=["busy_timeout-10**400", "lease_seconds-10**400", "max_entries--10**5000"],
)
def test_a_history_setting_past_any_number_is_refused_naming_it(
    tmp_path: Path, setting: dict[str, int], said: str
) -> None:
    """As the tool's own seconds: 10**400 raised OverflowError (int to float) and 5,000
    digits Python's int-to-text ValueError, neither naming the setting to mend."""
    with pytest.raises(ValueError, match=said) as refused:
        PhotoHistory(tmp_path / "history.sqlite3", **setting)
    assert len(str(refused.value)) < 200
    assert not list(tmp_path.iterdir())


async def test_a_history_busy_timeout_past_sqlites_longest_wait_waits_and_forgets(
    tmp_path: Path,
) -> None:
    """SQLite's busy timeout is a C int of milliseconds: a busy_timeout past it (1e7, "as
    long as it takes") reached SQLite as 0, a write refused at once while another program
    wrote, and 1e308 raised OverflowError from forget, its entries already removed."""
    path = tmp_path / "history.sqlite3"
    owner = HistoryOwner("T1", "U1")
    photo = ShownPhoto("custom", "0123456789ab", RED, "image/png")
    async with PhotoHistory(path, busy_timeout=1e308) as history:
        await history.keep(owner, photo, {})
        assert await history.forget(owner) == 1
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another program writing, for a moment
        asyncio.get_running_loop().call_later(0.3, writer.execute, "COMMIT")
        async with PhotoHistory(path, busy_timeout=10**7) as patient:
            kept = await patient.keep(owner, photo, {})
            assert [entry.entry for entry in await patient.entries(owner)] == [kept.entry]
    finally:
        writer.close()


class _HeldBeforeKeeping(CallObserver):
    """Holds a change after its checks, before the keeper (told last) keeps its photo."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.go_on = asyncio.Event()

    async def before_change(self, call: CallInfo, change: ChangeInfo) -> None:
        self.reached.set()
        await self.go_on.wait()


async def test_an_undo_before_a_first_change_has_kept_its_photo_says_to_undo_once_it_ends(
    emulator: RunningEmulator, keeping: UsersSetPhoto
) -> None:
    held = _HeldBeforeKeeping()
    change = asyncio.create_task(keeping.call_with_summary({"image": RED}, observers=[held]))
    await asyncio.wait_for(held.reached.wait(), 10)
    with pytest.raises(NothingToUndo, match="undo again once it has ended") as early:
        await asyncio.wait_for(keeping.undo(), 10)
    assert "no kept photo" in str(early.value)
    held.go_on.set()
    await change
    before_red = await keeping.undo()  # the change kept what it replaced: back to it
    assert before_red["ok"] is True
