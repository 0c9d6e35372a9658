"""Why a photo was not kept, why the history cannot be used, why there is nothing to put back.

    UsersPhotoError (errors.py)
     ├── KeepingImpossible        the photo shown now could not be kept, so it was not replaced
     │                            (no users.profile:read, original unreachable or no image,
     │                            history not writable); .reason .needs_read_scope
     ├── HistoryUnavailable       the history file is damaged, locked, newer or unwritable;
     │    │                       nothing was changed in Slack
     │    └── HistoryBusy         another change (or program) held it past the wait: later
     │                            (code history_busy)
     ├── NothingToUndo            no kept photo for this person
     │    └── UndoOvertaken       another change came first: the undo's entry is not the newest
     └── InvalidArguments
          └── EntryRefused        usersRestorePhoto's entry is not one of this person's
               └── KeptPhotoUnusable  its photo fails the image checks now; .entry .reasons

Each message says what to do, names the history file at most by its path, and never
holds a token or a URL's query string.
"""

from __future__ import annotations

from typing import Final

from ocp_users_photo.errors import InvalidArguments, Problem, UsersPhotoError

__all__ = [
    "TURN_KEEPING_OFF",
    "EntryRefused",
    "HistoryBusy",
    "HistoryUnavailable",
    "KeepingImpossible",
    "KeptPhotoUnusable",
    "NothingToUndo",
    "UndoOvertaken",
]

TURN_KEEPING_OFF: Final = (
    "or, to change photos without keeping them, whoever runs the tool turns keeping off "
    "(keep_previous=False; command line and MCP server: --no-keep-previous)"
)


class KeepingImpossible(UsersPhotoError):
    """The photo shown now could not be kept, so the change was not sent."""

    code = "previous_photo_not_kept"

    def __init__(
        self,
        reason: str,
        *,
        fix: str,
        needs_read_scope: bool = False,
        keeping_off_helps: bool = True,
        refused: str | None = None,
        model_fix: str | None = None,
    ) -> None:
        self.reason = reason
        self.fix = fix
        # True when the token lacks users.profile:read: the one case the command line
        # sets the photo anyway, with a warning (the defaults by door in settings.py).
        self.needs_read_scope = needs_read_scope
        # False where a change that keeps nothing is refused too (another user's token):
        # turning keeping off is then no way out.
        alternative = f"; {TURN_KEEPING_OFF}" if keeping_off_helps and not refused else ""
        # ``refused``: what was not done when no change was under way (a listing, an undo,
        # a forgetting), which neither kept a photo nor would turning keeping off help.
        not_kept = (
            f"{refused}: {reason}."
            if refused
            else "the photo was not changed, because the one shown now could not be kept "
            f"for undo: {reason}."
        )
        super().__init__(f"{not_kept} {fix[:1].upper()}{fix[1:]}{alternative}")
        if needs_read_scope:
            # A scope added, an app installed again, a new token: the person's or the host's
            # to do, not a model's, which a call again would only meet the same refusal.
            self.model_message = (
                f"{not_kept} Calling again will not help: tell the person that whoever runs "
                f"the tool must {fix}{alternative}"
            )
        elif model_fix is not None:
            # ``fix`` in words a model can act on: settings and flags are the host's.
            self.model_message = f"{not_kept} {model_fix[:1].upper()}{model_fix[1:]}{alternative}"


class HistoryUnavailable(UsersPhotoError):
    """The photo history file cannot be used; nothing was changed in Slack."""

    code = "history_unavailable"


class HistoryBusy(HistoryUnavailable):
    """Another change of the person's photo, or another program, held the history longer
    than the wait: nothing was changed in Slack; the same call later goes through.

    A code of its own: a model told ``history_unavailable`` for a wait gave up on a call
    that goes through later, or, told the same for a damaged file, tried it again.

    ``under_way``: what was waited for is another change of the person's photo (their
    turn), not the file's lock held by another program."""

    code = "history_busy"
    under_way: bool = False


class NothingToUndo(UsersPhotoError):
    """The person has no kept photo to put back."""

    code = "nothing_to_undo"


class StaleUndoEntry(NothingToUndo):
    """The entry an undo chose records a change that has not taken effect (a set killed
    before its upload, or one Slack never answered nor applied: the photo it kept is the one
    shown): it was dropped, and the undo chooses again."""


class UndoOvertaken(NothingToUndo):
    """Another change was made while the undo waited for the person's turn: the entry it
    chose is no longer the newest, so it put nothing back (either order would differ)."""

    def __init__(self, chose: int, newest: int) -> None:
        self.chose = chose
        self.newest = newest
        super().__init__(
            f"another change to this person's photo was made while the undo waited for its "
            f"turn (kept photo #{newest} is now the newest, not #{chose}); nothing was put "
            "back: undo again to go back from the newest change"
        )


class EntryRefused(InvalidArguments):
    """The entry asked for is not one of this person's kept photos; nothing was sent."""

    def __init__(
        self,
        message: str,
        *,
        path: str = "$.entry",
        tool_name: str = "usersRestorePhoto",
        refused: str | None = None,
        model_message: str | None = None,
    ) -> None:
        """``refused`` says what was not done, in place of "``tool_name`` sent nothing to Slack"
        (Python's restore() and the CLI's undo call no tool: "nothing was put back").
        ``model_message``: ``message`` as a model door says it, where ``message`` names a
        way only a person has (``tool.history()`` in Python)."""
        super().__init__([Problem(path, message, model_message=model_message)])
        said = refused or f"{tool_name} sent nothing to Slack"
        text = f"{said}: {message}"
        self.message = text
        self.args = (text,)
        self.model_message = None if model_message is None else f"{said}: {model_message}"


class KeptPhotoUnusable(EntryRefused):
    """The entry's kept photo fails the image checks now (the host's limits were lowered
    since, or its bytes were changed): another entry is the way on; nothing was sent."""

    def __init__(self, entry: int, reasons: str, *, tool_name: str, refused: str) -> None:
        self.entry = entry
        self.reasons = reasons
        cannot = f"the photo kept as #{entry} cannot be sent as it is now ({reasons}): choose "
        super().__init__(
            f"{cannot}another entry (call {tool_name} without entry to list them; in Python, "
            "tool.history()), or ask whoever runs the tool",
            refused=refused,
            model_message=f"{cannot}another entry (call {tool_name} without entry to list "
            "them), or ask the person to have whoever runs the tool look at it",
        )


class DamagedEntry(HistoryUnavailable):
    """One entry's photo was changed in the file since it was kept: that entry cannot go
    back, and the history's other entries can. Putting it back (undo, restore) says so as
    KeptPhotoUnusable, the entry's fault; ``PhotoHistory.entry`` raises it as it is."""

    def __init__(self, entry: int, what: str) -> None:
        self.entry = entry
        self.what = what
        super().__init__(
            f"the photo history's entry #{entry} cannot be put back ({what}); nothing was "
            "changed in Slack: put back another of its entries"
        )
