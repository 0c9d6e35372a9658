"""``ocp-users-photo mcp`` (and ``python -m ocp_users_photo.mcp_server``): the command that
starts the MCP server (mcp_server.py) from its options.

It makes the tool as a model door (the defaults by door in settings.py: image paths inside
``--image-root``, the token from the environment only, the replaced photo kept in
``--history``), says at start in the host's log what would make every call fail,
and logs to stderr through a formatter that removes the token.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import io
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final, NoReturn

from ocp_users_photo.cli_options import base_url_option, history_file
from ocp_users_photo.command_line import (
    CommandLineParser,
    quiet_decompression_bomb_warning,
    refuse_a_pasted_token,
)
from ocp_users_photo.command_runner import signal_handled
from ocp_users_photo.credentials import token_secret_forms, user_token_problem
from ocp_users_photo.environment import Environment, Variables
from ocp_users_photo.errors import InvalidArguments
from ocp_users_photo.exit_codes import ExitCode
from ocp_users_photo.mcp_hangup import stdout_hang_up_watch
from ocp_users_photo.mcp_server import (
    McpUnavailable,
    changes_on_their_way,
    load_sdk,
    offered,
    serve,
)
from ocp_users_photo.output import OutputFailed, standard_streams, tell
from ocp_users_photo.own_loop import run_own_loop
from ocp_users_photo.safe_text import folded_secrets, redacted_folded, shown
from ocp_users_photo.settings import (
    door_image_roots,
    door_token_source,
    opens_everything,
    refuse_relative_roots_opening_everything,
)
from ocp_users_photo.tokens import TOKEN_VARIABLES, NoToken, StaticToken, token_from_environment
from ocp_users_photo.tool import UsersSetPhoto
from ocp_users_photo.undo.errors import HistoryUnavailable
from ocp_users_photo.warm_imports import import_what_calls_use

LOG_LEVELS: Final = ("debug", "info", "warning", "error")
# A desktop host (Claude Desktop) reads its configuration, and starts its servers with their
# args and env, when it starts itself: what the person mends there reaches this server then.
# Claude Desktop gives up on a tool call after 60 s (the MCP TypeScript SDK's default
# request timeout) and reads no answer after it: a call ends before, with its own advice
# (nothing sent, or whether Slack may have it), not the host's bare "request timed out".
CALL_DEADLINE_SECONDS: Final = 50.0
RESTART_THE_HOST: Final = (
    "restart the host (it passes its args and env on only when it starts the server)"
)

logger = logging.getLogger("ocp_users_photo.mcp_server")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``mcp`` command's options to ``parser``."""
    parser.add_argument(
        "--image-root",
        action="append",
        dest="image_roots",
        metavar="DIR",
        help="a folder the model may name images in (repeatable; default: the working "
        "directory, unless that is /, the home folder or a folder holding it: then every path "
        "is refused until "
        "a root is given). Paths outside every root are refused, symlinks included.",
    )
    parser.add_argument(
        "--allow-url-host",
        action="append",
        dest="url_hosts",
        metavar="HOST",
        help="let the model give the image as an https URL on HOST (repeatable; a leading dot "
        "allows every name under it, as .example.com). Off by default. Fetched without a "
        "proxy, never with the Slack token; internal addresses are refused.",
    )
    parser.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        type=base_url_option,
        help="Slack's Web API base URL (default: $SLACK_API_URL, else https://slack.com/api)",
    )
    parser.add_argument(
        "--history",
        metavar="PATH",
        default=None,
        type=history_file,
        help="the SQLite file replaced photos are kept in for undo (default: "
        "$OCP_USERS_PHOTO_HISTORY, else photo-history.sqlite3 in the user's data folder)",
    )
    parser.add_argument(
        "--no-keep-previous",
        action="store_true",
        help="do not keep the photo a change replaces (and offer no usersRestorePhoto): "
        "changes then cannot be undone",
    )
    parser.add_argument(
        "--log-level",
        # INFO as well as info: upper case is how Python's logging (and LOG_LEVEL) spell it.
        type=str.lower,
        choices=LOG_LEVELS,
        default="warning",
        help="what the server logs to stderr (default: warning); the token is never logged",
    )


