"""A path a person typed, its ``~`` expanded, or a ValueError saying what to write instead.

``~name/...`` names another user's home folder. A shell leaves it as typed when no user
of that name exists (a typo, a user of another machine), and ``Path.expanduser`` then
raised RuntimeError("Could not determine home directory."): the history, preview and
image-root options ended in a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

from ocp_users_photo.safe_text import shown, shown_path

__all__ = ["home_expanded"]


def home_expanded(path: str | os.PathLike[str]) -> Path:
    """``path`` with a leading ``~`` or ``~name`` made the home folder it names."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        head = os.fspath(path).split(os.sep, 1)[0]
        if head == "~":  # no HOME, and no entry for this user (a container's bare uid)
            raise ValueError(
                f"{shown_path(path)} begins with ~, and this process has no home folder (HOME "
                "is not set): write the folder out in full"
            ) from None
        raise ValueError(
            f"{shown_path(path)} begins with {shown(head, 40)}, which names no user of this "
            "machine: write the folder out in full (or ~/ for your own home folder)"
        ) from None
