"""What every Slack-calling command shares: where Slack is, whose token, the undo's warnings.

``add_slack_options`` adds the options; ``undo_warnings_to`` shows the warnings the undo
logs while a command runs (a replaced photo that could not be kept) as lines on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import TextIO

from ocp_users_photo.command_line import variable_name
from ocp_users_photo.tokens import TOKEN_VARIABLES

__all__ = ["UndoWarnings", "add_slack_options", "undo_warnings_to"]

# The logger PhotoKeeper warns on (ocp_users_photo.undo.keeper); not imported from
# there, so building the parser loads no SQLite.
_UNDO_LOGGER = "ocp_users_photo.undo"


def add_slack_options(parser: argparse.ArgumentParser) -> None:
    """``--base-url`` and ``--token-env``: the token itself is never a flag (shell history, ps)."""
    parser.add_argument(
        "--base-url", metavar="URL", help="Slack API base URL (default: $SLACK_API_URL, else Slack)"
    )
    parser.add_argument(
        "--token-env",
        metavar="NAME",
        type=variable_name,
        help=f"environment variable holding the token (default: {' or '.join(TOKEN_VARIABLES)})",
    )


class UndoWarnings(logging.Handler):
    """The undo's warnings as ``ocp-users-photo: warning: ...`` lines; ``count`` of them."""

    def __init__(self, stream: TextIO, before_line: Callable[[], None]) -> None:
        super().__init__(logging.WARNING)
        self._stream = stream
        self._before_line = before_line
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self._before_line()
        self._stream.write(f"ocp-users-photo: warning: {record.getMessage()}\n")
        self._stream.flush()


@contextlib.contextmanager
def undo_warnings_to(
    stream: TextIO, *, before_line: Callable[[], None] = lambda: None
) -> Iterator[UndoWarnings]:
    """Show the undo's warnings on ``stream`` while the block runs.

    ``before_line`` runs before each (a status line erasing itself).
    """
    handler = UndoWarnings(stream, before_line)
    logger = logging.getLogger(_UNDO_LOGGER)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
