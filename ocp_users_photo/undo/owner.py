"""Whose history a change goes into: the person the host bound, else the token's own user.

With ``acting_as`` (a token source serving many people) the host's person is the
owner: their workspace (enterprise id when given, else team id) and user id, once
auth.test has said the call's token is that person's own: a token of someone else
(a ``token=`` argument, a fixed token under ``acting_as``) would change that other
user's photo and file it in the bound person's history, whose undo would then put
the other user's photo on the bound person's profile. With
one fixed token (the environment, ``token=``) the owner is the token's own user,
from ``auth.test`` (asked once per token: ``SlackSession.whoami``). auth.test rather
than users.profile.get, because only auth.test names the user and the workspace; it
also lists the token's scopes, so a token without users.profile:read is known before
anything else is asked.
"""

from __future__ import annotations

from ocp_users_photo.errors import TOKEN_PATH, Problem, TokenNotUsable
from ocp_users_photo.slack.session import SlackSession
from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.undo.entries import HistoryOwner
from ocp_users_photo.undo.errors import KeepingImpossible
from ocp_users_photo.undo.shown_photo import READ_SCOPE_FIX
from ocp_users_photo.whoami import (
    READ_SCOPE,
    WRITE_SCOPE,
    TokenIdentity,
    is_own_token_of,
    not_persons_own_for_models,
)

__all__ = ["READ_SCOPE", "history_owner"]


async def history_owner(
    person: ActingPerson | None,
    session: SlackSession,
    *,
    needs_read_scope: bool = True,
    for_change: bool = True,
    read_scope_recheck: float = 0.0,
    refused: str | None = None,
) -> HistoryOwner:
    """The owner of the history for this call; KeepingImpossible when it cannot be told.

    ``needs_read_scope``: refuse at once a token whose listed scopes lack users.profile:read.
    ``for_change``: a change follows, so a token whose listed scopes lack
    users.profile:write is refused (TokenNotUsable) before its upload, which Slack could
    only answer with missing_scope.
    ``read_scope_recheck``: a read scope missing from a remembered answer is asked about
    again once the answer is this many seconds old (0: at once; a change that goes ahead
    anyway, ``if_readable``, need not cost an auth.test each time).
    ``refused``: what is not done when the owner cannot be told, for a caller that keeps
    nothing itself (a listing, an undo), so that keeping off is no way out.
    """
    # Slack's refusals (token_revoked...) and network failures are raised as they are.
    # A scope missing from a remembered answer is asked about again (once): it may have been
    # added to the app since, and Slack keeps the token's text when it is.
    found = session.remembered_identity()
    remembered, age = found if found is not None else (None, 0.0)
    identity = remembered if remembered is not None else await session.whoami()
    if for_change and _lacks(identity, WRITE_SCOPE) and identity is remembered:
        identity = await session.whoami(fresh=True)
    if for_change and _lacks(identity, WRITE_SCOPE):
        raise TokenNotUsable(
            [
                Problem(
                    TOKEN_PATH,
                    f"auth.test lists the token's scopes without {WRITE_SCOPE}, so Slack "
                    f"would refuse the change: add {WRITE_SCOPE} to the app's User Token "
                    "Scopes and install the app again",
                )
            ],
            refused="nothing was sent to change the photo",
            reinstall=True,
        )
    if person is not None:
        if not is_own_token_of(identity, person):
            not_own = KeepingImpossible(
                f"the token this call uses is not the own token of {person}, the person it "
                "acts for, so their history would get another user's photo",
                fix="give no token= argument when acting for a person, and a token source "
                "that gives each person their own token",
                # With keeping off, such a token is refused too (tool._token_is_bound_persons).
                keeping_off_helps=False,
                # A listing or an undo kept nothing: "could not be kept for undo" misled.
                refused=refused,
            )
            not_own.model_message = (
                f"{refused or 'the photo was not changed'}: {not_persons_own_for_models(person)}"
            )
            raise not_own
        return HistoryOwner(person.enterprise_id or person.team_id or "", person.user_id)
    if not identity.user_id:
        # Slack's auth.test names the user of every user token: a reply without one is of
        # another shape (a server that is not Slack's), not a token to replace.
        raise KeepingImpossible(
            "Slack's auth.test reply named no user for the token (Slack's always does)",
            fix="try again later; if it keeps happening, check the Slack address is Slack's "
            "(base_url=, SLACK_API_URL or --base-url)",
            refused=refused,
            # The model can neither check nor set the address: it tells the person.
            model_fix="try again later; if it keeps happening, tell the person that whoever "
            "runs the tool must check the Slack address it is given is Slack's",
        )
    if (
        needs_read_scope
        and _lacks(identity, READ_SCOPE)
        and identity is remembered
        and age >= read_scope_recheck
    ):
        identity = await session.whoami(fresh=True)
    if needs_read_scope and _lacks(identity, READ_SCOPE):
        raise KeepingImpossible(
            "the token lacks the scope users.profile:read, so the photo shown cannot be read",
            fix=READ_SCOPE_FIX,
            needs_read_scope=True,
        )
    return HistoryOwner(identity.enterprise_id or identity.team_id, identity.user_id)


def _lacks(identity: TokenIdentity, scope: str) -> bool:
    """Whether auth.test listed the token's scopes without ``scope`` (None: not listed)."""
    return identity.scopes is not None and scope not in identity.scopes
