"""``ocp-users-photo set IMAGE``: set the photo from a terminal, or check it with --dry-run.

The photo it replaces is kept for ``ocp-users-photo undo`` when the token has
users.profile:read; when it has not, the photo is set anyway and a warning on stderr
says it was not kept and how to fix that (the defaults by door in settings.py).
``--no-keep-previous`` keeps nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any, Final, TextIO

import anyio.to_thread
from PIL import Image

from ocp_users_photo.cli_options import (
    add_history_option,
    add_slack_options,
    file_to_write,
    history_listing_command,
    said_after_the_upload,
    slack_keywords,
    undo_command,
    undo_warnings_to,
    unexpected_after_upload,
)
from ocp_users_photo.command_line import GivenOnce
from ocp_users_photo.command_runner import run_command
from ocp_users_photo.credentials import SlackToken
from ocp_users_photo.errors import InvalidArguments
from ocp_users_photo.exit_codes import ExitCode
from ocp_users_photo.home_paths import home_expanded
from ocp_users_photo.images.formats import SLACK_FORMATS
from ocp_users_photo.images.input_kinds import kind_of
from ocp_users_photo.images.look_alike_names import as_found
from ocp_users_photo.images.pillow_logs import pillow_records_bounded
from ocp_users_photo.images.policy import CROP_BOX_ADVICE
from ocp_users_photo.observers import CallInfo, CallObserver, ChangeInfo, KeptRecord
from ocp_users_photo.output import answers_to, before_anything_is_sent, tell
from ocp_users_photo.prepared import PreparedUpload
from ocp_users_photo.safe_text import joins_previous, quoted, shown, shown_path, without_tokens
from ocp_users_photo.settings import door_token_source, missing_token_advice
from ocp_users_photo.sizes import short_byte_size
from ocp_users_photo.square import colour_chunks_from_info, slack_square
from ocp_users_photo.stdin_image import (
    STDIN_IMAGE,
    in_terminal_words,
    is_a_pipe,
    read_pipe_image,
    read_stdin_image,
    refuse_a_terminal_stdin,
)
from ocp_users_photo.tokens import ActingPerson, NoToken
from ocp_users_photo.tool import UsersSetPhoto
from ocp_users_photo.undo.entries import KeptPhoto
from ocp_users_photo.worker_threads import in_worker_thread

# crop_x, crop_y, crop_w as words of a message, not inside a problem's path ($.crop_x).
_CROP_ARGUMENT: Final = re.compile(r"(?<![\w.$])crop_([xyw])\b")


def crop_arguments_as_flags(text: str) -> str:
    """``text`` with the crop box's argument names (crop_x) said as the command's flags
    (--crop-x); a problem's path ($.crop_x) and other words keep their spelling."""
    return _CROP_ARGUMENT.sub(r"--crop-\1", text)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "image",
        metavar="IMAGE",
        help="path of a PNG, JPEG or GIF file (WEBP, BMP, TIFF and, where Pillow decodes it, "
        "AVIF are converted), - for the image on stdin, a "
        "data: URI, or an https URL on a host --allow-url-host names",
    )
    crop = parser.add_argument_group("crop box (all three or none; pixels of the upright image)")
    # Taken as text: the tool checks them, so the terminal gets the same answers as an agent.
    crop.add_argument("--crop-x", action=GivenOnce, metavar="N", help="left edge of the square")
    crop.add_argument("--crop-y", action=GivenOnce, metavar="N", help="top edge of the square")
    crop.add_argument("--crop-w", action=GivenOnce, metavar="N", help="side of the square")
    images = parser.add_argument_group("where IMAGE may come from, and its size")
    images.add_argument(
        "--image-root",
        action="append",
        dest="image_roots",
        metavar="DIR",
        help="only read images inside DIR (repeatable; default: anywhere the user can read); "
        "a relative IMAGE is still taken from the current folder",
    )
    images.add_argument(
        "--allow-url-host",
        action="append",
        dest="url_hosts",
        metavar="HOST",
        help="allow IMAGE to be an https URL on HOST (repeatable; .example.com allows every "
        "name under it). Fetched without a proxy and never with the token",
    )
    images.add_argument(
        "--fit",
        choices=("downscale", "reject"),
        default="downscale",
        help="what to do with an image over 1024 px on a side (default: downscale)",
    )
    answer = parser.add_argument_group("what is sent and shown")
    answer.add_argument(
        "--dry-run",
        action="store_true",
        help="check the image, crop box and history file; send nothing to Slack",
    )
    answer.add_argument(
        "--preview",
        metavar="OUT.png",
        type=_preview_path,
        help="write the square photo Slack would show (a PNG file, in an existing folder)",
    )
    answer.add_argument("--json", action="store_true", help="print Slack's reply as JSON")
    undo = parser.add_argument_group("undo")
    add_history_option(undo, what="where the replaced photo is kept for undo")
    undo.add_argument(
        "--no-keep-previous",
        action="store_true",
        help="do not keep the photo this replaces ('ocp-users-photo undo' cannot bring it back)",
    )
    add_slack_options(parser)


