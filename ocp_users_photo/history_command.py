"""``ocp-users-photo history``: the photos kept for undo for the token's user, newest first.

Lists what ``ocp-users-photo undo`` can put back: each entry's number, when it was
kept, what it was (the person's own photo, with its size, hash and crop box, or
Slack's default avatar) and whether the change that replaced it was made. Reads the
history file (first: a file it cannot read is said so offline), then asks Slack whose
the token is (``auth.test``); never prints
the token or any image. ``--forget`` removes them all instead (a person who asks to be
forgotten): their bytes leave the file and its write-ahead log. They are the only copies
of those photos, so it asks first on a terminal, naming how many and whose (default No);
``--yes`` forgets without asking, and without it a stdin that is no terminal is refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

import anyio.to_thread

from ocp_users_photo.cli_options import (
    add_history_and_undo_options,
    slack_keywords,
    undo_command,
)
from ocp_users_photo.command_runner import run_command
from ocp_users_photo.exit_codes import ExitCode
from ocp_users_photo.output import answers_to
from ocp_users_photo.safe_text import shown, shown_path, without_tokens
from ocp_users_photo.settings import door_token_source
from ocp_users_photo.tool import UsersSetPhoto


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--forget",
        action="store_true",
        help="remove every photo kept for the token's user from the history (they cannot be "
        "put back afterwards); the photo Slack shows is not touched. Asks first, on a "
        "terminal",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="with --forget: forget without asking (needed when stdin is not a terminal)",
    )
    add_history_and_undo_options(parser)


def run(args: argparse.Namespace) -> int:
    if args.yes and not args.forget:
        # Someone asking to be forgotten may have left out --forget: listing the photos they
        # meant to remove, as if that were the answer, would not tell them so.
        raise ValueError(
            "--yes answers --forget's question, and --forget was not given, so nothing was "
            "forgotten: add --forget to remove the kept photos, or leave --yes out to list them"
        )
    if args.forget:
        return _forget(args, answers_to(sys.stdout), sys.stderr)
    return run_command(_history(args, answers_to(sys.stdout)))


async def _history(args: argparse.Namespace, out: TextIO) -> int:
    from ocp_users_photo.undo.database import only_readable_note  # SQLite: not for --help
    from ocp_users_photo.undo.restore import kept_photos_for_undo

    async with _tool(args) as tool:
        where = tool.photo_history.path
        emptied = await anyio.to_thread.run_sync(_if_emptied, where)  # before it is opened
        kept, undo_entry, shown_unkept, unreadable = await kept_photos_for_undo(tool)
    if args.json:
        # The path as it is (JSON escapes control characters), a token shape masked.
        listed = {
            "history": without_tokens(str(where)),
            "entries": [e.as_dict() for e in kept],
            "undo_entry": undo_entry,  # what 'ocp-users-photo undo' puts back (None: none)
            # Slack shows a photo set since by a change that kept nothing (the line's note):
            # undo_entry then goes back past that change, not one change. None: not known
            # (the newest change was not answered, and the photo it kept is not shown; or
            # the token lacks users.profile:read, so the photo shown cannot be read).
            "shown_unkept": shown_unkept,
        }
        print(json.dumps(listed), file=out)
        return ExitCode.OK
    if not kept:
        print(
            f"No photo kept yet in {shown_path(where)}: one is kept each time a change "
            f"replaces it.{emptied}",
            file=out,
        )
        return ExitCode.OK
    print(f"Kept photos, newest first ({shown_path(where)}):", file=out)
    for entry in kept:
        print(f"  {entry.describe()}", file=out)
    entry_undo = undo_command(args.history, "--entry", "N")
    if undo_entry is None:
        undone = (
            "none of them undoes a change: the changes they record have not taken effect, "
            "as Slack shows the photo they kept"
        )
    else:
        # A path that cannot be shown as typed is named "PATH", with a note on what it is:
        # said once in the line, after the first command.
        note = entry_undo[entry_undo.find(" (PATH: ") :] if " (PATH: " in entry_undo else ""
        undo = undo_command(args.history)
        undo = undo.removesuffix(note) if note else undo
        undone = f"{undo} puts back #{undo_entry}, the photo before the last change"
        if unreadable:
            # Read as "the last change" above, while a change that kept nothing (a Python
            # call(), by default) may have come since, and undo loses the photo it set.
            undone += (
                " kept here; this token lacks users.profile:read, so whether a change since "
                "kept nothing (made with keeping off, or in Slack itself) is not known, and "
                "undo would not keep the photo shown now first: add that scope to keep it"
            )
        elif shown_unkept:
            undone += (
                " kept here; the photo shown now was set since by a change that kept nothing "
                "(made with keeping off, or in Slack itself), so the photo that change "
                "replaced is not among these, and undo keeps the one shown now first"
            )
        elif shown_unkept is None:
            undone += (
                " kept here, which Slack did not answer; the photo shown now is not the one "
                f"#{undo_entry} kept, and whether that change set it or one since that kept "
                "nothing did (made with keeping off, or in Slack itself) is not known, so "
                "undo keeps the one shown now first"
            )
    print(f"Put one back with {entry_undo} ({undone}).", file=out)
    why = await anyio.to_thread.run_sync(only_readable_note, where)
    if why is not None:
        print(f"This history can only be read here: {why}.", file=out)
    return ExitCode.OK


def _if_emptied(where: Path) -> str:
    """A word on a history file there with no bytes: a first change that failed may leave
    one, and so may ``touch``; but one that held photos may have been emptied by another
    program (``truncate -s 0``). A program that saw it holding them refuses it; each
    command is a new program, so this says what may have happened, without refusing."""
    try:
        empty = where.stat().st_size == 0
    except OSError:
        return ""
    if not empty:
        return ""
    return (
        " The file is there with no bytes at all: if photos were kept in it, another program "
        "emptied it and they are gone (put back a copy if there is one)."
    )


def _tool(args: argparse.Namespace) -> UsersSetPhoto:
    """The tool both forms of the command use: the Slack options, the history given."""
    return UsersSetPhoto(
        door_token_source("cli", variable=args.token_env),
        **slack_keywords(args),
        photo_history=args.history,
    )


def _forget(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``--forget``: asked first unless ``--yes`` (the kept photos are their only copies).

    The question is asked between two runs of the event loop, never within one: Ctrl-C
    or SIGTERM at the prompt ends the program on the spot, nothing forgotten.
    """
    if not args.yes:
        if not _stdin_is_terminal():
            raise ValueError(
                "--forget removes the kept photos for good and there is no terminal to ask "
                "on (stdin): pass --yes to forget them without being asked; nothing was "
                "forgotten"
            )
        question, where = run_command(_forget_question(args))
        if question is not None and not _confirmed(question, err):
            if args.json:
                declined = {"history": without_tokens(str(where)), "forgotten": 0, "declined": True}
                print(json.dumps(declined), file=out)
            else:
                print("Nothing was forgotten.", file=out)
            return ExitCode.OK
    return run_command(_forgotten(args, out))


