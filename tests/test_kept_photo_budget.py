"""The photos changes with keeping on download take from a budget of their own.

Before, the download of the photo shown now (up to the history's byte cap, 32 MiB a call)
took nothing from any budget: a workspace assistant keeping for many people at once held
one such download per call, however many calls there were. Now each takes from
``byte_budget.kept_photo_bytes`` as its headers come, within the call's deadline, and
gives it back once the photo is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images import byte_budget
from ocp_users_photo.images.byte_budget import ByteBudget, Holding
from tests.conftest import CANARY_TOKEN, photo_requests
from tests.test_byte_budget import most_held_while
from tests.undo_fixtures import GREEN, RED, history_tool, picture


async def test_a_holding_waits_for_its_first_take_only() -> None:
    """Work that holds bytes and waits for more would wait on other work doing the same:
    its later takes go at once, past the capacity if need be, and all are given back."""
    budget = ByteBudget(100)
    others = await budget.hold(100)
    holding = Holding(budget)
    first = asyncio.create_task(holding.take(60))
    await asyncio.sleep(0.05)
    assert not first.done(), "the first take did not wait for the bytes others held"
    others.release()
    await asyncio.wait_for(first, 5)
    await asyncio.wait_for(holding.take(80), 1)  # past the capacity, without waiting
    assert budget.held == holding.count == 140
    holding.release()
    holding.release()
    assert budget.held == 0


async def test_a_change_kept_while_other_changes_fill_the_memory_waits_then_sends_nothing(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The photo shown now (RED, the person's own) cannot be downloaded while others' kept
    photos fill the budget: the change waits within its deadline, then is refused with
    what to do, nothing sent; with the memory back, the same change goes through and its
    bytes are given back."""
    history = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
    budget = ByteBudget(1000)
    monkeypatch.setattr(byte_budget, "kept_photo_bytes", budget)
    others = await budget.hold(1000)
    before = len(photo_requests(emulator))
    async with history_tool(emulator, history, keep_previous=True, deadline=1.0) as tool:
        refused = await tool.run({"image": GREEN})
    assert refused["ok"] is False, refused
    assert refused["error"] == "previous_photo_not_kept", refused
    assert "waited for memory" in refused["message"], refused
    assert len(photo_requests(emulator)) == before, "the change was sent unkept"
    assert budget.waiting == 0
    others.release()
    async with history_tool(emulator, history, keep_previous=True) as tool:
        assert (await tool.call({"image": GREEN}))["ok"] is True
    assert len(photo_requests(emulator)) == before + 1
    assert budget.held == 0


async def test_changes_kept_for_many_people_at_once_hold_no_more_than_the_budget(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Six people's changes at once, each keeping its square original, a budget for about
    two, full when they start: they wait their turn, never more is held once it frees,
    every change is made and kept, and every byte is given back."""
    tokens = [CANARY_TOKEN[:-2] + f"{index:02d}" for index in range(6)]
    history = tmp_path / "history.sqlite3"
    for index, token in enumerate(tokens):
        async with history_tool(emulator, history, token=token, keep_previous=False) as tool:
            await tool.call({"image": picture((index * 30, 90, 10))})
    largest = max(len(picture((index * 30, 90, 10))) for index in range(6))
    budget = ByteBudget(largest * 2 + 100)
    monkeypatch.setattr(byte_budget, "kept_photo_bytes", budget)
    others = await budget.hold(budget.capacity)
    async with contextlib.AsyncExitStack() as stack:
        tools = [
            await stack.enter_async_context(
                history_tool(emulator, history, token=token, keep_previous=True)
            )
            for token in tokens
        ]
        calls = asyncio.gather(*(tool.call({"image": GREEN}) for tool in tools))
        for _ in range(1000):  # each change has read the photo shown and waits to download it
            if budget.waiting == len(tokens) or calls.done():
                break
            await asyncio.sleep(0.01)
        waiting = budget.waiting
        others.release()
        replies, most = await most_held_while(budget, calls)
        kept = [await tool.history() for tool in tools]
    assert waiting == len(tokens), f"{waiting} of {len(tokens)} changes waited for the budget"
    assert all(reply["ok"] for reply in replies)
    assert all(len(entries) == 1 for entries in kept), kept
    assert 0 < most <= budget.capacity, (most, budget.capacity)
    assert budget.held == 0
