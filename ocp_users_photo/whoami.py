"""Whose token is it: auth.test's answer and the x-oauth-scopes header, read as this tool needs.

``TokenIdentity`` says whose token it is, in which workspace, with which scopes, and
whether it can set a photo (a user token with users.profile:write) and keep the one
it replaces (users.profile:read), with what to do when it cannot. Everything in it
came from a server, so each text is bounded and stripped of control characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ocp_users_photo.safe_text import shown
from ocp_users_photo.token_kinds import LONGEST_TOKEN_LIFETIME, TokenKind

# Imported to run, not only for type checkers: TokenIdentity is public, and pydantic or
# typing.get_type_hints (a host returning it from a web handler) resolve its fields' types.
from ocp_users_photo.tokens import ActingPerson

WRITE_SCOPE: Final = "users.profile:write"
READ_SCOPE: Final = "users.profile:read"


@dataclass(frozen=True)
class TokenIdentity:
    """auth.test's answer for a token: the person, the workspace, the scopes."""

    user_id: str
    user: str
    team_id: str
    team: str
    url: str
    kind: TokenKind
    scopes: tuple[str, ...] | None
    enterprise_id: str | None = None
    bot_id: str | None = None
    expires_in: int | None = None
    # How many names of the scopes header were not kept (no scope's shape, or past the cap).
    scopes_left_out: int = 0
    # The person the host bound when it asked (acting_as), whose photo a call would set.
    acting_for: ActingPerson | None = None

    @property
    def is_acting_persons_own(self) -> bool | None:
        """Whether the token is the bound person's own; None when no person was bound."""
        if self.acting_for is None:
            return None
        return is_own_token_of(self, self.acting_for)

    @property
    def can_set_photo(self) -> bool:
        """A person's user token with users.profile:write (the bound person's own, if any)."""
        return (
            self.kind == "user"
            and self.scopes is not None
            and WRITE_SCOPE in self.scopes
            and self.is_acting_persons_own is not False
        )

    @property
    def can_keep_previous(self) -> bool:
        """users.profile:read too: the photo a change replaces can be read and kept (for
        the bound person, if any: another user's token is refused before keeping)."""
        return (
            self.kind == "user"
            and self.scopes is not None
            and READ_SCOPE in self.scopes
            and self.is_acting_persons_own is not False
        )

    def advice(self) -> list[str]:
        """What to do so this token can set a photo and keep the one it replaces."""
        if self.acting_for is not None and self.is_acting_persons_own is False:
            person, holder = self.acting_for.user_id, self.user_id or "no user"
            if holder == person:
                # The same user id in another place: only the places tell them apart.
                person, holder = _placed(self.acting_for, self)
            return [
                f"this token is not the own token of {person} (it is {holder}'s): a call "
                "acting for them would change another user's photo. Give the tool a token "
                "source that gives each person their own token (InstallationTokenSource), "
                "not one fixed token"
            ]
        if self.kind == "bot":
            return [
                "this is a bot token (xoxb-): a photo can only be set with the person's own "
                "user token (xoxp-). Copy the User OAuth Token from the app's OAuth & "
                "Permissions page instead"
            ]
        if self.kind != "user":
            return ["this is not a user token: use the User OAuth Token (xoxp-) of the app"]
        if self.scopes is None:
            return [
                "Slack did not list the token's scopes (no x-oauth-scopes header): check the "
                f"app's User Token Scopes include {WRITE_SCOPE} and {READ_SCOPE}"
            ]
        missing = [scope for scope in (WRITE_SCOPE, READ_SCOPE) if scope not in self.scopes]
        if not missing:
            return []
        return [
            f"add {' and '.join(missing)} to the app's User Token Scopes (OAuth & Permissions, "
            "or oauth_config.scopes.user in the manifest), reinstall the app, and copy the "
            "new User OAuth Token"
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "user": self.user,
            "team_id": self.team_id,
            "team": self.team,
            "enterprise_id": self.enterprise_id,
            "url": self.url,
            "token_kind": self.kind,
            "bot_id": self.bot_id,
            "scopes": list(self.scopes) if self.scopes is not None else None,
            "scopes_left_out": self.scopes_left_out,
            "expires_in": self.expires_in,
            "can_set_photo": self.can_set_photo,
            "can_keep_previous": self.can_keep_previous,
            "acting_for": _person_dict(self.acting_for),
            "is_acting_persons_own": self.is_acting_persons_own,
            "advice": self.advice(),
        }


