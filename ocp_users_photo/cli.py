"""The ``ocp-users-photo`` command: set a photo, undo a change, list the kept photos, say whose
token it is, run the emulator or the MCP server, print exports.

A failure is one line on stderr, never a traceback, and exits with the code
``exit_codes.ExitCode`` names for its kind.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Final

from ocp_users_photo._version import __version__
from ocp_users_photo.command_line import (
    CommandLineParser,
    quiet_decompression_bomb_warning,
    refuse_a_pasted_token,
)
from ocp_users_photo.errors import (
    NOT_CALLED,
    READ_ONLY_METHODS,
    InvalidArguments,
    RateLimited,
    ReplySchemaError,
    SlackApiError,
    TokenUnavailable,
    TransportError,
    UsersPhotoError,
)
from ocp_users_photo.exit_codes import ExitCode, epilog
from ocp_users_photo.extras import install_command
from ocp_users_photo.output import OutputFailed, answers_to, standard_streams, tell
from ocp_users_photo.safe_text import shown
from ocp_users_photo.slack.replies import is_redirection
from ocp_users_photo.trusted_roots import CA_VARIABLES
from ocp_users_photo.undo.errors import (
    HistoryBusy,
    HistoryUnavailable,
    KeepingImpossible,
    NothingToUndo,
)
from ocp_users_photo.usage_slips import (
    closest_option,
    command_parser,
    refuse_a_command_option_first,
    refuse_a_look_alike_dash,
    refuse_a_mistyped_command,
    refuse_a_stray_dash_word,
    words_shown,
)

# An answer no Web API method gives: the base URL points somewhere else (a missing /api).
_NO_SUCH_METHOD: Final = frozenset({404, 405})
# The command line cannot refresh a token: an expired one is replaced as a revoked one is.
_TOKEN_REFUSED: Final = frozenset(
    {"invalid_auth", "token_revoked", "token_expired", "account_inactive"}
)
# The commands that only work on the history: set's way round an unusable one is not theirs.
_READING_HISTORY: Final = frozenset({"history", "undo"})
_RETIRED: Final = frozenset({"method_deprecated", "deprecated_endpoint"})
# Not "running it again is safe": a second undo puts back what the first one replaced.
_LOOK_FIRST: Final = (
    "look at your Slack profile before running the command again: if it shows the change, "
    "it was made"
)

# The commands that call Slack with the person's token: (name, module with configure_parser
# and run, help line, description). Their modules need no optional extra.
_SLACK_COMMANDS: Final = (
    (
        "set",
        "set_command",
        "set the photo of the token's user from an image file",
        "Set the profile photo of the user whose token is in the environment. The token is "
        "read from SLACK_USER_TOKEN (or SLACK_TOKEN, or --token-env NAME), never from a flag, "
        "which would land in shell history and ps.",
    ),
    (
        "whoami",
        "whoami_command",
        "say whose token is configured, its workspace and scopes, and if it can set a photo",
        "Call auth.test with the token set would use (SLACK_USER_TOKEN, SLACK_TOKEN or "
        "--token-env NAME): whose it is, the workspace, its scopes, whether it can set a photo "
        "and what to do if not. Never prints the token. Exits 0 when it can set a photo, 2 "
        "when it cannot.",
    ),
    (
        "history",
        "history_command",
        "list the photos kept for undo for the token's user, newest first",
        "List the photos kept before each change (the history file), newest first: number, "
        "time, what it was (with --json, what replaced it too). Never prints the token.",
    ),
    (
        "undo",
        "undo_command",
        "undo the last change kept here (or put back --entry N)",
        "Put back what Slack showed before the last change kept here, or the kept photo "
        "--entry N. It is a change too: the photo it replaces is kept, so undo again goes back.",
    ),
)


# The commands whose modules may need an optional extra, imported only when chosen:
# (name, module with configure_parser and run, the extra, help line, description).
_EXTRA_COMMANDS: Final = (
    (
        "demo",
        "demo",
        "emulator",
        "set a photo on a local Slack emulator: no token, no network",
        "Start the local Slack emulator on a free loopback port, set a photo on it with this "
        "tool, read it back with users.profile.get, and show where to see it.",
    ),
    (
        "emulator",
        "emulator.command",
        "emulator",
        "serve the local Slack emulator until interrupted",
        "Serve a local Slack-compatible users.setPhoto / users.deletePhoto / "
        "users.profile.get until interrupted; prints its base URL once ready.",
    ),
    (
        "mcp",
        "mcp_command",
        "mcp",
        "serve usersSetPhoto over the Model Context Protocol (stdio)",
        "Run an MCP server over stdio offering usersSetPhoto and its undo, "
        "usersRestorePhoto. The token comes from the environment only; image paths are "
        "confined to --image-root folders.",
    ),
)
# Every command's name, as the words may give it.
_COMMAND_NAMES: Final = frozenset(
    {entry[0] for entry in (*_SLACK_COMMANDS, *_EXTRA_COMMANDS)} | {"manifest"}
)

# The manifest's tools in the order export_tools gives them.
_MANIFEST_TOOLS: Final = ("usersSetPhoto", "usersRestorePhoto")


def exit_code_for(error: UsersPhotoError) -> ExitCode:
    """The documented exit code for each kind of failure."""
    if isinstance(error, (InvalidArguments, TokenUnavailable)):
        # No usable token for this person is a configuration problem: nothing was sent.
        return ExitCode.INVALID
    if isinstance(error, (KeepingImpossible, HistoryUnavailable, NothingToUndo)):
        # The photo shown could not be kept, or there is nothing to put back: nothing was sent.
        return ExitCode.INVALID
    if isinstance(error, RateLimited):
        return ExitCode.RATE_LIMITED
    if isinstance(error, SlackApiError):
        return ExitCode.SLACK_ERROR
    if isinstance(error, TransportError) and error.to_check in CA_VARIABLES:
        # The host's CA certificates setting cannot be read: configuration, nothing was sent.
        return ExitCode.INVALID
    if isinstance(error, TransportError):
        return ExitCode.TRANSPORT
    if isinstance(error, ReplySchemaError):
        return ExitCode.REPLY_SCHEMA
    return ExitCode.INTERNAL


def next_step_for(
    error: UsersPhotoError, *, token_variable: str | None = None, command: str | None = None
) -> str | None:
    """What the person at the terminal can do next, where the error's own text leaves it open.

    A transport failure reads very differently depending on whether the request got to
    Slack: if it never did, nothing changed; if it did, the photo may be set already.
    ``command``: the one that was run (whoami is not told to run whoami).
    """
    if isinstance(error, SlackApiError) and error.error in _TOKEN_REFUSED:
        where = token_variable or "SLACK_USER_TOKEN (or SLACK_TOKEN)"
        then = "" if command == "whoami" else "; 'ocp-users-photo whoami' checks it"
        return f"put a current user token (xoxp-...) in {where}{then}"
    if isinstance(error, SlackApiError) and error.error in _RETIRED:
        return (
            "check SLACK_API_URL (or --base-url) is Slack's Web API, https://slack.com/api, "
            "and upgrade ocp-users-photo"
        )
    if isinstance(error, SlackApiError) and error.earlier_attempt_reached:
        return (
            "an earlier attempt reached Slack but no usable answer came back, so the photo may "
            f"be set already: {_LOOK_FIRST}"
        )
    if isinstance(error, ReplySchemaError) and error.method not in READ_ONLY_METHODS:
        return f"Slack's answer was not what its documentation says: {_LOOK_FIRST}"
    if isinstance(error, TransportError):
        if error.status_code == 413:
            return "Slack refused the upload's size: save the image smaller, then run again"
        if error.reached is False and error.status_code not in _NO_SUCH_METHOD:
            check = error.to_check or "the network and SLACK_API_URL (or --base-url)"
            return (
                f"nothing reached Slack, so nothing changed: check {check}, then run the "
                "same command again"
            )
        if error.reached is True and error.only_read:
            return (
                f"Slack gave no usable answer to {error.method}; it only reads, so nothing "
                "changed: run the same command again in a moment"
            )
        if error.reached is True:
            return (
                "the request reached Slack but no usable answer came back, so the photo may be "
                f"set already: {_LOOK_FIRST}"
            )
        if error.status_code in _NO_SUCH_METHOD:
            return (
                "nothing answers as Slack's Web API at that address: check SLACK_API_URL "
                "(or --base-url); it ends in /api, as in https://slack.com/api"
            )
        if error.status_code is not None and is_redirection(error.status_code):
            # Any 3xx (replies.is_redirection), a read's above all: waiting will not move
            # the address back.
            return (
                "check SLACK_API_URL (or --base-url) is Slack's Web API, https://slack.com/api: "
                "the address answered with a redirect, which is never followed"
            )
        if not error.only_read and error.method is not None:
            # An answer came after the upload went out, but not Slack's: a gateway's page, a
            # wrong address. Either the photo is set or nothing reached Slack.
            return (
                "the answer was not Slack's: check SLACK_API_URL (or --base-url); the photo "
                f"may be set already: {_LOOK_FIRST}"
            )
        return "Slack answered, but not with a usable reply: try again in a few minutes"
    if isinstance(error, HistoryBusy):
        return "run the same command again once the other change (or program) is done"
    if isinstance(error, HistoryUnavailable):
        if command in _READING_HISTORY:  # they read the history: no other way round it
            return "give another file with --history PATH"
        return (
            "give another file with --history PATH; for set, --no-keep-previous changes the "
            "photo without keeping the one shown (that change cannot be undone)"
        )
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported (each may pull in an optional extra).

    ``None`` wires every command that needs no extra; any other word that names no command
    wires none (``--help`` and ``--version`` need none of their modules)."""
    parser = CommandLineParser(
        prog="ocp-users-photo",
        description="Set a Slack user's profile photo (users.setPhoto), checked end to end.",
        epilog=epilog(),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    # Only the command named is wired: importing the others' modules (Pillow, undo's
    # restore path, the exports' schemas) took 51 ms of --version's 179 of CPU, 25 of
    # whoami's 238 (benchmarks/README.md).
    wire_all = command is None
    for name, module_name, summary, description in _SLACK_COMMANDS:
        subparser = commands.add_parser(name, help=summary, description=description)
        if not (wire_all or command == name):
            _unwired(subparser)
            continue
        module = importlib.import_module(f"ocp_users_photo.{module_name}")
        module.configure_parser(subparser)
        subparser.set_defaults(handler=module.run)

    for name, module_name, extra, summary, description in _EXTRA_COMMANDS:
        subparser = commands.add_parser(name, help=summary, description=description)
        _lazy(subparser, f"ocp_users_photo.{module_name}", extra, command == name)

    manifest_parser = commands.add_parser(
        "manifest",
        help="print the tool definition for OCP, OpenAI, Anthropic, Gemini or MCP",
        description="Print the tool definition, derived from tool_manifest.json.",
    )
    if not (wire_all or command == "manifest"):
        _unwired(manifest_parser)
        return parser
    from ocp_users_photo.exports import FORMATS

    manifest_parser.add_argument(
        "--format", choices=FORMATS, default="ocp", help="whose tool format (default: ocp)"
    )
    manifest_parser.add_argument(
        "--tool",
        choices=(*_MANIFEST_TOOLS, "all"),
        default="usersSetPhoto",
        help="which tool (default: usersSetPhoto; all: a JSON array of both)",
    )
    manifest_parser.set_defaults(handler=_print_manifest)
    return parser


def _unwired(parser: argparse.ArgumentParser) -> None:
    """A command not named in the words: never parsed, so its module is not imported."""
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)


