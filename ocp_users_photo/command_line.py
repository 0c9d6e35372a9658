"""The argument parser every program of the package uses: no guessed options, no echoed tokens.

argparse takes a prefix of an option for the whole option, so ``--token xoxp-...``
would be read as ``--token-env`` and the token repeated in the error that follows
(that variable is not set). Here an option must be spelled out, ``--token`` is
refused with what to do instead (the token goes in an environment variable, never on
a command line, where shell history and ``ps`` keep it), and every usage error has
token-shaped text masked before it reaches the terminal: argparse quotes what it did
not understand, and a token pasted in the wrong place is exactly that.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, NoReturn

from ocp_users_photo.output import answers_to
from ocp_users_photo.safe_text import is_token, shown, without_tokens

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

__all__ = [
    "CommandLineParser",
    "add_token_flag_refusal",
    "quiet_decompression_bomb_warning",
    "refuse_a_pasted_token",
    "token_flag_advice",
    "variable_name",
]

FLAG_ADVICE: Final = (
    "the token is never given on the command line (shell history and ps would keep it): "
    "read it into the environment with 'read -rs SLACK_USER_TOKEN && export "
    "SLACK_USER_TOKEN', then run the command again (or name another variable with "
    "--token-env NAME)"
)
# For a program without --token-env, such as ``mcp``, which a host starts with its ``env``.
ENVIRONMENT_ONLY_ADVICE: Final = (
    "the token is never given on the command line (shell history and ps would keep it): "
    "it is read from SLACK_USER_TOKEN in the environment (for an MCP server, the env block "
    "of the host's configuration; in a shell, 'read -rs SLACK_USER_TOKEN && export "
    "SLACK_USER_TOKEN'), then run the command again"
)
# Commands that read no Slack token at all (the emulator issues its own; the demo runs
# on it; the manifest is the tool's definition): SLACK_USER_TOKEN is no advice there.
_COMMANDS_WITHOUT_TOKEN: Final = frozenset({"emulator", "demo", "manifest"})
_VARIABLE_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
# A name but for its dashes ("SLACK_XOXP-TOKEN", "MY-TOKEN"): no shell sets such a variable.
_NAME_WITH_DASHES: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,127}")
# What every issued token holds: its kind, a dash, digits, a dash ("xoxp-1-", "xapp-1-").
_ISSUED_TOKEN_START: Final = re.compile(r"(?:xox[a-z]|xapp)-[0-9]+-", re.IGNORECASE)


class CommandLineParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` without abbreviated options, whose errors mask tokens,
    and whose hidden ``--token`` says where the token goes instead.

    Subcommand parsers are made of the same class (argparse's default ``parser_class``).
    """

    # The command the words name, when the program's parser knows it before parsing (a
    # --token before it gets that command's advice).
    command_given: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        add_token_flag_refusal(self)  # on every program and subcommand, before or after it

    def error(self, message: str) -> NoReturn:
        # The words quoted back are a shell's (a file name from a glob may hold escape
        # sequences, an argument may be 100 KB): printable, bounded, tokens masked.
        super().error(shown(message, 2000))

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        """As argparse's, but the help or the version (stdout's: ``file`` is stdout, or None
        when stdout is closed) that cannot be written is ``OutputFailed``: argparse drops a
        failed write, and ``--help >/dev/full`` exited 0 having written nothing."""
        if message and (file is None or file is sys.stdout):
            answers_to(sys.stdout).write(message)
            return
        super()._print_message(message, file)


class GivenOnce(argparse.Action):
    """An option whose value picks what a change acts on (the entry undo puts back, a side
    of the crop box): given twice, it is a usage error. argparse keeps the last one
    silently, and a change would act on one of two values without a word (``--entry 1
    --entry 2``). Options of settings (``--timeout``) keep argparse's last-one-wins, which
    a shell alias's defaults rely on."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        if getattr(namespace, self.dest, None) is not None:
            parser.error(f"{option_string} was given twice: give it once")
        setattr(namespace, self.dest, values)


class _TokenFlagRefused(argparse.Action):
    """``--token`` (with or without a value, which it swallows unread): a usage error."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        parser.error(f"--token: {token_flag_advice(parser)}")


