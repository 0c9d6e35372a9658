"""Two gaps the review of 2026-12-06 found in code shared by threads and forks:

- the image byte budgets had no reset after a fork: a child forked while its parent's
  calls held bytes kept them counted (nobody there gives them back), and every image call
  of the child waited to its deadline;
- the stacks a client keeps per event loop were walked (a WeakSet, a step at a time) as
  other threads' loops added and dropped theirs: ``call_sync`` from several threads on one
  tool sometimes raised "Set changed size during iteration", after Slack had set a photo.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ocp_users_photo.images import byte_budget
from ocp_users_photo.installations.shared_failures import SharedFailures
from ocp_users_photo.slack.loop_stacks import LoopStacks
from ocp_users_photo.slack.session import IdentityCache
from ocp_users_photo.slack.stacks import OwnedStack
from tests.conftest import FORKS_ON_PURPOSE

MiB = 1 << 20


@pytest.mark.filterwarnings(FORKS_ON_PURPOSE)
@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_holds_none_of_its_parents_image_bytes() -> None:
    held = byte_budget.image_bytes.try_hold(64 * MiB)
    assert held is not None
    reading, writing = os.pipe()
    try:
        child = os.fork()
        if child == 0:  # the child: say what it holds, and whether it can take bytes at once
            before = byte_budget.image_bytes.held
            taken = byte_budget.image_bytes.try_hold(byte_budget.image_bytes.capacity)
            os.write(writing, f"{before} {taken is not None}".encode())
            os._exit(0)
        os.close(writing)
        _, status = os.waitpid(child, 0)
        said = os.read(reading, 100).decode()
    finally:
        os.close(reading)
        held.release()
    assert os.WEXITSTATUS(status) == 0
    assert said == "0 True"


class _Stack:
    """Stands in for an OwnedStack: what let_go_of_closed calls of a closed loop's."""

    def let_go(self) -> None:
        pass


@pytest.fixture
def quick_switches() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often: the walks are interrupted
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def test_loops_added_and_dropped_by_other_threads_do_not_break_a_walk(
    quick_switches: None,
) -> None:
    stacks = LoopStacks()
    loops = [asyncio.new_event_loop() for _ in range(50)]
    stack: OwnedStack = _Stack()  # type: ignore[assignment]
    stop = threading.Event()

    def other_threads_loops() -> None:
        while not stop.is_set():
            for loop in loops:
                stacks.set(loop, stack)
            for loop in loops:
                stacks.pop(loop)

    errors: list[str] = []
    changing = threading.Thread(target=other_threads_loops)
    changing.start()
    try:
        for _ in range(5000):
            try:
                stacks.let_go_of_closed()
                bool(stacks)
            except RuntimeError as error:
                errors.append(str(error))
    finally:
        stop.set()
        changing.join()
        for loop in loops:
            loop.close()
    assert errors == []


def _stacks() -> tuple[Any, Callable[[], object]]:
    stacks = LoopStacks()
    return stacks._lock, stacks.let_go_of_closed


def _identities() -> tuple[Any, Callable[[], object]]:
    cache = IdentityCache()
    return cache._lock, lambda: cache.get(b"key")


def _failures() -> tuple[Any, Callable[[], object]]:
    failures = SharedFailures()
    return failures._lock, lambda: failures.forget("key")


@pytest.mark.filterwarnings(FORKS_ON_PURPOSE)
@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
@pytest.mark.parametrize("made", [_stacks, _identities, _failures], ids=lambda made: made.__name__)
def test_a_forked_child_can_take_a_lock_another_thread_held_at_the_fork(
    made: Callable[[], tuple[Any, Callable[[], object]]],
) -> None:
    """A lock the tool's threads share (its per-loop stacks, its auth.test answers, its
    refreshes' failures), held by a thread of the parent as it forked: the child's is free,
    or its first call would wait for ever (the reviews found the first, then the others)."""
    lock, taking_it = made()
    held, done = threading.Event(), threading.Event()

    def holding() -> None:
        with lock:
            held.set()
            done.wait()

    holder = threading.Thread(target=holding)
    holder.start()
    held.wait()
    try:
        child = os.fork()
        if child == 0:
            signal.alarm(5)  # a child that hangs ends by the alarm, not the test run
            taking_it()
            os._exit(0)
        _, status = os.waitpid(child, 0)
    finally:
        done.set()
        holder.join()
    assert os.WIFEXITED(status)
    assert os.WEXITSTATUS(status) == 0
