"""One tool made at import, used the way web apps and workers do (each failed when written).

Each test drives the real package against the emulator in a thread of its own.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import threading
import time
import weakref
from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, EmulatorThread, Fault
from tests.conftest import FORKS_ON_PURPOSE
from tests.http_stacks import stack_environ, stack_params
from tests.installation_helpers import (
    LIFETIME,
    TEAM_ID,
    Clock,
    emulator_source,
    install,
    refreshes,
    rotation_config,
    sqlite_store,
)
from tests.test_call_sync_resources import open_sockets, settled_sockets
from tests.undo_fixtures import picture

TOKEN = "xoxp-1234567890-1234567890123-0123456789abcdef0123456789abcdef"


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("close_tool", [False, True], ids=["plain", "tool_aclose"])
def test_a_timeout_around_a_call_on_asyncio_run_keeps_the_refresh_slack_answered(
    tmp_path: Path, close_tool: bool
) -> None:
    """README (Tokens per person): "a refresh runs to its end even when the call that asked
    for it is cancelled (an asyncio.timeout around it)". A sync web view runs each request
    as asyncio.run(asyncio.wait_for(call, timeout)) on a tool made at import: the timeout
    fires while Slack is answering the refresh, asyncio.run then cancels the shielded
    refresh task as its loop ends, the spent refresh token stays in the store, and every
    later call tells the person to install the app again."""
    with EmulatorThread(rotation_config()) as emulator:
        store = sqlite_store(tmp_path / "i.db")
        asyncio.run(install(emulator, store, "UALICE0001"))
        source = emulator_source(emulator, store, clock=Clock(offset=LIFETIME - 100))
        tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={})
        person = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
        emulator.faults.inject(Fault.delay(1.0), path="oauth.v2.access")

        async def view() -> None:
            try:
                await asyncio.wait_for(person.call({"image": picture((1, 2, 3))}), 0.5)
            finally:
                if close_tool:
                    await tool.aclose()

        with pytest.raises(TimeoutError):
            asyncio.run(view())
        time.sleep(1.5)  # Slack has answered the refresh (and spent the old token) by now
        reply = asyncio.run(person.call({"image": picture((4, 2, 3))}))
        assert reply["ok"] is True
        assert refreshes(emulator) == 1


@pytest.mark.filterwarnings(FORKS_ON_PURPOSE)
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_is_not_held_forever_by_a_refresh_a_parent_thread_had_under_way(
    tmp_path: Path,
) -> None:
    """A threaded app forks (multiprocessing's default on Linux, a pre-fork server whose
    app started a thread) while one of its threads refreshes a person's token. The child
    inherits PersonLocks' queue naming the parent thread's loop, which in the child is
    never closed and never runs again: every call for that person in the child waits
    forever (its deadline does not end the wait)."""
    with EmulatorThread(rotation_config()) as emulator:
        store = sqlite_store(tmp_path / "i.db")
        asyncio.run(install(emulator, store, "UALICE0001"))
        source = emulator_source(emulator, store, clock=Clock(offset=LIFETIME - 100))
        tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={}, deadline=5.0)
        person = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
        emulator.faults.inject(Fault.delay(2.0), path="oauth.v2.access")
        worker = threading.Thread(target=person.call_sync, args=({"image": picture((1, 2, 3))},))
        worker.start()
        started = time.monotonic()
        while not refreshes(emulator):
            assert time.monotonic() - started < 10
            time.sleep(0.01)
        answer_r, answer_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: one call for the same person
            code = 1
            try:
                outcome = b"raised"
                try:
                    if person.call_sync({"image": picture((9, 2, 3))})["ok"] is True:
                        outcome = b"ok"
                except Exception:
                    pass
                os.write(answer_w, outcome)
                code = 0
            finally:
                os._exit(code)
        os.close(answer_w)
        worker.join()
        ended = time.monotonic() + 20
        hung = True
        while time.monotonic() < ended:
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                hung = False  # reaped
                break
            time.sleep(0.1)
        if hung:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        answer = os.read(answer_r, 16)
        os.close(answer_r)
        assert not hung, "the child's call still waited after 20 s (deadline 5 s)"
        assert answer in (b"ok", b"raised")


@pytest.mark.parametrize("http_stack", stack_params())
def test_loops_a_sync_view_leaves_unclosed_are_not_kept_alive_by_a_shared_tool(
    http_stack: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """An old-style sync view: loop = new_event_loop(); loop.run_until_complete(call), never
    closed. Unreferenced, such a loop is collected (and closed) with what it holds; the
    tool's per-loop stacks kept it, with its selector, self-pipe and connection, for good
    (+100 descriptors for 20 requests). On aiohttp's stack the quiet-close finalizer held
    the connector, and so the loop, after the stack had let go (+400 descriptors for 100
    requests); its loops go now too, with no "Unclosed client session" on stderr."""
    with EmulatorThread(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        tool = UsersSetPhoto(TOKEN, base_url=emulator.base_url, environ=stack_environ(http_stack))
        image = picture((1, 2, 3))
        assert tool.call_sync({"image": image})["ok"] is True  # imports and first loads done
        dropped = []
        for _ in range(5):
            loop = asyncio.new_event_loop()
            assert loop.run_until_complete(tool.call({"image": image}))["ok"] is True
            dropped.append(weakref.ref(loop))
            del loop
        for _ in range(3):  # cycles with finalizers take more than one pass
            gc.collect()
        assert [ref() for ref in dropped] == [None] * 5
    assert "Unclosed" not in capfd.readouterr().err


@pytest.mark.parametrize("http_stack", stack_params())
def test_asyncio_run_per_request_closes_its_connection_as_its_loop_ends(http_stack: str) -> None:
    """A web view that runs each call with asyncio.run, the tool made once: each loop's
    connection was left open when asyncio.run closed the loop, closed only by the garbage
    collector, with a ResourceWarning each ("unclosed transport"). asyncio.run's shutdown
    of the loop's async generators closes it now, on its loop."""
    with EmulatorThread(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        tool = UsersSetPhoto(TOKEN, base_url=emulator.base_url, environ=stack_environ(http_stack))
        image = picture((1, 2, 3))
        assert asyncio.run(tool.call({"image": image}))["ok"] is True  # imports done
        gc.collect()
        gc.disable()
        try:
            before = open_sockets()
            for _ in range(5):
                assert asyncio.run(tool.call({"image": image}))["ok"] is True
            after = settled_sockets(before)
        finally:
            gc.enable()
        asyncio.run(tool.aclose())
    assert after <= before, (before, after)


@pytest.mark.parametrize("http_stack", stack_params())
def test_a_call_after_the_loop_shut_its_generators_down_opens_a_new_stack(http_stack: str) -> None:
    """The stack closed as its loop shuts down its async generators was left the loop's:
    a later call on that loop (an app's own generator's cleanup, or a loop whose program
    calls shutdown_asyncgens and goes on) found it closed and failed ("the tool was closed
    while users.setPhoto was under way"). It is the loop's no more once closed."""
    with EmulatorThread(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        tool = UsersSetPhoto(TOKEN, base_url=emulator.base_url, environ=stack_environ(http_stack))
        image = picture((1, 2, 3))
        loop = asyncio.new_event_loop()
        try:
            assert loop.run_until_complete(tool.call({"image": image}))["ok"] is True
            loop.run_until_complete(loop.shutdown_asyncgens())
            assert loop.run_until_complete(tool.call({"image": image}))["ok"] is True
            loop.run_until_complete(tool.aclose())
        finally:
            loop.close()


@pytest.mark.parametrize("http_stack", stack_params())
def test_a_call_dropped_with_its_closed_loop_is_closed_without_a_complaint(
    http_stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker thread's loop stopped and closed with a call under way, the task let go: the
    collector closes the call's coroutine in this thread, outside its task's context, where
    each ContextVar reset in its ``finally`` blocks (the deadline, the redacted secrets)
    raised ValueError ("created in a different Context"): "Exception ignored in: <coroutine
    object UsersSetPhoto.call>" with a traceback, one per dropped call."""
    unraisable: list[str] = []
    monkeypatch.setattr("sys.unraisablehook", lambda info: unraisable.append(repr(info.exc_value)))
    with EmulatorThread(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        tool = UsersSetPhoto(TOKEN, base_url=emulator.base_url, environ=stack_environ(http_stack))
        image = picture((1, 2, 3))
        assert tool.call_sync({"image": image})["ok"] is True  # imports and first loads done

        under_way: list[bool] = []

        def stopped_under_way() -> None:
            loop = asyncio.new_event_loop()
            task = loop.create_task(tool.call({"image": image}))
            loop.call_later(0.3, loop.stop)  # Slack's answer takes 1 s
            loop.run_forever()
            loop.close()
            under_way.append(not task.done())

        for _ in range(3):
            emulator.faults.inject(Fault.delay(1.0))
            worker = threading.Thread(target=stopped_under_way)
            worker.start()
            worker.join(10)
            for _ in range(3):
                gc.collect()
        emulator.faults.clear()
        assert asyncio.run(tool.call({"image": image}))["ok"] is True
    assert under_way == [True] * 3
    assert [text for text in unraisable if "Context" in text] == []
