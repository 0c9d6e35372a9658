"""usersRestorePhoto: the undo offered to a model, beside usersSetPhoto, over the same host tool.

Its one argument is which kept entry to put back; called without it, it returns the
list of kept photos (numbers, times, kinds, sizes, hashes, what replaced them) so the
model can choose. The model never sends image bytes, names no person and gives no
token: the photos are the acting person's, the token the host's (the ``UsersSetPhoto``
or ``ActingTool`` it is made from). Its name, description and input schema come from
``tool_manifest.json``'s ``companion_tools``. Like ``UsersSetPhoto.run``, ``run``
answers an expected failure with an error object instead of raising.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from ocp_users_photo.arguments import (
    CREDENTIAL_ARGUMENT_ADVICE,
    argument_path,
    describe_value,
)
from ocp_users_photo.errors import UsersPhotoError, raise_alone, with_secrets_redacted
from ocp_users_photo.model_result import error_result
from ocp_users_photo.observers import CallObserver
from ocp_users_photo.spec import ToolSpec, companion_spec
from ocp_users_photo.tokens import ActingPerson, acting_as, install_page_of
from ocp_users_photo.undo.entries import MAX_ENTRY
from ocp_users_photo.undo.errors import EntryRefused
from ocp_users_photo.undo.keeper import PhotoKeeper
from ocp_users_photo.undo.restore import (
    RESTORE_TOOL_NAME,
    Listing,
    kept_photos_for_undo,
    restore_kept,
)

if TYPE_CHECKING:
    from ocp_users_photo.acting_tool import ActingTool
    from ocp_users_photo.prepared import TokenOverride
    from ocp_users_photo.tool import UsersSetPhoto

__all__ = ["RESTORE_TOOL_NAME", "UsersRestorePhoto", "entry_argument"]

MAX_LISTED: Final = 50
# Digits as text, as the input schema's pattern says (a model may quote a number): at most
# 15 significant digits, after at most four zeros.
_ENTRY_DIGITS: Final = re.compile(r"0{0,4}[1-9][0-9]{0,14}")


class UsersRestorePhoto:
    """The model-facing undo: list the kept photos, or put one back (a ``ModelTool``)."""

    def __init__(self, photo_tool: UsersSetPhoto | ActingTool) -> None:
        from ocp_users_photo.acting_tool import ActingTool

        if isinstance(photo_tool, ActingTool):
            self.tool: UsersSetPhoto = photo_tool.tool
            self.person: ActingPerson | None = photo_tool.person
        else:
            self.tool = photo_tool
            self.person = None
        self.spec: ToolSpec = companion_spec(RESTORE_TOOL_NAME)

    # ModelTool's members, as the properties the protocol declares (pyright matches no
    # other descriptor to them); the schema a fresh, editable copy.
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def description(self) -> str:
        return self.spec.description

    @property
    def input_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = self.spec.json_copy("input_schema")
        return schema

    async def run(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The list (no ``entry``) or the photo put back; an error object on failure."""
        return await self.run_with(arguments)

    async def run_with(
        self,
        arguments: Mapping[str, Any],
        *,
        token_override: TokenOverride | None = None,
        observers: Sequence[CallObserver] = (),
    ) -> dict[str, Any]:
        """``run`` with an agent's token (``token_override``) and extra observers."""
        try:
            return await self.call_with(
                arguments, token_override=token_override, observers=observers
            )
        except UsersPhotoError as error:
            # An agent's own token (token_override) is not the source's to install again.
            source = self.tool.token_source
            page = install_page_of(source) if token_override is None else None
            return error_result(error, install_url=page)

    async def call_with(
        self,
        arguments: Mapping[str, Any],
        *,
        token_override: TokenOverride | None = None,
        observers: Sequence[CallObserver] = (),
    ) -> dict[str, Any]:
        """The list or the photo put back, or a ``UsersPhotoError`` (an agent's ``call_tool``)."""
        bound = acting_as(self.person) if self.person is not None else contextlib.nullcontext()
        with bound:
            try:
                number = entry_argument(arguments)
            except EntryRefused as refusal:
                # The caller's words quoted back: the tool's own token in them is not.
                forms = self.tool._known_token_secrets(token_override).texts()
                raise_alone(with_secrets_redacted(refusal, forms))
            refused = f"{self.name} sent nothing to Slack"
            if number is None:
                listing = await kept_photos_for_undo(
                    self.tool, token_override=token_override, refused=refused
                )
                # As restore_kept judges it: a keeper among what watches its change.
                watching = self.tool._watching(observers, model_facing=True)
                keepers = [seen for seen in watching if isinstance(seen, PhotoKeeper)]
                # "if_readable" (the command line's) puts a photo back without reading it.
                refuses = any(keeper.mode == "required" for keeper in keepers)
                return _listing(listing, keeps=bool(keepers), unread_refused=refuses)
            restored_now = await restore_kept(
                self.tool,
                number,
                token_override=token_override,
                observers=observers,
                refused=refused,
            )
        reply, kept, replaced = restored_now.reply, restored_now.restored, restored_now.replaced
        what = "Slack's default avatar" if kept.kind == "default" else "the person's own photo"
        if replaced is not None:
            after = (
                f"The photo it replaced (avatar_hash {replaced.avatar_hash}) was kept as "
                f"#{replaced.entry}, so this can be undone too."
            )
        elif restored_now.changed_nothing:
            # Put back twice (a repeated call): no photo was lost, which "not kept" would say.
            after = "Slack showed this photo already: nothing changed, and nothing more was kept."
        else:
            after = "The photo it replaced was not kept, so this cannot be undone."
        restored: dict[str, Any] = {
            "ok": True,
            "restored": kept.as_dict(),
            "message": f"Put back kept photo #{kept.entry} ({what}). {after}",
        }
        # Only a photo put back with users.setPhoto has a profile, from its checked reply.
        if kept.kind != "default" and isinstance(reply.get("profile"), Mapping):
            restored["profile"] = reply["profile"]
        return restored

    def __repr__(self) -> str:
        return f"UsersRestorePhoto({self.tool!r})"