def token_flag_advice(parser: argparse.ArgumentParser) -> str:
    """What to do instead of ``--token``: ``--token-env`` is named only where it is taken
    (by this program, or by its commands), never to a program that would refuse it."""
    if parser._subparsers is not None:
        # Before the command ('--token X mcp'): the command's own advice, once it is known.
        commands = parser._subparsers._group_actions[0].choices
        given = getattr(parser, "command_given", None)
        chosen = commands.get(given) if isinstance(commands, dict) and given else None
        if isinstance(chosen, argparse.ArgumentParser):
            return token_flag_advice(chosen)
        return FLAG_ADVICE
    if "--token-env" in parser._option_string_actions:
        return FLAG_ADVICE
    if parser.prog.rpartition(" ")[2] in _COMMANDS_WITHOUT_TOKEN:
        return f"'{parser.prog}' uses no Slack token: leave it out"
    return ENVIRONMENT_ONLY_ADVICE


def refuse_a_pasted_token(parser: argparse.ArgumentParser, arguments: Sequence[str]) -> None:
    """A token pasted as a word of its own (as the image, or a stray word): refused with
    where a token goes, as ``--token`` is; argparse only masked it ("unrecognized
    arguments: [redacted]", "no file at '[redacted]'"). The word after ``--token`` or
    ``--token-env`` is theirs to refuse; a file of that name is an image like any other.
    So is an option's value joined to it with ``=``. Each program calls it before parsing
    (``ocp-users-photo``, the MCP server's module)."""
    for index, word in enumerate(arguments):
        if index and arguments[index - 1] in ("--token", "--token-env"):
            continue
        flag, joined, value = word.partition("=")
        if word.startswith("--") and joined and flag not in ("--token", "--token-env"):
            # An option's value joined to it (--allow-url-host=xoxp-...): taken as given, it
            # went on into what a model reads (the MCP server's instructions, a schema).
            word = value
        elif word.startswith("-"):
            continue
        if is_token(word) and not os.path.lexists(word):
            parser.error(f"a Slack token was given as an argument: {token_flag_advice(parser)}")


def add_token_flag_refusal(parser: argparse.ArgumentParser) -> None:
    """A hidden ``--token`` that refuses itself, so the mistake gets advice, not a guess."""
    parser.add_argument("--token", nargs="?", action=_TokenFlagRefused, help=argparse.SUPPRESS)


def variable_name(text: str) -> str:
    """``--token-env``'s value: an environment variable's name; never repeated when it is not
    one (it may be the token itself)."""
    if _VARIABLE_NAME.fullmatch(text) is not None:
        return text
    if (
        _NAME_WITH_DASHES.fullmatch(text) is not None
        and not text.lower().startswith(("xox", "xapp-"))
        and _ISSUED_TOKEN_START.search(text) is None
    ):
        # "SLACK_XOXP-TOKEN": its "XOXP-TOKEN" is token-shaped, and it was told "not the
        # token itself", of a name; what was wrong with it, the dash, went unsaid.
        raise argparse.ArgumentTypeError(
            "give the NAME of an environment variable, such as SLACK_USER_TOKEN: up to 128 "
            "letters, digits and _, not starting with a digit; a name with '-' in it is no "
            "variable a shell sets ('export' refuses it): give the name the token was "
            "exported under, with _ where the '-' is"
        )
    # A token anywhere in it too ("SLACK_USER_TOKEN=xoxp-...", "Bearer xoxp-..."): told only
    # what a name is, its giver was not told the token is no argument (shell history, ps).
    if (
        text.strip().strip("'\"").lower().startswith(("xox", "xapp-"))
        or without_tokens(text) != text
    ):
        raise argparse.ArgumentTypeError(
            "give the NAME of an environment variable (letters, digits and _), not the "
            "token itself: " + FLAG_ADVICE.split(": ", 1)[1]
        )
    # A mistyped name ("MY-TOKEN", "bad name") is no token: told "not the token itself"
    # and how to export one, its giver was not told what was wrong with the name.
    raise argparse.ArgumentTypeError(
        "give the NAME of an environment variable, such as SLACK_USER_TOKEN: up to 128 "
        "letters, digits and _, not starting with a digit"
    )


def quiet_decompression_bomb_warning() -> None:
    """Keep Pillow's warning about a large image (its text, a source path) off a program's
    stderr: the image's size is checked, and refused with advice, by the checks themselves.

    For the programs' entry points only; a library leaves the warnings filter to its host.
    Matched by its text, so that starting a command does not import Pillow.
    """
    warnings.filterwarnings("ignore", message=r"Image size \(\d+ pixels\) exceeds limit")
