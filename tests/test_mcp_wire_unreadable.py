"""Hostile JSON-RPC traffic on the MCP server's raw stdio wire.

Each test starts ``python -m ocp_users_photo.mcp_server`` on the package's emulator
(tests/test_mcp_wire_requests.py's ``wire_server``) and writes lines a host could send.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_mcp_wire_requests import INITIALIZE, PING_8_ANSWER, wire_server

# Each line is valid JSON (RFC 8259's grammar) and a well-formed tools/call request with
# id 7; the SDK's parser refuses it, and the host then waits for an answer that never comes.
HOSTILE_CALLS = {
    # A JS host's JSON.stringify writes a lone surrogate this way (a string cut inside an
    # emoji, for one); Python's json module reads it.
    "lone surrogate in image": '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":'
    '{"name":"usersSetPhoto","arguments":{"image":"me\\ud83d.png"}}}',
    "lone surrogate in tool name": '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":'
    '{"name":"usersSetPhoto\\udfff","arguments":{}}}',
    "5000-digit entry": '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":'
    '{"name":"usersRestorePhoto","arguments":{"entry":' + "9" * 5000 + "}}}",
    "arguments 200 arrays deep": '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":'
    '{"name":"usersSetPhoto","arguments":{"image":' + "[" * 200 + "]" * 200 + "}}}",
}


@pytest.mark.parametrize("line", list(HOSTILE_CALLS.values()), ids=list(HOSTILE_CALLS))
async def test_a_request_the_parser_refuses_is_still_answered(tmp_path: Path, line: str) -> None:
    """Every request gets one answer: one the SDK's parser refuses gets JSON-RPC's -32700
    parse error with its id, saying what to send instead (it was dropped unanswered: the
    call hung in the host until its own timeout, and nothing was logged)."""
    async with wire_server(tmp_path) as wire:
        await wire.send_line(line)
        await wire.send_line('{"jsonrpc": "2.0", "id": 8, "method": "ping"}')
        assert await wire.answer(8) == PING_8_ANSWER, "the server stopped answering"
        answer = await wire.answer(7, seconds=30)
        if answer is None:
            answer = wire.seen.get(None)
    assert answer is not None, "no answer at all to request 7 (nor a -32700 parse error)"
    assert answer["error"]["code"] == -32700
    assert answer["error"]["message"].startswith("the request could not be read (Invalid JSON: ")
    assert "send it as strict JSON" in answer["error"]["message"]


async def test_a_host_that_closes_stdout_first_sees_a_clean_exit(tmp_path: Path) -> None:
    """The host closes its end of the server's stdout (it crashed or gave up reading) before
    it closes stdin. The server should end as when the client closes the connection: exit
    status 0, no traceback in the host's log. It ended with status 1 and an ExceptionGroup
    traceback (BrokenPipeError in the SDK's stdout writer, up through mcp_server.serve)."""
    stderr = tmp_path / "stderr.txt"
    exited = None
    async with wire_server(tmp_path) as wire:
        transport = wire.process._transport  # type: ignore[attr-defined]
        transport.get_pipe_transport(1).close()
        await wire.send_line('{"jsonrpc": "2.0", "id": 1, "method": "ping"}')
        for number in range(2, 6):
            try:
                await wire.send_line(json.dumps({"jsonrpc": "2.0", "id": number, "method": "ping"}))
            except (BrokenPipeError, ConnectionResetError):
                break  # the server is gone already
    exited = wire.process.returncode
    log = stderr.read_text()
    assert "Traceback" not in log, log[-1500:]
    assert exited == 0


async def test_a_first_line_opening_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """A host whose stream starts with UTF-8's byte-order mark (Windows PowerShell's pipes,
    .NET's UTF8Encoding(true)) has its initialize read: RFC 8259 lets a reader ignore the
    mark. The SDK's parser refused the line, and it was dropped with a warning: the host
    waited on its initialize until its own timeout."""
    async with wire_server(tmp_path, initialize=False) as wire:
        await wire.send_line("\ufeff" + json.dumps(INITIALIZE))
        answer = await wire.answer(0, seconds=30)
        assert answer is not None, "initialize after a byte-order mark got no answer"
        assert answer["result"]["serverInfo"]["name"], answer
        await wire.send_line('{"jsonrpc": "2.0", "method": "notifications/initialized"}')
        await wire.send_line('{"jsonrpc": "2.0", "id": 8, "method": "ping"}')
        assert await wire.answer(8) == PING_8_ANSWER


async def test_a_mark_before_no_json_rpc_message_is_still_refused(tmp_path: Path) -> None:
    """Only the mark is skipped: what follows it is checked as any line is (a request with
    params as an array gets the invalid request answer, by its id)."""
    async with wire_server(tmp_path) as wire:
        await wire.send_line('\ufeff{"jsonrpc": "2.0", "id": 7, "method": "ping", "params": [1]}')
        await wire.send_line('{"jsonrpc": "2.0", "id": 8, "method": "ping"}')
        assert await wire.answer(8) == PING_8_ANSWER
        answer = await wire.answer(7, seconds=30)
    assert answer is not None, "no answer to request 7"
    assert answer["error"]["code"] == -32600, answer