def is_own_token_of(identity: TokenIdentity, person: ActingPerson) -> bool:
    """Whether auth.test's answer names ``person``: the same user id, in the same
    organization or, outside any, the same team. An organization's user is one user in
    each of its workspaces, so a team told apart only by one side's enterprise id is not
    another place."""
    if identity.user_id != person.user_id:
        return False
    if identity.enterprise_id and person.enterprise_id:
        return identity.enterprise_id == person.enterprise_id
    if identity.enterprise_id or person.enterprise_id:
        return True
    return not (identity.team_id and person.team_id) or identity.team_id == person.team_id


def not_persons_own_for_models(person: ActingPerson) -> str:
    """What a model is told of a fixed token that is not ``person``'s own: "give no token=",
    a token source and acting_as are the host's code, which the model can neither change nor
    name to the person."""
    return (
        f"the Slack token the host gave this tool is not the own token of {person}, the "
        "person this call acts for, so Slack would set another user's photo; calling again "
        "will not help: tell the person that whoever runs this app must give the tool each "
        "person's own token"
    )


def _placed(person: ActingPerson, identity: TokenIdentity) -> tuple[str, str]:
    """The bound person and the token's user, by the same user id, each with the place
    ``is_own_token_of`` told apart: the organization when both name one, else the team."""
    if person.enterprise_id and identity.enterprise_id:
        return (
            f"{person.user_id} in {person.enterprise_id}",
            f"{identity.user_id} in {identity.enterprise_id}",
        )
    return f"{person.user_id} in {person.team_id}", f"{identity.user_id} in {identity.team_id}"


def _person_dict(person: ActingPerson | None) -> dict[str, str] | None:
    """The bound person's ids, as JSON (only those given)."""
    if person is None:
        return None
    ids = {
        "enterprise_id": person.enterprise_id,
        "team_id": person.team_id,
        "user_id": person.user_id,
    }
    return {name: value for name, value in ids.items() if value}


def identity_from(
    body: Mapping[str, Any], headers: Mapping[str, str], kind: TokenKind
) -> TokenIdentity:
    """A ``TokenIdentity`` from auth.test's ok reply and its headers."""
    header = headers.get("x-oauth-scopes")
    scopes: tuple[str, ...] | None = None
    left_out = 0
    if header is not None:
        scopes, left_out = _scope_names(header)
    expires_in = body.get("expires_in")
    return TokenIdentity(
        user_id=_text(body.get("user_id")),
        user=_text(body.get("user")),
        team_id=_text(body.get("team_id")),
        team=_text(body.get("team")),
        url=_text(body.get("url")),
        kind=kind,
        scopes=scopes,
        enterprise_id=_optional_text(body.get("enterprise_id")),
        bot_id=_optional_text(body.get("bot_id")),
        scopes_left_out=left_out,
        expires_in=_lifetime(expires_in),
    )


def _lifetime(expires_in: object) -> int | None:
    """auth.test's expires_in when it is one a token can have; None for any other value (a
    number of thousands of digits went to the terminal whole)."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        return None
    return expires_in if 0 < expires_in <= LONGEST_TOKEN_LIFETIME else None


def _text(value: object, limit: int = 200) -> str:
    # A server's text goes to a terminal: bounded, no escape sequences, no line breaks.
    return shown(value, limit) if isinstance(value, str) else ""


def _optional_text(value: object) -> str | None:
    return _text(value) if isinstance(value, str) and value else None


# What is kept of the x-oauth-scopes header: names shaped like Slack's scopes
# ("users.profile:write", "chat:write.customize"), at most so many, in so many characters
# in all (Slack's longest token lists ~100 names; the text goes to a terminal and a model).
_MAX_SCOPES: Final = 150
_MAX_SCOPES_CHARS: Final = 4000
_SCOPE_NAME: Final = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")


def _scope_names(header: str) -> tuple[tuple[str, ...], int]:
    """The scope names of an x-oauth-scopes header, and how many other names it held (the
    photo scopes always kept, so ``can_set_photo`` never misses one listed late)."""
    kept: list[str] = []
    left_out = 0
    characters = 0
    for part in header.split(","):
        name = part.strip()
        if not name:
            continue
        fits = len(kept) < _MAX_SCOPES and characters + len(name) <= _MAX_SCOPES_CHARS
        # The two scopes this tool decides by are kept wherever the header lists them (once
        # each): past the cap, a token that has them was told it lacks them, and refused.
        decides = name in (WRITE_SCOPE, READ_SCOPE) and name not in kept
        if (fits or decides) and _SCOPE_NAME.fullmatch(name):
            kept.append(name)
            characters += len(name) + 2
        else:
            left_out += 1
    return tuple(kept), left_out