def run(args: argparse.Namespace) -> int:
    """Serve MCP over stdin/stdout until the client closes the connection; the exit status."""
    quiet_decompression_bomb_warning()
    closed = [name for name in ("stdin", "stdout") if getattr(sys, name) is None]
    if closed:
        # Started with <&- or >&-: MCP is spoken over both, and the SDK would fail on None.
        print(
            f"ocp-users-photo mcp: {' and '.join(closed)} closed: an MCP host starts this "
            "command with both connected to it",
            file=sys.stderr,
        )
        return ExitCode.INVALID
    try:
        load_sdk()
    except McpUnavailable as missing:
        print(f"ocp-users-photo mcp: {missing}", file=sys.stderr)
        return ExitCode.INVALID
    try:
        if args.image_roots is not None:  # before the folders are read: a host chose "."
            refuse_relative_roots_opening_everything(args.image_roots)
        image_roots = door_image_roots("model", args.image_roots)
        tool = UsersSetPhoto(
            door_token_source("model"),
            base_url=args.base_url,
            image_roots=image_roots,
            url_hosts=args.url_hosts,
            keep_previous=False if args.no_keep_previous else None,
            photo_history=args.history,
            deadline=CALL_DEADLINE_SECONDS,
        )
    except ValueError as problem:
        print(
            f"ocp-users-photo mcp: error: {shown(str(problem), 600)}",
            file=sys.stderr,
        )
        return ExitCode.INVALID
    handler = _stderr_log_handler(Environment())
    root_logger = logging.getLogger()
    previous_level = root_logger.level
    root_logger.addHandler(handler)
    root_logger.setLevel(getattr(logging, str(args.log_level).upper()))
    try:
        _warn_about_configuration(tool, image_roots, keeping=not args.no_keep_previous)
        _log_settings(tool, keeping=not args.no_keep_previous)
        import_what_calls_use(tool)  # not from newer files a later upgrade puts in place
        run_own_loop(_serve_until_interrupted(tool))
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except OSError as failed:  # serve's stdin or stdout (a full disk, EIO): not the host gone
        tell(
            f"ocp-users-photo mcp: stdin or stdout failed "
            f"({shown(failed.strerror or type(failed).__name__, 80)}): the server stopped; an "
            "MCP host starts this command with both connected to it, as pipes"
        )
        status = ExitCode.INTERNAL
    else:
        return ExitCode.OK
    finally:
        root_logger.removeHandler(handler)
        root_logger.setLevel(previous_level)
    _collect_unwritten_answers()  # once the OSError, and the frames it holds, are let go
    return status


def _collect_unwritten_answers() -> None:
    """Collect now the SDK's buffer of the failed stdout, still holding the answer it could
    not write: collected at exit, its flush failed again, which Python 3.13 reports as
    "Exception ignored ... OSError" lines after the one line said (3.11 and 3.12 drop it
    outside development mode). That second failure of a failure told is dropped here;
    any other unraisable error goes to the hook as before."""
    previous = sys.unraisablehook

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        if not (
            isinstance(unraisable.exc_value, OSError)
            and isinstance(unraisable.object, io.BufferedIOBase)
        ):
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        gc.collect()
    finally:
        sys.unraisablehook = previous


async def _serve_until_interrupted(tool: UsersSetPhoto) -> None:
    """``serve(tool)``, with Ctrl-C (SIGINT) and the host's SIGTERM ending the process at
    once (``_exit_interrupted``), and so does the host closing the server's stdout
    (``_exit_host_gone``: mcp_hangup.py)."""
    with (
        signal_handled(signal.SIGINT, _exit_interrupted, tool),
        signal_handled(signal.SIGTERM, _exit_interrupted, tool),
        stdout_hang_up_watch(functools.partial(_exit_host_gone, tool)),
    ):
        await serve(tool)


def _exit_interrupted(tool: UsersSetPhoto) -> None:
    """Ctrl-C or SIGTERM: end the process now, with the interrupted exit status.

    The MCP SDK reads stdin in a worker thread that no cancellation reaches: it returns
    only when the host closes stdin, so an orderly shutdown would wait for the host (a
    server run by hand went on after Ctrl-C). A change under way stays pending in the
    photo history, as after a crash, which the history is written to survive; and it
    holds the person's turn for the settle time first, written before the process ends,
    as a cancelled change does (Slack may still set its upload: the person's next change,
    from any program, must not be overtaken by it).
    """
    logger.warning("interrupted: the server stops")
    _end_now(tool, "stopped", ExitCode.INTERRUPTED)


def _exit_host_gone(tool: UsersSetPhoto) -> None:
    """The host closed the server's stdout: no answer can reach it any more, so the server
    ends now, as when the host closes stdin (status 0), a change under way as at Ctrl-C."""
    logger.info("the host closed the server's stdout: the server stops")
    _end_now(tool, "cut off from the host", ExitCode.OK)


def _end_now(tool: UsersSetPhoto, ended: str, status: ExitCode) -> NoReturn:
    """End the process at once with ``status``, each change under way named in the log and
    holding its person's turn (``_exit_interrupted`` says why)."""
    for name in changes_on_their_way(tool):
        # As a call the host cancels once its change is on its way (mcp_server.call_tool).
        logger.warning(
            "%s was %s once its change was on its way to Slack, so whether it changed "
            "the photo is unknown (Slack may still set what it had): look at the Slack profile",
            name,
            ended,
        )
    with contextlib.suppress(Exception):  # the history may be unusable: end all the same
        tool.settle_changes_under_way()
    logging.shutdown()
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os._exit(status)


