"""``ocp-users-photo set -``: the image piped in on stdin, read bounded, and the words a
terminal gets where the Python API's would not fit (text piped in where bytes go).

A pipe named as IMAGE (a shell's ``<(convert ...)``, ``/dev/stdin`` piped, a FIFO) is read
the same way: the tool itself refuses anything but a regular file, whose size it can
check before reading, and a person typing a command means the pipe they name."""

from __future__ import annotations

import os
import select
import stat
import sys
from typing import Final

from ocp_users_photo.images.resolvers import BASE64_IN_BYTES, TEXT_IN_BYTES
from ocp_users_photo.safe_text import quoted
from ocp_users_photo.sizes import byte_limit

__all__ = [
    "STDIN_IMAGE",
    "in_terminal_words",
    "is_a_pipe",
    "read_pipe_image",
    "read_stdin_image",
    "refuse_a_terminal_stdin",
]

# What to do instead, said by every refusal of stdin.
_PIPE_IT: Final = "pipe the image in ('... | ocp-users-photo set -', '< me.png') or give its path"

# IMAGE that names stdin, as for most commands that read a file.
STDIN_IMAGE: Final = "-"
# Text piped in where the image's own bytes go: what it may be, and what to do instead.
_BASE64_PIPED: Final = (
    "{source} held base64 text, and {image} takes the image's own bytes: pipe it through "
    "'base64 -d', or give the text as IMAGE"
)
_TEXT_PIPED: Final = (
    "{source} held text, and {image} takes the image's own bytes: pipe the image file "
    "itself ('< me.png'), or give a path or a data: URI as IMAGE"
)


def refuse_a_terminal_stdin() -> None:
    """IMAGE - with no stdin to read, or a terminal's: the command would wait for bytes no
    one types. Refused before anything is read or shown."""
    stream = sys.stdin
    if stream is None or stream.closed:
        raise ValueError(f"IMAGE - reads the image from stdin, which is closed here: {_PIPE_IT}")
    if stream.isatty():
        raise ValueError(
            f"IMAGE - reads the image from stdin, which is the terminal here: {_PIPE_IT}"
        )


def read_stdin_image(max_bytes: int) -> bytes:
    """The image piped in (``curl ... | ocp-users-photo set -``): read to its end, at most
    one byte over ``max_bytes`` (the rest is not read into memory). Blocking; a stdin left
    non-blocking by whoever started the command is waited on, not taken as ended."""
    return _read_bounded(
        sys.stdin.fileno(),
        max_bytes,
        where="on stdin",
        unreadable="IMAGE - reads the image from stdin, which cannot be read here",
        instead=_PIPE_IT,
    )


def is_a_pipe(image: str) -> bool:
    """Whether IMAGE names a pipe (``<(...)``'s ``/dev/fd/63``, a FIFO), read as stdin is."""
    try:
        return stat.S_ISFIFO(os.stat(image).st_mode)
    except (OSError, ValueError):  # no such file, a NUL in the name: the tool says what
        return False


def read_pipe_image(image: str, max_bytes: int) -> bytes:
    """The image in the pipe IMAGE names, read as ``read_stdin_image`` reads stdin. Opening a
    FIFO waits for its writer, as reading stdin waits for the command piping in."""
    named = f"the pipe {quoted(image)}"
    instead = "give the image file's path, or pipe the image in ('... | ocp-users-photo set -')"
    try:
        descriptor = os.open(image, os.O_RDONLY)
    except OSError as failed:
        reason = failed.strerror or type(failed).__name__
        raise ValueError(
            f"nothing was sent to Slack: {named} cannot be read ({reason}): {instead}"
        ) from None
    try:
        return _read_bounded(
            descriptor,
            max_bytes,
            where=f"in {named}",
            unreadable=f"{named} cannot be read",
            instead=instead,
        )
    finally:
        os.close(descriptor)


def _read_bounded(
    descriptor: int, max_bytes: int, *, where: str, unreadable: str, instead: str
) -> bytes:
    """The stream's bytes to its end, at most one byte over ``max_bytes`` read."""
    pieces: list[bytes] = []
    left = max_bytes + 1
    while left > 0:
        try:
            piece = os.read(descriptor, min(left, 1024 * 1024))
        except BlockingIOError:
            select.select([descriptor], [], [])
            continue
        except OSError as failed:  # opened for writing only (0>file), a folder
            reason = failed.strerror or type(failed).__name__
            raise ValueError(
                f"nothing was sent to Slack: {unreadable} ({reason}): {instead}"
            ) from None
        if not piece:
            break
        pieces.append(piece)
        left -= len(piece)
    if left <= 0:  # the tool would say the file is max_bytes + 1 bytes: it may be far more
        raise ValueError(
            f"nothing was sent to Slack: the image {where} is over the "
            f"{byte_limit(max_bytes)} limit (more than {max_bytes:,} bytes came, and the "
            "rest was not read): send a smaller file (Slack shows photos at most 1024x1024 "
            "pixels)"
        )
    return b"".join(pieces)


def in_terminal_words(said: str, image: str = STDIN_IMAGE) -> str:
    """A refusal of text given as bytes, as stdin or the pipe IMAGE gave it: the Python
    API's advice (".decode() it") names nothing a person piping a file can do."""
    if image == STDIN_IMAGE:
        source, named = "stdin", "IMAGE -"
    else:
        source, named = f"the pipe {quoted(image)}", "IMAGE"
    return said.replace(BASE64_IN_BYTES, _BASE64_PIPED.format(source=source, image=named)).replace(
        TEXT_IN_BYTES, _TEXT_PIPED.format(source=source, image=named)
    )