def _print_manifest(args: argparse.Namespace) -> int:
    from ocp_users_photo.exports import export_tools

    exported = export_tools(args.format)
    chosen = exported if args.tool == "all" else exported[_MANIFEST_TOOLS.index(args.tool)]
    return _print(json.dumps(chosen, indent=2, ensure_ascii=False))


def _print(text: str) -> int:
    """Print ``text``; a reader that stops early (``| head``) is main's to report."""
    answers_to(sys.stdout).write(text + "\n")
    return ExitCode.OK


def _stdout_to_devnull() -> None:
    """Python's advice for a closed stdout: point it at devnull, so that the flush at exit
    cannot fail again (none to point when stdout was never open)."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _lazy(parser: argparse.ArgumentParser, module_name: str, extra: str, chosen: bool) -> None:
    """Wire a subcommand whose module may need an optional extra, imported only when chosen."""
    if not chosen:
        _unwired(parser)
        return
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        hint = install_command(extra)
        if error.name is None:
            # The package's own refusal (extras.py): it names the missing package and the
            # extra already, or an installed release too old to use.
            message = shown(str(error), 400)
        else:
            message = f"this command needs {error.name}, which is not installed: {hint}"
        parser.set_defaults(handler=_Unavailable(message))
        parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        # Its options are unknown here: --help says what to install, and any option given
        # (--port, --serve) gets the same advice, not "unrecognized arguments".
        parser.description = f"Needs the [{extra}] extra: {hint}."
        return
    module.configure_parser(parser)
    parser.set_defaults(handler=module.run)


class _Unavailable:
    """The handler of a command whose extra is missing: says what to install, whatever
    options were given (they are unknown here)."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, args: argparse.Namespace) -> int:
        tell(f"ocp-users-photo: {self.message}")
        return ExitCode.INVALID


