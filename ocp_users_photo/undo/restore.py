"""Putting a kept photo back: undo (the newest entry) and restore (any entry), each a change.

A kept custom photo goes back with ``users.setPhoto`` (its original bytes and the crop
box it was shown with, through the tool's own checks); Slack's default avatar with
``users.deletePhoto``. Either is a change like any other: the observers hear of it,
and the keeper keeps what it replaces first, so set A, set B, undo gives A and a
second undo gives B again.

Each goes through ``observers.apply_change``, the observers' sequence around one change
(started, before the change, sent, ended, or abandoned) that every change of the tool
shares; it is re-exported here, where it was defined first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import anyio

from ocp_users_photo.errors import (
    InvalidArguments,
    SlackApiError,
    TokenNotUsable,
    UsersPhotoError,
)
from ocp_users_photo.observers import (
    CallInfo,
    CallObserver,
    CallOutcome,
    ChangeInfo,
    ChangeKind,
    apply_change,
    notify_abandoned,
    notify_ended,
)
from ocp_users_photo.safe_text import shown
from ocp_users_photo.slack.deadlines import call_deadline
from ocp_users_photo.tokens import acting_person
from ocp_users_photo.undo.database import only_readable, shown_history_path
from ocp_users_photo.undo.entries import AVATAR_HASH, KeptPhoto, is_default_avatar
from ocp_users_photo.undo.errors import (
    DamagedEntry,
    EntryRefused,
    KeptPhotoUnusable,
    NothingToUndo,
    StaleUndoEntry,
)
from ocp_users_photo.undo.keeper import (
    MADE_READ_SECONDS,
    PhotoKeeper,
    settle_time,
    stale_entry,
)
from ocp_users_photo.undo.owner import READ_SCOPE, history_owner
from ocp_users_photo.undo.turns import in_turn

if TYPE_CHECKING:
    from pathlib import Path

    from ocp_users_photo.credentials import Renew, SlackToken
    from ocp_users_photo.prepared import TokenOverride
    from ocp_users_photo.slack.session import SlackSession
    from ocp_users_photo.tool import UsersSetPhoto
    from ocp_users_photo.undo.entries import HistoryOwner
    from ocp_users_photo.undo.store import PhotoHistory

__all__ = ["RESTORE_TOOL_NAME", "Restored", "apply_change", "kept_photos", "restore_kept"]

RESTORE_TOOL_NAME: Final = "usersRestorePhoto"


async def kept_photos(
    tool: UsersSetPhoto,
    *,
    token_override: TokenOverride | None = None,
    refused: str = "the kept photos were not listed",
) -> list[KeptPhoto]:
    """The acting person's kept photos, newest first (no bytes); ``refused`` heads a token
    refusal."""
    await tool.photo_history.check_readable()  # the file's fault first: Slack not asked
    session = await tool._session_for(token_override, refused=refused)
    owner = await history_owner(
        acting_person(), session, needs_read_scope=False, for_change=False, refused=refused
    )
    return await tool.photo_history.entries(owner)


class Listing(NamedTuple):
    """The kept photos, newest first, and the entry ``undo`` would put back now (None when
    none would: each records a change that has not taken effect)."""

    entries: list[KeptPhoto]
    undo_entry: int | None
    # Slack shows a photo the newest change did not make: one not kept here came since
    # (made with keeping off, or in Slack itself), so undoing does not go back one change.
    # None: not known. The newest change was not answered, and Slack shows another photo
    # than it kept: the one that change sent, or one set since by a change that kept nothing.
    shown_unkept: bool | None = False
    # The token lacks users.profile:read: the photo shown cannot be read (shown_unkept is
    # None), nor kept before an entry replaces it; "the last change" would claim both known.
    unreadable: bool = False


async def kept_photos_for_undo(
    tool: UsersSetPhoto,
    *,
    token_override: TokenOverride | None = None,
    refused: str = "the kept photos were not listed",
) -> Listing:
    """``kept_photos`` and the entry an undo would put back: a listing that names the newest
    entry when its change never happened (a lost answer Slack did not act on) would have
    the person, or a model, "undo" to the photo shown now and change nothing."""
    await tool.photo_history.check_readable()  # the file's fault first: Slack not asked
    session = await tool._session_for(token_override, refused=refused)
    owner = await history_owner(
        acting_person(), session, needs_read_scope=False, for_change=False, refused=refused
    )
    history = tool.photo_history
    entries = await history.entries(owner)
    if not entries:
        return Listing(entries, None)
    if entries[0].status == "changed":
        made = await history.newest_result(owner)  # None: not known (a bare {"ok": true})
        # Slack's default avatar put back (users.deletePhoto names no photo): whichever
        # default Slack draws, a photo of the person's own came since.
        to_default = entries[0].replaced_by.get("default_avatar") is True
        if made is None and not to_default:
            return Listing(entries, entries[0].entry)
        # A hint, so a quick look (as the keeper's after a bare {"ok": true}): a 429's wait
        # would hold back a listing that needed no read of Slack's before.
        with call_deadline(MADE_READ_SECONDS):
            shown, unreadable = await _shown_avatar_read(session)
        if shown is None:
            return Listing(entries, entries[0].entry, None if unreadable else False, unreadable)
        unkept = shown != made if made is not None else not is_default_avatar(shown)
        if not unkept or await history.newest_entry(owner) == entries[0].entry:
            return Listing(entries, entries[0].entry, unkept)
        # A change kept here since the entries were read (a set under way for the person,
        # no turn taken here) made the photo shown: told as one that kept nothing, it was
        # not. Listed as a change in doubt is: once the person's turn is free (below).
    if await anyio.to_thread.run_sync(only_readable, history.path):
        # A history this user cannot write: no turn can be taken in it (a turn is written).
        # Slack is asked as it is, without waiting for a change its owner may be making.
        return _listing(entries, await _shown_avatar_hash(session))
    # In doubt: the change may be under way, or cancelled (a framework's timeout) with its
    # upload still to land, its turn held meanwhile (turns.SETTLE_SECONDS). What Slack shows
    # tells only once the person's turn is free, as for the keeper's own check.
    with call_deadline(tool._slack.deadline):
        turn = await history.turn(owner)
    try:
        entries = await history.entries(owner)
        shown = await _shown_avatar_hash(session) if entries else None
    except BaseException:
        turn.end_soon()
        raise
    await turn.end()
    return _listing(entries, shown)


def _listing(entries: list[KeptPhoto], shown: str | None) -> Listing:
    """The entries and the one an undo puts back: the newest whose change Slack shows
    taken effect (judged by ``shown``, the photo shown now; None: not known)."""
    if not entries or entries[0].status == "changed" or shown is None:
        return Listing(entries, entries[0].entry if entries else None)
    undo_entry = next((k.entry for k in entries if not stale_entry(k, shown)), None)
    # The newest change in doubt, and the photo it kept no longer shown: which change made
    # the one shown (its own late upload, or one since that kept nothing) is not known. Told
    # as "the last change", its undo went back past a photo kept nowhere without a word.
    return Listing(entries, undo_entry, None if undo_entry == entries[0].entry else False)


async def forget_kept(
    tool: UsersSetPhoto,
    *,
    token_override: TokenOverride | None = None,
    refused: str = "nothing was forgotten",
) -> int:
    """Remove the acting person's kept photos from the history (whose they are, Slack says:
    ``auth.test``); how many entries were removed. The photo Slack shows is not touched."""
    await tool.photo_history.check_readable()  # the file's fault first: Slack not asked
    session = await tool._session_for(token_override, refused=refused)
    owner = await history_owner(
        acting_person(), session, needs_read_scope=False, for_change=False, refused=refused
    )
    return await tool.photo_history.forget(owner)


class Restored(NamedTuple):
    """What putting a kept photo back did: Slack's reply, the entry put back, and the entry
    that keeps the photo it replaced (None when that was not kept: no read scope, keeping
    off, or nothing changed). ``changed_nothing``: Slack showed that very photo already
    (an entry put back twice), so nothing was replaced and nothing more kept. (Internal to
    the package: its doors unpack it by name.)"""

    reply: dict[str, Any]
    restored: KeptPhoto
    replaced: KeptPhoto | None
    changed_nothing: bool = False


async def restore_kept(
    tool: UsersSetPhoto,
    number: int | None,
    *,
    token_override: TokenOverride | None = None,
    observers: Sequence[CallObserver] = (),
    refused: str = "nothing was put back",
) -> Restored:
    """Put back entry ``number`` of the acting person (None: the newest, past entries whose
    change did not happen, which the keeper drops: ``keeper.stale_entry``). ``refused``
    heads a refusal of the token or of the kept image."""
    with call_deadline(tool._slack.deadline):  # the token and auth.test included
        return await _restore(tool, number, token_override, observers, refused)


async def _restore(
    tool: UsersSetPhoto,
    number: int | None,
    token_override: TokenOverride | None,
    observers: Sequence[CallObserver],
    refused: str,
) -> Restored:
    """``restore_kept``'s work, within the call's deadline."""
    # The file's fault first, said offline too: Slack is not asked whose the token is for a
    # history that cannot be read (what the command line did alone before).
    await tool.photo_history.check_readable()
    # Resolved once: the history's owner and the change put back use the same token.
    token, renew = await tool._acting_token(token_override, refused=refused)
    session = tool._session(token, renew)
    owner = await history_owner(acting_person(), session, needs_read_scope=False, refused=refused)
    history = tool.photo_history
    watching = tool._watching(observers, model_facing=True)
    undoing = number is None
    # Nothing kept: "nothing to put back" follows, and no turn makes a missing file.
    if any(isinstance(seen, PhotoKeeper) for seen in watching) or not await history.entries(owner):
        return await _chosen_and_sent(
            tool, number, owner, session, (token, renew), watching, refused, undoing=undoing
        )
    # No keeper, so no turn of the person's taken by one: taken here, around the choice and
    # the sending, or a change under way elsewhere (the MCP server's) lands after this one,
    # which was told done, and the entry that change kept names a photo no longer shown.
    turn = await history.turn(owner)
    try:
        if undoing:
            # No keeper to find (and drop) an entry whose change never happened: passed
            # over here instead, and left in the history.
            number = await _newest_change(history, owner, session)
        restored = await _chosen_and_sent(
            tool,
            number,
            owner,
            session,
            (token, renew),
            watching,
            refused,
            undoing=undoing,
            turn_held=True,
        )
    except Exception:
        await turn.end()
        raise
    except BaseException:
        # Cancelled, perhaps with the upload sent: held as a keeper holds a cancelled change.
        turn.end_after(settle_time(history))
        raise
    await turn.end()
    return restored


async def _chosen_and_sent(
    tool: UsersSetPhoto,
    number: int | None,
    owner: HistoryOwner,
    session: SlackSession,
    acting: tuple[SlackToken, Renew | None],
    watching: Sequence[CallObserver],
    refused: str,
    *,
    undoing: bool,
    turn_held: bool = False,
) -> Restored:
    """Entry ``number`` (None: the newest) put back through ``watching``'s observers.

    ``turn_held``: the caller holds the person's turn (no keeper takes it), so what it
    chose was chosen with no change under way."""
    token, renew = acting
    history = tool.photo_history
    announce, call = True, None
    while True:
        try:
            try:
                found = await history.entry(owner, number)
                if undoing and not turn_held and found is not None and found[0].status != "changed":
                    found = await _newest_once_turn_free(history, owner)
            except DamagedEntry as damaged:
                raise KeptPhotoUnusable(
                    damaged.entry, damaged.what, tool_name=RESTORE_TOOL_NAME, refused=refused
                ) from None
            if found is None:
                if undoing:
                    raise _nothing_kept(owner, history.path, tool.keep_previous)
                missing = f"there is no kept photo #{number} for this person: list them (call "
                raise EntryRefused(
                    f"{missing}{RESTORE_TOOL_NAME} without entry; in Python, tool.history()) "
                    "and give one of their numbers",
                    refused=refused,
                    model_message=f"{missing}{RESTORE_TOOL_NAME} without entry) and give one "
                    "of their numbers",
                )
            # One call for the observers, announced once: an undo that chooses again (its
            # first choice dropped, StaleUndoEntry) goes on as the call they heard start.
            kept = found[0]
            call = call or _call_info(tool, kept)
            change, send, close = await _change_of(
                tool,
                found,
                undoing=undoing,
                session=session,
                acting=(token, renew),
                refused=refused,
            )
            # The photo's bytes are the upload's now. Kept here, a failed change's traceback
            # showed them whole with this frame's locals (an error reporter's, capture_locals).
            del found
        except BaseException as error:
            found = None  # its photo's bytes: not in the traceback's locals (below)
            if not announce and call is not None:
                await _end_announced(watching, call, error)
            raise
        try:
            reply = await apply_change(watching, call, change, send, announce=announce)
        except StaleUndoEntry:
            announce = False  # dropped under the person's turn: the newest is another now
            continue
        finally:
            close()
        return Restored(reply, kept, change.kept.entry, change.kept.changed_nothing)


async def _newest_once_turn_free(
    history: PhotoHistory, owner: HistoryOwner
) -> tuple[KeptPhoto, bytes] | None:
    """The newest entry read again once the person's turn is free: the one read first
    records a change that may still be under way (another tool's or process's). Chosen
    then, an undo would wait for that change, then say it was overtaken when Slack refused
    it (its entry removed: no change was made), or name the entry put back "pending" when
    Slack made it. The turn is given back before the undo's keeper takes it again: a
    change made in between is the overtaking UndoOvertaken tells of."""
    return await in_turn(await history.turn(owner), lambda: history.entry(owner, None))


async def _end_announced(
    watching: Sequence[CallObserver], call: CallInfo, error: BaseException
) -> None:
    """The end of an undo its observers heard start, whose first choice was dropped
    (StaleUndoEntry) and which ended before its next choice was sent: in the refusal, as
    ``apply_change`` tells one, or abandoned (cancelled, an unexpected error)."""
    if isinstance(error, UsersPhotoError):
        await notify_ended(watching, call, CallOutcome(image={}, error=error))
    else:
        notify_abandoned(watching, call)


def _call_info(tool: UsersSetPhoto, kept: KeptPhoto) -> CallInfo:
    method = "users.deletePhoto" if kept.kind == "default" else "users.setPhoto"
    return CallInfo(
        tool_name=RESTORE_TOOL_NAME,
        method="POST",
        endpoint=tool._slack.url_for(method),
        arguments={"entry": kept.entry},
        person=acting_person(),
    )


async def _change_of(
    tool: UsersSetPhoto,
    found: tuple[KeptPhoto, bytes],
    *,
    undoing: bool,
    session: SlackSession,
    acting: tuple[SlackToken, Renew | None],
    refused: str,
) -> tuple[ChangeInfo, Callable[[], Awaitable[dict[str, Any]]], Callable[[], None]]:
    """Putting ``found`` back, as a change for ``apply_change``: what it is, the sending,
    and what closes the upload it prepared (call it once the change is over). Refused
    (KeptPhotoUnusable) when the kept photo fails the image checks now."""
    kept, data = found
    token, renew = acting
    kind: ChangeKind = "undo" if undoing else "restore"
    if kept.kind == "default":
        change = ChangeInfo(
            image={}, session=session, kind=kind, restores=kept.entry, to_default=True
        )

        async def delete() -> dict[str, Any]:
            return await tool._delete_photo(token, renew)

        return change, delete, _nothing_to_close
    arguments: dict[str, Any] = {"image": data}
    if kept.crop_box is not None:
        arguments.update(kept.crop_box.form_fields())
    # What Slack showed goes back even where the host refuses images over Slack's 1024
    # pixels (fit="reject", about images callers give): scaled, as Slack itself shows it.
    try:
        upload = await tool._prepare(
            arguments, acting_token=(token, renew), fit="downscale", refused=refused
        )
    except InvalidArguments as refused_image:
        # The photo refused is not shown whole with the traceback's locals either.
        arguments.clear()  # the frames below (_prepare's) share it
        del found, data, arguments
        if isinstance(refused_image, TokenNotUsable):
            raise
        raise _cannot_be_sent(kept, refused_image, refused) from None
    except BaseException:
        # Nor one that failed otherwise: the call's deadline passing while it was read
        # (TransportError) showed it in this frame's locals and in _prepare's.
        arguments.clear()
        del found, data, arguments
        raise
    change = ChangeInfo(image=upload.summary(), session=session, kind=kind, restores=kept.entry)

    async def put_back() -> dict[str, Any]:
        return await tool._send_checked(upload)

    return change, put_back, upload.close


def _nothing_to_close() -> None:
    """A change that prepared no upload (the default avatar's deletion) closes nothing."""


def _cannot_be_sent(
    kept: KeptPhoto, refused_image: InvalidArguments, refused: str
) -> KeptPhotoUnusable:
    """The kept photo fails the image checks: said of the entry, the argument a restore
    has. The checks' own advice ("send a smaller file") is for a caller who gives an
    image, which a restore's cannot."""
    reasons = "; ".join(_without_advice(problem.message) for problem in refused_image.problems[:3])
    return KeptPhotoUnusable(kept.entry, reasons, tool_name=RESTORE_TOOL_NAME, refused=refused)


def _without_advice(message: str) -> str:
    """An image check's message without the advice it ends with (": send ...")."""
    found, _, _ = message.partition(": send ")
    return shown(found, 200)


def _nothing_kept(owner: HistoryOwner, path: Path, keeping: object) -> NothingToUndo:
    """NothingToUndo for a person with no kept photo; to the Python caller whose tool's
    ``call`` keeps nothing (``keep_previous`` None, its default, or False), it names the
    option, which a model or the command line cannot set (they are told the rest)."""
    said = (
        f"there is no kept photo of {owner} to put back in {shown_history_path(path)}: a "
        "photo is kept when a "
        "change replaces it with keeping on (setting the photo already shown replaces "
        "nothing, so keeps nothing; a change made at this very moment keeps its photo as "
        "it is sent: undo again once it has ended)"
    )
    advice = ""
    if keeping is None:
        advice = (
            "; this tool's call() and send() keep only when it is made with "
            "keep_previous=True (run(), agents and the MCP server keep by default)"
        )
    elif keeping is False:
        advice = "; this tool was made with keep_previous=False, so its changes keep nothing"
    error = NothingToUndo(said + advice)
    error.model_message = error.terminal_message = said
    return error


async def _newest_change(
    history: PhotoHistory, owner: HistoryOwner, session: SlackSession
) -> int | None:
    """The newest entry that records a change (``stale_entry``); None, the newest, when what
    Slack shows cannot be read (no users.profile:read)."""
    shown = await _shown_avatar_hash(session)
    if shown is None:
        return None
    entries = await history.entries(owner)
    if not entries:
        return None  # the usual "nothing kept" follows
    for kept in entries:
        if not stale_entry(kept, shown):
            return kept.entry
    raise NothingToUndo(
        f"there is no kept photo of {owner} to put back in {shown_history_path(history.path)}: "
        "the kept entries record changes that have not taken effect (the photo shown is the "
        "one they kept)"
    )


def _read_scope_missing(session: SlackSession) -> bool:
    """Whether auth.test listed the token's scopes without users.profile:read (False when
    it listed none): the photo shown can then be neither read nor kept."""
    found = session.remembered_identity()
    scopes = found[0].scopes if found is not None else None
    return scopes is not None and READ_SCOPE not in scopes


async def _shown_avatar_hash(session: SlackSession) -> str | None:
    """The avatar hash Slack shows for the acting person; None when it cannot be read."""
    return (await _shown_avatar_read(session))[0]


async def _shown_avatar_read(session: SlackSession) -> tuple[str | None, bool]:
    """``_shown_avatar_hash`` and whether the token lacks users.profile:read: auth.test's
    scopes say so or, where it listed none, Slack's missing_scope (told as a photo merely
    unread, the listing said undo undoes "the last change", as known)."""
    if _read_scope_missing(session):
        # auth.test (asked first, remembered) listed the token's scopes without it: Slack
        # could only refuse the read (missing_scope), a request at every listing for nothing.
        return None, True
    try:
        profile = (await session.call("users.profile.get")).body.get("profile")
    except SlackApiError as refused:  # no read scope: the listing and undo go on without it
        return None, refused.error == "missing_scope"
    except UsersPhotoError:  # no answer: the listing and undo go on without it
        return None, False
    shown = profile.get("avatar_hash") if isinstance(profile, Mapping) else None
    # Of a hash's shape, as every one kept is, or unread: garbage compared with the photo
    # the newest change made differs from it, and would be told as a change since.
    return (shown if isinstance(shown, str) and AVATAR_HASH.fullmatch(shown) else None), False
