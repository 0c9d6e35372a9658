"""Nothing lost: every photo change can be undone.

Before a change is sent, the photo Slack shows is kept in a local history, per
person; ``UsersSetPhoto.undo()`` and ``restore(entry)`` put a kept photo back (each
itself a change, kept like any other) and ``history()`` lists them. Modules, one
concern each: ``entries`` (the values), ``database`` (the SQLite file), ``store``
(``PhotoHistory``: keeping, bounds, reading), ``turns`` (one change at a time per
person), ``owner`` (whose history), ``shown_photo`` (reading the photo shown now),
``keeper`` (``PhotoKeeper``, the CallObserver), ``restore`` (undo and restore),
``restore_tool`` (``usersRestorePhoto`` for models), ``errors``.
"""

from __future__ import annotations

from ocp_users_photo.undo.database import default_history_path
from ocp_users_photo.undo.entries import HistoryOwner, KeptPhoto, ShownPhoto
from ocp_users_photo.undo.errors import (
    EntryRefused,
    HistoryUnavailable,
    KeepingImpossible,
    NothingToUndo,
)
from ocp_users_photo.undo.keeper import PhotoKeeper
from ocp_users_photo.undo.restore import RESTORE_TOOL_NAME
from ocp_users_photo.undo.restore_tool import UsersRestorePhoto
from ocp_users_photo.undo.store import PhotoHistory

__all__ = [
    "RESTORE_TOOL_NAME",
    "EntryRefused",
    "HistoryOwner",
    "HistoryUnavailable",
    "KeepingImpossible",
    "KeptPhoto",
    "NothingToUndo",
    "PhotoHistory",
    "PhotoKeeper",
    "ShownPhoto",
    "UsersRestorePhoto",
    "default_history_path",
]