def _warn_about_configuration(
    tool: UsersSetPhoto, image_roots: tuple[Path, ...] | None, *, keeping: bool
) -> None:
    """What would make every call fail, said once at start in the host's log, not first to a
    model mid-conversation: no token, a token that is not a user token, no image folder, a
    photo history that cannot be used (while changes keep the photo they replace)."""
    if keeping:
        try:
            tool.photo_history.check_usable()
        except HistoryUnavailable as unusable:
            logger.warning(
                "%s; every change will be refused until then (or add --no-keep-previous to "
                "the server's args, which offers no undo)",
                unusable.message,
            )
    source = tool.token_source
    if isinstance(source, NoToken):
        logger.warning(
            "no Slack token: set %s in the MCP host's env block, then %s; every call will "
            "be refused until then",
            " or ".join(TOKEN_VARIABLES),
            RESTART_THE_HOST,
        )
    elif isinstance(source, StaticToken):
        try:
            token = source.token_now()
        except InvalidArguments as refused:
            logger.warning(
                "the Slack token cannot be used: %s; then %s",
                refused.problems[0].message,
                RESTART_THE_HOST,
            )
        else:
            problem = user_token_problem(token, origin=source.origin)
            if problem is not None:
                logger.warning(
                    "the Slack token cannot set a photo: %s; then %s",
                    problem.message,
                    RESTART_THE_HOST,
                )
    for root in image_roots or ():
        if opens_everything(root):
            # Written in full, it stays the person's choice (settings.py); said once here.
            logger.warning(
                "image folder %s is %s: a model may send any image in it as the profile "
                "photo, which everyone in the workspace sees; to confine it, give the "
                "folder your photos are in (--image-root DIR), then %s",
                shown(str(root), 1000),
                "the whole disk" if root == Path(root.anchor) else "the home folder or holds it",
                RESTART_THE_HOST,
            )
    if image_roots == ():
        logger.warning(
            "no image folder: the server was started in /, the home folder or a folder "
            "holding it, which is never one, so image paths will be refused (bytes, base64 "
            "and data: URIs still work): add --image-root DIR to the server's args, then %s",
            RESTART_THE_HOST,
        )


def _log_settings(tool: UsersSetPhoto, *, keeping: bool) -> None:
    """What the host started the server with, at INFO: its folders, Slack's address, the
    history and the token's variable (never the token), for a person checking the host's
    configuration reached it. Started by hand (stdin a terminal), it is said whatever the
    level, with how to end it: else the server waited in silence, as if it had hung."""
    by_hand = _stdin_is_a_terminal()
    if not logger.isEnabledFor(logging.INFO) and not by_hand:
        return
    roots = ", ".join(str(root) for root in tool.model_image_roots or ()) or "none"
    history = "none (--no-keep-previous)"
    if keeping:
        try:
            history = str(tool.photo_history.path)
        except HistoryUnavailable:  # no home folder: said at WARNING above
            history = "none usable"
    origin = getattr(tool.token_source, "origin", None)
    settings = (
        " and ".join(offered(tool)),
        shown(roots, 2000),
        shown(tool.base_url, 300),
        shown(history, 1000),
        f"from {origin}" if isinstance(origin, str) else "none",
    )
    said = "serving %s over stdio; image folders: %s; Slack: %s; photo history: %s; token: %s"
    if not by_hand:
        logger.info(said, *settings)
    else:
        tell(
            f"ocp-users-photo mcp: {said % settings}. Waiting for an MCP client on stdin (an "
            "MCP host starts this command itself); Ctrl-D or Ctrl-C ends it."
        )


def _stdin_is_a_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (OSError, ValueError):  # closed, or detached
        return False


# The most of one log record the host's log gets: a traceback fits; a library's DEBUG
# line quoting a host's message whole (megabytes of a method's name) does not.
_RECORD_CHARS: Final = 16_000


class _RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes the token, whatever a library put in the record, cuts
    the record to ``_RECORD_CHARS`` and writes each character no terminal should act on as
    "?" (a line break, of a traceback, kept): the SDK's DEBUG lines quote what the host
    sent, escapes included."""

    def __init__(self, fmt: str, secret: str | None) -> None:
        super().__init__(fmt)
        self._secrets = folded_secrets(token_secret_forms(secret) if secret else ())

    def format(self, record: logging.LogRecord) -> str:
        text = redacted_folded(super().format(record), self._secrets)
        if len(text) > _RECORD_CHARS:
            text = f"{text[:_RECORD_CHARS]}... ({len(text) - _RECORD_CHARS:,} characters more)"
        if not text.replace("\n", "").isprintable():
            text = "\n".join(
                "".join(ch if ch.isprintable() else "?" for ch in line) for line in text.split("\n")
            )
        return text


def _stderr_log_handler(environ: Variables) -> logging.Handler:
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
    # As the command line's: a closed stderr (2>&-) stood in for, or print's file=None put
    # every line said on stderr on stdout, the protocol's channel.
    standard_streams()
    parser = CommandLineParser(
        prog="python -m ocp_users_photo.mcp_server",
        description="Serve the usersSetPhoto tool over MCP (stdio).",
    )
    configure_parser(parser)
    arguments = list(sys.argv[1:] if argv is None else argv)
    refuse_a_pasted_token(parser, arguments)
    try:
        args = parser.parse_args(arguments)
    except OutputFailed as failed:  # --help to a stdout it cannot be written to
        print(f"{parser.prog}: stdout {failed.what_happened}", file=sys.stderr)
        return ExitCode.INTERNAL
    return run(args)
