"""Each consumer's own code, given what the project publishes (google-genai 3.6.1 when
written)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocp_users_photo.exports import export_tool
from tests.test_mcp_server import mcp_session

# --- google-genai (3.6.1): an MCP ClientSession given as a tool, its documented MCP support.


def _gemini_reply(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}
            ]
        },
    )


async def test_google_genai_takes_the_mcp_servers_tools(tmp_path: Path) -> None:
    from google import genai
    from google.genai import types

    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return _gemini_reply(request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = genai.Client(
            api_key="test-key",
            http_options=types.HttpOptions(base_url="http://127.0.0.1:9/", httpx_async_client=http),
        )
        async with mcp_session(tmp_path) as session:
            # Observed: AttributeError: 'bool' object has no attribute 'items', raised by
            # google.genai._mcp_utils._filter_to_supported_schema on the inputSchema's
            # "additionalProperties": false, before any request is made.
            await client.aio.models.generate_content(
                model="gemini-2.5-flash",
                contents="Set my Slack photo to photo.png",
                # A dict: a GenerateContentConfig object is deep-copied first, which a live
                # ClientSession does not survive (google-genai's own, whatever the server).
                config={"tools": [session.client]},
            )
    (request,) = sent
    declared = [
        declaration["name"]
        for tool in request["tools"]
        for declaration in tool.get("functionDeclarations", [])
    ]
    assert declared == ["usersSetPhoto", "usersRestorePhoto"]


# --- The generic surface: a name every provider the docstring names takes.


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name
        self.description = "d"
        self.input_schema = {"type": "object", "properties": {}}


@pytest.mark.parametrize("name", ["9lives", "-dash-first"])
def test_a_tool_name_gemini_refuses_is_refused_before_export(name: str) -> None:
    # model_tool.TOOL_NAME: "OpenAI, Anthropic and Gemini all take tool names of these
    # characters"; google-genai's FunctionDeclaration.name: "Must start with a letter or an
    # underscore". Observed: both names pass and are exported to Gemini as they are.
    with pytest.raises(ValueError, match="tool name"):
        export_tool("gemini", _Named(name))
