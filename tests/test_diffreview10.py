"""Review of the session's change as a whole (6c6d63a..): edge cases its own tests left."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from tests.conftest import CANARY_TOKEN, photo_requests
from tests.json_nesting import nested_arrays
from tests.test_mcp_batch import answers_to, assert_refused_as_a_batch
from tests.test_mcp_wire_requests import PING_8_ANSWER, wire_server

_SURROGATE_ID = '{"jsonrpc": "2.0", "id": "a\\ud83d", "method": "ping"}'


async def test_a_request_whose_id_holds_a_lone_surrogate_leaves_the_server_answering(
    tmp_path: Path,
) -> None:
    """Python's json reads the id, but no answer can carry it: the SDK's writer failed to
    encode the error sent by it, and the server ended (stdout closed)."""
    async with wire_server(tmp_path) as wire:
        await wire.send_line(_SURROGATE_ID)
        await wire.send_line('{"jsonrpc": "2.0", "id": 8, "method": "ping"}')
        assert await wire.answer(8) == PING_8_ANSWER, "the server stopped answering"


async def test_a_batch_holding_such_an_id_answers_its_other_requests(tmp_path: Path) -> None:
    line = f'[{_SURROGATE_ID}, {{"jsonrpc": "2.0", "id": 7, "method": "ping"}}]'
    assert_refused_as_a_batch(await answers_to(tmp_path, line), (7,))


async def test_a_batch_nesting_past_what_json_follows_is_answered_by_its_ids(
    tmp_path: Path,
) -> None:
    """Arrays nested past json's depth in one request's arguments (5000 when written, which
    Python 3.13's json reads): the SDK refuses the line as JSON and Python's json cannot
    follow it either. A request nesting so deep alone is answered by its id (its top-level
    members are walked); in a batch its requests, the shallow ones too, were dropped
    unanswered, the host waiting on each."""
    deep = nested_arrays()
    line = (
        '[{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": '
        f'"usersSetPhoto", "arguments": {{"image": {deep}, "id": 99}}}}}},'
        ' [{"jsonrpc": "2.0", "id": 98, "method": "ping"}],'
        ' {"jsonrpc": "2.0", "id": "call-9", "method": "ping"}]'
    )
    seen = await answers_to(tmp_path, line)
    # Only the batch's own requests: no id from inside one, nor from a nested array.
    assert set(seen) == {0, 7, "call-9", 8}, seen
    assert_refused_as_a_batch(seen, (7, "call-9"))


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG's signature and header declaring ``width`` x ``height``, and its end."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


async def test_a_file_object_standing_at_an_image_too_large_is_not_told_to_rewind(
    emulator: RunningEmulator,
) -> None:
    """The bytes from where it stands are an image (one embedded in a larger file, the
    object set at its start): refused for its size, as from a file's start, never told to
    seek(0), which would give it bytes that are no image at all."""
    buffer = io.BytesIO(b"JUNK" + _png_declaring(70_000, 1))
    buffer.seek(4)
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(InvalidArguments) as caught:
            await tool.call({"image": buffer})
    told = caught.value.problems[0].message
    assert "70000x1" in told, told
    assert "seek(0)" not in told, told
    assert photo_requests(emulator) == []
