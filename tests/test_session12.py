"""Session 12: a history read never creates the file; an undo that chose again ends its call.

Each test was seen failing before its fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images import byte_budget
from ocp_users_photo.images.byte_budget import ByteBudget
from ocp_users_photo.images.input_kinds import kind_of
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.resolvers import ImageIntake, IntakeContext, open_image_source
from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome
from ocp_users_photo.undo.entries import HistoryOwner
from ocp_users_photo.undo.errors import KeptPhotoUnusable
from ocp_users_photo.undo.store import PhotoHistory
from tests.cli_fixtures import slack_emulator_config_fixture  # noqa: F401 (fixtures)
from tests.conftest import make_image
from tests.test_cli import cli
from tests.test_cli11 import replace_kept_bytes
from tests.test_terminal_and_log_echoes import env_for
from tests.test_undo_crashes_and_locks import red_green_then_a_killed_set
from tests.test_undo_faults import set_photo_requests
from tests.undo_fixtures import history_tool

# A history read never creates the file ---------------------------------------------------


async def test_reading_a_history_that_does_not_exist_answers_empty_and_creates_nothing(
    tmp_path: Path,
) -> None:
    """A misspelt history path listed, undone or forgotten left an empty SQLite file there,
    which every later read then took for the history. Reads now answer as an empty
    history would, and only a change (which keeps a photo) makes the file."""
    where = tmp_path / "no-such-folder" / "typo.sqlite3"
    owner = HistoryOwner("T0001", "U0001")
    history = PhotoHistory(where)
    try:
        assert await history.entries(owner) == []
        assert await history.entry(owner, None) is None
        assert await history.entry(owner, 3) is None
        assert await history.newest_entry(owner) == 0
        assert await history.made_here(owner, "0123456789ab") is False
        assert await history.forget(owner) == 0
        assert await history.forget_workspace("T0001") == 0
        assert not where.exists()
        assert not where.parent.exists()
    finally:
        await history.aclose()


async def test_a_history_deleted_under_an_open_connection_is_not_made_again_by_a_read(
    tmp_path: Path,
) -> None:
    """The file removed while this process had it open (the person deleted it to start
    over): the next read sees no history, and does not write an empty one in its place."""
    where = tmp_path / "history.sqlite3"
    owner = HistoryOwner("T0001", "U0001")
    history = PhotoHistory(where)
    try:
        await history.forget(owner)  # absent: answered as an empty history, nothing made
        assert not where.exists()
        where.touch()  # an empty file is a history SQLite opens (its schema made on opening)
        assert await history.entries(owner) == []
        assert where.exists()
        _remove_history_files(tmp_path)
        assert await history.entries(owner) == []
        assert not where.exists()
    finally:
        await history.aclose()


async def test_a_write_ahead_log_left_of_a_history_is_opened_not_taken_for_none(
    tmp_path: Path,
) -> None:
    """The file gone and its -wal left (a crash, a hand that deleted the one file): SQLite
    opening the path takes the log's pages in, a person's kept photos among them, which a
    ``forget`` must reach; answered as no history, they stayed on disk unzeroed."""
    where = tmp_path / "history.sqlite3"
    where.with_name("history.sqlite3-wal").write_bytes(b"\x37\x7f\x06\x82" + bytes(100))
    history = PhotoHistory(where)
    try:
        assert await history.forget(HistoryOwner("T0001", "U0001")) == 0
        assert where.exists(), "the history was opened, its log with it"
    finally:
        await history.aclose()


def _remove_history_files(folder: Path) -> None:
    for leftover in folder.glob("history.sqlite3*"):  # the file, its -wal and -shm
        leftover.unlink()


def test_history_listed_from_a_misspelt_path_leaves_no_file_there(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = env_for(slack_emulator, tmp_path)
    typo = tmp_path / "histroy.sqlite3"
    listed = cli("history", "--json", "--history", str(typo), env=env)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["entries"] == []
    assert not typo.exists()


# An undo that chose again hears its end whatever ends it ---------------------------------


class Recorder(CallObserver):
    """What observers hear of each call: its start, and how it ended."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    async def call_started(self, call: CallInfo) -> None:
        self.events.append(("started", call.tool_name))

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        ended = "ok" if outcome.error is None else type(outcome.error).__name__
        self.events.append(("ended", ended))

    def call_abandoned(self, call: CallInfo) -> None:
        self.events.append(("abandoned", call.tool_name))


