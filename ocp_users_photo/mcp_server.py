"""A Model Context Protocol server over stdio that offers usersSetPhoto and usersRestorePhoto.

    python -m ocp_users_photo.mcp_server --image-root ~/Pictures
    ocp-users-photo mcp --image-root ~/Pictures

The tools are listed with the manifest's input schemas and the MCP exports' output
schemas, verbatim. A call returns what ``UsersSetPhoto.run`` (or the undo's
``UsersRestorePhoto.run``) returns, as structured content and as a text block
holding the same JSON; a failure sets ``isError`` so the model can read the error
object and correct its call. Each photo a change replaces is kept first (a model
door: the defaults by door in settings.py), in ``--history PATH`` or the default history
file, and a change whose photo cannot be kept is refused, unless ``--no-keep-previous``;
then usersRestorePhoto is not offered either. The Slack token comes from the server's
environment (SLACK_USER_TOKEN or SLACK_TOKEN) and never from a call, and image paths must
lie inside the ``--image-root`` folders (the command and its options: mcp_command.py). The ``mcp``
package is imported only when the server starts, so the rest of this package works
without the ``[mcp]`` extra.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final

import anyio

from ocp_users_photo._version import __version__
from ocp_users_photo.context_reset import reset_in_its_context
from ocp_users_photo.exports import (
    export_tools,
    mcp_tool,
)
from ocp_users_photo.extras import install_command
from ocp_users_photo.mcp_hangup import stdin_hang_up_watch
from ocp_users_photo.mcp_in_flight import MAX_UNANSWERED, CountedWriteStream, InFlightRequests
from ocp_users_photo.mcp_unread import AnsweringReadStream, BeforeInitializeExplained
from ocp_users_photo.model_tool import ModelTool
from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome
from ocp_users_photo.safe_text import quoted, redacted, shown, shown_path
from ocp_users_photo.tokens import StaticToken
from ocp_users_photo.tool import UsersSetPhoto

SERVER_NAME: Final = "ocp-users-photo"
INSTALL_HINT: Final = install_command("mcp")
UNEXPECTED_ERROR: Final = "unexpected_error"
# Refusals a model mends by calling again otherwise: logged at INFO, not WARNING. Not
# token_not_usable: the host's token is the operator's to mend (a missing scope is found
# only by a call's auth.test, never by the checks at start).
_MODELS_OWN_MISTAKES: Final = frozenset(
    {"invalid_arguments", "image_url_refused", "nothing_to_undo"}
)

# Refusals the person mends in the host's configuration (a new token, another option): the
# host started this server with what it holds, so a mend reaches it only with a restart.
_MENDED_IN_THE_HOSTS_CONFIGURATION: Final = frozenset(
    {
        "token_not_usable",
        "invalid_auth",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "missing_scope",
        "not_allowed_token_type",
        "user_is_bot",
        "previous_photo_not_kept",
        "history_unavailable",
    }
)
RESTART_ADVICE: Final = (
    "This MCP server holds the token and options its host started it with: after changing "
    "them in the host's configuration, restart the host (quit it completely, then open it) "
    "for the server to use them."
)

# A refusal's message in the host's log: bounded, yet long enough for the tool's own advice
# whole (a photo that cannot be kept names two remedies, the second this server's flag).
_LOGGED_MESSAGE_CHARS: Final = 1000

logger = logging.getLogger("ocp_users_photo.mcp_server")

# For the call under way in this task: whether its change has gone to Slack (set by
# _SendingNoted), so that a call the host cancels is logged as what it is.
_CHANGE_SENT: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar(
    "ocp_users_photo_mcp_change_sent", default=None
)


class _SendingNoted(CallObserver):
    """Notes that the change of the call under way is being sent to Slack, and which calls'
    changes Slack has and has not yet answered (for a server stopped at once)."""

    def __init__(self) -> None:
        self.on_their_way: dict[int, str] = {}  # id(call): the call's tool name

    def change_sending(self, call: CallInfo) -> None:
        noted = _CHANGE_SENT.get()
        if noted is not None:
            noted[0] = True
        self.on_their_way[id(call)] = call.tool_name

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.on_their_way.pop(id(call), None)

    def call_abandoned(self, call: CallInfo) -> None:
        self.on_their_way.pop(id(call), None)


def changes_on_their_way(tool: UsersSetPhoto) -> list[str]:
    """The tool names of the calls whose change Slack has but has not answered yet."""
    return [
        name
        for observer in tool.observers
        if isinstance(observer, _SendingNoted)
        for name in observer.on_their_way.values()
    ]


class McpUnavailable(RuntimeError):
    """The ``mcp`` package is missing or broken; the message says how to install it."""


@dataclass(frozen=True)
class _Sdk:
    """The parts of the ``mcp`` package the server uses, imported on demand."""

    types: ModuleType
    server_class: type[Any]
    stdio_server: Any
    protocol_error: type[Exception]


async def serve(tool: UsersSetPhoto) -> None:
    """Serve ``tool`` over this process's stdin and stdout until the client disconnects.

    Raises McpUnavailable when the ``mcp`` package cannot be imported. The tool must
    keep its default ``reply_check="strict"``, or the declared output schema may not hold.
    The server takes the tool over: it adds an observer of its own to ``tool.observers``
    (it notes when a change is on its way, for the log of a call the host cancels; it
    does nothing outside this server's calls) and closes the tool when serving ends.
    """
    sdk = load_sdk()
    if not any(isinstance(observer, _SendingNoted) for observer in tool.observers):
        tool.observers = (*tool.observers, _SendingNoted())
    server = _build_server(sdk, tool)
    # Requests unanswered are bounded: a host not reading its answers is not read; and
    # none is let in once the host has closed stdin (mcp_hangup.py).
    in_flight = InFlightRequests()
    try:
        with stdin_hang_up_watch(in_flight.host_gone):  # before the SDK moves fd 0 aside
            async with sdk.stdio_server() as (read_stream, write_stream):
                answering = AnsweringReadStream(read_stream, write_stream, sdk.types, in_flight)
                counted = CountedWriteStream(write_stream, in_flight)
                explained = BeforeInitializeExplained(counted, answering, sdk.types)
                await server.run(answering, explained, server.create_initialization_options())
    except* (BrokenPipeError, ConnectionResetError):
        # The host closed the server's stdout (it crashed, or stopped reading): the end of
        # the connection, as when it closes stdin.
        logger.info("the host closed the connection")
    except* OSError as failed:
        # Not the host gone (above): stdout a file on a full disk, a terminal gone (EIO). The
        # first such error alone, for the caller to say in a line: the SDK's task group
        # raised it as an ExceptionGroup, a traceback in the host's log and exit 1.
        raise _first_of(failed) from None
    except* anyio.BrokenResourceError:
        # The read ended before stdin's end, the host gone (mcp_in_flight.py): the SDK's
        # reader of stdin found no one to hand its next line to.
        if not in_flight.gone:
            raise
        logger.info("the host closed stdin with %d requests unanswered", MAX_UNANSWERED)
    finally:
        await tool.aclose()


def _first_of(group: BaseExceptionGroup[OSError]) -> OSError:
    """The first OSError of ``group``, however deeply the task groups nested it."""
    first = group.exceptions[0]
    return _first_of(first) if isinstance(first, BaseExceptionGroup) else first


def offered(tool: UsersSetPhoto) -> dict[str, ModelTool]:
    """The tools the server offers, by name: usersSetPhoto, and its undo unless keeping is off."""
    return {model_tool.name: model_tool for model_tool in (tool, *tool.companion_model_tools())}


async def call_tool(
    tool: ModelTool, name: str, arguments: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The MCP ``CallToolResult`` (as wire JSON) for a call of the tool ``name``.

    The result object is ``tool.run``'s: structured content, the same JSON as text,
    and ``isError`` unless it says ``ok: true``.
    """
    sent = [False]
    noting = _CHANGE_SENT.set(sent)
    try:
        result = await _run_guarded(tool, arguments or {})
    except asyncio.CancelledError:
        # The host cancelled the call (notifications/cancelled) or closed the connection:
        # no result goes back, so the log is the only place the person can read of it.
        if sent[0]:
            logger.warning(
                "%s was cancelled by the host once its change was on its way to Slack, so "
                "whether it changed the photo is unknown (Slack may still set what it had): "
                "look at the Slack profile",
                name,
            )
        else:
            logger.info("%s was cancelled by the host before anything was changed", name)
        raise
    finally:
        reset_in_its_context(_CHANGE_SENT, noting)
    failed = result.get("ok") is not True
    # Not history_busy: a wait for another change, nothing in the configuration to mend.
    if failed and result.get("error") in _MENDED_IN_THE_HOSTS_CONFIGURATION:
        result = _with_restart_advice(result)
    if failed:
        # A model's own mistake is the model's to mend (INFO); anything else (the token,
        # Slack, the history, the network) is the operator's to see at the default level.
        error = str(result.get("error", ""))
        logger.log(
            logging.INFO if error in _MODELS_OWN_MISTAKES else logging.WARNING,
            "%s refused or failed: %s: %s",
            name,
            shown(error, 64),
            shown(str(result.get("message", "")), _LOGGED_MESSAGE_CHARS),
        )
    else:
        logger.info("%s succeeded", name)
    return {
        "content": [{"type": "text", "text": json.dumps(result, ensure_ascii=False)}],
        "structuredContent": result,
        "isError": failed,
    }


def _with_restart_advice(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` whose message ends saying that a mended configuration needs a restart."""
    message = str(result.get("message", "")).rstrip()
    if "restart the host" in message:  # the advice for a missing token says it already
        return result
    ended = message if message.endswith((".", "!", "?")) or not message else f"{message}."
    return {**result, "message": f"{ended} {RESTART_ADVICE}".lstrip()}


async def _run_guarded(tool: ModelTool, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``tool.run`` (which refuses a token argument), with an unexpected failure reported."""
    try:
        return await tool.run(arguments)
    except ImportError as failure:
        # Files replaced under a running server (pip install -U, a roll back) that it had
        # not imported at start (warm_imports.py): only a restart loads one version again.
        logger.exception("%s could not import part of the package", tool.name)
        return _unexpected(
            f"{tool.name} failed ({type(failure).__name__}): ocp-users-photo's files changed "
            "while this MCP server ran (upgraded or removed). Restart the server (or its "
            "host), then look at the Slack profile before trying again: whether the photo "
            "was changed is unknown."
        )
    except Exception as failure:
        # A bug, not a refusal: keep the server alive and tell the model plainly.
        logger.exception("%s failed unexpectedly", tool.name)
        return _unexpected(
            f"{tool.name} failed unexpectedly ({type(failure).__name__}), so whether the "
            "photo was changed is unknown. The MCP server's log has the details."
        )


def _unexpected(message: str) -> dict[str, Any]:
    """The error object of a failure that is no refusal (the run result's shape)."""
    return {"ok": False, "error": UNEXPECTED_ERROR, "message": message, "problems": []}


def _build_server(sdk: _Sdk, tool: UsersSetPhoto) -> Any:
    """A low-level MCP server listing the tool with the exported schemas, through the
    SDK's public handler arguments (``on_list_tools``, ``on_call_tool``)."""
    types = sdk.types
    tools = offered(tool)
    # usersSetPhoto as this tool describes itself (its input schema names the URL hosts it
    # allows), then the manifest's other tools this server offers.
    own = mcp_tool(tool)  # with its output schema, title and annotations
    catalogued = export_tools("mcp")
    listed = [own] + [exported for exported in catalogued[1:] if exported["name"] in tools]
    left_out = frozenset(exported["name"] for exported in catalogued) - tools.keys()
    undo = (
        " Each photo it replaces is kept first; usersRestorePhoto lists the kept photos and "
        "puts one back (undo)."
        if len(tools) > 1
        else ""
    )

    async def list_tools(_context: Any, params: Any) -> Any:
        if getattr(params, "cursor", None) is not None:
            # One page, no nextCursor: any cursor is one this server never gave (MCP's
            # pagination: an invalid cursor is -32602, not the first page again).
            raise sdk.protocol_error(
                types.INVALID_PARAMS,
                "this server lists all its tools at once and gave no cursor: ask without one",
            )
        return types.ListToolsResult.model_validate({"tools": listed})

    # The one token this server holds: a tool name that quotes it in a shape not known as a
    # token's (no xoxp-, a look-alike hyphen) is not echoed with it.
    source = tool.token_source
    held_forms = source.redaction_forms() if isinstance(source, StaticToken) else ()

    async def call(_context: Any, params: Any) -> Any:
        chosen = tools.get(params.name)
        if chosen is None:
            said = redacted(_not_offered(str(params.name), tools, left_out), held_forms)
            raise sdk.protocol_error(types.INVALID_PARAMS, said)
        return types.CallToolResult.model_validate(
            await call_tool(chosen, params.name, params.arguments)
        )

    return sdk.server_class(
        SERVER_NAME,
        version=__version__,
        instructions=_instructions(tool) + undo,
        on_list_tools=list_tools,
        on_call_tool=call,
    )


def _not_offered(name: str, tools: Mapping[str, ModelTool], left_out: frozenset[str]) -> str:
    """Why a call names no tool of this server: the undo is a tool of the manifest (and of
    every catalog) that a server keeping nothing leaves out, which "unknown" would hide."""
    offered_names = " and ".join(tools)
    seen = shown(name, 64)  # as quoted back: without the white space and invisible characters
    if seen != name and seen in tools:
        # Quoted back, the name reads as one offered: "unknown" alone contradicts the list.
        return (
            f"unknown tool {quoted(name, 64)}: the name sent has white space or invisible "
            f"characters in or around it, which are part of a tool's name: call {seen} by its "
            "exact name"
        )
    if name in left_out or seen in left_out:
        return (
            f"{seen} is not offered by this server: keeping replaced photos is off here "
            "(--no-keep-previous, or keep_previous=False for a server started from Python), "
            f"so it has none to put back; it offers only {offered_names}"
        )
    return f"unknown tool {quoted(name, 64)}: this server offers only {offered_names}"


def _instructions(tool: UsersSetPhoto) -> str:
    """What the server tells the model about giving an image, from its configuration."""
    # Printable, as the image's description names them: a folder's name is no instruction.
    roots = ", ".join(shown_path(root) for root in tool.model_image_roots or ())
    if roots:
        where = f"Give image as a file path inside: {roots}, or as base64 or a data: URI."
    else:
        where = (
            "No image folder is configured (start the server with --image-root DIR for file "
            "paths): give image as base64 or a data: URI."
        )
    if tool.url_hosts:
        where += " " + tool.url_hosts_told("image")
    return (
        f"{tool.name} sets the Slack profile photo of the user whose token this server holds. "
        + where
    )


def load_sdk() -> _Sdk:
    """Import the ``mcp`` package, or raise McpUnavailable saying how to install it."""
    try:
        import mcp.types as mcp_types
        from mcp.server.lowlevel import Server
        from mcp.server.stdio import stdio_server
        from mcp.shared.exceptions import MCPError
    except ImportError as missing:
        raise McpUnavailable(
            f"the MCP server needs the mcp package, version 2 ({missing}): {INSTALL_HINT}"
        ) from None
    return _Sdk(
        types=mcp_types,
        server_class=Server,
        stdio_server=stdio_server,
        protocol_error=MCPError,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ocp_users_photo.mcp_server``: the same as ``ocp-users-photo mcp``."""
    from ocp_users_photo.mcp_command import main as command_main

    return command_main(argv)


if __name__ == "__main__":
    sys.exit(main())
