"""``ocp-users-photo undo``: put back the photo the last change kept here replaced, or any kept one.

``undo`` alone puts back the newest kept photo, what Slack showed before the last
change made with keeping on; ``--entry N`` puts back entry N of ``history``. Either
is itself a change whose replaced photo is kept, so ``undo`` twice goes back to
where it started (as with ``set``, a token without users.profile:read puts the photo
back unkept, with a warning on stderr saying how to fix it). Exit codes as ``set``;
2 when nothing is kept or the history cannot be used (nothing was sent).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TextIO

from ocp_users_photo.cli_options import (
    add_history_and_undo_options,
    history_listing_command,
    said_after_the_upload,
    slack_keywords,
    undo_command,
    undo_warnings_to,
    unexpected_after_upload,
)
from ocp_users_photo.command_line import GivenOnce
from ocp_users_photo.command_runner import run_command
from ocp_users_photo.exit_codes import ExitCode
from ocp_users_photo.observers import CallInfo, CallObserver
from ocp_users_photo.output import answers_to, tell
from ocp_users_photo.safe_text import quoted, shown
from ocp_users_photo.settings import door_token_source
from ocp_users_photo.tool import UsersSetPhoto
from ocp_users_photo.undo.errors import EntryRefused, KeptPhotoUnusable
from ocp_users_photo.undo.restore import restore_kept


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--entry",
        action=GivenOnce,
        type=_entry_number,
        metavar="N",
        help="the kept photo to put back, by its number in 'ocp-users-photo history' "
        "(default: the newest, which undoes the last change kept here)",
    )
    add_history_and_undo_options(parser)


def _as_typed(text: str) -> str:
    """``text`` quoted, tokens masked, bounded, printable, and said to have white space
    around it where it has (" 1" is no entry number: "'1' is not" said "1" was none)."""
    if text.strip() == text:
        return quoted(text, 24)
    return f"{quoted(text, 24)} (with white space around it)"


def _entry_number(text: str) -> int:
    """An entry number as ``history`` prints it; argparse's usage error otherwise.

    Digits 0-9 only: int() would also take other scripts' digits, spaces, signs and '_'.
    At most 16 of them (no entry has more; none quoted whole), and not 0: one message for
    every way to miss, saying each bound.
    """
    if not (text.isascii() and text.isdigit() and len(text) <= 16) or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"{_as_typed(text)} is not an entry number: give one that 'ocp-users-photo history' "
            "lists (1 or more), in at most 16 digits 0-9"
        )
    return int(text)


def run(args: argparse.Namespace) -> int:
    return run_command(_undo(args, answers_to(sys.stdout), sys.stderr))


def _put_back_maybe(history: str | None) -> str:
    """What an undo's upload cut off may have done (undone twice is back where it started)."""
    return (
        f"the photo may be put back already: look at your Slack profile (or "
        f"{history_listing_command(history)}) before running undo again, which would undo "
        "this one"
    )


async def _undo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.entry is not None and args.entry < 1:
        raise ValueError(
            "--entry must be an entry number from 'ocp-users-photo history' (1 or more)"
        )
    # A token without users.profile:read puts the photo back without keeping the one it
    # replaces (keep_previous="if_readable"): the warning saying so goes to stderr.
    with undo_warnings_to(err) as warnings:
        async with UsersSetPhoto(
            door_token_source("cli", variable=args.token_env),
            **slack_keywords(args),
            photo_history=args.history,
            keep_previous="if_readable",
        ) as tool:
            # restore_kept says which entry it put back: no listing of the history first.
            sending = _Sending()
            try:
                done = await restore_kept(tool, args.entry, observers=(sending,))
            except (KeyboardInterrupt, asyncio.CancelledError):
                if sending.begun:
                    # Undone twice is back where it started: the person must look first.
                    tell(
                        "ocp-users-photo: the undo's upload had begun, so "
                        f"{_put_back_maybe(args.history)}",
                        err,
                    )
                else:
                    tell(
                        "ocp-users-photo: interrupted before the undo's upload began: the "
                        "photo was not changed",
                        err,
                    )
                raise
            except KeptPhotoUnusable as unusable:
                raise ValueError(
                    f"nothing was put back: the photo kept as #{unusable.entry} cannot be sent "
                    f"as it is now ({unusable.reasons}): choose another with "
                    f"{history_listing_command(args.history)} and --entry N"
                ) from None
            except EntryRefused:
                # Its text speaks to a model or a Python caller; here the list is `history`.
                raise ValueError(
                    f"there is no kept photo #{args.entry} for this person in "
                    f"{tool.photo_history.path}: list them with "
                    f"{history_listing_command(args.history)} and give one of their numbers "
                    "(--entry N)"
                ) from None
            except (ValueError, OSError) as unexpected:
                if not (sending.begun and said_after_the_upload(unexpected)):
                    raise  # before the upload: exit 2 says nothing was sent, as true
                return unexpected_after_upload(
                    unexpected,
                    upload="the undo's upload",
                    outcome=_put_back_maybe(args.history),
                    err=err,
                )
    reply, restored, replaced = done.reply, done.restored, done.replaced
    profile = reply.get("profile") if isinstance(reply.get("profile"), dict) else None
    if args.json:
        # "replaced": the entry keeping the photo this undo replaced (what undo again puts
        # back), or null when it was not kept: a program needs its number as a person does.
        answer = {
            "restored": restored.as_dict(),
            "reply": reply,
            "replaced": None if replaced is None else replaced.as_dict(),
        }
        print(json.dumps(answer), file=out)
        return ExitCode.OK
    print(f"Put back {restored.describe()}.", file=out)
    if restored.kind == "default":
        print("  Slack shows the default avatar again.", file=out)
    elif profile:  # checked against the schema already; printed bounded all the same
        print(f"  avatar_hash: {shown(str(profile.get('avatar_hash')), 64)}", file=out)
        for key in ("image_192", "image_512", "image_original"):
            if key in profile:
                print(f"  {key}: {shown(str(profile[key]), 2048)}", file=out)
    # else: Slack's bare {"ok": true} (its documented typical reply) names no image.
    if replaced is not None:
        print(
            f"The photo it replaced (avatar_hash {shown(replaced.avatar_hash, 64)}) was kept as "
            f"#{replaced.entry}: {undo_command(args.history)} again goes back.",
            file=out,
        )
    elif done.changed_nothing:
        # The keeper found Slack showing this very photo already and dropped its entry.
        print(
            "Slack showed this photo already: nothing changed, and nothing more was kept.",
            file=out,
        )
    else:
        see = " (see the warning)" if warnings.count else ""
        print(f"The photo it replaced was not kept{see}: this cannot be undone.", file=out)
    return ExitCode.OK


class _Sending(CallObserver):
    """Whether the undo's change went to Slack (after the keeper kept the photo shown): an
    interrupt after it may have left the photo put back."""

    def __init__(self) -> None:
        self.begun = False

    def change_sending(self, call: CallInfo) -> None:
        self.begun = True