def run(args: argparse.Namespace) -> int:
    return run_command(_set_photo(args, answers_to(sys.stdout), sys.stderr))


def _arguments(args: argparse.Namespace, piped: bytes | None = None) -> dict[str, Any]:
    image = piped if piped is not None else _image_argument(args.image, args.image_roots)
    arguments: dict[str, Any] = {"image": image}
    for name in ("crop_x", "crop_y", "crop_w"):
        value = getattr(args, name)
        if value is not None:
            arguments[name] = value
    return arguments


def _image_argument(image: str, image_roots: list[str] | None) -> str:
    """A relative path taken from the current folder, as the shell the person typed it in
    would, although ``--image-root`` is given (the Python API takes it from the first root).

    Left as typed when the current folder is that root (same file; messages quote it so).
    """
    kind, value, _ = kind_of(image)
    if kind != "path" or not image_roots or not isinstance(value, str):
        return image
    expanded = os.path.expanduser(value)
    if os.path.isabs(expanded) or os.path.realpath(image_roots[0]) == os.path.realpath("."):
        return image
    return os.path.abspath(expanded)


# Said after the tool's refusal of a pipe named as IMAGE with --image-root (a file, not a
# pipe, is what every door reads there): what this command can do with one.
_PIPE_UNDER_ROOTS: Final = (
    " (it is a pipe: this command reads one without --image-root, or as 'set -' from stdin)"
)


# What an upload cut off (an interrupt, an unexpected error) may have done, and what to do.
def _may_be_set(history: str | None) -> str:
    """What an upload cut off may have done, naming the listing of the same history file."""
    return (
        "the photo may be set already: look at your Slack profile (or "
        f"{history_listing_command(history)}) before running the command again"
    )


async def _set_photo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    status = _Status(err)
    pipe = await in_worker_thread(_named_pipe, args)
    with undo_warnings_to(err, before_line=status.clear):
        try:
            return await _set_photo_warned(args, out, err, status, pipe)
        except (KeyboardInterrupt, asyncio.CancelledError):
            status.clear()  # the line that follows ("interrupted") on a line of its own
            if status.sending:
                tell(f"ocp-users-photo: the upload had begun, so {_may_be_set(args.history)}", err)
            else:
                tell(
                    "ocp-users-photo: interrupted before the upload began: the photo was not "
                    "changed",
                    err,
                )
            raise
        except InvalidArguments as refused:
            # The tool names the crop box's arguments; here they are flags.
            said = refused.terminal_message or refused.message
            for problem in refused.problems:  # the crop box's own problems: not a file's name
                if problem.path.startswith("$.crop_"):
                    said = said.replace(str(problem), crop_arguments_as_flags(str(problem)))
            # An image too long for Slack: the advice, a fixed text, names the box's flags.
            said = said.replace(CROP_BOX_ADVICE, crop_arguments_as_flags(CROP_BOX_ADVICE))
            if pipe is not None and args.image_roots:
                said = said.rstrip(".") + _PIPE_UNDER_ROOTS
            elif args.image == STDIN_IMAGE or pipe is not None:
                # What the Python API says of text given as bytes, in a terminal's words.
                said = in_terminal_words(said, args.image)
            refused.terminal_message = said
            raise
        except (ValueError, OSError) as unexpected:
            if not (status.sending and said_after_the_upload(unexpected)):
                raise  # before the upload: the line and exit 2 say nothing was sent, as true
            status.clear()
            return unexpected_after_upload(
                unexpected, upload="the upload", outcome=_may_be_set(args.history), err=err
            )
        finally:
            status.clear()  # an error's line never shares the status line