def entry_argument(arguments: object) -> int | None:
    """The ``entry`` a model gave (None: list them), or EntryRefused saying what to give."""
    if not isinstance(arguments, Mapping):
        raise EntryRefused(
            'the arguments must be an object: {} for the list, or {"entry": 3} to put entry 3 back',
            path="$",
        )
    unknown_names = [name for name in arguments if name != "entry"]
    if unknown_names:
        # Described as usersSetPhoto describes one: a long or token-like name is not quoted.
        unknown = [describe_value(name) for name in unknown_names[:5]]
        token = f"; {CREDENTIAL_ARGUMENT_ADVICE}" if "token" in arguments else ""
        raise EntryRefused(
            f"unknown argument {', '.join(unknown)}: the only "
            f"argument is entry, the number of a kept photo (leave it out for the list){token}",
            # Named as usersSetPhoto names one ($.entri); several at once, the arguments ($).
            path=argument_path(unknown_names[0]) if len(unknown_names) == 1 else "$",
        )
    value = arguments.get("entry")
    if value is None:
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and _ENTRY_DIGITS.fullmatch(value)
    ):
        number = int(value)
    if number is None or not 1 <= number <= MAX_ENTRY:
        raise EntryRefused(
            f"entry must be the number of a kept photo (a whole number from 1 to {MAX_ENTRY}, "
            "or up to 15 of its digits as text) from the list this tool returns when called "
            "without entry"
        )
    return number


def _listing(
    listing: Listing, *, keeps: bool = True, unread_refused: bool = True
) -> dict[str, Any]:
    """The listing's result; ``keeps``: a photo put back keeps the one it replaces (with
    keeping off, the photo shown now after a change that kept nothing is kept nowhere);
    ``unread_refused``: a photo shown that cannot be read refuses a put back (the keeper
    requires keeping, as the model doors' does), rather than losing it."""
    entries = listing.entries
    listed = [entry.as_dict() for entry in entries[:MAX_LISTED]]
    # Where the photo shown now may have been set by a change that kept nothing.
    shown_now = (
        "keeping the one shown now first. "
        if keeps
        else "and keeping is off here, so the one shown now, kept nowhere, would be "
        "lost: ask the person first. "
    )
    # The token lacks users.profile:read: with keeping on, putting an entry back is
    # refused (the photo shown is kept first, and cannot be read), so say what mends it.
    unread_shown = (
        "putting an entry back is refused until it can. Tell the person that whoever runs "
        "the tool must add the user scope users.profile:read to the Slack app, reinstall it "
        "and use the new user token. "
        if keeps and unread_refused
        else "putting an entry back would lose it, kept nowhere: ask the person first. "
    )
    if not listed:
        message = (
            "No photo has been kept for this user yet: a photo is kept when a change replaces "
            "it. Nothing was changed."
        )
    elif listing.undo_entry is None:
        message = (
            f"{len(entries)} kept photo(s), newest first. None of them undoes a change: the "
            "changes they record have not taken effect (Slack shows the photo they kept); any "
            "entry puts that photo back. Nothing was changed."
        )
    elif listing.unreadable:
        message = (
            f"{len(entries)} kept photo(s), newest first. Entry {listing.undo_entry} is the "
            "photo before the last change kept here; this token lacks users.profile:read, so "
            "whether a change since kept nothing (made with keeping off, or in Slack itself) "
            f"is not known, and the photo shown now cannot be kept: {unread_shown}"
            "Nothing was changed."
        )
    elif listing.shown_unkept:
        message = (
            f"{len(entries)} kept photo(s), newest first. The photo shown now was set by a "
            "change that kept nothing (made with keeping off, or in Slack itself): the photo "
            "it replaced is not among them, so no entry undoes that change; tell the person "
            f"so. Entry {listing.undo_entry} is the photo before the last change kept here; "
            "any entry puts that photo back, " + shown_now + "Nothing was changed."
        )
    elif listing.shown_unkept is None:
        message = (
            f"{len(entries)} kept photo(s), newest first. To undo the last change kept here, "
            f"call {RESTORE_TOOL_NAME} with entry {listing.undo_entry}; any entry puts that "
            "photo back, " + shown_now + "Slack did not answer that change, and the photo "
            f"shown now is not the one entry {listing.undo_entry} kept: whether that change "
            "set it, or one since that kept nothing (made with keeping off, or in Slack "
            "itself), is not known; tell the person so. Nothing was changed."
        )
    else:
        message = (
            f"{len(entries)} kept photo(s), newest first. To undo the last change, call "
            f"{RESTORE_TOOL_NAME} with entry {listing.undo_entry}; any other entry puts that "
            "photo back. Nothing was changed."
        )
    if len(entries) > MAX_LISTED:
        message += f" Only the newest {MAX_LISTED} are listed."
    return {"ok": True, "entries": listed, "message": message}
