"""Review of 0043336..13a3f3b: whoami's bound person."""

from __future__ import annotations

import typing

import pytest

from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.whoami import TokenIdentity

PERSON = ActingPerson("T0123456789", "UALICE0001")


def _identity(team_id: str, user_id: str, person: ActingPerson | None) -> TokenIdentity:
    return TokenIdentity(
        user_id=user_id,
        user="alice",
        team_id=team_id,
        team="Team",
        url="https://team.slack.com/",
        kind="user",
        scopes=("users.profile:write", "users.profile:read"),
        acting_for=person,
    )


def test_token_identitys_annotations_resolve_for_hosts_that_read_them() -> None:
    """TokenIdentity is public: pydantic (a FastAPI answer, a pydantic-ai tool's result) and
    typing.get_type_hints read its fields' types. ``acting_for``'s was imported only for
    type checkers, so reading them raised NameError (pydantic: 'not fully defined')."""
    hints = typing.get_type_hints(TokenIdentity)
    assert hints["acting_for"] == ActingPerson | None


def test_token_identity_serialises_through_pydantic() -> None:
    pydantic = pytest.importorskip("pydantic")
    identity = _identity("T0123456789", "UALICE0001", PERSON)
    dumped = pydantic.TypeAdapter(TokenIdentity).dump_python(identity)
    assert dumped["acting_for"]["user_id"] == "UALICE0001"


def test_the_same_user_id_in_another_workspace_is_told_apart_in_the_advice() -> None:
    """The token is U's, bound person is U too, but in another workspace: "not the own token
    of U (it is U's)" contradicts itself; the workspaces tell them apart."""
    identity = _identity("T0ELSEWHERE", "UALICE0001", PERSON)
    assert identity.is_acting_persons_own is False
    (advice,) = identity.advice()
    assert "(it is UALICE0001's)" not in advice
    assert "UALICE0001 in T0123456789" in advice
    assert "UALICE0001 in T0ELSEWHERE" in advice


def test_another_user_id_is_still_named_by_its_id_alone() -> None:
    (advice,) = _identity("T0123456789", "UOTHER0001", PERSON).advice()
    assert "not the own token of UALICE0001 (it is UOTHER0001's)" in advice
