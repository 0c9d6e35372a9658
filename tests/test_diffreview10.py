"""Review of the session's change as a whole (6c6d63a..): edge cases its own tests left."""

from __future__ import annotations

from pathlib import Path

from tests.test_mcp_wire_requests import wire_server

_SURROGATE_ID = '{"jsonrpc": "2.0", "id": "a\\ud83d", "method": "ping"}'


async def test_a_request_whose_id_holds_a_lone_surrogate_leaves_the_server_answering(
    tmp_path: Path,
) -> None:
    """Python's json reads the id, but no answer can carry it: the SDK's writer failed to
    encode the error sent by it, and the server ended (stdout closed)."""
    async with wire_server(tmp_path) as wire:
        await wire.send_line(_SURROGATE_ID)
        await wire.send_line('{"jsonrpc": "2.0", "id": 8, "method": "ping"}')
        assert await wire.answer(8) is not None, "the server stopped answering"


async def test_a_batch_holding_such_an_id_answers_its_other_requests(tmp_path: Path) -> None:
    async with wire_server(tmp_path) as wire:
        await wire.send_line(f'[{_SURROGATE_ID}, {{"jsonrpc": "2.0", "id": 7, "method": "ping"}}]')
        await wire.send_line('{"jsonrpc": "2.0", "id": 8, "method": "ping"}')
        assert await wire.answer(8) is not None, "the server stopped answering"
        answer = wire.seen.get(7)
    assert answer is not None, "request 7 of the batch was dropped unanswered"
    assert answer["error"]["code"] == -32600


async def test_a_batch_nesting_past_what_json_follows_is_answered_by_its_ids(
    tmp_path: Path,
) -> None:
    """5000 arrays deep in one request's arguments: the SDK refuses the line as JSON and
    Python's json cannot follow it either. A request nesting so deep alone is answered by
    its id (its top-level members are walked); in a batch its requests, the shallow ones
    too, were dropped unanswered, the host waiting on each."""
    deep = "[" * 5000 + "]" * 5000
    line = (
        '[{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": '
        f'"usersSetPhoto", "arguments": {{"image": {deep}, "id": 99}}}}}},'
        ' [{"jsonrpc": "2.0", "id": 98, "method": "ping"}],'
        ' {"jsonrpc": "2.0", "id": "call-9", "method": "ping"}]'
    )
    async with wire_server(tmp_path) as wire:
        await wire.send_line(line)
        await wire.send_line('{"jsonrpc": "2.0", "id": 8, "method": "ping"}')
        assert await wire.answer(8) is not None, "the server stopped answering"
        answers = {key: wire.seen.get(key) for key in (7, "call-9")}
        # Only the batch's own requests: no id from inside one, nor from a nested array.
        assert set(wire.seen) == {0, 7, "call-9", 8}, wire.seen
    for key, answer in answers.items():
        assert answer is not None, f"request {key!r} of the batch was dropped unanswered"
        assert answer["error"]["code"] == -32600
        assert "batch" in answer["error"]["message"]
