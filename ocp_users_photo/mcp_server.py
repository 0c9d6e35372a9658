"""A Model Context Protocol server over stdio that offers the usersSetPhoto tool.

    python -m ocp_users_photo.mcp_server --image-root ~/Pictures
    ocp-users-photo mcp --image-root ~/Pictures

The tool is listed with the manifest's input schema and the MCP export's output
schema, verbatim. A call returns what ``UsersSetPhoto.run`` returns, as
structured content and as a text block holding the same JSON; a failure sets
``isError`` so the model can read the error object and correct its call. The
Slack token comes from the server's environment (SLACK_USER_TOKEN or
SLACK_TOKEN) and never from a call, and image paths must lie inside the
``--image-root`` folders. The ``mcp`` package is imported only when the server
starts, so the rest of this package works without the ``[mcp]`` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final

from ocp_users_photo._version import __version__
from ocp_users_photo.credentials import REDACTED
from ocp_users_photo.exports import export_tool
from ocp_users_photo.settings import door_image_roots, door_token_source
from ocp_users_photo.tokens import TOKEN_VARIABLES, NoToken, token_from_environment
from ocp_users_photo.tool import UsersSetPhoto

SERVER_NAME: Final = "ocp-users-photo"
INSTALL_HINT: Final = "pip install 'ocp-users-photo[mcp]'"
UNEXPECTED_ERROR: Final = "unexpected_error"
LOG_LEVELS: Final = ("debug", "info", "warning", "error")

logger = logging.getLogger("ocp_users_photo.mcp_server")


class McpUnavailable(RuntimeError):
    """The ``mcp`` package is missing or broken; the message says how to install it."""


@dataclass(frozen=True)
class _Sdk:
    """The parts of the ``mcp`` package the server uses, imported on demand."""

    types: ModuleType
    server_class: type[Any]
    stdio_server: Any
    protocol_error: type[Exception]


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``mcp`` command's options to ``parser``."""
    parser.add_argument(
        "--image-root",
        action="append",
        dest="image_roots",
        metavar="DIR",
        help="a folder the model may name images in (repeatable; default: the working "
        "directory). Paths outside every root are refused, symlinks included.",
    )
    parser.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help="Slack's Web API base URL (default: $SLACK_API_URL, else https://slack.com/api)",
    )
    parser.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="warning",
        help="what the server logs to stderr (default: warning); the token is never logged",
    )


def run(args: argparse.Namespace) -> int:
    """Serve MCP over stdin/stdout until the client closes the connection; the exit status."""
    try:
        _load_sdk()
    except McpUnavailable as missing:
        print(f"ocp-users-photo mcp: {missing}", file=sys.stderr)
        return 2
    try:
        image_roots = door_image_roots("model", args.image_roots)
        tool = UsersSetPhoto(
            door_token_source("model"), base_url=args.base_url, image_roots=image_roots
        )
    except ValueError as problem:
        print(f"ocp-users-photo mcp: error: {problem}", file=sys.stderr)
        return 2
    handler = _stderr_log_handler(os.environ)
    root_logger = logging.getLogger()
    previous_level = root_logger.level
    root_logger.addHandler(handler)
    root_logger.setLevel(getattr(logging, str(args.log_level).upper()))
    try:
        if isinstance(tool.token_source, NoToken):
            logger.warning(
                "no Slack token: set %s in the MCP host's env block; every call will be "
                "refused until then",
                " or ".join(TOKEN_VARIABLES),
            )
        asyncio.run(serve(tool))
    except KeyboardInterrupt:
        return 130
    finally:
        root_logger.removeHandler(handler)
        root_logger.setLevel(previous_level)
    return 0


async def serve(tool: UsersSetPhoto) -> None:
    """Serve ``tool`` over this process's stdin and stdout until the client disconnects.

    Raises McpUnavailable when the ``mcp`` package cannot be imported. The tool must
    keep its default ``reply_check="strict"``, or the declared output schema may not hold.
    """
    sdk = _load_sdk()
    server = _build_server(sdk, tool)
    try:
        async with sdk.stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    finally:
        await tool.aclose()


async def call_tool(
    tool: UsersSetPhoto, name: str, arguments: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The MCP ``CallToolResult`` (as wire JSON) for a call of the tool ``name``.

    The result object is ``tool.run``'s: structured content, the same JSON as text,
    and ``isError`` unless Slack answered ``ok: true``.
    """
    result = await _run_guarded(tool, arguments or {})
    failed = result.get("ok") is not True
    if failed:
        logger.info("%s refused or failed: %s", name, result.get("error"))
    else:
        logger.info("%s succeeded", name)
    return {
        "content": [{"type": "text", "text": json.dumps(result, ensure_ascii=False)}],
        "structuredContent": result,
        "isError": failed,
    }


async def _run_guarded(tool: UsersSetPhoto, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``tool.run`` (which refuses a token argument), with an unexpected failure reported."""
    try:
        return await tool.run(arguments)
    except Exception as failure:
        # A bug, not a refusal: keep the server alive and tell the model plainly.
        logger.exception("%s failed unexpectedly", tool.name)
        return {
            "ok": False,
            "error": UNEXPECTED_ERROR,
            "message": f"usersSetPhoto failed unexpectedly ({type(failure).__name__}), so "
            "whether the photo was set is unknown. The MCP server's log has the details.",
            "problems": [],
        }


def _build_server(sdk: _Sdk, tool: UsersSetPhoto) -> Any:
    """A low-level MCP server listing the tool with the exported schemas, through the
    SDK's public handler arguments (``on_list_tools``, ``on_call_tool``)."""
    types = sdk.types
    tool_name = tool.name
    roots = ", ".join(str(root) for root in tool.image_roots or ())

    async def list_tools(_context: Any, _params: Any) -> Any:
        return types.ListToolsResult.model_validate({"tools": [export_tool("mcp")]})

    async def call(_context: Any, params: Any) -> Any:
        if params.name != tool_name:
            raise sdk.protocol_error(
                types.INVALID_PARAMS,
                f"unknown tool {str(params.name)[:64]!r}: this server offers only {tool_name}",
            )
        return types.CallToolResult.model_validate(
            await call_tool(tool, params.name, params.arguments)
        )

    return sdk.server_class(
        SERVER_NAME,
        version=__version__,
        instructions=(
            f"{tool_name} sets the Slack profile photo of the user whose token this server "
            f"holds. Give image as a file path inside: {roots}."
        ),
        on_list_tools=list_tools,
        on_call_tool=call,
    )


def _load_sdk() -> _Sdk:
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


class _RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes the token, whatever a library put in the record."""

    def __init__(self, fmt: str, secret: str | None) -> None:
        super().__init__(fmt)
        self._secret = secret

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if self._secret:
            text = text.replace(self._secret, REDACTED)
        return text


def _stderr_log_handler(environ: Mapping[str, str]) -> logging.Handler:
    """A stderr handler whose output never holds the configured token."""
    found = token_from_environment(environ)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _RedactingFormatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s", found[1] if found else None
        )
    )
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ocp_users_photo.mcp_server``: the same as ``ocp-users-photo mcp``."""
    parser = argparse.ArgumentParser(
        prog="python -m ocp_users_photo.mcp_server",
        description="Serve the usersSetPhoto tool over MCP (stdio).",
    )
    configure_parser(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
