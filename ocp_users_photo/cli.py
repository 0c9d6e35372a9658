"""The ``ocp-users-photo`` command: print the tool's definition, or serve it over MCP.

ocp-users-photo manifest [--format ocp|openai|anthropic|mcp]
ocp-users-photo mcp [--image-root DIR]... [--base-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from ocp_users_photo import mcp_server
from ocp_users_photo._version import __version__
from ocp_users_photo.exports import FORMATS, export_tool


def build_parser() -> argparse.ArgumentParser:
    """The command's parser, one subcommand per task."""
    parser = argparse.ArgumentParser(
        prog="ocp-users-photo", description="Slack's users.setPhoto as an agent tool."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    manifest = commands.add_parser(
        "manifest",
        help="print the tool's definition as JSON",
        description="Print the tool's definition, derived from tool_manifest.json, as JSON.",
    )
    manifest.add_argument(
        "--format", choices=FORMATS, default="ocp", help="whose tool format (default: ocp)"
    )

    serve = commands.add_parser(
        "mcp",
        help="serve the tool over MCP (stdio)",
        description="Serve usersSetPhoto as a Model Context Protocol server over stdio. "
        "The Slack token comes from SLACK_USER_TOKEN (or SLACK_TOKEN) in the environment.",
    )
    mcp_server.configure_parser(serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; its exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "manifest":
        return _print(json.dumps(export_tool(args.format), indent=2, ensure_ascii=False))
    return mcp_server.run(args)


def _print(text: str) -> int:
    """Print ``text``; a reader that stops early (``| head``) is not an error worth a traceback."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # Python's advice: point stdout at devnull so the exit flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0
