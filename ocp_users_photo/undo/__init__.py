"""Nothing lost: every photo change can be undone.

Before a change is sent, the photo Slack shows is kept in a local history, per
person; ``UsersSetPhoto.undo()`` and ``restore(entry)`` put a kept photo back (each
itself a change, kept like any other) and ``history()`` lists them. Modules, one
concern each: ``entries`` (the values), ``database`` (the SQLite file), ``store``
(``PhotoHistory``: keeping, bounds, reading), ``turns`` (one change at a time per
person), ``owner`` (whose history), ``shown_photo`` (reading the photo shown now),
``keeper`` (``PhotoKeeper``, the CallObserver), ``restore`` (undo and restore),
``restore_tool`` (``usersRestorePhoto`` for models), ``errors``.

The names below are imported on first use, so importing ``undo.errors`` alone (the
command line's exit codes) loads neither SQLite nor the image fetch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocp_users_photo.lazy_names import lazy_attributes

if TYPE_CHECKING:
    from ocp_users_photo.undo.database import default_history_path
    from ocp_users_photo.undo.entries import HistoryOwner, KeptPhoto, ShownPhoto
    from ocp_users_photo.undo.errors import (
        EntryRefused,
        HistoryBusy,
        HistoryUnavailable,
        KeepingImpossible,
        KeptPhotoUnusable,
        NothingToUndo,
        UndoOvertaken,
    )
    from ocp_users_photo.undo.keeper import PhotoKeeper
    from ocp_users_photo.undo.restore import RESTORE_TOOL_NAME
    from ocp_users_photo.undo.restore_tool import UsersRestorePhoto
    from ocp_users_photo.undo.store import PhotoHistory

__all__ = [
    "RESTORE_TOOL_NAME",
    "EntryRefused",
    "HistoryBusy",
    "HistoryOwner",
    "HistoryUnavailable",
    "KeepingImpossible",
    "KeptPhoto",
    "KeptPhotoUnusable",
    "NothingToUndo",
    "PhotoHistory",
    "PhotoKeeper",
    "ShownPhoto",
    "UndoOvertaken",
    "UsersRestorePhoto",
    "default_history_path",
]

_HOMES = {
    "RESTORE_TOOL_NAME": "ocp_users_photo.undo.restore",
    "EntryRefused": "ocp_users_photo.undo.errors",
    "HistoryOwner": "ocp_users_photo.undo.entries",
    "HistoryBusy": "ocp_users_photo.undo.errors",
    "HistoryUnavailable": "ocp_users_photo.undo.errors",
    "KeepingImpossible": "ocp_users_photo.undo.errors",
    "KeptPhoto": "ocp_users_photo.undo.entries",
    "KeptPhotoUnusable": "ocp_users_photo.undo.errors",
    "NothingToUndo": "ocp_users_photo.undo.errors",
    "UndoOvertaken": "ocp_users_photo.undo.errors",
    "PhotoHistory": "ocp_users_photo.undo.store",
    "PhotoKeeper": "ocp_users_photo.undo.keeper",
    "ShownPhoto": "ocp_users_photo.undo.entries",
    "UsersRestorePhoto": "ocp_users_photo.undo.restore_tool",
    "default_history_path": "ocp_users_photo.undo.database",
}


__getattr__, __dir__ = lazy_attributes(__name__, _HOMES, __all__)
