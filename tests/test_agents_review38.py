"""``agent.register_api('slack', spec_url=...)`` called ocp-agent's own synchronous way inside
an event loop, after ``register(agent)`` (the review of 2026-12-06 10:25 UTC).

It returned a bare coroutine: nothing was registered, and only Python's "never awaited"
warning said anything; the Slack tools the discovery finds (usersProfileGet, ...) never
appeared. Awaited it works (tests/test_ocp_agent.py); used as the spec, or dropped, it
now says what to do, and the way it names (a thread with no loop) returns the spec.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import register
from ocp_users_photo.emulator import RunningEmulator
from tests.conftest import CANARY_TOKEN

OPENAPI = str(Path(__file__).parent / "data" / "slack-openapi-users-photo.json")
HEADERS = {"Authorization": f"Bearer {CANARY_TOKEN}"}


async def test_used_as_the_spec_without_await_it_says_to_await_it(
    ocp_agent_library: Any, emulator: RunningEmulator
) -> None:
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    photo = register(agent, base_url=emulator.base_url, environ={}, keep_previous=False)
    try:
        spec = agent.register_api(
            "slack", spec_url=OPENAPI, base_url=emulator.base_url, headers=HEADERS
        )
        with pytest.raises(TypeError, match=r"await it \(spec = await agent.register_api"):
            _ = spec.tools
        # What it says to do: awaited, the discovery runs and its Slack tools are there.
        spec = await spec
        assert "usersProfileGet" in {tool.name for tool in spec.tools}
    finally:
        await photo.aclose()


async def test_dropped_without_await_it_logs_an_error_saying_what_to_do(
    ocp_agent_library: Any, emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    photo = register(agent, base_url=emulator.base_url, environ={}, keep_previous=False)
    try:
        agent.register_api("slack", spec_url=OPENAPI, base_url=emulator.base_url, headers=HEADERS)
        gc.collect()
    finally:
        await photo.aclose()
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1, caplog.text
    assert "the Slack API was not registered" in errors[0].getMessage()
    assert "asyncio.to_thread(agent.register_api" in errors[0].getMessage()
    assert CANARY_TOKEN not in caplog.text


@pytest.mark.blocking_by_design
async def test_from_a_thread_with_no_loop_it_returns_the_spec_as_ocp_agents_does(
    ocp_agent_library: Any, emulator: RunningEmulator
) -> None:
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    photo = register(agent, base_url=emulator.base_url, environ={}, keep_previous=False)
    try:
        spec = await asyncio.to_thread(
            agent.register_api,
            "slack",
            spec_url=OPENAPI,
            base_url=emulator.base_url,
            headers=HEADERS,
        )
        assert "usersProfileGet" in {tool.name for tool in spec.tools}
        # ocp-agent's generic path for another Slack method, with the registered headers.
        arguments = {"token": "unused"}  # the spec requires it; the header is what Slack reads
        answer = await asyncio.to_thread(agent.call_tool, "usersProfileGet", arguments)
        assert answer.status_code == 200
        assert answer.json()["ok"] is True
    finally:
        await photo.aclose()


async def test_a_task_made_of_it_runs_the_registration(
    ocp_agent_library: Any, emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    # asyncio.create_task takes only coroutines: the awaitable that first mended the above
    # was refused there, where the coroutine it replaced was taken (the fix's review).
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    photo = register(agent, base_url=emulator.base_url, environ={}, keep_previous=False)
    try:
        task = asyncio.create_task(
            agent.register_api(
                "slack", spec_url=OPENAPI, base_url=emulator.base_url, headers=HEADERS
            )
        )
        spec = await task
        assert "usersProfileGet" in {tool.name for tool in spec.tools}
        gc.collect()
    finally:
        await photo.aclose()
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_a_task_of_it_can_be_shown_before_its_first_step(
    ocp_agent_library: Any, emulator: RunningEmulator
) -> None:
    # asyncio shows a task by its coroutine's cr_code, looked up with hasattr: the spec's
    # TypeError for any name broke repr(task), and the loop's debug report of a slow step.
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    photo = register(agent, base_url=emulator.base_url, environ={}, keep_previous=False)
    try:
        task = asyncio.create_task(
            agent.register_api(
                "slack", spec_url=OPENAPI, base_url=emulator.base_url, headers=HEADERS
            )
        )
        assert repr(task).startswith("<Task pending")
        await task
        assert "finished" in repr(task)
    finally:
        await photo.aclose()
