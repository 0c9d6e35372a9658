"""A person's first try of the MCP server from a desktop host (review: mcphost9).

The server runs as a host starts it (the mcp SDK's stdio client, tests/test_mcp_server.py's
session) and is sent what a model really sends. Each test fails on the code as reviewed.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_mcp_server import assert_refused, mcp_session

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
