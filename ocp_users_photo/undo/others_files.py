"""Whether another user could have written the photo history a change is about to use.

The history holds people's photos, and undo puts the newest kept one on a profile. A
file someone else owns (made ahead of time in a shared folder, where
``$OCP_USERS_PHOTO_HISTORY`` or ``--history`` points), one any user may write, or one in a
folder where anyone may replace it, is a file whose rows another user chose: a photo of
theirs, with a matching digest, passes every check undo makes. Such a file is still
listed (through a connection that writes nothing), never written, and never undone from.
The -wal and -shm files count as the history: SQLite replays a -wal file it finds.
"""

from __future__ import annotations

import os
import stat
from typing import NamedTuple

from ocp_users_photo.safe_text import shown, shown_path

__all__ = ["OthersMayWrite", "others_may_write"]


class OthersMayWrite(NamedTuple):
    """What another user could write, and what to do about it, as a refusal words them."""

    what: str
    advice: str


def others_may_write(target: str, ways: str) -> OthersMayWrite | None:
    """Why another user could have written the history file ``target`` (a link's target:
    SQLite keeps the -wal file beside it), or None; ``ways``: how a path is given, for the
    advice. A file not there yet is judged by the folder it would be made in. Windows:
    None (its permissions are no modes)."""
    if os.name == "nt":
        return None
    me = os.geteuid()
    parts = (
        (target, "its file"),
        (f"{target}-wal", "its -wal file"),
        (f"{target}-shm", "its -shm file"),
    )
    for name, called in parts:
        try:
            found = os.stat(name)
        except OSError:
            continue  # not there (or not reachable: opening it says why)
        if not stat.S_ISREG(found.st_mode):
            continue  # a device, a folder...: refused as no file, where that is said
        if found.st_uid != me:
            return OthersMayWrite(
                f"is not this user's: {called} belongs to another user (uid {found.st_uid}), "
                "who may read the photos kept in it and choose the one undo puts back",
                f"give a path to a history of this user's own {ways}, or have that user run the "
                "command",
            )
        writers = _other_writers(found)
        if writers is not None:
            return OthersMayWrite(
                f"may be written by {writers} ({called} has mode "
                f"{stat.S_IMODE(found.st_mode):o}), who could choose the photo undo puts back",
                f"make it this user's only (chmod 600 {shown_path(name)}) if you trust what it "
                f"holds, or give another path {ways}",
            )
    folder = os.path.dirname(target) or os.curdir
    try:
        found = os.stat(folder)
    except OSError:
        return None  # made by the change, its owner's only (private_folders.py)
    writers = None if found.st_mode & stat.S_ISVTX else _other_writers(found)
    if writers is not None:
        return OthersMayWrite(
            f"is in a folder {writers} may write to (mode {stat.S_IMODE(found.st_mode):o}, "
            "without the sticky bit), where another user could put a file of theirs in its "
            "place",
            f"give a path in a folder only this user may write {ways}, or make "
            f"{shown_path(folder)} so (chmod go-w, or chmod +t)",
        )
    return None


def _other_writers(found: os.stat_result) -> str | None:
    """Who besides this user may write what ``found`` describes ("any user", the group
    "staff"), or None. A group's write is this user's alone where the group is this user's
    own (a user private group, as most systems make: its name the user's, no other
    member); where names cannot be read (a container's ids with no entries), where it is
    this user's group."""
    if found.st_mode & stat.S_IWOTH:
        return "any user"
    if not found.st_mode & stat.S_IWGRP:
        return None
    try:
        import grp
        import pwd

        group = grp.getgrgid(found.st_gid)
        me = pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return None if found.st_gid == os.getegid() else f"the users of group {found.st_gid}"
    if group.gr_name == me and set(group.gr_mem) <= {me}:
        return None
    return f"the users of group {shown(group.gr_name, 64)}"
