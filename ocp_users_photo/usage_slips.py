"""The slips a person makes typing a command line, each refused as what it is, with what
to type instead: argparse's own words ("the following arguments are required", "invalid
choice") name another word, or none. Before argparse runs (``cli._run``), except
``closest_option``, which words its "unrecognized arguments"."""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Sequence
from typing import Final

from ocp_users_photo.safe_text import shown

__all__ = [
    "closest_option",
    "command_parser",
    "refuse_a_command_option_first",
    "refuse_a_look_alike_dash",
    "refuse_a_mistyped_command",
    "refuse_a_stray_dash_word",
    "words_shown",
]


def command_parser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    """The parser of the command ``name``, as ``build_parser`` made it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found = action.choices.get(name)
            return found if isinstance(found, argparse.ArgumentParser) else None
    return None


def words_shown(words: Sequence[str]) -> str:
    """Words a person typed, as a usage error shows them: as typed, but quoted where that
    would show nothing or mislead (a tab, a space inside, a word of blanks)."""
    plain = [w if w.isprintable() and w.strip() and " " not in w else repr(w) for w in words]
    return " ".join(plain)


def closest_option(word: str, parser: argparse.ArgumentParser) -> str:
    """ "; did you mean --dry-run?" for a mistyped option of ``parser`` (``--dryrun``)."""
    option = word.split("=", 1)[0]
    if not option.startswith("--"):
        return ""
    # Not a hidden option: --token is there only to be refused (command_line.py).
    known = [
        name
        for action in parser._actions
        if action.help != argparse.SUPPRESS
        for name in action.option_strings
    ]
    if option == "--token-env" and parser.prog.endswith(" mcp"):
        return (
            "; the MCP server reads the token from SLACK_USER_TOKEN (or SLACK_TOKEN): set it "
            "in the host's env"
        )
    if option in known:  # an option itself, after "--": argparse took it for a word
        return f"; {option} comes before '--', after which every word is taken as given"
    long_names = [name for name in known if name[:2] == "--"]
    # Case first: --crop-X is --crop-x, though --crop-y is as close to it letter by letter.
    same_but_case = [name for name in long_names if name.lower() == option.lower()]
    # 0.8: close enough to be a slip ('--dryrun', '--jsn'), not another word ('--json'
    # before the command was "--version?", the top parser's only near name).
    close = same_but_case or difflib.get_close_matches(option.lower(), long_names, 1, 0.8)
    return f"; did you mean {close[0]}?" if close else ""


_PROGRAM_OPTIONS: Final = ("--help", "--version", "--token")
_PRINTS_AND_EXITS: Final = ("-h", "--help", "--version")


def refuse_a_command_option_first(
    parser: argparse.ArgumentParser,
    arguments: list[str],
    command: str | None,
    given: str | None,
    commands: frozenset[str],
) -> None:
    """An option first, its value where the command goes (a host's ``"args"`` without
    ``"mcp"``), is refused saying to put the command first: argparse took the value for
    the command and called the folder an invalid choice. ``given``: the command named
    later in the words, if any."""
    first = arguments[0].split("=", 1)[0] if arguments else ""
    program_option = first in ("--", *_PROGRAM_OPTIONS) or first in parser._option_string_actions
    if command in commands and not program_option:
        # '--json history', '--entry=3 undo': the command's option, before the command.
        its_parser = command_parser(parser, command)
        if its_parser is not None and first in its_parser._option_string_actions:
            parser.error(
                f"{shown(first, 64)} is an option of {command}, which comes first: "
                f"'ocp-users-photo {command} {shown(first, 64)} ...'"
            )
    if command is None or command in commands or not first.startswith("--"):
        return
    if first not in ("--", *_PROGRAM_OPTIONS):
        option = shown(first, 64)
        if given is not None:
            # The command is there, after its option ('--preview out.png set me.png'):
            # that command's, not mcp's (which takes no --preview, and refuses --token-env).
            parser.error(
                f"{option} is an option of a command, which comes first: "
                f"'ocp-users-photo {given} {option} ...'"
            )
        parser.error(
            f"{option} is an option of a command, which comes first: for the MCP server, "
            f"'ocp-users-photo mcp {option} ...' (an MCP host's args: [\"mcp\", "
            f"\"{option}\", ...]); 'ocp-users-photo --help' lists the commands"
        )


def refuse_a_stray_dash_word(
    parser: argparse.ArgumentParser, arguments: list[str], given: str | None
) -> None:
    """A word that begins with "-" and names no option, where a word the command needs is
    then missing: argparse took it for an unknown option and said only that the command or
    IMAGE is required ('--versio' alone; 'set -x.png', a file whose name begins with "-").
    Said as what it is: a mistyped option with the one meant, or a file's name with how to
    give one."""
    said_by = parser
    words = arguments
    if given is not None:
        said_by = command_parser(parser, given) or parser
        words = arguments[arguments.index(given) + 1 :]
    if "--" in words:
        words = words[: words.index("--")]
    known = said_by._option_string_actions
    stray: list[str] = []
    plain = 0
    takes_value = False
    for word in words:
        if takes_value:
            takes_value = False
            continue
        action = known.get(word.split("=", 1)[0])
        if action is not None:
            takes_value = action.nargs != 0 and "=" not in word
        elif _taken_for_an_option(word):
            stray.append(word)
        else:
            plain += 1
    needed = [
        action
        for action in said_by._actions
        if action.required and not action.option_strings and action.nargs in (None, argparse.PARSER)
    ]
    if not stray or plain >= len(needed) or (given is None and plain > 0):
        return  # argparse's own words say it (an unknown option beside all a command needs)
    word = stray[0]
    close = closest_option(word, said_by)
    if close or given is None:
        where = f" (see: ocp-users-photo {given} --help)" if given is not None else ""
        said_by.error(f"unrecognized arguments: {words_shown(stray)}{where}{close}")
    what = needed[0].metavar or needed[0].dest
    said_by.error(
        f"{shown(word, 64)!r} is no option here, and {what} is missing: a file whose name "
        f"begins with '-' is given as {shown('./' + word, 66)!r} (or after '--')"
    )


# argparse's own rule: a word with a space, or shaped as a negative number, is no option.
_NEGATIVE_NUMBER: Final = re.compile(r"-[0-9]+|-[0-9]*\.[0-9]+")


def _taken_for_an_option(word: str) -> bool:
    """Whether argparse takes ``word`` for an option (known or not), not for a value."""
    return (
        word.startswith("-")
        and word != "-"
        and " " not in word
        and not _NEGATIVE_NUMBER.fullmatch(word)
    )


# Characters a text editor, a chat app or a web page puts where "-" or "--" was typed
# (macOS and Word turn "--" into an en or em dash): a pasted option then names none.
_LOOK_ALIKE_DASHES: Final = {
    "\u2010": "a hyphen (U+2010)",
    "\u2011": "a non-breaking hyphen (U+2011)",
    "\u2012": "a figure dash (U+2012)",
    "\u2013": "an en dash (U+2013)",
    "\u2014": "an em dash (U+2014)",
    "\u2015": "a horizontal bar (U+2015)",
    "\u2212": "a minus sign (U+2212)",
    "\ufe63": "a small hyphen-minus (U+FE63)",
    "\uff0d": "a fullwidth hyphen-minus (U+FF0D)",
}


def refuse_a_look_alike_dash(
    parser: argparse.ArgumentParser, arguments: list[str], given: str | None
) -> None:
    """An option pasted with a look-alike dash ('\u2013dry-run'): argparse took it for a
    word (IMAGE, or a command) and blamed another one. Refused naming the character and
    the option meant, where it is one of the command's (a file may begin with a dash)."""
    said_by = (command_parser(parser, given) if given is not None else None) or parser
    known = said_by._option_string_actions
    words = arguments[: arguments.index("--")] if "--" in arguments else arguments
    # argparse takes the first word not an option for the command: there, a look-alike dash
    # is a slip whatever follows it (it names no file). After -h, --help or --version,
    # argparse prints and exits before it reads that word, as it always did.
    place = next((i for i, w in enumerate(words) if not _taken_for_an_option(w)), None)
    asked = place is not None and any(w in _PRINTS_AND_EXITS for w in words[:place])
    command_place = None if place is None or asked else words[place]
    for word in words:
        if not word or word[0] not in _LOOK_ALIKE_DASHES:
            continue
        name, _, value = word.partition("=")
        stripped = name.lstrip("-" + "".join(_LOOK_ALIKE_DASHES))
        meant = next(
            (f"{dashes}{stripped}" for dashes in ("--", "-") if f"{dashes}{stripped}" in known),
            None,
        )
        dash = (
            f"{shown(word, 64)!r} begins with {_LOOK_ALIKE_DASHES[word[0]]}, not '-' (a "
            "text editor or chat app may have changed what was typed)"
        )
        if meant is not None and stripped:
            typed = f"{meant}={value}" if value else meant
            said_by.error(f"{dash}: type {typed}")
        if word is command_place and stripped:
            said_by.error(
                f"{dash}: options are typed with '-', after their command "
                "('ocp-users-photo --help' lists the commands)"
            )


def refuse_a_mistyped_command(
    parser: argparse.ArgumentParser, word: str, commands: frozenset[str]
) -> None:
    """A word close to one command's name ('sett'), refused naming that command: argparse
    lists them all, and 'did you mean' only for a mistyped option (``_closest_option``)."""
    close = difflib.get_close_matches(word, sorted(commands), 1)
    if close:
        parser.error(
            f"{shown(word, 64)!r} is no command; did you mean {close[0]!r}? "
            "('ocp-users-photo --help' lists the commands)"
        )
