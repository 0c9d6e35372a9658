"""What the mutation run of 2026-12-06 20:15 UTC found untested in that day's changes: an
input each that tells the code from its mutant."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest

from ocp_users_photo.installations.refresh_runner import RefreshRunner
from ocp_users_photo.mcp_command import _RECORD_CHARS, _RedactingFormatter
from ocp_users_photo.mcp_in_flight import InFlightRequests
from ocp_users_photo.mcp_unread import _top_level
from ocp_users_photo.slack.loop_stacks import LoopStacks
from ocp_users_photo.undo.database import _folder_refusal
from ocp_users_photo.undo.others_files import others_may_write

WAYS = "(photo_history=...)"
PASTED = "xoxp-1111111111-2222222222-3333333333-canary0c4a7e9f1b2d3c4e5f60718293a4b5c6"


# undo/others_files.py ---------------------------------------------------------------------


def test_a_shm_file_any_user_may_write_is_named(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite3"
    history.write_bytes(b"")
    history.chmod(0o600)
    shm = tmp_path / "history.sqlite3-shm"
    shm.write_bytes(b"")
    shm.chmod(0o666)
    found = others_may_write(str(history), WAYS)
    assert found is not None
    assert "its -shm file has mode 666" in found.what


def test_a_side_file_that_is_no_file_does_not_end_the_look_at_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "open"
    folder.mkdir()
    (folder / "history.sqlite3-wal").mkdir()
    folder.chmod(0o777)
    found = others_may_write(str(folder / "history.sqlite3"), WAYS)
    assert found is not None
    assert "is in a folder any user may write to" in found.what


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file another group")
def test_a_history_a_shared_group_may_write_is_named_with_its_group(tmp_path: Path) -> None:
    """A history in a group's shared folder (660 in 770): a member of that group could
    write the rows undo puts back. This user's own group (a user private group) is no one
    else's."""
    import grp

    shared = next((group for group in grp.getgrall() if group.gr_gid != os.getegid()), None)
    if shared is None:
        pytest.skip("no group other than this user's")
    folder = tmp_path / "team"
    folder.mkdir()
    history = folder / "history.sqlite3"
    history.write_bytes(b"")
    os.chown(history, os.geteuid(), shared.gr_gid)
    history.chmod(0o660)
    found = others_may_write(str(history), WAYS)
    assert found is not None
    assert f"may be written by the users of group {shared.gr_name}" in found.what
    history.chmod(0o600)
    os.chown(folder, os.geteuid(), shared.gr_gid)
    folder.chmod(0o770)
    found = others_may_write(str(history), WAYS)
    assert found is not None
    assert f"is in a folder the users of group {shared.gr_name} may write to" in found.what
    folder.chmod(0o700)
    assert others_may_write(str(history), WAYS) is None


def test_the_folder_refusals_example_path_is_masked(tmp_path: Path) -> None:
    said = str(_folder_refusal(tmp_path / PASTED))
    assert "such as" in said
    assert PASTED not in said


# mcp_unread.py, mcp_in_flight.py, mcp_hangup.py, mcp_command.py --------------------------


def test_a_line_cut_short_still_gives_its_id() -> None:
    line = '{"jsonrpc":"2.0","id":7,"method":"tools/list" , '  # cut short after a comma
    assert _top_level(line) == {"jsonrpc": "2.0", "id": 7, "method": "tools/list"}


class _Request:
    def __init__(self, request_id: int) -> None:
        self.message = type("Message", (), {"method": "tools/call", "id": request_id})()


async def test_room_that_comes_with_the_hosts_end_is_given_back() -> None:
    in_flight = InFlightRequests(limit=1)
    await in_flight.admit(_Request(1))
    waiting = asyncio.ensure_future(in_flight.admit(_Request(2)))
    await asyncio.sleep(0)
    in_flight._settle(1)  # the first is answered...
    in_flight.host_gone()  # ...as the host closes stdin, in the same turn
    with pytest.raises(anyio.EndOfStream):
        await waiting
    assert not in_flight._free.locked()  # the room given back, not held by no one


async def test_a_request_let_in_after_a_wait_leaves_no_task_behind() -> None:
    in_flight = InFlightRequests(limit=1)
    await in_flight.admit(_Request(1))
    before = len(asyncio.all_tasks())
    waiting = asyncio.ensure_future(in_flight.admit(_Request(2)))
    await asyncio.sleep(0)
    in_flight._settle(1)
    await waiting
    await asyncio.sleep(0)
    assert len(asyncio.all_tasks()) == before  # the wait for the host's end cancelled


def test_a_record_is_cut_at_the_bound_exactly() -> None:
    formatter = _RedactingFormatter("%(message)s", None)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "y" * (_RECORD_CHARS + 1), (), None)
    said = formatter.format(record)
    assert said == "y" * _RECORD_CHARS + "... (1 characters more)"


# installations/refresh_runner.py, slack/loop_stacks.py ------------------------------------


async def test_aclose_bounds_a_last_step_that_never_ends_and_raises_one_that_fails() -> None:
    async def hangs() -> None:
        await asyncio.sleep(3600)

    async def fails() -> None:
        raise ValueError("the last step failed")

    async def nothing() -> None:
        return None

    runner = RefreshRunner()
    await asyncio.wrap_future(runner.submit(nothing()))
    assert await asyncio.wait_for(runner.aclose(hangs, wait=0.5), 10) is False
    failing = RefreshRunner()
    await asyncio.wrap_future(failing.submit(nothing()))
    with pytest.raises(ValueError, match="the last step failed"):
        await asyncio.wait_for(failing.aclose(fails), 10)
    for left in (runner, failing):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(left.aclose(wait=5), 10)


class _FailingStack:
    """A stack whose close fails: its failure is read, not left to the loop's complaint."""

    is_closed = False
    closed = threading.Event()

    async def post(self, *_: Any) -> Any:
        raise AssertionError

    def let_go(self) -> None:
        pass

    async def aclose(self) -> None:
        self.closed.set()
        raise OSError("the close failed")


async def test_a_close_that_fails_on_a_dropped_clients_loop_is_read() -> None:
    loop = asyncio.get_running_loop()
    said: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: said.append(context))
    try:
        stacks = LoopStacks()
        stack = _FailingStack()
        stacks.set(loop, stack)
        stacks.close_on_their_loops()
        del stack
        for _ in range(5):
            await asyncio.sleep(0)
        import gc

        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)
    assert _FailingStack.closed.is_set()
    assert not [context for context in said if "never retrieved" in str(context.get("message"))]
