"""When keeping fails, nothing changes in Slack; when a change fails, the history says so.

A damaged, locked or unwritable history, a token without users.profile:read, an
original that cannot be downloaded, is too big or is no image; a process killed
between keeping and sending; a change Slack refuses, one whose answer is lost, one
that is cancelled. All against the emulator over HTTP, with real SQLite files.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, EmulatorThread, Fault, RunningEmulator
from ocp_users_photo.errors import SlackApiError, TransportError
from ocp_users_photo.undo import HistoryOwner, HistoryUnavailable, PhotoHistory
from ocp_users_photo.undo.store import DEFAULT_LEASE_SECONDS
from ocp_users_photo.undo.turns import wait_for_lease
from ocp_users_photo.web_image import FetchTimedOut, ImageUrlRefused
from ocp_users_photo.web_image.refusals import LATER_OR_GIVE_IT, what_happened
from tests.conftest import CANARY_TOKEN, shown_avatar_hash
from tests.undo_fixtures import (
    GREEN,
    RED,
    damage_table,
    exists,
    history_tool,
    no_read_token,
    rows,
    shown,
    write_file,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


@pytest.fixture
def history_file(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


def tool_for(
    emulator: RunningEmulator, history: Path | PhotoHistory, **options: Any
) -> UsersSetPhoto:
    return history_tool(emulator, history, retry_backoff=0.01, **options)


@pytest.fixture
async def model_door(emulator: RunningEmulator, history_file: Path) -> AsyncIterator[UsersSetPhoto]:
    """A tool whose run() is a model door: keeping on by default."""
    async with tool_for(emulator, history_file) as tool:
        yield tool


def set_photo_requests(emulator: RunningEmulator) -> int:
    return len(emulator.requests.for_path("/api/users.setPhoto"))


async def a_custom_photo(emulator: RunningEmulator) -> str:
    """Give the person a photo of their own (outside the tool); its original's path."""
    async with tool_for(emulator, Path(os.devnull), keep_previous=False) as plain:
        reply = await plain.call({"image": RED})
    original: str = reply["profile"]["image_original"]
    return "/" + original.split("/", 3)[3]


# The history file --------------------------------------------------------------------


async def test_a_damaged_history_is_a_clear_error_and_nothing_changes_in_slack(
    emulator: RunningEmulator, model_door: UsersSetPhoto, history_file: Path
) -> None:
    # SQLite's header, then nothing SQLite reads: a history, damaged (other files: test_cli14).
    write_file(history_file, b"SQLite format 3\x00" + b"this is no SQLite database " * 200)
    before = await shown(emulator, CANARY_TOKEN)

    result = await model_door.run({"image": RED})

    assert result["ok"] is False
    assert result["error"] == "history_unavailable"
    assert "is damaged" in result["message"]
    # A model cannot move the file: it is told whom to tell; the Python caller is told how.
    assert "tell the person" in result["message"]
    assert str(history_file) in result["message"]
    async with tool_for(emulator, history_file, keep_previous=True) as tool:
        with pytest.raises(HistoryUnavailable) as damaged:
            await tool.call({"image": RED})
    assert "move the file away" in damaged.value.message
    assert set_photo_requests(emulator) == 0
    assert await shown(emulator, CANARY_TOKEN) == before


