"""The call's deadline kept by every request of it and only by them; stale undo entries
without a keeper; an undo past a dropped entry heard as one change.

Each test states what the README promises (each failed on 7b9dd3c).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.errors import TransportError, UsersPhotoError
from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome, ChangeInfo
from ocp_users_photo.tokens import StaticToken
from ocp_users_photo.undo import PhotoHistory
from tests.conftest import CANARY_TOKEN, shown_avatar_hash
from tests.test_call_bounds import (
    AUTH_TEST,
    DEADLINE,
    PNG,
    SLACK,
    _json,
    _serve,
    _Server,
    png_file_reply,
    profile_reply,
    rate_limited_reply,
)
from tests.test_undo_crashes_and_locks import BLUE, red_green_then_a_killed_set
from tests.test_undo_faults import crash_after_keeping, set_photo_requests
from tests.undo_fixtures import GREEN, RED, history_tool


def _slow_auth_test_script(slow: dict[str, bool]):  # type: ignore[no-untyped-def]
    """While ``slow["on"]``: auth.test stalls on its first attempt (a read, sent again: ~2.5 s
    with timeout=2); users.setPhoto meets a 429 with Retry-After: 2 once."""
    counts: dict[str, int] = {}

    async def script(server: _Server, path: str, writer: asyncio.StreamWriter) -> None:
        if slow["on"]:  # counted from the undo on
            counts[path] = counts.get(path, 0) + 1
        if path.endswith("auth.test"):
            if counts.get(path) == 1:
                await asyncio.sleep(3600)
            _json(writer, "200 OK", AUTH_TEST)
        elif path.endswith("users.profile.get"):
            _json(writer, "200 OK", profile_reply(server))
        elif path == "/original.png":
            png_file_reply(writer)
        elif counts.get(path) == 1:  # the undo's first upload
            rate_limited_reply(writer, 2)
        else:
            _json(writer, "200 OK", {"ok": True})

    return script


async def test_an_undo_keeps_to_the_deadline_its_auth_test_included(tmp_path: Path) -> None:
    """README, "The bounds every call keeps": deadline= bounds "the whole call: every Slack
    request of it (auth.test, undo's reads, the change, ...)". restore_kept (tool.undo,
    tool.restore, usersRestorePhoto, `ocp-users-photo undo`) resolves the token and asks
    auth.test (history_owner) before it enters call_deadline: that auth.test has a
    deadline of its own, and the rest of the undo a whole new one (~4.5-5 s here)."""
    image = tmp_path / "me.png"
    image.write_bytes(PNG)
    history = tmp_path / "history.db"
    slow = {"on": False}
    async for server in _serve(_slow_auth_test_script(slow)):
        base = f"http://127.0.0.1:{server.port}/api"
        async with UsersSetPhoto(
            "xoxp-1-review", base_url=base, keep_previous=True, photo_history=PhotoHistory(history)
        ) as seeding:
            await seeding.call({"image": str(image)})  # keeps the shown photo as #1
        slow["on"] = True
        # A fresh tool (as the CLI's undo is): auth.test is not remembered yet.
        async with UsersSetPhoto(
            "xoxp-1-review",
            base_url=base,
            timeout=2,
            deadline=DEADLINE,
            max_retries=3,
            keep_previous=True,
            photo_history=PhotoHistory(history),
        ) as tool:
            started = time.monotonic()
            with contextlib.suppress(UsersPhotoError):
                await asyncio.wait_for(tool.undo(), 60)
            elapsed = time.monotonic() - started
    assert elapsed <= DEADLINE * SLACK, (elapsed, server.seen)


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    """As tests/test_undo_choices.py: these tests outrun Slack's rate limit."""
    return EmulatorConfig(rate_limit_per_minute=None)


