"""PhotoKeeper: the CallObserver that keeps the photo a change replaces, before the change is sent.

``before_change`` takes the person's turn (``turns.py``), reads the photo Slack shows
now (``shown_photo.py``) with the ``SlackSession`` the tool put in ``ChangeInfo``, and
writes it to the history, fsynced, as a pending entry; only then does the tool send the
change. ``call_ended`` records how it went (changed, with the avatar hash Slack now
shows; unknown, when the request reached Slack but no usable answer came; or the
entry is removed when the change certainly did not happen) and ends the turn.
``call_abandoned`` ends the turn and leaves the entry pending: "the change may not
have happened", exactly what a crash between keeping and sending leaves too. A call
cancelled while its entry is being written was never sent: the entry, once written, is
removed, so cancelled calls do not push real photos out of the history.

When the photo cannot be kept, ``mode`` decides (the defaults by door in settings.py):
``"required"`` refuses the change (``KeepingImpossible`` or ``HistoryUnavailable``,
saying what to do); ``"if_readable"`` (the command line) lets the change go ahead
when the only problem is a token without users.profile:read, with a warning logged
on ``ocp_users_photo.undo`` saying how to fix it, and refuses otherwise.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from ocp_users_photo.errors import UsersPhotoError, may_have_taken_effect
from ocp_users_photo.images import byte_budget
from ocp_users_photo.images.limits import DEFAULT_LIMITS, ImageLimits
from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome, ChangeInfo, KeptRecord
from ocp_users_photo.slack.deadlines import call_deadline, check_seconds
from ocp_users_photo.slack.session import SlackSession
from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.undo.entries import EntryStatus, HistoryOwner, KeptPhoto, ShownPhoto
from ocp_users_photo.undo.errors import (
    HistoryUnavailable,
    KeepingImpossible,
    NothingToUndo,
    StaleUndoEntry,
    UndoOvertaken,
)
from ocp_users_photo.undo.owner import history_owner
from ocp_users_photo.undo.shown_photo import read_shown_photo
from ocp_users_photo.undo.store import PhotoHistory
from ocp_users_photo.undo.turns import SETTLE_SECONDS, Turn, settle_within

__all__ = ["KeepMode", "KeptChange", "PhotoKeeper", "replaced_by", "stale_entry"]

KeepMode = Literal["required", "if_readable"]
# How old a remembered auth.test answer without the read scope may be before an
# ``if_readable`` change asks again whether the scope was added.
_READ_SCOPE_RECHECK: Final = 300.0
KEEP_MODES: Final = get_args(KeepMode)
# The longest the read after a bare {"ok": true} may take (within the call's deadline too):
# the change is made and answered, and which photo it made is worth a quick look, not a
# wait (a 429's Retry-After, a slow or retried answer) that holds back the caller's reply
# and the person's turn; unread, the entry is recorded as before.
MADE_READ_SECONDS: Final = 5.0

logger = logging.getLogger("ocp_users_photo.undo")


def stale_entry(kept: KeptPhoto, shown_avatar_hash: str) -> bool:
    """Whether ``kept`` records no change: the change after it may not have happened, and
    Slack shows the very photo it kept (putting it back would change nothing)."""
    return kept.status != "changed" and kept.avatar_hash == shown_avatar_hash


def replaced_by(change: ChangeInfo) -> dict[str, Any]:
    """What replaces the kept photo, as the history records it: no bytes, no token."""
    described: dict[str, Any] = {"change": change.kind}
    if change.restores is not None:
        described["restores"] = change.restores
    if change.to_default:
        described["default_avatar"] = True
    else:
        described["image"] = dict(change.image)
    return described


@dataclass
class KeptChange:
    """A photo kept before a change, and the person's turn, until the change has ended."""

    history: PhotoHistory
    kept: KeptPhoto
    turn: Turn
    to_default: bool = False  # the change puts Slack's default avatar back
    told: KeptRecord | None = None  # where the change's caller reads the entry kept
    # The session the photo was read with: asks which photo a bare {"ok": true} made.
    session: SlackSession | None = None
    # How long an unanswered change holds the person's turn after it ends (settle_time).
    settle_seconds: float = 0.0

    async def end(self, outcome: CallOutcome) -> None:
        """Record the change's outcome, then end the turn; never raises for the history.

        A change Slack got but never answered (unknown) holds the turn ``settle_seconds``
        more, as a cancelled one does: its upload may still land, and the next change or
        undo, reading the photo shown before it has, would take it for a change that did
        not happen (an undo dropped its entry, the person's original among them, and the
        late upload then overtook the undo)."""
        unanswered = False
        try:
            status = _status_after(outcome)
            unanswered = status == "unknown"
            made = _shown_hash(outcome.reply)
            if status == "changed" and made is None and not self.to_default:
                # Slack's documented typical answer is a bare {"ok": true}, naming no photo:
                # which one the change made is read (the turn is still held), so the history
                # knows it as made here (its crop box).
                made = await _hash_shown_now(self.session)
                if made == self.kept.avatar_hash:
                    # Still the photo replaced, after an ok: a read that lags the change, or
                    # the same photo set again. Not taken as "nothing changed", which would
                    # discard the photo kept; its made photo is left unknown.
                    made = None
            if status == "changed" and self._changed_nothing(made):
                # Slack shows the very photo it showed before (the same image and crop box
                # again): nothing to undo, and a host repeating one call pushes nothing out.
                status = None
                if self.told is not None:
                    self.told.changed_nothing = True
            if status is None:
                if self.told is not None:
                    self.told.entry = None
                await self.history.discard(self.kept.entry)
            elif await self.history.finish(self.kept.entry, status, made) is False:
                # (``is False``: a subclass's finish written before it said so returns None.)
                # Removed while the change was under way (another program, or a whole
                # workspace forgotten): nothing keeps the photo replaced, so the caller is
                # not told it was kept, and undo would not find it.
                if self.told is not None:
                    self.told.entry = None
                logger.warning(
                    "the photo this change replaced is not kept: its entry #%d was removed "
                    "from the photo history while the change was under way, so undo cannot "
                    "put it back (what Slack did stands)",
                    self.kept.entry,
                )
            elif self.told is not None and self.told.entry is not None:
                # The caller is told the entry as it now stands, not as it was kept
                # ("pending: the change may not have happened", after the change was made).
                self.told.entry = dataclasses.replace(self.told.entry, status=status)
        except HistoryUnavailable as failed:
            # The change is done either way; the entry stays pending ("may not have happened").
            # The history's own message goes on to say what that means for a change not yet
            # sent ("nothing was changed in Slack"): not so here, so only its reason is told.
            reason = failed.message.split("; nothing was changed in Slack", 1)[0]
            logger.warning(
                "the photo history could not record how change #%d ended (what Slack did "
                "stands; the entry stays pending): %s",
                self.kept.entry,
                reason,
            )
        finally:
            if unanswered and self.settle_seconds > 0:
                self.turn.end_after(self.settle_seconds)
            else:
                await self.turn.end()

    def _changed_nothing(self, made: str | None) -> bool:
        # users.deletePhoto answers {"ok": true} alone: the default avatar put back while it
        # was shown is told by what was kept, not by a hash in the reply.
        if self.to_default:
            return self.kept.kind == "default"
        return made == self.kept.avatar_hash

    def abandon(self, settle_seconds: float, *, wait: bool = False) -> None:
        """The call was cancelled or failed unexpectedly: the entry stays pending, and the
        person's next change waits ``settle_seconds``, in case Slack still sets this one.
        ``wait``: the hold is written before this returns (the process ends right after)."""
        self.turn.end_after(settle_seconds, wait=wait)