async def _forget_question(args: argparse.Namespace) -> tuple[str | None, Path]:
    """What ``--forget`` would remove, as the question to ask (None: nothing is kept), and
    the history's path."""
    from ocp_users_photo.undo.restore import kept_photos

    async with _tool(args) as tool:
        where = tool.photo_history.path
        kept = await kept_photos(tool, refused="nothing was forgotten")
        if not kept:
            return None, where
        who = await tool.whoami()
    # Names from Slack's answer: bounded and printable, as any text a server gives.
    question = (
        f"Forget {len(kept)} kept photo(s) of {shown(who.user, 80)} ({shown(who.user_id, 40)}) "
        f"in {shown(who.team, 80)} ({shown(who.team_id, 40)}) from {shown_path(where)}? They "
        "are the only copies and cannot be put back afterwards; the photo Slack shows is "
        "not touched."
    )
    return question, where


def _confirmed(question: str, err: TextIO) -> bool:
    """Ask ``question`` on the terminal: True only for an answer of y or yes (any case);
    no answer, any other, or the end of input is No."""
    try:
        # Asked within: an interrupt (SIGTERM too) just after the question is shown, before
        # the reading begins, is said as one at the reading is.
        err.write(f"{question} [y/N] ")
        err.flush()
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        # Ctrl-C at the question: said as "no" is, then the program ends as interrupted.
        err.write("\nNothing was forgotten.\n")
        raise
    except UnicodeDecodeError:
        # Bytes the terminal's encoding does not read (a Latin-1 key under UTF-8): no y
        # or yes, so No, as any other answer is (a codec's error ended the program).
        answer = "\n"
    if not answer.endswith("\n"):
        err.write("\n")  # the end of input: the next line starts on a line of its own
    return answer.strip().lower() in ("y", "yes")


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):  # closed
        return False


async def _forgotten(args: argparse.Namespace, out: TextIO) -> int:
    from ocp_users_photo.undo.restore import forget_kept

    async with _tool(args) as tool:
        removed = await forget_kept(tool)
        where = tool.photo_history.path
    if args.json:
        print(json.dumps({"history": without_tokens(str(where)), "forgotten": removed}), file=out)
    else:
        print(
            f"Removed {removed} kept photo(s) from {shown_path(where)}; the photo Slack shows "
            "is unchanged.",
            file=out,
        )
    return ExitCode.OK