def _named_pipe(args: argparse.Namespace) -> str | None:
    """The pipe IMAGE names (``<(...)``'s ``/dev/fd/63``, a FIFO); None for a file, ``-`` or
    an address. Read as stdin is, except with ``--image-root``, which confines IMAGE to
    files (the tool refuses a pipe as every door does, and the refusal says what to do
    here: ``_PIPE_UNDER_ROOTS``)."""
    kind, value, _ = kind_of(args.image)
    if kind != "path" or not isinstance(value, str):
        return None
    path = os.path.expanduser(value)
    return path if is_a_pipe(path) else None


async def _set_photo_warned(
    args: argparse.Namespace, out: TextIO, err: TextIO, status: _Status, pipe: str | None
) -> int:
    from_stdin = args.image == STDIN_IMAGE
    if from_stdin:
        refuse_a_terminal_stdin()
    else:
        _refuse_writing_over_image(args.image, args.preview, args.history)
    token_source = door_token_source("cli", variable=args.token_env)
    # A dry run sends nothing, so it needs no token; it says how to set one instead.
    tokenless_dry_run = args.dry_run and isinstance(token_source, NoToken)
    async with UsersSetPhoto(
        _NeverSent() if tokenless_dry_run else token_source,
        **slack_keywords(args),
        fit=args.fit,
        image_roots=args.image_roots,
        url_hosts=args.url_hosts,
        keep_previous=False if args.no_keep_previous else "if_readable",
        photo_history=args.history,
    ) as tool:
        piped = None
        if from_stdin:
            status.show("reading the image from stdin")
            # A daemon thread: an interrupt ends the command at once, though the read it
            # leaves blocked would wait for the writer to end (anyio's thread held the exit).
            piped = await in_worker_thread(read_stdin_image, tool.limits.max_bytes)
        elif pipe is not None and not args.image_roots:
            status.show(f"reading the image from {shown(args.image, 80)}")
            piped = await in_worker_thread(read_pipe_image, pipe, tool.limits.max_bytes)
        status.show(
            "checking the image from stdin" if from_stdin else f"checking {shown(args.image, 80)}"
        )
        async with tool.prepare(_arguments(args, piped)) as upload:
            described = _describe(upload)
            letterboxed = _letterbox_hint(upload, previewing=args.preview is not None)
            # The changes last, after the address: "scaled down from A to B to URL" read as
            # if the photo were scaled to the URL.
            what, _, changes = described.partition(": ")
            sending = f"{what} to {shown_path(tool.base_url + tool.path)}"
            if changes:
                sending += f" ({changes})"
            if args.dry_run and not args.no_keep_previous:
                # The change would keep the photo shown in this history: a file there that
                # cannot be one is refused now, as the change would refuse it.
                await tool.photo_history.check_existing()
            preview = None
            if args.preview is not None:
                history = _history_path(tool)
                preview = await anyio.to_thread.run_sync(
                    _write_preview, upload, args.preview, history
                )
            status.clear()
            with before_anything_is_sent():
                if args.dry_run:
                    _say_dry_run(args, out, err, sending, upload, preview)
                    if tokenless_dry_run:
                        advice = missing_token_advice("cli").removeprefix("no Slack token: ")
                        # On stderr with --json: stdout holds the one answer a program reads.
                        _say(f"No token is set, which sending needs: {advice}.", args, out, err)
                    return ExitCode.OK
                if preview is not None:
                    _say(preview, args, out, err)
            # "sending" from when it is so: first the keeper reads (auth.test, the photo shown
            # now), and an interrupt then leaves the photo as it was, as its line says.
            status.on_sending = f"sending {sending}"
            keeping = not args.no_keep_previous
            status.show(
                "reading the photo Slack shows now, to keep it" if keeping else status.on_sending
            )
            kept_record = _KeptRecordWatch()
            reply = await tool.send(upload, observers=(status, kept_record))
            status.clear()
            kept = kept_record.entry()
            same_photo = kept_record.changed_nothing()
    if args.json:
        print(json.dumps(reply), file=out)  # Slack's reply only: what --json promises
        # stdout holds the reply: what the text would say beside it goes to stderr.
        if letterboxed:
            tell(letterboxed, err)
        if kept is not None:
            undo = undo_command(args.history)
            tell(f"The photo it replaced is kept as #{kept.entry}: {undo} puts it back.", err)
        elif same_photo:
            tell(_SAME_PHOTO_KEPT_NOTHING, err)
        return ExitCode.OK
    profile = reply.get("profile") or {}
    print(f"Photo set ({described}).", file=out)
    if profile:
        print(f"  avatar_hash: {profile.get('avatar_hash')}", file=out)
        for key in ("image_192", "image_512", "image_1024", "image_original"):
            if key in profile:
                print(f"  {key}: {profile[key]}", file=out)
    if letterboxed:
        print(letterboxed, file=out)
    if kept is not None:
        undo = undo_command(args.history)
        print(f"The photo it replaced is kept as #{kept.entry}: {undo} puts it back.", file=out)
    elif same_photo:
        # Else the line every other set ends with was missing, leaving undo in doubt.
        print(_SAME_PHOTO_KEPT_NOTHING, file=out)
    return ExitCode.OK


