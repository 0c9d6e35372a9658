"""``ocp-users-photo set -``: the image piped in on stdin, read bounded, and the words a
terminal gets where the Python API's would not fit (text piped in where bytes go)."""

from __future__ import annotations

import os
import select
import sys
from typing import Final

from ocp_users_photo.images.resolvers import BASE64_IN_BYTES, TEXT_IN_BYTES
from ocp_users_photo.sizes import byte_limit

__all__ = ["STDIN_IMAGE", "in_terminal_words", "read_stdin_image", "refuse_a_terminal_stdin"]

# What to do instead, said by every refusal of stdin.
_PIPE_IT: Final = "pipe the image in ('... | ocp-users-photo set -', '< me.png') or give its path"

# IMAGE that names stdin, as for most commands that read a file.
STDIN_IMAGE: Final = "-"
# Text piped in where the image's own bytes go: what it may be, and what to do instead.
_BASE64_ON_STDIN: Final = (
    "stdin held base64 text, and IMAGE - takes the image's own bytes: pipe it through "
    "'base64 -d', or give the text as IMAGE"
)
_TEXT_ON_STDIN: Final = (
    "stdin held text, and IMAGE - takes the image's own bytes: pipe the image file "
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
    descriptor = sys.stdin.fileno()
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
                f"nothing was sent to Slack: IMAGE - reads the image from stdin, which cannot "
                f"be read here ({reason}): {_PIPE_IT}"
            ) from None
        if not piece:
            break
        pieces.append(piece)
        left -= len(piece)
    if left <= 0:  # the tool would say the file is max_bytes + 1 bytes: it may be far more
        raise ValueError(
            f"nothing was sent to Slack: the image on stdin is over the "
            f"{byte_limit(max_bytes)} limit (more than {max_bytes:,} bytes came, and the "
            "rest was not read): send a smaller file (Slack shows photos at most 1024x1024 "
            "pixels)"
        )
    return b"".join(pieces)


def in_terminal_words(said: str) -> str:
    """A refusal of text given as bytes, as a terminal's stdin gave it: the Python API's
    advice (".decode() it") names nothing a person piping a file can do."""
    return said.replace(BASE64_IN_BYTES, _BASE64_ON_STDIN).replace(TEXT_IN_BYTES, _TEXT_ON_STDIN)
