"""ActingTool: a UsersSetPhoto bound by the host to one person, whose photo every call changes.

``tool.acting_as(team_id=..., user_id=...)`` makes one. Each call runs inside
``tokens.acting_as(person)``, so the tool's token source gives that person's token.
Used as ``async with``, the person is also bound for everything else the block calls
(a framework adapter built from the plain tool, tasks it starts). The tool itself is
shared, not owned: leaving the block does not close it. A model cannot reach any of
this: the person is the host's argument, never a tool argument.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextvars import Token
from typing import TYPE_CHECKING, Any

from ocp_users_photo.tokens import (
    ActingPerson,
    acting_as,
    bind_acting_person,
    reset_acting_person,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ocp_users_photo.model_tool import ModelTool
    from ocp_users_photo.observers import CallObserver
    from ocp_users_photo.prepared import (
        PreparedUpload,
        PrepareOptions,
        Preparing,
        SummaryOptions,
    )
    from ocp_users_photo.tool import UsersSetPhoto
    from ocp_users_photo.undo.entries import KeptPhoto
    from ocp_users_photo.undo.restore_tool import UsersRestorePhoto
    from ocp_users_photo.whoami import TokenIdentity


def acting_person_for(
    *, team_id: str | None, user_id: str, enterprise_id: str | None = None
) -> ActingPerson:
    """An ``ActingPerson`` from a host's ids, checked (each id's shape: ``ActingPerson``);
    ``ValueError`` saying what is wrong."""
    no_workspace = team_id is None and enterprise_id is None
    try:
        person = ActingPerson(team_id=team_id, user_id=user_id, enterprise_id=enterprise_id)
    finally:
        # Not in the locals a refusal is reported with: a host may pass its token as an id.
        del team_id, user_id, enterprise_id
    if no_workspace:
        raise ValueError("give team_id (or enterprise_id, for an org-wide installation)")
    return person


class ActingTool:
    """``UsersSetPhoto``'s calls, each made for one person the host named."""

    def __init__(self, tool: UsersSetPhoto, person: ActingPerson) -> None:
        self.tool = tool
        self.person = person
        self._entered: Token[ActingPerson | None] | None = None

    # The model-facing surface (ModelTool): the plain tool's, unchanged. Properties, as the
    # protocol declares them (pyright matches no other descriptor to them).
    @property
    def name(self) -> str:
        return self.tool.name

    @property
    def description(self) -> str:
        return self.tool.description

    @property
    def input_schema(self) -> dict[str, Any]:
        return self.tool.input_schema

    async def call(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """``UsersSetPhoto.call`` for this person."""
        with acting_as(self.person):
            return await self.tool.call(arguments)

    async def run(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """``UsersSetPhoto.run`` (a model's arguments) for this person."""
        with acting_as(self.person):
            return await self.tool.run(arguments)

    def call_sync(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """``UsersSetPhoto.call_sync`` for this person (its loop's task inherits the binding)."""
        with acting_as(self.person):
            return self.tool.call_sync(arguments)

    async def call_with_summary(
        self, arguments: Mapping[str, Any], **options: Unpack[SummaryOptions]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``UsersSetPhoto.call_with_summary`` for this person."""
        with acting_as(self.person):
            return await self.tool.call_with_summary(arguments, **options)

    def prepare(self, arguments: Mapping[str, Any], **options: Unpack[PrepareOptions]) -> Preparing:
        """``UsersSetPhoto.prepare`` with this person's token (a renewal stays theirs)."""
        from ocp_users_photo.prepared import Preparing

        async def checks() -> PreparedUpload:
            with acting_as(self.person):
                return await self.tool.prepare(arguments, **options)

        return Preparing(checks)

    async def send(
        self,
        upload: PreparedUpload,
        *,
        digest: bool = False,
        observers: Sequence[CallObserver] = (),
    ) -> dict[str, Any]:
        """``UsersSetPhoto.send`` for this person: Slack's checked reply."""
        with acting_as(self.person):
            return await self.tool.send(upload, digest=digest, observers=observers)

    async def whoami(self) -> TokenIdentity:
        """Whose token this person's is, with its scopes: ``UsersSetPhoto.whoami``."""
        with acting_as(self.person):
            return await self.tool.whoami()

    async def undo(self) -> dict[str, Any]:
        """``UsersSetPhoto.undo`` for this person: their last change put back."""
        with acting_as(self.person):
            return await self.tool.undo()

    async def restore(self, entry: int | KeptPhoto) -> dict[str, Any]:
        """``UsersSetPhoto.restore`` for this person: one of their kept photos put back."""
        with acting_as(self.person):
            return await self.tool.restore(entry)

    async def history(self) -> list[KeptPhoto]:
        """``UsersSetPhoto.history`` for this person: their kept photos, newest first."""
        with acting_as(self.person):
            return await self.tool.history()

    def restore_tool(self) -> UsersRestorePhoto:
        """``usersRestorePhoto`` for this person (a model tool)."""
        from ocp_users_photo.undo.restore_tool import UsersRestorePhoto

        return UsersRestorePhoto(self)

    def companion_model_tools(self) -> tuple[ModelTool, ...]:
        """``usersRestorePhoto`` for this person, while model doors keep replaced photos."""
        if self.tool.keep_previous is False:
            return ()
        return (self.restore_tool(),)

    async def __aenter__(self) -> ActingTool:
        if self._entered is not None:
            raise RuntimeError(
                "this bound tool is already in an 'async with' block: call tool.acting_as() "
                "again for another block"
            )
        self._entered = bind_acting_person(self.person)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        entered, self._entered = self._entered, None
        if entered is not None:
            reset_acting_person(entered)

    def __repr__(self) -> str:
        return f"ActingTool({self.tool!r}, person={self.person})"
