"""Folders only their owner may enter, for files that hold photos or tokens.

``Path.mkdir(parents=True, mode=0o700)`` gives the mode to the last folder alone: those
above it are made with the umask's, 0777 under ``umask 000``, and anyone who may write
to the folder above a history or an installation database may rename that folder and
put one of their own in its place (kept photos that undo would put on a profile, a
database the person's tokens would be written to). Each missing folder is made 0700.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

__all__ = ["make_private_folders"]


def make_private_folders(folder: Path) -> None:
    """``folder`` and every missing folder above it, each made readable by its owner only."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current.parent != current:
        missing.append(current)
        current = current.parent
    for each in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            each.mkdir(mode=0o700)
