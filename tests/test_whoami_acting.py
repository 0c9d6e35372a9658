"""whoami for a bound person says when the token it uses is not that person's own.

A host checks an ``ActingTool`` with ``whoami()`` before letting its assistant act for
someone. With a fixed token (one person's, set for all) under ``acting_as``, the answer
was that token's user, with nothing saying it is not the bound person: a host reading
``can_set_photo`` would let the assistant change someone else's photo for them.
"""

from __future__ import annotations

import json

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.tokens import ActingPerson


async def test_a_fixed_token_of_someone_else_is_said_not_to_be_the_persons_own(
    tool: UsersSetPhoto,
) -> None:
    own = await tool.whoami()
    assert own.acting_for is None
    assert own.is_acting_persons_own is None

    other = await tool.acting_as(team_id=own.team_id, user_id="UOTHER0001").whoami()
    assert other.user_id == own.user_id  # auth.test's answer, as it is
    assert other.acting_for == ActingPerson(team_id=own.team_id, user_id="UOTHER0001")
    assert other.is_acting_persons_own is False
    assert other.can_set_photo is False, "not the bound person's photo it would set"
    assert other.can_keep_previous is False, "keeping refuses another user's token"
    (first, *_) = other.advice()
    assert f"not the own token of UOTHER0001 (it is {own.user_id}'s)" in first
    shown = other.as_dict()
    assert shown["acting_for"] == {"team_id": own.team_id, "user_id": "UOTHER0001"}
    assert shown["is_acting_persons_own"] is False
    assert json.loads(json.dumps(shown)) == shown, "as_dict() is JSON as it stands"


async def test_the_persons_own_token_is_said_to_be_theirs(tool: UsersSetPhoto) -> None:
    own = await tool.whoami()
    theirs = await tool.acting_as(team_id=own.team_id, user_id=own.user_id).whoami()
    assert theirs.is_acting_persons_own is True
    assert theirs.can_set_photo is own.can_set_photo
    assert theirs.can_keep_previous is own.can_keep_previous
    assert theirs.advice() == own.advice()


async def test_the_same_user_id_in_another_workspace_is_not_the_persons_own(
    tool: UsersSetPhoto,
) -> None:
    own = await tool.whoami()
    elsewhere = await tool.acting_as(team_id="T0ELSEWHERE", user_id=own.user_id).whoami()
    assert elsewhere.is_acting_persons_own is False
    assert elsewhere.can_set_photo is False
