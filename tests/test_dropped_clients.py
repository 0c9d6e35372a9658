"""A tool dropped without ``aclose`` on a loop that goes on has that loop close its
connections (slack/loop_stacks.py ``close_on_their_loops``).

A web app that makes a tool per request on its one long-lived loop, and forgets
``aclose``: each dropped tool's HTTP stack was left to the collector, which found httpx's
pooled connections in the same garbage as the stack and its closer, and closed each
socket itself: "unclosed transport" (a ResourceWarning), once per tool, and the
connection open until a collection came. The README asks for ``aclose``; a program that
forgets it must still not leak.
"""

from __future__ import annotations

import asyncio
import gc

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, EmulatorThread
from tests.http_stacks import stack_environ, stack_params
from tests.programs import assert_nothing_left_by
from tests.test_call_sync_resources import open_sockets
from tests.undo_fixtures import picture

TOKEN = "xoxp-1234567890-1234567890123-0123456789abcdef0123456789abcdef"
DROPS = 4


async def _tools_made_and_dropped(base_url: str, stack: str) -> int:
    """``DROPS`` tools, each used once and dropped unclosed; the sockets left open after."""
    before = open_sockets()
    for number in range(DROPS):
        tool = UsersSetPhoto(TOKEN, base_url=base_url, environ=stack_environ(stack))
        assert (await tool.call({"image": picture((number, 2, 3))}))["ok"] is True
        del tool  # no aclose
        gc.collect()
    for _ in range(40):  # the loop's turns, for the closes it was handed
        await asyncio.sleep(0.025)
    return open_sockets() - before


def drops_in_this_process(stack: str) -> None:
    """The child's work: tools dropped on one loop that goes on, none of their sockets left."""
    with EmulatorThread(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        left = asyncio.run(_tools_made_and_dropped(emulator.base_url, stack))
        assert left <= 0, f"{left} socket(s) of dropped tools still open on a running loop"


@pytest.mark.parametrize("stack", stack_params())
def test_tools_dropped_on_a_loop_that_goes_on_leave_no_connection_open(stack: str) -> None:
    assert_nothing_left_by(
        "from tests.test_dropped_clients import drops_in_this_process; "
        f"drops_in_this_process({stack!r})"
    )