async def test_sqlites_findings_reach_the_model_on_one_line(
    emulator: RunningEmulator, history_file: Path
) -> None:
    """SQLite's check says what it found over several lines, under a heading: the model's
    message got its newlines and a word cut in two."""
    async with tool_for(emulator, history_file, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": GREEN})
    _scatter_damage(history_file)
    async with tool_for(emulator, history_file) as tool:
        result = await tool.run({"image": RED})
    assert result["error"] == "history_unavailable"
    said = result["message"]
    assert "is damaged (SQLite: " in said
    assert "\n" not in said
    assert "***" not in said
    assert set_photo_requests(emulator) == 2


def _scatter_damage(history: Path) -> None:
    """Every 7th byte of every page after the first overwritten (the log checkpointed in)."""
    with sqlite3.connect(history) as database:
        database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(history.read_bytes())
    for at in range(4096, len(data), 7):
        data[at] = 0x5A
    write_file(history, bytes(data))


def test_sqlites_findings_are_cut_at_a_word() -> None:
    from ocp_users_photo.undo.database import _check_summary

    found = ["*** in database main ***\nPage 4: free space corruption\n" + "Page 7: " * 30]
    summary = _check_summary(found)
    assert summary.startswith("Page 4: free space corruption; Page 7: Page 7:")
    assert summary.endswith("Page 7: ...") or summary.endswith("Page 7 ...")
    assert len(summary) <= 124
    assert _check_summary(["row 3 missing from index x"]) == "row 3 missing from index x"


async def test_a_history_damaged_inside_is_found_before_keeping(
    emulator: RunningEmulator, history_file: Path
) -> None:
    async with tool_for(emulator, history_file, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": GREEN})
    damage_table(history_file, "entries")
    async with tool_for(emulator, history_file, keep_previous=True) as tool:
        with pytest.raises(HistoryUnavailable, match="damaged"):
            await tool.call({"image": RED})
    assert set_photo_requests(emulator) == 2


async def test_a_locked_history_is_a_clear_error_and_nothing_changes_in_slack(
    emulator: RunningEmulator, history_file: Path
) -> None:
    history = PhotoHistory(history_file, busy_timeout=0.2)
    async with tool_for(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        before = await shown(emulator, CANARY_TOKEN)
        blocker = sqlite3.connect(history_file, isolation_level=None)
        try:
            blocker.execute("BEGIN EXCLUSIVE")
            with pytest.raises(HistoryUnavailable, match="locked by another program"):
                await tool.call({"image": GREEN})
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert set_photo_requests(emulator) == 1
        assert await shown(emulator, CANARY_TOKEN) == before
        await tool.call({"image": GREEN})  # free again: it works
    assert set_photo_requests(emulator) == 2


async def test_an_unwritable_history_refuses_the_change_at_a_model_door(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    async with tool_for(emulator, not_a_folder / "history.sqlite3") as tool:
        result = await tool.run({"image": RED})
    assert result["error"] == "history_unavailable"
    assert "cannot be created or written" in result["message"]
    assert set_photo_requests(emulator) == 0


async def test_a_turn_held_too_long_elsewhere_is_a_clear_error_naming_the_history(
    history_file: Path,
) -> None:
    asked: list[str] = []

    async def never_free() -> bool:
        asked.append("take")
        return False

    def where() -> Path:
        asked.append("path")
        return history_file

    with pytest.raises(HistoryUnavailable) as caught:
        await wait_for_lease(
            never_free, wait_seconds=0.05, owner=HistoryOwner("T1", "U1"), path=where
        )
    assert str(caught.value) == (
        "another change of U1 in T1's photo has been under way for over 0.05 s (the history "
        f"{history_file} says so); nothing was changed in Slack: try again later"
    )
    # The path is asked for once, for the message, after the tries.
    assert asked[-1] == "path"
    assert asked.count("path") == 1
    assert asked.count("take") >= 2


# The photo shown now cannot be kept -----------------------------------------------------


async def test_without_the_read_scope_a_model_door_refuses_and_says_what_to_do(
    emulator: RunningEmulator, history_file: Path
) -> None:
    async with tool_for(emulator, history_file, token=no_read_token(emulator)) as tool:
        result = await tool.run({"image": RED})
    assert result["error"] == "previous_photo_not_kept"
    assert "users.profile:read" in result["message"]
    assert "reinstall" in result["message"]
    assert "keep_previous=False" in result["message"]
    assert set_photo_requests(emulator) == 0


async def test_without_the_read_scope_the_host_may_turn_keeping_off(
    emulator: RunningEmulator, history_file: Path
) -> None:
    token = no_read_token(emulator)
    async with tool_for(emulator, history_file, token=token, keep_previous=False) as tool:
        assert (await tool.run({"image": RED}))["ok"] is True
    assert set_photo_requests(emulator) == 1
    assert not emulator.requests.for_path("/api/users.profile.get")
    assert not exists(history_file)


async def test_if_readable_sets_and_warns_when_the_token_cannot_read(
    emulator: RunningEmulator, history_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token = no_read_token(emulator)
    async with tool_for(emulator, history_file, token=token, keep_previous="if_readable") as tool:
        assert (await tool.call({"image": RED}))["ok"] is True
        assert await tool.history() == []  # set, and nothing kept
    (warning,) = [r for r in caplog.records if r.name == "ocp_users_photo.undo"]
    assert "was not kept" in warning.getMessage()
    assert "users.profile:read" in warning.getMessage()


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        pytest.param(Fault.status(404), ("could not be downloaded", "HTTP 404"), id="404"),
        pytest.param(Fault.status(500), ("could not be downloaded", "HTTP 500"), id="500"),
        pytest.param(Fault.html_page(), ("not an image",), id="html"),
        pytest.param(
            Fault.status(200, body=b"\x0b\x02\x80", headers={"content-encoding": "br"}),
            ("cannot be read", "'br'"),
            id="compressed",
        ),
        pytest.param(
            Fault.raw(
                b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: 5000\r\n\r\n"
                + RED[:100]
            ),
            ("broke off the answer",),
            id="cut-short",
        ),
        pytest.param(
            Fault.redirect("https://elsewhere.example/x.png"),
            ("redirected to another host, which is never followed",),
            id="redirect-elsewhere",
        ),
        pytest.param(
            Fault.redirect("http://10.0.0.5/x.png"),
            ("redirected to", "an internal address"),
            id="redirect-internal",
        ),
        pytest.param(
            Fault.status(302), ("a redirect without a usable Location",), id="no-location"
        ),
        pytest.param(
            [Fault.redirect("/same")] * 5,
            ("redirected more than 3 times",),
            id="redirect-loop",
        ),
        # A damaged original gives way to the square Slack shows of it, when there is one:
        # tests/test_kept_original_formats.py.
    ],
)
async def test_an_original_that_cannot_be_kept_refuses_the_change(
    emulator: RunningEmulator,
    model_door: UsersSetPhoto,
    fault: Fault | list[Fault],
    said: tuple[str, ...],
) -> None:
    original_path = await a_custom_photo(emulator)
    first, *then = fault if isinstance(fault, list) else [fault]
    emulator.faults.inject(first, path=original_path)
    for each in then:  # the redirect's own target, which redirects again
        emulator.faults.inject(each, path="/same")
    result = await model_door.run({"image": GREEN})
    assert result["error"] == "previous_photo_not_kept"
    for words in said:
        assert words in result["message"]
    # The photo Slack shows is the tool's to download: no caller can give it instead, nor
    # another URL, nor the image file's own URL (each was said to a model here).
    for advice in (
        "download the image and give it",
        "the URL opens the image",
        "not of a page that shows it",
        "use another URL",
        "check the URL",
        "url_hosts",
        "public host",
        "the redirects end at",
        "give the image",
    ):
        assert advice not in result["message"], result["message"]
    assert set_photo_requests(emulator) == 1  # the photo given outside the tool only


@pytest.mark.parametrize(
    "refusal",
    [
        FetchTimedOut(f"the image host sent nothing for 10 s: {LATER_OR_GIVE_IT}"),
        FetchTimedOut(f"fetching the image took longer than 30 s: {LATER_OR_GIVE_IT}"),
        ImageUrlRefused(
            f"the image host answered HTTP 503: the host is busy or failing: {LATER_OR_GIVE_IT}"
        ),
    ],
    ids=["read-timeout", "total-timeout", "busy"],
)
async def test_an_originals_failed_download_is_not_told_to_give_the_image_instead(
    emulator: RunningEmulator,
    model_door: UsersSetPhoto,
    monkeypatch: pytest.MonkeyPatch,
    refusal: ImageUrlRefused,
) -> None:
    """The tool downloads the photo Slack shows itself: "download the image and give it as
    a file path" is advice no caller can take for it, and "try again later" came twice."""
    await a_custom_photo(emulator)
    from ocp_users_photo.web_image import fetch

    async def refused(*_arguments: object, **_options: object) -> None:
        raise refusal

    monkeypatch.setattr(fetch, "fetch_image", refused)
    result = await model_door.run({"image": GREEN})
    assert result["error"] == "previous_photo_not_kept"
    assert "its original could not be downloaded" in result["message"]
    assert "give it as a file path" not in result["message"]
    assert result["message"].lower().count("try again later") == 1, result["message"]
    assert set_photo_requests(emulator) == 1  # the photo given outside the tool only


async def test_an_original_over_the_byte_cap_refuses_the_change(
    emulator: RunningEmulator, history_file: Path
) -> None:
    await a_custom_photo(emulator)
    history = PhotoHistory(history_file, max_original_bytes=len(RED) - 1)
    async with tool_for(emulator, history) as tool:
        result = await tool.run({"image": GREEN})
    assert result["error"] == "previous_photo_not_kept"
    assert f"over the {len(RED) - 1:,}-byte limit" in result["message"]
    assert "smaller image" not in result["message"]  # the photo Slack shows: not the caller's
    assert (
        "Trying again will not help: whoever runs the tool may allow a larger one"
        in (result["message"])
    )
    assert set_photo_requests(emulator) == 1


# How a change ends ------------------------------------------------------------------


async def test_a_change_slack_refuses_leaves_no_entry(
    emulator: RunningEmulator, history_file: Path
) -> None:
    async with tool_for(emulator, history_file, keep_previous=True) as tool:
        emulator.faults.inject(Fault.slack_error("bad_image", status_code=200))
        with pytest.raises(SlackApiError, match="bad_image"):
            await tool.call({"image": RED})
        assert await tool.history() == []
        assert rows(history_file, "SELECT COUNT(*) FROM photos") == [(0,)]


async def test_a_change_whose_answer_is_lost_is_kept_as_unknown(
    emulator: RunningEmulator, history_file: Path
) -> None:
    async with tool_for(emulator, history_file, keep_previous=True, max_retries=0) as tool:
        emulator.faults.inject(Fault.drop())
        with pytest.raises(TransportError):
            await tool.call({"image": RED})
        (entry,) = await tool.history()
    assert entry.status == "unknown"
    assert "may not have happened" in entry.describe()


@pytest.mark.waits
async def test_a_cancelled_change_stays_pending_and_the_next_one_waits_for_it_to_land(
    emulator: RunningEmulator, history_file: Path
) -> None:
    """The cancelled upload reached Slack, which sets it 3 s later (the emulator keeps the
    effect of a call whose client left): the next change waits for that (the keeper's
    settle time), keeps the photo it put up, and is not overtaken by it."""
    async with tool_for(emulator, history_file, keep_previous=True) as tool:
        emulator.faults.inject(Fault.delay(3))
        await cancelled_once_sent(tool, emulator, RED)
        (entry,) = await tool.history()
        assert entry.status == "pending"
        started = time.monotonic()
        green = await asyncio.wait_for(tool.call({"image": GREEN}), 20)  # the turn comes back
        assert time.monotonic() - started >= 3, "the next change ran while Slack still acted"
        newest, cancelled = await tool.history()
        assert cancelled.entry == entry.entry
        assert newest.avatar_hash != cancelled.avatar_hash, "the cancelled photo was kept"
    assert shown_avatar_hash(emulator) == green["profile"]["avatar_hash"]


class KeepPausingHistory(PhotoHistory):
    """A history whose writes of a kept photo wait, once started, for ``go``."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.writing = asyncio.Event()
        self.go = threading.Event()
        self._loop = asyncio.get_running_loop()

    def _blocking(self, operation: Any, args: tuple[Any, ...], *absent: Any) -> Any:
        # _keep_unless_abandoned: how the keeper writes (store.PhotoHistory.keep).
        keeping = operation.__name__ in ("_keep", "_keep_unless_abandoned")
        if keeping and not self.go.is_set():
            self._loop.call_soon_threadsafe(self.writing.set)
            self.go.wait(10)
        return super()._blocking(operation, args, *absent)


async def test_a_change_cancelled_while_its_entry_is_written_leaves_no_entry(
    emulator: RunningEmulator, history_file: Path
) -> None:
    """The change was never sent: its entry, written by a thread that goes on after the
    cancellation, is removed, so cancelled calls do not push real photos out."""
    await a_custom_photo(emulator)
    history = KeepPausingHistory(history_file)
    try:
        async with tool_for(emulator, history, keep_previous=True) as tool:
            task = asyncio.create_task(tool.call({"image": RED}))
            await asyncio.wait_for(history.writing.wait(), 10)
            task.cancel()
            history.go.set()
            with pytest.raises(asyncio.CancelledError):
                await task
            # The removal runs in a task of its own; the person's next change waits for it.
            await asyncio.wait_for(tool.call({"image": GREEN}), 10)
            (entry,) = await tool.history()
    finally:  # a failed step above must not leave the worker waiting or the file open
        history.go.set()
        history.close()
    assert entry.status == "changed"
    assert set_photo_requests(emulator) == 2  # a_custom_photo's, then GREEN's: RED never went
    assert rows(history_file, "SELECT COUNT(*) FROM photos") == [(1,)]


class PausingHistory(PhotoHistory):
    """A history whose next operation's worker thread waits, once started, for ``go``."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.started = asyncio.Event()
        self.go = threading.Event()
        self.pause_next = False
        self._loop = asyncio.get_running_loop()

    def _blocking(self, operation: Any, args: tuple[Any, ...], *absent: Any) -> Any:
        if self.pause_next:
            self.pause_next = False
            self._loop.call_soon_threadsafe(self.started.set)
            self.go.wait(10)
        return super()._blocking(operation, args, *absent)


async def test_a_turn_cancelled_while_its_lease_is_being_taken_gives_the_lease_back(
    history_file: Path,
) -> None:
    """The worker thread runs to its end after a cancellation (taking the lease): the
    lease must be given back, or this living process holds up the person's next change
    until the lease runs out (180 s)."""
    history = PausingHistory(history_file)
    owner = HistoryOwner("T1", "U1")
    try:
        await history.entries(owner)  # the file exists
        history.pause_next = True
        taking = asyncio.create_task(history.turn(owner))
        await asyncio.wait_for(history.started.wait(), 10)
        taking.cancel()
        history.go.set()
        with pytest.raises(asyncio.CancelledError):
            await taking

        turn = await asyncio.wait_for(history.turn(owner), 10)  # the lease was given back

        await turn.end()
    finally:  # a failed step above must not leave the worker waiting or the file open
        history.go.set()
        history.close()


CRASHING_CHILD = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from ocp_users_photo import UsersSetPhoto
    from ocp_users_photo.undo import PhotoHistory

    class DyingHistory(PhotoHistory):
        async def keep(self, *args, **kwargs):
            kept = await super().keep(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)  # kept and fsynced; not yet sent
            return kept

    async def main():
        base_url, history, token, image, lease = sys.argv[1:6]
        tool = UsersSetPhoto(token, base_url=base_url, environ={},
                             photo_history=DyingHistory(history, lease_seconds=float(lease)),
                             keep_previous=True)
        await tool.call({"image": open(image, "rb").read()})

    asyncio.run(main())
    """
)


async def crash_after_keeping(
    emulator: RunningEmulator, history: Path, image: Path, *, lease_seconds: float = 2.0
) -> None:
    """A set of ``image`` killed (SIGKILL) once its photo is kept, before its upload, by a
    process whose lease lasts ``lease_seconds``. The next change made waits out a dead
    process's lease until its end, or the settle time if sooner (turns.try_lease): 2 s
    by default, where a person's lease (180 s) would hold each test the whole 10 s."""
    arguments = [emulator.base_url, str(history), CANARY_TOKEN, str(image), str(lease_seconds)]
    child = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", CRASHING_CHILD, *arguments],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]


@pytest.mark.waits
async def test_a_crash_after_keeping_leaves_a_durable_photo_marked_may_not_have_happened(
    emulator: RunningEmulator, history_file: Path, tmp_path: Path
) -> None:
    await a_custom_photo(emulator)
    before = await shown(emulator, CANARY_TOKEN)
    image = tmp_path / "green.png"
    image.write_bytes(GREEN)
    # A person's lease: it must not hold the next change beyond the settle time.
    await crash_after_keeping(emulator, history_file, image, lease_seconds=DEFAULT_LEASE_SECONDS)

    assert set_photo_requests(emulator) == 1  # only the photo given before
    assert await shown(emulator, CANARY_TOKEN) == before
    async with tool_for(emulator, history_file, keep_previous=True) as tool:
        (entry,) = await tool.history()
        assert entry.status == "pending"
        assert entry.as_dict()["status_text"].startswith("kept; the change may not have happened")
        assert entry.avatar_hash == before.avatar_hash
        assert entry.byte_count == len(RED)
        # The dead process's lease does not hold anyone up.
        await asyncio.wait_for(tool.call({"image": GREEN}), 20)
        await tool.restore(entry)
    assert await shown(emulator, CANARY_TOKEN) == before


_OPEN_AT_ONCE = """
import sys, time
from pathlib import Path
from ocp_users_photo.undo.database import open_history
from ocp_users_photo.undo.errors import HistoryUnavailable
path, start = Path(sys.argv[1]), float(sys.argv[2])
while time.time() < start:
    pass
try:
    open_history(path, 5.0, check=True).close()
except HistoryUnavailable as refused:
    print(refused)
    sys.exit(1)
"""


def test_programs_opening_a_new_history_at_once_all_open_it(tmp_path: Path) -> None:
    """An MCP server and a command line may share one history: made by whichever comes
    first, it must open for the others too (the switch to WAL said "locked" at once)."""
    failures: list[str] = []
    for round_number in range(8):
        path = tmp_path / f"history-{round_number}.sqlite3"
        start = time.time() + 0.5  # every process past its imports before any opens
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", _OPEN_AT_ONCE, str(path), str(start)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(4)
        ]
        for process in processes:
            output, _ = process.communicate(timeout=60)
            if process.returncode != 0:
                failures.append(output.strip())
    assert failures == []


@pytest.mark.waits
def test_a_cancelled_change_holds_the_turn_after_its_loop_ended(history_file: Path) -> None:
    """call_sync, or a script's asyncio.run, ends the loop of a change cancelled after its
    upload went out: the hold is in the history's lease, so the person's next change, on
    another loop, still waits for the cancelled upload to land and is not overtaken."""

    async def cancelled_change() -> None:
        emulator.faults.inject(Fault.delay(1.5))
        async with tool_for(emulator, history_file, keep_previous=True) as first:
            await cancelled_once_sent(first, emulator, RED)

    async def next_change() -> tuple[float, str]:
        started = time.monotonic()
        async with tool_for(emulator, history_file, keep_previous=True) as second:
            reply = await second.call({"image": GREEN})
        waited = time.monotonic() - started
        await asyncio.sleep(2)  # the cancelled upload has landed by now, whenever it does
        return waited, str(reply["profile"]["avatar_hash"])

    # The emulator in a thread of its own: each change runs on a loop that then ends.
    with EmulatorThread(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        asyncio.run(cancelled_change())
        waited, told = asyncio.run(next_change())
        assert shown_avatar_hash(emulator) == told, "overtaken by the cancelled upload"
    assert waited >= 1.5, "the next change ran while Slack still acted on the cancelled one"


async def cancelled_once_sent(tool: UsersSetPhoto, emulator: Any, image: bytes) -> None:
    """A change of ``image``, cancelled once its upload reached the emulator (10 s at most)."""
    task = asyncio.create_task(tool.call({"image": image}))
    for _ in range(1000):
        if emulator.requests.for_path("/api/users.setPhoto"):
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize(
    ("told", "happened"),
    [
        (
            "the image URL's host cannot be used: the host holds a percent sign: write the "
            "host name out plainly",
            "the image URL's host cannot be used: the host holds a percent sign",
        ),
        (
            "the image host h answered HTTP 503 (Service Unavailable) instead of the image: "
            f"the host is busy or failing: {LATER_OR_GIVE_IT}",
            "the image host h answered HTTP 503 (Service Unavailable) instead of the image: "
            "the host is busy or failing",
        ),
        (
            "the redirect is not https://: only https:// links are fetched; give the image's "
            "own https:// URL",
            "the redirect is not https://: only https:// links are fetched",
        ),
        (
            "the TLS connection to h failed (certificate verify failed: x): use an https URL",
            "the TLS connection to h failed (certificate verify failed: x)",
        ),
        (
            "files.slack.com gave an HTML page, not an image: a file shared in Slack is served "
            "only with the app's token; do not try this URL again",
            "files.slack.com gave an HTML page, not an image: a file shared in Slack is served "
            "only with the app's token",
        ),
    ],
)
def test_what_happened_keeps_the_reason_and_leaves_the_advice(told: str, happened: str) -> None:
    """The account of a failed download of Slack's original keeps every reason (a first cut
    at the first colon dropped "the host holds a percent sign") and no advice to the
    caller, which no caller can take for the photo Slack shows."""
    assert what_happened(ImageUrlRefused(told)) == happened
