"""Tests that kill mutants of this session's new code which the other tests let live."""

from __future__ import annotations

from typing import Any

from ocp_users_photo.mcp_unread import AnsweringReadStream, _read_line, _top_level


class _Recorder:
    """Stands in for an AnsweringReadStream: records each error it would send."""

    def __init__(self) -> None:
        self.sent: list[tuple[int | str, int, str]] = []

    async def _send_error(self, request_id: int | str, code: int, message: str) -> None:
        self.sent.append((request_id, code, message))


async def test_a_batch_repeating_an_id_has_it_answered_once() -> None:
    recorder = _Recorder()
    batch: list[Any] = [
        {"jsonrpc": "2.0", "id": 7, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 7, "method": "ping"},
        {"jsonrpc": "2.0", "id": "7", "method": "ping"},
    ]
    await AnsweringReadStream._answer_batch(recorder, batch)  # type: ignore[arg-type]
    assert [request_id for request_id, _, _ in recorder.sent] == [7, "7"]


def test_a_batch_items_nested_object_does_not_start_another_item() -> None:
    # The walk (for nesting past what json.loads follows) keeps to each item's own members:
    # an object inside "params" is no item of the batch, and the "id" after it is the item's.
    line = '[{"jsonrpc": "2.0", "method": "m", "params": {"x": 1}, "id": 7}]'
    assert _top_level(line) == [{"jsonrpc": "2.0", "method": "m", "id": 7}]


def test_a_batch_item_that_is_an_array_gives_no_request() -> None:
    # Not JSON (json.loads refuses it), walked: an array holds no members, so no id is
    # read from it, whatever text looks like one inside it.
    line = '[["jsonrpc": "2.0", "id": 5, "method": "x"], {"id": 6, "method": "y"}]'
    assert _read_line(line) == [None, {"id": 6, "method": "y"}]
