"""The command-line options every Slack-calling command shares: where Slack is, whose token."""

from __future__ import annotations

import argparse

from ocp_users_photo.tokens import TOKEN_VARIABLES


def add_slack_options(parser: argparse.ArgumentParser) -> None:
    """``--base-url`` and ``--token-env``: the token itself is never a flag (shell history, ps)."""
    parser.add_argument(
        "--base-url", metavar="URL", help="Slack API base URL (default: $SLACK_API_URL, else Slack)"
    )
    parser.add_argument(
        "--token-env",
        metavar="NAME",
        help=f"environment variable holding the token (default: {' or '.join(TOKEN_VARIABLES)})",
    )