async def test_an_undo_past_a_stale_entry_into_an_unusable_one_ends_the_call_it_announced(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The newest entry records a set that never happened (dropped as the undo began, which
    the observers had heard start); the entry before it fails the image checks now. The
    refusal left the observers without the call's end: an agent's history showed the undo
    "executing" for good. They now hear it end in that refusal, and nothing is sent."""
    # #2 keeps red (a change that happened), #3 keeps green (a set that never happened).
    history, _ = await red_green_then_a_killed_set(emulator, tmp_path)
    replace_kept_bytes(history, 2, b"not an image at all" * 10)
    sent = set_photo_requests(emulator)
    recorder = Recorder()
    async with history_tool(emulator, history, keep_previous=True, observers=[recorder]) as tool:
        (stale, older, _) = await tool.history()
        assert (stale.status, older.status) == ("pending", "changed")
        with pytest.raises(KeptPhotoUnusable):
            await tool.undo()
    assert recorder.events == [
        ("started", "usersRestorePhoto"),
        ("ended", "KeptPhotoUnusable"),
    ]
    assert set_photo_requests(emulator) == sent


# A source holds budget bytes once ------------------------------------------------------


async def test_a_path_given_as_base64_shaped_text_holds_its_bytes_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Text of base64's alphabet that names an existing file (no extension, 64 characters
    or more) is read as that path: the intake took the decoded size for it, and the file,
    read whole, took its own size too. The second replaced the first on the source, so
    closing gave back one and left the other counted until the source was collected."""
    budget = ByteBudget(64 * 1024 * 1024)
    monkeypatch.setattr(byte_budget, "image_bytes", budget)
    path = tmp_path / ("photo" * 13)  # no dot: base64-shaped
    path.write_bytes(make_image((600, 600)))
    text = str(path)
    assert kind_of(text)[0] == "base64"
    intake = ImageIntake()
    resolved, problems = await intake.resolve(text, IntakeContext((tmp_path,), ImageLimits()))
    assert problems == []
    assert resolved is not None
    try:
        assert resolved.source.data == path.read_bytes()
        assert budget.held == len(resolved.source.data)
    finally:
        resolved.close()
    assert budget.held == 0


def test_a_file_that_grows_past_the_cap_as_it_is_read_whole_is_not_taken_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cap is checked on the file's size when it is opened; a file read whole that grew
    since (another program still writing it) was taken as it then was, past a cap below
    READ_WHOLE_BYTES. It goes as a grown streamed file does: no more than the size checked."""
    budget = ByteBudget(64 * 1024 * 1024)
    monkeypatch.setattr(byte_budget, "image_bytes", budget)
    png = make_image((600, 600))
    path = tmp_path / "growing.png"
    path.write_bytes(png)
    grows_as_it_is_read(monkeypatch, path, 5000)
    cap = len(png) + 100
    source, problems = open_image_source(path, image_roots=None, limits=ImageLimits(max_bytes=cap))
    assert problems == []
    assert source is not None
    try:
        assert source.data is None, "streamed"
        assert source.byte_count == len(png)
        assert source.stream().read(source.byte_count) == png
        assert budget.held == 0, "what the read whole took is given back as it streams"
    finally:
        source.close()
    assert budget.held == 0


def grows_as_it_is_read(monkeypatch: pytest.MonkeyPatch, path: Path, extra: int) -> None:
    """``path``'s file grows by ``extra`` bytes once its size is checked, before it is read
    whole (another program still writing it)."""
    from ocp_users_photo.images import paths

    original = paths._read_up_to

    def grown_then_read(descriptor: int, limit: int) -> bytes:
        with path.open("ab") as more:
            more.write(bytes(extra))
        return original(descriptor, limit)

    monkeypatch.setattr(paths, "_read_up_to", grown_then_read)
