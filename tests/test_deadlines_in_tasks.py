"""A call's deadline in the tasks it awaits; an undo's observers; an empty history
without keeping. Each states the README's or the docstring's promise (each failed on
cee017f)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.errors import UsersPhotoError
from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome, ChangeInfo
from ocp_users_photo.undo import NothingToUndo
from tests.conftest import shown_avatar_hash
from tests.test_call_bounds import PNG, _json, _serve, _Server
from tests.test_undo_crashes_and_locks import red_green_then_a_killed_set
from tests.undo_fixtures import history_tool


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


class _Pairs(CallObserver):
    """A host observer that pairs each call's start with its end (by the CallInfo it is
    given, as the tool's own keeper does with id(call)), as an audit log or a lock would."""

    def __init__(self) -> None:
        self.started: list[CallInfo] = []
        self.ended: list[CallInfo] = []

    async def call_started(self, call: CallInfo) -> None:
        self.started.append(call)

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.ended.append(call)


async def test_an_undo_past_a_dropped_entry_ends_the_call_it_started(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """restore.py apply_change(announce=False): after StaleUndoEntry, _put_back builds a
    new CallInfo (arguments {"entry": 2}) and observers hear it ended without ever hearing
    it started, while the CallInfo they heard started ({"entry": 3}) never ends nor is
    abandoned (observers.py: a call that ends in neither a reply nor an error is
    abandoned). An observer keyed on the call (as PhotoKeeper is, id(call)) leaks what it
    took in call_started; agents/history.py records "executing" entry 3, then "ok"."""
    history, red = await red_green_then_a_killed_set(emulator, tmp_path)

    pairs = _Pairs()
    async with history_tool(emulator, history, keep_previous=True, observers=[pairs]) as tool:
        await tool.undo()
    assert shown_avatar_hash(emulator) == red
    assert len(pairs.started) == len(pairs.ended) == 1
    assert pairs.ended[0] is pairs.started[0]
    assert [dict(c.arguments) for c in pairs.started] == [dict(c.arguments) for c in pairs.ended]
    assert all(any(e is s for s in pairs.started) for e in pairs.ended), (
        pairs.started,
        pairs.ended,
    )


async def test_an_undo_without_keeping_of_an_empty_history_says_nothing_is_kept(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """restore.py _newest_change: with keeping off and no entry at all, NothingToUndo says
    "the kept entries record changes that did not happen (the photo shown is the one they
    kept)": there are no kept entries. Expected the message restore_kept gives otherwise
    (and gave on bffc840): "a photo is kept when it is replaced with keeping on"."""
    async with history_tool(emulator, tmp_path / "h.sqlite3", keep_previous=False) as tool:
        with pytest.raises(NothingToUndo) as raised:
            await tool.undo()
    message = str(raised.value)
    assert "have not taken effect" not in message, message
    assert "keeping on" in message, message
    # Setting the photo shown already is the other way to have nothing kept: said too.
    assert "already shown replaces nothing" in message, message


def _stalled_profile_script() -> Callable[[_Server, str, asyncio.StreamWriter], Awaitable[None]]:
    """users.profile.get never answers; the rest answers at once."""

    async def script(server: _Server, path: str, writer: asyncio.StreamWriter) -> None:
        if path.endswith("users.profile.get"):
            await asyncio.sleep(3600)
        elif path.endswith("auth.test"):
            _json(writer, "200 OK", {"ok": True, "user_id": "U1", "team_id": "T1"})
        else:
            _json(writer, "200 OK", {"ok": True})

    return script


class _ReadsInATaskGroup(CallObserver):
    """A host observer that, before the change, asks Slack two things at once through the
    session it is given (observers.py: "An observer that must ask Slack something first
    ... gets ChangeInfo.session"), in a TaskGroup: part of the call, awaited by it."""

    async def before_change(self, call: CallInfo, change: ChangeInfo) -> None:
        assert change.session is not None
        await asyncio.sleep(2)  # its own work first (a vault, a policy check): 2 s of the call
        async with asyncio.TaskGroup() as group:
            group.create_task(change.session.call("users.profile.get"))
            group.create_task(change.session.call("auth.test"))


async def test_an_observers_reads_in_a_task_group_keep_to_the_calls_deadline(
    tmp_path: Path,
) -> None:
    """README, bounds: deadline= bounds "the whole call: every Slack request of it".
    deadlines.py now holds the deadline in the call's task only, so Slack requests a call
    awaits from a TaskGroup (or asyncio.gather, or wait_for on 3.11) get the client's whole
    deadline afresh: with deadline=3, after 2 s of the observer's own work, the stalled
    reads retry until ~5 s rather than ending at 3 s. On 956080e it ended at 3 s."""
    image = tmp_path / "me.png"
    image.write_bytes(PNG)
    async for server in _serve(_stalled_profile_script()):
        async with UsersSetPhoto(
            "xoxp-1-review",
            base_url=f"http://127.0.0.1:{server.port}/api",
            environ={},
            keep_previous=False,
            timeout=1,
            deadline=3,
            max_retries=10,
            observers=[_ReadsInATaskGroup()],
        ) as tool:
            started = time.monotonic()
            with contextlib.suppress(UsersPhotoError, ExceptionGroup):
                await asyncio.wait_for(tool.call({"image": str(image)}), 30)
            elapsed = time.monotonic() - started
    assert elapsed <= 3 * 1.2, (elapsed, server.seen)
