"""What every Slack-calling command shares: where Slack is, whose token, the undo's warnings.

``add_slack_options`` and ``add_history_option`` add the options, with one help text and
one default for every command; ``undo_warnings_to`` shows the warnings the undo logs while
a command runs (a replaced photo that could not be kept) as lines on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import re
import shlex
from collections.abc import Callable, Iterator, Mapping
from typing import Final, TextIO, TypedDict

from ocp_users_photo.command_line import variable_name
from ocp_users_photo.environment import Environment
from ocp_users_photo.errors import UsersPhotoError
from ocp_users_photo.safe_text import has_lone_surrogate, quoted, shown, without_tokens
from ocp_users_photo.settings import unexpanded_variable
from ocp_users_photo.tokens import TOKEN_VARIABLES

__all__ = [
    "SlackKeywords",
    "UndoWarnings",
    "add_history_option",
    "add_slack_options",
    "base_url_option",
    "command_shown",
    "one_command_environment",
    "slack_keywords",
    "undo_command",
    "undo_warnings_to",
]

# The package's logger: PhotoKeeper warns on ocp_users_photo.undo.keeper (not imported
# from there, so building the parser loads no SQLite), the reply check on it (Slack's
# warning field). Without a handler, Python's last resort prints them bare.
_PACKAGE_LOGGER = "ocp_users_photo"
_UNDO_LOGGERS = "ocp_users_photo.undo"


def add_slack_options(parser: argparse.ArgumentParser) -> None:
    """A "Slack" group: where it is, whose token, how long to wait and how often to retry.

    The token itself is never a flag (shell history, ps): ``--token-env`` names its variable.
    """
    slack = parser.add_argument_group("Slack")
    slack.add_argument(
        "--base-url",
        metavar="URL",
        type=base_url_option,
        help="Slack API base URL (default: $SLACK_API_URL, else Slack)",
    )
    slack.add_argument(
        "--token-env",
        metavar="NAME",
        type=variable_name,
        help=f"environment variable holding the token (default: {' or '.join(TOKEN_VARIABLES)})",
    )
    slack.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_seconds,
        default=30.0,
        help="seconds per attempt (default: 30)",
    )
    slack.add_argument(
        "--max-retries",
        metavar="N",
        type=_retries,
        default=2,
        help="retries of transient faults: rate limits, 5xx, lost connections (default: 2)",
    )


def base_url_option(text: str) -> str:
    """``--base-url``, checked as the tool checks a base URL, its refusal naming the flag
    (argparse's "argument --base-url: it ..."), not the Python parameter."""
    from ocp_users_photo.settings import check_base_url

    try:
        return check_base_url(text, origin="it")
    except ValueError as refused:
        raise argparse.ArgumentTypeError(str(refused)) from None


_PLAIN_NUMBER: Final = re.compile(r"[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]{1,3})?|[0-9]+\.", re.ASCII)


def _seconds(text: str) -> float:
    """A number of seconds over 0 (not nan or inf); argparse's usage error otherwise.

    Written as a number is, in the digits 0-9: float() also takes other scripts' digits,
    '_' between them and spaces around.
    """
    try:
        seconds = float(text) if _PLAIN_NUMBER.fullmatch(text) else math.nan
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(
            f"{text[:20]!r} is not a number of seconds over 0, such as 30 or 2.5"
        )
    return seconds


# More retries than any deadline lets happen; and int() refuses past 4,300 digits, which
# argparse then said in its own words ("invalid _retries value"), quoting 2,000 of them.
_MOST_RETRY_DIGITS: Final = 15


def _retries(text: str) -> int:
    """A whole number, 0 or more; argparse's usage error otherwise."""
    if not (text.isascii() and text.isdigit() and len(text) <= _MOST_RETRY_DIGITS):
        raise argparse.ArgumentTypeError(
            f"{text[:20]!r} is not a whole number of at most {_MOST_RETRY_DIGITS} digits, "
            "0 or more, such as 2"
        )
    return int(text)


class SlackKeywords(TypedDict):
    """The "Slack" group's values, as UsersSetPhoto's keyword arguments."""

    base_url: str | None
    timeout: float
    max_retries: int
    environ: Environment


def slack_keywords(args: argparse.Namespace) -> SlackKeywords:
    """What ``add_slack_options`` read, for ``UsersSetPhoto(token, **slack_keywords(args))``."""
    return SlackKeywords(
        base_url=args.base_url,
        timeout=args.timeout,
        max_retries=args.max_retries,
        environ=one_command_environment(os.environ),
    )


def one_command_environment(environment: Mapping[str, str]) -> Environment:
    """``environment``, with httpx's stack where it leaves the choice to the tool (``auto``),
    held as an ``Environment`` (no frame's locals show its values: environment.py).

    A command makes one to four calls and exits. aiohttp's calls are cheaper, but importing
    it costs more than they save: ``set me.png`` took 0.41 s of CPU on aiohttp's stack and
    0.32 s on httpx's, ``whoami`` 0.37 s and 0.30 s (benchmarks/cli_one_shot.py). A
    long-lived host (the MCP server, an agent) keeps ``auto``'s aiohttp. A stack the
    environment names is used as it is.
    """
    from ocp_users_photo.slack.stacks import HTTP_STACK_VARIABLE

    held = Environment(environment)
    if held.get(HTTP_STACK_VARIABLE) not in (None, "", "auto"):
        return held
    return held.with_value(HTTP_STACK_VARIABLE, "httpx")


def add_history_option(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, what: str
) -> None:
    """``--history PATH``: ``what`` says what the file is to this command; the default follows."""
    parser.add_argument(
        "--history",
        metavar="PATH",
        type=history_file,
        help=f"{what} (default: $OCP_USERS_PHOTO_HISTORY, else photo-history.sqlite3 in the "
        "user's data folder)",
    )


def add_history_and_undo_options(parser: argparse.ArgumentParser) -> None:
    """The options ``history`` and ``undo`` share: where Slack, the token and the history
    are. Here, not in either command's module, so that one loads without the other."""
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    add_history_option(parser, what="the history file")
    add_slack_options(parser)


def command_shown(*words: str) -> str | None:
    """A command for a person to type, quoted in a message (the shell's quoting inside,
    double quotes around it where that quoting uses single quotes), or None when it can
    not be shown as it must be typed: a word with a control character, a byte that is no
    UTF-8, a token's shape, or over 600 characters (shown masked or cut, the command
    would name another file)."""
    line = shlex.join(words)
    clean = line.isprintable() and not has_lone_surrogate(line)
    if not clean or len(line) > 600 or without_tokens(line) != line:
        return None
    return f'"{line}"' if "'" in line else f"'{line}'"


def undo_command(history: str | None, *options: str) -> str:
    """``ocp-users-photo undo`` as a message tells it, with the ``--history`` this command
    was given, else a relative $OCP_USERS_PHOTO_HISTORY (from another folder, a plain undo
    reads another file), as a full path: without it, undo reads the default history and
    finds nothing kept there. An absolute variable needs no flag. A path that cannot be
    shown as typed is named as "the same --history" instead."""
    return _with_history("undo", history, *options)


def history_listing_command(history: str | None) -> str:
    """``ocp-users-photo history`` as a message tells it, with the same ``--history`` as
    ``undo_command``: without it, the listing reads the default history, and says nothing
    is kept there."""
    return _with_history("history", history)


def _with_history(command: str, history: str | None, *options: str) -> str:
    from ocp_users_photo.settings import HISTORY_VARIABLE, full_history_path

    words = ["ocp-users-photo", command, *options]
    if history is None:
        variable = os.environ.get(HISTORY_VARIABLE)
        if not variable or os.path.isabs(os.path.expanduser(variable)):
            return command_shown(*words) or f"'ocp-users-photo {command}'"
        full = full_history_path(variable) or variable
        what = f"the full path of the file ${HISTORY_VARIABLE} names"
    else:
        # As the command opened it: "~" expanded, a relative path (one starting "$X", which
        # no shell expanded, included) taken from the working folder. Only the variable
        # keeps that carve-out, for the refusal where it is used.
        full = os.path.abspath(os.path.expanduser(history))
        what = "the full path of the same --history file"
    shown_command = command_shown(*words, "--history", full)
    if shown_command is not None:
        return shown_command
    return f"{command_shown(*words, '--history', 'PATH')} (PATH: {what})"


def history_file(text: str) -> str:
    """``--history``'s file: ``file_to_write``, refused when it starts with a variable left
    as written ("$HOME/h.sqlite3" from an MCP host's args made a folder named "$HOME" in
    the folder the server started in, where no later undo looks)."""
    if not text.strip():
        # A script's --history "$HIST" with the variable empty: the default file was read,
        # and the undo hint named the working folder as the history.
        raise argparse.ArgumentTypeError(
            "the path is empty: give the history file's path, or leave --history out for the "
            "default one"
        )
    left = unexpanded_variable(text)
    if left is not None:
        raise argparse.ArgumentTypeError(
            f"the path starts with {quoted(left, 40)}, a variable nothing expanded (an MCP "
            "host passes its args as written, and a shell leaves one in single quotes as "
            "it is): give the history's full path"
        )
    return file_to_write(text)


def file_to_write(text: str) -> str:
    """A file the command writes (``--history``, ``--preview``), refused when its own name
    is shaped like a Slack token: the token pasted one word too far would stay on disk, in
    listings, backups and sync, where the output masks it."""
    # The file's own name (a trailing separator names the last part still): a folder's
    # name on the way is the person's own.
    name = os.path.basename(text.rstrip("/" + os.sep))
    if without_tokens(name) != name:
        raise argparse.ArgumentTypeError(
            "the file name is shaped like a Slack token, and a file of that name would keep "
            "it on disk: give another file name (if that was your token, it is in your "
            "shell's history now: revoke it and make another)"
        )
    return text


class UndoWarnings(logging.Handler):
    """The package's warnings as ``ocp-users-photo: warning: ...`` lines; ``count``: the
    undo's among them (a replaced photo that could not be kept)."""

    def __init__(self, stream: TextIO, before_line: Callable[[], None]) -> None:
        super().__init__(logging.WARNING)
        self._stream = stream
        self._before_line = before_line
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        # One bounded printable line, any token shape masked: a warning may quote a server.
        # A stderr that cannot take it (a full disk, a closed reader) loses the warning only:
        # raised here, the failure would leave the tool mid-change (Slack's warning is logged
        # after it set the photo), and the command would exit 1 with its answer unsaid.
        with contextlib.suppress(OSError, ValueError):
            self._before_line()
            self._stream.write(f"ocp-users-photo: warning: {shown(record.getMessage(), 1000)}\n")
            self._stream.flush()
            # "see the warning" names the undo's only, and only one that was written.
            if record.name.startswith(_UNDO_LOGGERS):
                self.count += 1


@contextlib.contextmanager
def undo_warnings_to(
    stream: TextIO, *, before_line: Callable[[], None] = lambda: None
) -> Iterator[UndoWarnings]:
    """Show the package's warnings (the undo's, Slack's) on ``stream`` while the block runs.

    ``before_line`` runs before each (a status line erasing itself).
    """
    handler = UndoWarnings(stream, before_line)
    logger = logging.getLogger(_PACKAGE_LOGGER)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def said_after_the_upload(unexpected: Exception) -> bool:
    """Whether ``unexpected``, a ValueError or OSError met once a change's upload began, is
    one the command line must tell as such: not the tool's own errors (TokenNotUsable is a
    ValueError) nor a reader gone (BrokenPipeError), each of which it says as it is."""
    return not isinstance(unexpected, (UsersPhotoError, BrokenPipeError))


def unexpected_after_upload(
    unexpected: Exception, *, upload: str, outcome: str, err: TextIO
) -> int:
    """One line for an error of no expected kind once ``upload`` ("the undo's upload") had
    begun, never the "nothing was sent" (exit 2) the command line says for such errors
    before it: exit 1. ``outcome``: what may have happened and what to do, as an interrupt
    then says it."""
    from ocp_users_photo.exit_codes import ExitCode
    from ocp_users_photo.output import tell

    what = shown(without_tokens(f"{type(unexpected).__name__}: {unexpected}"), 200)
    tell(
        f"ocp-users-photo: {upload} had begun when an unexpected error came ({what}), so {outcome}",
        err,
    )
    return ExitCode.INTERNAL
