"""Every call the benchmarks make into ocp_users_photo, in one place.

The plugin is being restructured; when its shapes change, this module is the only
one in benchmarks/ to adjust. What it relies on today, and what is known to change:

- ``UsersSetPhoto(token, base_url=, client=, image_roots=, environ=)``, ``tool.call``,
  ``tool.aclose``: the public surface; ``OCP_USERS_PHOTO_HTTP_STACK`` in ``environ=``
  picks the stack of the tool's own client (``settings.HTTP_STACK_VARIABLE``).
- ``tool.prepare(arguments)`` is used as ``async with ... as upload`` (the upload is
  closed at the end of the block); ``upload.image`` is read for the photo comparison
  (format, size, crop box, the bytes to be sent).
- ``await tool.send(upload)`` returns the reply (before issue 16 it returned
  ``(reply, summary)``; ``send`` below still accepts both).
- The reply check alone (no network) uses the internal ``slack.replies.decode_reply``,
  ``photo_reply.check_photo_reply`` and ``credentials.redactor`` as ``tool.send`` does.
- ``register(agent, tool=tool)`` then ``await agent.call_tool('usersSetPhoto', args)``;
  ``tool.call_with_summary(args, digest=True)`` is what the agent path runs inside.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ocp_users_photo import UsersSetPhoto, register
from ocp_users_photo.settings import HTTP_STACK_VARIABLE

REPO = Path(__file__).resolve().parent.parent
TOOL_NAME = "usersSetPhoto"

# ISSUE-14 (undo, "keep what is replaced"): the agent-path goal is measured with keeping
# OFF (a model door keeps by default, so it is turned off explicitly), and bench.py's
# "keeping" section measures a change with keeping on and off. Keeping on needs a history
# file: bench.py adds ``photo_history`` in its own temporary folder.
KEEPING_OFF: dict[str, Any] = {"keep_previous": False}
KEEPING_ON: dict[str, Any] = {"keep_previous": True}


def make_tool(
    token: str,
    base_url: str,
    *,
    client: httpx.AsyncClient | None = None,
    image_roots: list[Path] | None = None,
    options: Mapping[str, Any] | None = None,
    http_stack: str | None = None,
) -> UsersSetPhoto:
    """The tool as a long-lived caller keeps it: its own client unless one is given.

    ``http_stack`` picks the stack of the tool's own client ("httpx", "aiohttp"); None
    leaves the choice to the tool (aiohttp when the [fast] extra is installed).
    """
    environ = {} if http_stack is None else {HTTP_STACK_VARIABLE: http_stack}
    return UsersSetPhoto(
        token,
        base_url=base_url,
        client=client,
        image_roots=image_roots,
        environ=environ,
        **dict(options or {}),
    )


def http_stack_of(tool: UsersSetPhoto) -> str:
    """Which stack the tool's calls go through ("client" when one was given)."""
    stack: str = tool._slack.http_stack
    return stack


async def call(tool: UsersSetPhoto, arguments: Mapping[str, Any]) -> None:
    """``tool.call``; the reply is checked by the plugin (it raises otherwise)."""
    reply = await tool.call(arguments)
    if reply.get("ok") is not True:
        raise RuntimeError("the plugin returned a reply that is not ok")


async def call_with_digest(tool: UsersSetPhoto, arguments: Mapping[str, Any]) -> None:
    """What the agent path runs inside: the call plus the summary and its fingerprint."""
    await tool.call_with_summary(arguments, digest=True)


async def close(tool: UsersSetPhoto) -> None:
    await tool.aclose()


async def prepare_and_close(tool: UsersSetPhoto, arguments: Mapping[str, Any]) -> None:
    """Every local check of a call, and any conversion; no network."""
    async with tool.prepare(arguments):
        pass


@dataclass(frozen=True)
class PreparedPhoto:
    """What ``prepare`` made of a photo: the bytes it would send, their size, the box."""

    format: str
    width: int
    height: int
    data: bytes
    crop_box: tuple[int, int, int] | None  # (x, y, w) as sent
    changes: tuple[str, ...]


async def prepare_photo(tool: UsersSetPhoto, arguments: Mapping[str, Any]) -> PreparedPhoto:
    """``prepare``, then the prepared image read back (for checking it against Pillow's)."""
    async with tool.prepare(arguments) as upload:
        image = upload.image
        body = image.body()
        data = body if isinstance(body, bytes) else body.read()
        box = None
        if image.crop_box is not None:
            fields = image.crop_box.form_fields()
            box = (int(fields["crop_x"]), int(fields["crop_y"]), int(fields["crop_w"]))
        return PreparedPhoto(
            image.format, image.width, image.height, bytes(data), box, tuple(image.changes)
        )


async def send(tool: UsersSetPhoto, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``prepare`` then ``send``; the reply whether ``send`` returns it or (reply, summary)."""
    async with tool.prepare(arguments) as upload:
        sent: Any = await tool.send(upload)
    reply: dict[str, Any] = sent[0] if isinstance(sent, tuple) else sent
    return reply


def reply_checker(token: str, body: bytes) -> Callable[[], None]:
    """The plugin's check of a success reply, as ``tool.send`` runs it, without the network."""
    from ocp_users_photo.credentials import redactor
    from ocp_users_photo.photo_reply import check_photo_reply
    from ocp_users_photo.slack.replies import HttpReply, decode_reply

    reply = HttpReply(
        status_code=200,
        headers=httpx.Headers({"content-type": "application/json; charset=utf-8"}),
        body=body,
        attempts=1,
    )

    def check() -> None:
        body = decode_reply(reply, method="users.setPhoto", redact=redactor(token, reply.body))
        check_photo_reply(body, reply_check="strict")

    return check


@dataclass
class Agent:
    """An agent with usersSetPhoto registered, and which agent it is."""

    agent: Any
    kind: str

    async def call(self, arguments: Mapping[str, Any]) -> None:
        reply = await self.agent.call_tool(TOOL_NAME, dict(arguments))
        if reply.get("ok") is not True:
            raise RuntimeError("the agent path returned a reply that is not ok")


def make_agent(tool: UsersSetPhoto) -> Agent:
    """The real ocp-agent when installed (``OCPAgent(enable_cache=False)``), else the stand-in."""
    try:
        ocp_agent = importlib.import_module("ocp_agent")  # optional, and untyped
    except ImportError:
        if str(REPO) not in sys.path:
            sys.path.insert(0, str(REPO))
        from tests.standin_agent import AsyncStandInAgent

        agent: Any = AsyncStandInAgent()
        kind = "the tests' stand-in agent (tests/standin_agent.py): ocp-agent is not installed"
    else:
        agent = ocp_agent.OCPAgent(enable_cache=False)
        version = importlib.metadata.version("ocp-agent")  # its __version__ says 0.1.0
        kind = f"ocp-agent {version} (the real library, OCPAgent(enable_cache=False))"
    register(agent, tool=tool)
    return Agent(agent, kind)
