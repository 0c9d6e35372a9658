"""A JSON-RPC batch sent to the MCP server over stdio.

JSON-RPC 2.0 lets a client send several requests as one array; MCP dropped batches in
its 2025-06-18 revision, and the SDK's stdio reader refuses the array and drops it, so a
host that sends one waits on each of its requests until its own timeout. Each request
in a batch is answered with JSON-RPC's invalid request error, by its own id, saying to
send each request on its own; the SDK's HTTP transport refuses a batch the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from tests.test_mcp_wire_requests import PING_8_ANSWER, wire_server

PING_8: Final = '{"jsonrpc": "2.0", "id": 8, "method": "ping"}'


async def answers_to(tmp_path: Path, line: str) -> dict[Any, Any]:
    """Every message the server wrote by the answer to a ping sent after ``line``, by id:
    lines are handled in order, so every answer to the line is among them."""
    async with wire_server(tmp_path) as wire:
        await wire.send_line(line)
        await wire.send_line(PING_8)
        assert await wire.answer(8) == PING_8_ANSWER, "the server stopped answering"
        return dict(wire.seen)


def assert_refused_as_a_batch(seen: dict[Any, Any], ids: tuple[Any, ...]) -> None:
    for key in ids:
        answer = seen.get(key)
        assert answer is not None, f"request {key!r} of the batch was dropped unanswered"
        assert answer["error"]["code"] == -32600
        assert "batch" in answer["error"]["message"], answer


async def test_each_request_of_a_batch_is_answered_by_its_id(tmp_path: Path) -> None:
    batch = [
        {"jsonrpc": "2.0", "id": 7, "method": "tools/list"},
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 3}},
        {"jsonrpc": "2.0", "id": "call-9", "method": "ping"},
    ]
    seen = await answers_to(tmp_path, json.dumps(batch))
    assert_refused_as_a_batch(seen, (7, "call-9"))
    for key in (7, "call-9"):
        assert "each request" in seen[key]["error"]["message"], seen[key]


async def test_a_batch_without_requests_is_dropped_and_the_server_goes_on(
    tmp_path: Path,
) -> None:
    """Nothing in it to answer (an empty array, notifications, numbers): nothing is written
    for it, and the next request is answered as usual."""
    async with wire_server(tmp_path) as wire:
        for line in ("[]", '[{"jsonrpc": "2.0", "method": "notifications/initialized"}]', "[1, 2]"):
            await wire.send_line(line)
        await wire.send_line(PING_8)
        assert await wire.answer(8) == PING_8_ANSWER
        # Only answers to requests: nothing with no id (or a null one) was written.
        assert set(wire.seen) <= {0, 8}, wire.seen


async def test_a_huge_batch_is_answered_up_to_a_bound(tmp_path: Path) -> None:
    """Each id once, and no more than a thousand answers for one array: a host sending
    thousands in one batch is not waiting on each, and the rest are only logged."""
    batch = [{"jsonrpc": "2.0", "id": n, "method": "ping"} for n in range(100, 1105)]
    batch.append({"jsonrpc": "2.0", "id": 100, "method": "ping"})  # an id given twice
    async with wire_server(tmp_path) as wire:
        await wire.send_line(json.dumps(batch))
        await wire.send_line(PING_8)
        assert await wire.answer(8, seconds=30) is not None, "the server stopped answering"
        answered = [found["id"] for found in wire.received if found.get("id", 0) >= 100]
    assert sorted(answered) == list(range(100, 1100))


async def test_a_batch_the_sdk_cannot_parse_is_answered_the_same_way(tmp_path: Path) -> None:
    """A batch holding a lone surrogate escape (a JavaScript host's string cut inside an
    emoji): the SDK's strict parser refuses the whole line as JSON, not as a batch. Its
    requests are still answered by their ids, as a batch."""
    line = (
        '[{"jsonrpc": "2.0", "id": 7, "method": "ping"},'
        ' {"jsonrpc": "2.0", "id": 9, "method": "tools/call",'
        ' "params": {"name": "usersSetPhoto", "arguments": {"image": "\\ud83d.png"}}}]'
    )
    assert_refused_as_a_batch(await answers_to(tmp_path, line), (7, 9))