# The program's own options; any other option before the command is a command's.
def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        return _run(argv)
    except KeyboardInterrupt:
        # Before the command ran (its module loading, its options read): Python's traceback
        # is no answer; within the command, _run says the same, or what was done.
        tell("ocp-users-photo: interrupted")
        return ExitCode.INTERRUPTED


def _run(argv: Sequence[str] | None) -> int:
    standard_streams()
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = next((word for word in arguments if not word.startswith("-")), None)
    given = next((word for word in arguments if word in _COMMAND_NAMES), None)
    # Only the command the words name is wired. It is the first word not an option whenever
    # argparse runs a command (an option first, and its value, are refused below); when that
    # word is not a command ('--token xoxp-... set', a token pasted first), the command named
    # later is still wired: the refusal's advice is worded from its options (--token-env).
    parser = build_parser(given or "")
    if isinstance(parser, CommandLineParser):  # a --token before the command: its advice
        parser.command_given = given
    refuse_a_command_option_first(parser, arguments, command, given, _COMMAND_NAMES)
    refuse_a_pasted_token(parser, arguments)
    if command is not None and given is None:
        refuse_a_mistyped_command(parser, command, _COMMAND_NAMES)
    refuse_a_look_alike_dash(parser, arguments, given)
    refuse_a_stray_dash_word(parser, arguments, given)
    try:
        args, unknown = parser.parse_known_args(arguments)
    except OutputFailed as failed:  # --help or --version, to a stdout it cannot be written to
        _stdout_to_devnull()
        tell(f"ocp-users-photo: stdout {failed.what_happened}")
        return ExitCode.INTERNAL
    if unknown and not isinstance(getattr(args, "handler", None), _Unavailable):
        # argparse hands a subcommand's unknown options to the top parser, whose usage
        # would not show them: point at the subcommand's own help, for words after it.
        after_command = arguments.index(args.command) < arguments.index(unknown[0])
        where = f" (see: ocp-users-photo {args.command} --help)" if after_command else ""
        # After the command, said with that command's usage line and its closest option.
        said_by = (command_parser(parser, args.command) if after_command else None) or parser
        close = closest_option(unknown[0], said_by)
        said_by.error(f"unrecognized arguments: {words_shown(unknown)}{where}{close}")
    handler: Callable[[argparse.Namespace], int] = args.handler
    quiet_decompression_bomb_warning()
    try:
        return handler(args)
    except KeyboardInterrupt:
        tell("ocp-users-photo: interrupted")
        return ExitCode.INTERRUPTED
    except UsersPhotoError as error:
        # Token-shaped text is masked once more here (shown): a person may paste one anywhere.
        said = error.terminal_message or error.message
        if said.startswith(NOT_CALLED):  # the person typed "set", not the tool's name
            said = "nothing was sent to Slack" + said.removeprefix(NOT_CALLED)
        tell(f"ocp-users-photo: {_for_terminal(said)}")
        advice = next_step_for(
            error,
            token_variable=getattr(args, "token_env", None),
            command=getattr(args, "command", None),
        )
        if advice:
            tell(f"ocp-users-photo: next: {advice}")
        return exit_code_for(error)
    except (BrokenPipeError, OutputFailed) as failed:
        # The reader went away (``| head``, ``| true``), or the answer could not be written
        # (a full disk), after the command may have done its work (a photo set, an undo
        # made): 1, never 2's "nothing was sent" (output.py).
        _stdout_to_devnull()
        reader_left = isinstance(failed, BrokenPipeError) or failed.reader_left
        if reader_left and _only_reads(args):
            # ``history | head``: the reader took what it wanted of a listing that changed
            # nothing. A line and exit 1 told a failure, and broke ``set -o pipefail``. A
            # stdout never open (``>&-``) is no such reader: nothing was shown, as said.
            return ExitCode.OK
        why = failed.what_happened if isinstance(failed, OutputFailed) else "was closed"
        if isinstance(failed, OutputFailed) and failed.nothing_sent:
            tell(f"ocp-users-photo: stdout {why}; nothing was sent")
            return ExitCode.INVALID
        tell(
            f"ocp-users-photo: stdout {why} before all output was written; what the command "
            "did stands"
        )
        return ExitCode.INTERNAL
    except (ValueError, OSError) as error:
        tell(f"ocp-users-photo: {_for_terminal(str(error))}")
        return ExitCode.INVALID


def _only_reads(args: argparse.Namespace) -> bool:
    """Whether the command only reads and prints (a listing, a definition) and answers 0
    whenever it prints at all, so a reader that leaves early loses nothing it did. Not
    ``whoami``: its exit code is its answer (2: the token cannot set a photo)."""
    command = getattr(args, "command", None)
    if command == "history":
        return not getattr(args, "forget", False)
    return command == "manifest"


def _for_terminal(text: str) -> str:
    """An error's text as one printable line, tokens masked: a person may paste a token
    anywhere, and a path or value quoted in it may hold control characters."""
    return shown(text, 4000)


if __name__ == "__main__":
    sys.exit(main())
