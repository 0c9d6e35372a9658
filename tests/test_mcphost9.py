"""A person's first try of the MCP server from a desktop host (review: mcphost9).

The server runs as a host starts it (the mcp SDK's stdio client, tests/test_mcp_server.py's
session) and is sent what a model really sends. Each test fails on the code as reviewed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_mcp_server import assert_refused, mcp_session
from tests.test_mcp_wire_requests import PING_8_ANSWER, wire_server

# A rotating user token (Slack's token rotation): the secret starts right after "xoxe.xoxp-1-".
ROTATING_TOKEN = (
    "xoxe.xoxp-1-Mi0yLTEwNTg0MjMzNjU0NzMtMTA1ODQyMzM2NTQ3My0xMjM0NTY3ODkwMTIzNC1hYmNkZWY"
)
SECRET_START = ROTATING_TOKEN[len("xoxe.xoxp-1-") :][:16]


async def test_a_token_written_as_a_data_uris_media_type_is_not_echoed(tmp_path: Path) -> None:
    """A model that puts a token where a data: URI's media type goes (a pasted token, a
    prompt injection's "data:<token>,...") was told "the data: URI holds '<its first 40
    characters>'": for a rotating token, 28 characters of its secret, into the model's
    context and the host's transcript. Every other refusal masks what is shaped like a
    token (safe_text.shown)."""
    async with mcp_session(tmp_path) as session:
        result = await session.call({"image": f"data:{ROTATING_TOKEN},AAAA"})
        error = assert_refused(result, "$.image")
        assert "not an image" in error["message"]
        text = json.dumps(result).lower()
        assert SECRET_START.lower() not in text, error["message"]
        assert "xoxe.xoxp-1-" not in text, error["message"]


# Valid JSON, each with id 7 and a method, that the SDK's reader refuses as JSON-RPC: it
# dropped them unanswered (logging "could not be read and was dropped"), so the host's call
# hung until its own timeout. JSON-RPC 2.0 answers an invalid request object with -32600.
INVALID_REQUESTS = {
    # JSON-RPC 2.0 allows params by position; a generic JSON-RPC client sends [] for none.
    "params as an array": '{"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": []}',
    "no jsonrpc member": '{"id": 7, "method": "tools/list"}',
    "jsonrpc 1.0": '{"jsonrpc": "1.0", "id": 7, "method": "tools/list"}',
}


@pytest.mark.parametrize("line", list(INVALID_REQUESTS.values()), ids=list(INVALID_REQUESTS))
async def test_an_invalid_request_object_is_answered(tmp_path: Path, line: str) -> None:
    async with wire_server(tmp_path) as wire:
        await wire.send_line(line)
        await wire.send_line('{"jsonrpc": "2.0", "id": 8, "method": "ping"}')
        # Lines are handled in order: an answer to 7 is written before 8's.
        assert await wire.answer(8) == PING_8_ANSWER, "the server stopped answering"
        answer = wire.seen.get(7)
    assert answer is not None, "request 7 was dropped unanswered"
    assert answer["error"]["code"] == -32600
    assert "JSON-RPC 2.0" in answer["error"]["message"]