_SAME_PHOTO_KEPT_NOTHING: Final = (
    "Slack showed this very photo already (the same image and crop box), so nothing new was "
    "kept: the photos kept before it stay as they were."
)


class _KeptRecordWatch(CallObserver):
    """Where the photo keeper tells which entry kept the photo this very change replaced
    (it fills the change's ``kept`` record, and empties it again when the change turned
    out to change nothing): never guessed from the history's newest entry, which another
    process, or a clock set back, may have written."""

    def __init__(self) -> None:
        self._record: KeptRecord | None = None

    async def before_change(self, call: CallInfo, change: ChangeInfo) -> None:
        self._record = change.kept

    def entry(self) -> KeptPhoto | None:
        return None if self._record is None else self._record.entry

    def changed_nothing(self) -> bool:
        """Whether the keeper found Slack showing the very photo it showed before."""
        return self._record is not None and self._record.changed_nothing


def _say(line: str, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """A line beside the answer: on stdout, or on stderr with --json (stdout holds the one
    answer a program reads), where it is lost if stderr cannot take it, as a warning is:
    raised, a closed reader's BrokenPipeError read as stdout's (exit 1, "what the command
    did stands") before anything was sent."""
    if args.json:
        tell(line, err)
    else:
        print(line, file=out)


def _say_dry_run(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    sending: str,
    upload: PreparedUpload,
    preview: str | None,
) -> None:
    letterboxed = _letterbox_hint(upload, previewing=args.preview is not None)
    if args.json:
        answer: dict[str, Any] = {"dry_run": True, "would_send": upload.summary()}
        if args.preview is not None:
            answer["preview"] = without_tokens(str(args.preview))  # JSON escapes the rest
        print(json.dumps(answer), file=out)
        if letterboxed:  # beside the one answer, as a change's side lines are (stderr)
            tell(letterboxed, err)
        return
    print(f"Checked: would send {sending}", file=out)
    if letterboxed:
        print(letterboxed, file=out)
    if preview is not None:
        print(preview, file=out)
    print("Nothing was sent: run the same command without --dry-run to set the photo.", file=out)


class _NeverSent:
    """The token source of a dry run without a token: prepare needs one, nothing sends it."""

    description = "none (dry run)"

    async def token_for(self, person: ActingPerson | None) -> SlackToken:
        return SlackToken("xoxp-dry-run-sends-nothing")

    async def renew(self, person: ActingPerson | None, expired: SlackToken) -> SlackToken | None:
        return None


def _letterbox_hint(upload: PreparedUpload, *, previewing: bool) -> str | None:
    """For a photo that is not square, sent with no crop box: Slack shows it whole, with
    bars, which nothing else said (the person saw them only in Slack). The box that cuts
    its middle square is named in the pixels a crop box counts in: the photo upright (EXIF
    orientation applied), before any scaling, whatever was changed to send it."""
    image = upload.image
    width, height = image.upright_size
    if image.crop_box is not None or width == height:
        return None
    side = min(width, height)
    bars = "above and below" if width > height else "at the sides"
    x, y = (width - side) // 2, (height - side) // 2
    see = "" if previewing else "; --dry-run --preview square.png shows what Slack will show"
    return (
        f"Not square: Slack shows all of it, with bars {bars}. --crop-x {x} --crop-y {y} "
        f"--crop-w {side} cuts the middle square{see}."
    )


def _describe(upload: PreparedUpload) -> str:
    image = upload.image
    text = f"{image.format} {image.width}x{image.height}, {short_byte_size(image.byte_count)}"
    if image.frames > 1:
        text += f", {image.frames} frames"
    if image.crop_box is not None:
        text += f", crop {image.crop_box}"
    if image.changes:
        text += f": {'; '.join(image.changes)}"
    return text


def _preview_path(text: str) -> Path:
    """``--preview``'s file, checked before anything is read or sent: a PNG name, in a folder
    that exists, and not a folder itself, nor named like a token."""
    try:
        target = home_expanded(file_to_write(text))
    except ValueError as unknown_user:
        raise argparse.ArgumentTypeError(str(unknown_user)) from None
    if os.path.isdir(target):  # first: a folder's lack of a .png ending is not what to mend
        raise argparse.ArgumentTypeError(
            f"{quoted(text)} is a folder: give a file name in it, such as "
            f"{quoted(str(Path(text) / 'square.png'))}"
        )
    if target.suffix.lower() != ".png":
        got = f"not {target.suffix}" if target.suffix else "this one has no extension"
        raise argparse.ArgumentTypeError(
            f"the preview is a PNG file: give a name ending in .png ({got})"
        )
    # The nearest folder on the way that is there: "photo.png/sub/square.png" finds the file
    # photo.png in the way of sub too, which "create it" (mkdir -p) cannot.
    there = next((up for up in target.parents if os.path.exists(up)), None)
    if there is not None and not os.path.isdir(there):
        # Not "does not exist: create it": a file is in the way, which no mkdir makes a folder.
        raise argparse.ArgumentTypeError(
            f"{quoted(str(there))} is a file, not a folder: give a file name in a "
            "folder, such as 'square.png'"
        )
    if not os.path.isdir(target.parent):  # False, not an error, for a name too long
        raise argparse.ArgumentTypeError(
            f"the folder {quoted(str(target.parent))} does not exist: create it, or give a file "
            "name in an existing folder"
        )
    return target


def _refuse_writing_over_image(image: str, preview: Path | None, history: str | None) -> None:
    """``--preview`` or ``--history`` naming IMAGE itself (or a link to it): the preview's
    square would be written over the person's photo, even in a dry run, and the history's
    database opened in it (then called damaged, with advice to move the photo away).
    Refused before anything is read."""
    kind, value, _ = kind_of(image)
    if kind != "path" or not isinstance(value, str):
        return
    for flag, target, harm in (
        ("--preview", preview, "writing the preview there would replace your photo"),
        ("--history", history, "the history is a database of its own, kept in that file"),
    ):
        if target is None:
            continue
        try:
            # The file the image path opens: one whose name only reads the same counts.
            opened = as_found(os.path.expanduser(value))
            same = os.path.samefile(opened, os.path.expanduser(target))
        except (OSError, ValueError):  # either one missing: nothing to overwrite
            continue
        if same:
            raise ValueError(
                f"{flag} {quoted(str(target))} is the image itself: {harm}; give "
                f"{flag} another file name"
            )


def _history_path(tool: UsersSetPhoto) -> Path | None:
    """The photo history's file, kept in or not by this change: None where there is none
    (no home folder to find the default one in)."""
    from ocp_users_photo.undo.errors import HistoryUnavailable

    try:
        return tool.photo_history.path
    except HistoryUnavailable:
        return None


def _refuse_writing_over_history(target: Path, history: Path | None) -> None:
    """``--preview`` naming the photo history's file, its -wal or -shm file (or a link to
    one): the preview's square was written over it, the photos kept for undo lost, even in
    a dry run, whether or not this change keeps one. A history not made yet is its place:
    a preview there was taken for it by every later change."""
    if history is None:
        return
    for name in (str(history), f"{history}-wal", f"{history}-shm"):
        try:
            same = os.path.samefile(target, name)
        except (OSError, ValueError):  # either one missing: the same place all the same?
            same = os.path.realpath(target) == os.path.realpath(name)
        if same:
            raise ValueError(
                f"nothing was sent to Slack: --preview {quoted(str(target))} is the photo "
                f"history ({shown_path(name)}): writing the preview there would destroy the "
                "photos kept for undo; give --preview another file name"
            )


@pillow_records_bounded
def _write_preview(upload: PreparedUpload, target: Path, history: Path | None) -> str:
    """Write the square Slack would show to ``target`` (PNG), never over the photo history
    at ``history``; the line that says so."""
    _refuse_writing_over_history(target, history)
    body = upload.image.body()
    data = body if isinstance(body, bytes) else body.read()
    with Image.open(io.BytesIO(data), formats=SLACK_FORMATS) as picture:  # what is sent
        square = slack_square(picture, upload.image.crop_box)
    try:
        chunks = colour_chunks_from_info(square.info)
        square.save(target, format="PNG", **({} if chunks is None else {"pnginfo": chunks}))
    except OSError as failed:  # a folder this user may not write, /sys, a full disk
        reason = failed.strerror or type(failed).__name__
        raise ValueError(
            f"nothing was sent to Slack: --preview {quoted(str(target))} cannot be written "
            f"({reason}): give a file in a folder you can write"
        ) from None
    return (
        f"Preview: {shown_path(target)} ({square.width}x{square.height} PNG, the square Slack "
        "would show)"
    )


class _Status(CallObserver):
    """One self-erasing status line on stderr, only when stderr is a terminal that takes
    escape sequences (not TERM=dumb), never wider than it: a wrapped line's first rows
    would stay on screen, as ``\r`` and erase-line reach only its last.

    Told by the tool when the change goes to Slack (after the keeper's reads), from when
    an interrupt may leave the photo set."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._live = stream.isatty() and os.environ.get("TERM") != "dumb"
        self._shown = False
        self.sending = False  # the upload began: an interrupt now may leave the photo set
        self.on_sending = ""  # the line shown from then

    def change_sending(self, call: CallInfo) -> None:
        self.sending = True
        if self.on_sending:
            self.show(self.on_sending)

    def show(self, text: str) -> None:
        if self._live:
            # Fitted as the stream writes it: a terminal of another encoding than UTF-8
            # (a Latin-1 locale) gets '\u2026' for '…' and '\xe9' for an 'é' it lacks.
            written = _as_written(f"{text}...", self._stream)
            ellipsis = _as_written("…", self._stream)
            dots = "…" if ellipsis == "…" else "..."
            width = _columns(self._stream) - 1
            if width <= len(dots):  # no room for a letter and the ellipsis: no status
                return
            line = _fitted(written, width, dots)
            self._stream.write(f"\r\033[K{line}")
            self._stream.flush()
            self._shown = True

    def clear(self) -> None:
        if self._live and self._shown:
            self._stream.write("\r\033[K")
            self._stream.flush()
            self._shown = False


def _columns(stream: TextIO) -> int:
    """The terminal's width; 80 where it says none (0: a pty whose size was never set).
    Not raised to a floor: a 19-column line on a 10-column terminal wraps, and its first
    row stays on screen above the answer."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 80
    return columns if columns > 0 else 80


def _as_written(text: str, stream: TextIO) -> str:
    """``text`` as ``stream`` puts it on the screen: what its encoding cannot hold escaped
    (stderr's backslashreplace), so that its width is counted as shown."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return text.encode(encoding, "backslashreplace").decode(encoding, "replace")
    except LookupError:
        return text.encode("ascii", "backslashreplace").decode("ascii")


def _fitted(text: str, columns: int, ellipsis: str = "…") -> str:
    """``text`` cut to ``columns`` columns of a terminal (a wide character takes two, an
    accent drawn on its letter none), ending in ``ellipsis`` where cut: never between a
    letter and its marks (a decomposed "\\u0438\\u0306" cut after its "\\u0438" showed a
    letter the name does not have)."""
    used = 0
    letter = 0  # where the character being drawn starts, its marks after it
    for index, character in enumerate(text):
        if not joins_previous(character):
            letter = index
        elif unicodedata.category(character) != "Mc":
            continue  # drawn on its letter (an accent, a Hangul vowel): no column of its own
        used += 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1
        if used > columns - len(ellipsis):
            return text[:letter] + ellipsis
    return text
