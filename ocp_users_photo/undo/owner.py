"""Whose history a change goes into: the person the host bound, else the token's own user.

With ``acting_as`` (a token source serving many people) the host's person is the
owner: their workspace (enterprise id when given, else team id) and user id. With
one fixed token (the environment, ``token=``) the owner is the token's own user,
from ``auth.test`` (asked once per token: ``SlackSession.whoami``). auth.test rather
than users.profile.get, because only auth.test names the user and the workspace; it
also lists the token's scopes, so a token without users.profile:read is known before
anything else is asked.
"""

from __future__ import annotations

from ocp_users_photo.slack.session import SlackSession
from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.undo.entries import HistoryOwner
from ocp_users_photo.undo.errors import KeepingImpossible
from ocp_users_photo.undo.shown_photo import READ_SCOPE_FIX
from ocp_users_photo.whoami import READ_SCOPE

__all__ = ["READ_SCOPE", "history_owner"]


async def history_owner(
    person: ActingPerson | None, session: SlackSession, *, needs_read_scope: bool = True
) -> HistoryOwner:
    """The owner of the history for this call; KeepingImpossible when it cannot be told.

    ``needs_read_scope``: refuse at once a token whose listed scopes lack users.profile:read.
    """
    if person is not None:
        return HistoryOwner(person.enterprise_id or person.team_id or "", person.user_id)
    # Slack's refusals (token_revoked...) and network failures are raised as they are.
    identity = await session.whoami()
    if not identity.user_id:
        raise KeepingImpossible(
            "auth.test named no user for the token", fix="use a person's user token (xoxp-)"
        )
    if needs_read_scope and identity.scopes is not None and READ_SCOPE not in identity.scopes:
        raise KeepingImpossible(
            "the token lacks the scope users.profile:read, so the photo shown cannot be read",
            fix=READ_SCOPE_FIX,
            needs_read_scope=True,
        )
    return HistoryOwner(identity.enterprise_id or identity.team_id, identity.user_id)
