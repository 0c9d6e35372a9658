"""A stand-in for OpenAI's API on loopback, so the README's agent snippets run as written.

The snippets name real models ("gpt-6.1-sol", "openai:gpt-6.1-sol"); pointed at this server
(``OPENAI_BASE_URL``), each framework's own OpenAI client talks real HTTP to it. It
plays one scripted model over the Responses API and Chat Completions alike: asked
with no tool result yet, it calls the usersSetPhoto tool the request offers, with
``{"image": "portrait.png"}`` (and null for each other argument the tool's schema
requires, as a model in strict mode writes it); once a tool result is in the
conversation, it answers "Done.". Streaming is not served: a request for it fails
loudly, so a snippet that starts streaming shows up here.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOOL_NAME = "usersSetPhoto"
ARGUMENTS = {"image": "portrait.png"}
ANSWER = "Done."
USAGE_RESPONSES = {
    "input_tokens": 10,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 5,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 15,
}


@dataclass
class FakeOpenAI:
    """The running stand-in: where it is, and every request body it was sent."""

    base_url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)


def _tool_arguments(tool: dict[str, Any]) -> str:
    """The call's arguments as JSON text, every argument the tool requires present."""
    schema = tool.get("parameters") or tool.get("function", {}).get("parameters") or {}
    arguments: dict[str, Any] = dict.fromkeys(schema.get("required", ()))
    arguments.update(ARGUMENTS)
    return json.dumps(arguments)


def _offered_tool(body: dict[str, Any]) -> dict[str, Any]:
    for tool in body.get("tools") or ():
        name = tool.get("name") or tool.get("function", {}).get("name")
        if name == TOOL_NAME:
            found: dict[str, Any] = tool
            return found
    raise LookupError(f"the request offers no {TOOL_NAME} tool: {body.get('tools')!r}")


def _has_tool_result_responses(body: dict[str, Any]) -> bool:
    items = body.get("input")
    return isinstance(items, list) and any(
        isinstance(item, dict) and item.get("type") == "function_call_output" for item in items
    )


def _has_tool_result_chat(body: dict[str, Any]) -> bool:
    return any(message.get("role") == "tool" for message in body.get("messages") or ())


def _responses_answer(body: dict[str, Any], number: int) -> dict[str, Any]:
    """The Responses API's answer: the tool call, or "Done." once a tool result came back."""
    if _has_tool_result_responses(body):
        output: list[dict[str, Any]] = [
            {
                "type": "message",
                "id": "msg_readme",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": ANSWER, "annotations": []}],
            }
        ]
    else:
        output = [
            {
                "type": "function_call",
                "id": "fc_readme",
                "call_id": "call_readme",
                "name": TOOL_NAME,
                "arguments": _tool_arguments(_offered_tool(body)),
                "status": "completed",
            }
        ]
    return {
        "id": f"resp_readme_{number}",
        "object": "response",
        "created_at": 0,
        "model": body.get("model", ""),
        "status": "completed",
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": USAGE_RESPONSES,
    }


def _chat_answer(body: dict[str, Any], number: int) -> dict[str, Any]:
    """Chat Completions' answer: the tool call, or "Done." once a tool result came back."""
    if _has_tool_result_chat(body):
        message: dict[str, Any] = {"role": "assistant", "content": ANSWER}
        finish = "stop"
    else:
        arguments = _tool_arguments(_offered_tool(body))
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_readme",
                    "type": "function",
                    "function": {"name": TOOL_NAME, "arguments": arguments},
                }
            ],
        }
        finish = "tool_calls"
    return {
        "id": f"chatcmpl-readme-{number}",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", ""),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


Answer = Callable[[dict[str, Any], int], dict[str, Any]]


def _endpoint(
    fake: FakeOpenAI, answer: Answer
) -> Callable[[Request], Coroutine[Any, Any, JSONResponse]]:
    """An endpoint that records each request body, refuses streaming, and answers it."""

    async def endpoint(request: Request) -> JSONResponse:
        body = await request.json()
        fake.requests.append(body)
        if body.get("stream"):
            return JSONResponse(
                {"error": {"message": "the README stand-in serves no streaming", "type": "test"}},
                status_code=400,
            )
        return JSONResponse(answer(body, len(fake.requests)))

    return endpoint


def _app(fake: FakeOpenAI) -> Starlette:
    return Starlette(
        routes=[
            Route("/v1/responses", _endpoint(fake, _responses_answer), methods=["POST"]),
            Route("/v1/chat/completions", _endpoint(fake, _chat_answer), methods=["POST"]),
        ]
    )


@contextmanager
def running_fake_openai() -> Iterator[FakeOpenAI]:
    """Serve the stand-in on a free loopback port in a thread; ``base_url`` ends in /v1."""
    fake = FakeOpenAI()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(_app(fake), log_config=None, access_log=False, lifespan="off")
    )
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[listener])), daemon=True
    )
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the OpenAI stand-in stopped before it started")
            threading.Event().wait(0.01)
        fake.base_url = f"http://127.0.0.1:{port}/v1"
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