def settle_time(history: PhotoHistory, settle_seconds: float = SETTLE_SECONDS) -> float:
    """How long a cancelled change holds the person's turn: ``settle_seconds``, within the
    history's lease (other processes must not take the turn before the hold ends)."""
    return settle_within(history.lease_seconds, settle_seconds)


class PhotoKeeper(CallObserver):
    """Keeps the photo shown now in ``history`` before each change the tool sends.

    Give it to ``UsersSetPhoto(observers=[...])``, or let the tool make one
    (``keep_previous``). It needs ``ChangeInfo.session``, which the tool provides:
    the keeper never sees the token.
    """

    def __init__(
        self,
        history: PhotoHistory,
        *,
        mode: KeepMode = "required",
        limits: ImageLimits = DEFAULT_LIMITS,
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        if mode not in KEEP_MODES:
            raise ValueError(f"mode must be 'required' or 'if_readable', got {mode!r}")
        # As every setting in seconds: -(10**5000) raised Python's own int-to-text error,
        # and 10**400 and True were taken as seconds.
        check_seconds("settle_seconds", settle_seconds, allow_zero=True)
        self.history = history
        self.mode: KeepMode = mode
        self.settle_seconds = settle_seconds
        self.limits = dataclasses.replace(
            limits, max_bytes=min(limits.max_bytes, history.max_original_bytes)
        )
        self._changes: dict[int, KeptChange] = {}
        # Removals of entries whose call was cancelled while they were written (_written).
        self._background: set[asyncio.Task[None]] = set()

    async def before_change(self, call: CallInfo, change: ChangeInfo) -> None:
        kept = await self.keep(call.person, change)
        if kept is not None:
            self._changes[id(call)] = kept
            change.kept.entry = kept.kept

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        kept = self._changes.pop(id(call), None)
        if kept is not None:
            await kept.end(outcome)

    def call_abandoned(self, call: CallInfo) -> None:
        kept = self._changes.pop(id(call), None)
        if kept is not None:
            kept.abandon(self._settle_time())

    def settle_under_way(self) -> None:
        """Every change under way is abandoned now, its hold on the person's turn written
        before this returns (blocking): for a program about to end at once (the MCP
        server's Ctrl-C or SIGTERM, ``os._exit``), whose uploads Slack may still set."""
        while self._changes:
            _, kept = self._changes.popitem()
            kept.abandon(self._settle_time(), wait=True)

    def _settle_time(self) -> float:
        return settle_time(self.history, self.settle_seconds)

    async def keep(self, person: ActingPerson | None, change: ChangeInfo) -> KeptChange | None:
        """Keep the photo shown now for ``change``; None when the mode lets it go unkept."""
        session = change.session
        try:
            if session is None:
                raise KeepingImpossible(
                    "no Slack session came with the change to read the photo shown now",
                    fix="call through UsersSetPhoto, which gives one",
                )
            # A change that goes ahead unkept asks auth.test about a scope added since at
            # most every so often; one that would be refused asks each time.
            recheck = _READ_SCOPE_RECHECK if self.mode == "if_readable" else 0.0
            owner = await history_owner(person, session, read_scope_recheck=recheck)
            turn = await self.history.turn(owner)
            # The bytes downloaded, held of kept_photo_bytes until written (or dropped).
            holding = byte_budget.Holding(byte_budget.kept_photo_bytes)  # looked up at each use
            try:
                try:
                    await self._still_newest(owner, change)
                    shown = await read_shown_photo(
                        session,
                        limits=self.limits,
                        made_here=lambda avatar_hash: self.history.made_here(owner, avatar_hash),
                        holding=holding,
                    )
                    await self._no_change_dropped(owner, change, shown.avatar_hash)
                except Exception:
                    await turn.end()
                    raise
                except BaseException:
                    turn.end_soon()  # cancelled: nothing more may be awaited
                    raise
                kept = await self._written(owner, shown, change, turn)
            finally:
                holding.release()
        except KeepingImpossible as impossible:
            if self.mode == "if_readable" and impossible.needs_read_scope:
                logger.warning(
                    "the photo shown now was not kept, so this change cannot be undone: %s. "
                    "To keep it next time, %s",
                    impossible.reason,
                    impossible.fix,
                )
                return None
            raise
        return KeptChange(
            self.history,
            kept,
            turn,
            to_default=change.to_default,
            told=change.kept,
            session=session,
            settle_seconds=self._settle_time(),
        )

    async def _still_newest(self, owner: HistoryOwner, change: ChangeInfo) -> None:
        """An undo chose the newest entry before it had the turn: if a change was kept since
        (by another tool or process), putting the chosen one back now would give a photo
        neither order of the two gives, so it is refused (UndoOvertaken). If instead the
        chosen entry is gone and none newer was kept (its change refused and its entry
        removed, or forgotten), no change came first: StaleUndoEntry has the undo choose
        again, rather than tell of a change that was never made."""
        if change.kind != "undo" or change.restores is None:
            return
        newest = await self.history.newest_entry(owner)
        if newest < change.restores:  # entry numbers only grow: the chosen one is gone
            raise StaleUndoEntry(
                f"kept photo #{change.restores}, chosen by the undo, was removed while the "
                "undo waited for its turn, and no change was kept since: it chooses again"
            )
        if newest != change.restores:
            raise UndoOvertaken(change.restores, newest)

    async def _no_change_dropped(self, owner: HistoryOwner, change: ChangeInfo, shown: str) -> None:
        """The entry an undo chose, the newest, may record no change at all (``stale_entry``:
        a set killed before its upload, whose photo Slack shows now): putting it back would
        change nothing. It is dropped, under the person's turn (no change of theirs is under
        way), and StaleUndoEntry has the undo choose again."""
        if change.kind != "undo" or change.restores is None:
            return
        newest = next(iter(await self.history.entries(owner)), None)
        if newest is None or newest.entry != change.restores or not stale_entry(newest, shown):
            return
        if newest.original:
            # Never evicted, nor dropped on one read: should the change after it still land
            # (Slack got it and never answered), this would be the one copy of the photo
            # the person had before any change made here.
            raise NothingToUndo(
                f"there is nothing to undo: the one kept photo, #{newest.entry} (the photo "
                "this person had before any change made here), is the one Slack shows now, "
                "so putting it back would change nothing; it stays kept"
            )
        await self.history.discard(newest.entry)
        raise StaleUndoEntry(
            f"kept photo #{newest.entry} records a change that has not taken effect (the photo it "
            "kept is the one shown): it was dropped"
        )

    async def _written(
        self, owner: HistoryOwner, shown: ShownPhoto, change: ChangeInfo, turn: Turn
    ) -> KeptPhoto:
        """The entry written, or the turn ended. If the caller is cancelled meanwhile, the
        write (its thread goes on) is followed by the entry's removal, then the turn's end,
        in a task of their own."""
        abandoned = threading.Event()
        writing = asyncio.create_task(
            self.history.keep(owner, shown, replaced_by(change), abandoned=abandoned)
        )
        try:
            return await asyncio.shield(writing)
        except Exception:
            await turn.end()
            raise
        except BaseException:
            # The writing thread removes the entry itself once written: the task below may
            # never run (asyncio.run ends its loop right after cancelling what is left).
            abandoned.set()
            cleaning = asyncio.create_task(_discard_once_written(self.history, writing, turn))
            self._background.add(cleaning)
            cleaning.add_done_callback(self._background.discard)
            raise

    def __repr__(self) -> str:
        return f"PhotoKeeper({self.history!r}, mode={self.mode!r})"


async def _discard_once_written(
    history: PhotoHistory, writing: asyncio.Task[KeptPhoto], turn: Turn
) -> None:
    """A cancelled call's entry: never followed by its change, so removed once written."""
    try:
        kept = await writing
        await history.discard(kept.entry)
    except Exception as failed:
        # A failed write left no entry; a failed removal leaves it pending, as a crash would.
        logger.warning(
            "the entry of a cancelled change was not removed (%s)", type(failed).__name__
        )
    finally:
        await turn.end()


def _status_after(outcome: CallOutcome) -> EntryStatus | None:
    """What the outcome says of the change: made, maybe made, or certainly not (None)."""
    error: UsersPhotoError | None = outcome.error
    if error is None:
        return "changed"
    # Otherwise Slack refused it (ok:false), or it was refused before it was sent.
    return "unknown" if may_have_taken_effect(error) else None


async def _hash_shown_now(session: SlackSession | None) -> str | None:
    """The avatar_hash users.profile.get shows now; None when it cannot be read (the entry
    is then recorded as before: its photo not known as made here)."""
    if session is None:
        return None
    try:
        with call_deadline(MADE_READ_SECONDS):
            reply = await session.call("users.profile.get")
    except UsersPhotoError as unread:
        logger.info("which photo the change made could not be read (%s)", type(unread).__name__)
        return None
    return _shown_hash(reply.body)


def _shown_hash(reply: Mapping[str, Any] | None) -> str | None:
    profile = reply.get("profile") if reply is not None else None
    avatar_hash = profile.get("avatar_hash") if isinstance(profile, Mapping) else None
    return avatar_hash[:64] if isinstance(avatar_hash, str) else None