async def test_an_undo_without_keeping_passes_over_a_change_that_never_happened(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """README (undo): "An entry whose change never happened (a set killed before its
    upload: its photo is still the one shown) is passed over". RED then GREEN are set with
    keeping on (#1 the default avatar, #2 RED), then a set of BLUE is killed before its
    upload (#3, pending, GREEN: the photo shown). An undo from a tool built with
    keep_previous=False puts back #3 (GREEN, already shown: a no-op that says it put a
    photo back), and so does every further undo: the check moved from restore_kept
    (_newest_change, which read users.profile.get) into the keeper, which such a tool has
    not. On ea00cc3 this undo put RED back."""
    history = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        red = shown_avatar_hash(emulator)
        await tool.call({"image": GREEN})
    green = shown_avatar_hash(emulator)
    blue = tmp_path / "blue.png"
    blue.write_bytes(BLUE)
    await crash_after_keeping(emulator, history, blue)
    assert shown_avatar_hash(emulator) == green

    async with history_tool(emulator, history, keep_previous=False) as tool:
        assert [kept.status for kept in await tool.history()] == ["pending", "changed", "changed"]
        reply = await tool.undo()
    assert reply["ok"] is True
    assert shown_avatar_hash(emulator) == red, f"the undo left GREEN ({green}) shown"


class _UndoLater(CallObserver):
    """A host's "this photo for a while, then put the old one back": once a set has ended,
    a task of its own undoes it ``after`` seconds later."""

    def __init__(self, after: float) -> None:
        self.after = after
        self.tool: UsersSetPhoto | None = None
        self.later: asyncio.Task[object] | None = None

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        if outcome.error is None and self.later is None:
            self.later = asyncio.create_task(self._undo())

    async def _undo(self) -> object:
        await asyncio.sleep(self.after)
        assert self.tool is not None
        return await self.tool.undo()


async def test_a_task_started_during_a_call_is_not_held_to_that_calls_deadline(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A task an observer starts during a call copies the context, the call's deadline with
    it: an undo that task makes once the call has ended is another call, with its own
    deadline= (README: "deadline= bounds the whole call"). Before, every request of it was
    given 0 s (TransportError "no complete answer before the call's 2 s deadline")."""
    observer = _UndoLater(after=2.5)
    async with history_tool(
        emulator, tmp_path / "h.sqlite3", keep_previous=True, deadline=2, observers=[observer]
    ) as tool:
        observer.tool = tool
        before = shown_avatar_hash(emulator)
        await tool.call({"image": RED})
        assert observer.later is not None
        outcome = (await asyncio.gather(observer.later, return_exceptions=True))[0]
        assert not isinstance(outcome, BaseException), repr(outcome)
    assert shown_avatar_hash(emulator) == before


class _SlowSecondLookup:
    """A host's token source (a vault, a database) whose second lookup takes ``seconds``."""

    description = "review"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.lookups = 0

    async def token_for(self, person: object) -> object:
        self.lookups += 1
        if self.lookups > 1:
            await asyncio.sleep(self.seconds)
        return await StaticToken(CANARY_TOKEN, origin="review").token_for(None)


@pytest.mark.parametrize("http_stack", ["httpx", "aiohttp"])
async def test_a_change_is_not_sent_once_the_calls_deadline_has_passed(
    http_stack: str,
    emulator: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The call's deadline counts what comes before the upload (the token source's lookup,
    a refresh, auth.test, the keeper's reads and download, a renewal). When it is spent
    before users.setPhoto goes out, nothing is sent, and the photo is unchanged (here the
    token source's lookup outlasts it: TokenUnavailable; the client's own check before
    sending is the next test's). (Before, the attempt was made with a 0 s timeout and, over a
    keep-alive connection, the whole upload went out before the first suspension: Slack
    set the photo while the caller was told it may have.)"""
    monkeypatch.setenv("OCP_USERS_PHOTO_HTTP_STACK", http_stack)
    source = _SlowSecondLookup(seconds=2.2)
    async with history_tool(emulator, tmp_path / "h.sqlite3", deadline=2) as tool:
        tool.token_source = source  # type: ignore[assignment]
        await tool.call({"image": RED})  # the connection is warm, as in a long-running host
        red = shown_avatar_hash(emulator)
        sent = set_photo_requests(emulator)
        try:
            await tool.call({"image": GREEN})
        except UsersPhotoError as error:
            failed: UsersPhotoError | None = error
        else:
            failed = None
        await asyncio.sleep(0.5)  # the tool stays open, as a host's does
    assert failed is not None, "GREEN was sent and set after the call's deadline"
    assert shown_avatar_hash(emulator) == red, f"GREEN was set, yet: {failed}"
    assert set_photo_requests(emulator) == sent, f"sent after the deadline: {failed}"


class _SlowToLetGo(CallObserver):
    """A host's approval step that takes longer than the call's deadline, after the token
    and the image are ready: only the client's own check before sending stops the upload."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.asked = 0

    async def before_change(self, call: CallInfo, change: ChangeInfo) -> None:
        self.asked += 1
        if self.asked > 1:
            await asyncio.sleep(self.seconds)


@pytest.mark.parametrize("http_stack", ["httpx", "aiohttp"])
async def test_a_request_is_not_sent_when_the_work_before_it_spent_the_deadline(
    http_stack: str, emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """slack/client.py: with no time left when users.setPhoto would go out, nothing goes
    out, over a warm keep-alive connection too: TransportError says the deadline passed
    before it was sent."""
    monkeypatch.setenv("OCP_USERS_PHOTO_HTTP_STACK", http_stack)
    slow = _SlowToLetGo(seconds=1.2)
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, deadline=1, observers=[slow]
    ) as tool:
        await tool.call({"image": RED})  # the connection is warm, as in a long-running host
        red = shown_avatar_hash(emulator)
        sent = set_photo_requests(emulator)
        with pytest.raises(TransportError) as failed:
            await tool.call({"image": GREEN})
        await asyncio.sleep(0.3)  # the tool stays open, as a host's does
    assert set_photo_requests(emulator) == sent, "sent after the deadline"
    assert shown_avatar_hash(emulator) == red
    assert "no time was left of the call's 1 s deadline for users.setPhoto" in str(failed.value)
    assert "this request was not sent" in str(failed.value)
    assert failed.value.reached is False


class _Outcomes(CallObserver):
    """A host's audit log: how each change it hears of ended."""

    def __init__(self) -> None:
        self.ended: list[str] = []

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.ended.append("ok" if outcome.error is None else outcome.error.code)


async def test_an_undo_past_a_dropped_entry_is_heard_as_one_successful_change(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """RED, GREEN set with keeping on, then a set of BLUE killed before its upload (#3,
    pending, GREEN shown). tool.undo() passes over #3, and the tool's observers hear one
    change, the one that put RED back (before, they first heard one ended in
    StaleUndoEntry, "nothing_to_undo": an audit log or an agent's history reported a
    failed undo that did not happen)."""
    history, red = await red_green_then_a_killed_set(emulator, tmp_path)

    audit = _Outcomes()
    async with history_tool(emulator, history, keep_previous=True, observers=[audit]) as tool:
        await tool.undo()
    assert shown_avatar_hash(emulator) == red
    assert audit.ended == ["ok"], audit.ended
