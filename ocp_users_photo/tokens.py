"""Where a call's token comes from: token sources, and the person a host says is acting.

A ``TokenSource`` gives the user token for the person acting in the current call:
a fixed string or the environment today, a person's installation in a store
(refreshed as Slack rotates it) when the host configures one. The acting person
is bound by the host around a call (``acting_as``), in a context variable that no
model argument can reach; sources that serve one person ignore it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Final, Protocol, runtime_checkable

from ocp_users_photo.context_reset import reset_in_its_context
from ocp_users_photo.credentials import SecretTexts, SlackToken, check_token_text
from ocp_users_photo.environment import Variables
from ocp_users_photo.errors import TOKEN_PATH, InvalidArguments, Problem
from ocp_users_photo.safe_text import quoted, without_tokens
from ocp_users_photo.spec import is_web_uri

TOKEN_VARIABLES: Final = ("SLACK_USER_TOKEN", "SLACK_TOKEN")


# Slack's ids are upper-case letters and digits (T0123, U0456, E0789, W0ABC); a little
# slack for hosts' own test ids, nothing that could smuggle text into a message or a key.
SLACK_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def ids_refusal(team_id: object, user_id: object, enterprise_id: object) -> str | None:
    """Why these are not a person's Slack ids; None when they are. Each id shaped as
    Slack's: a person's ids key their token, lock and history, and ``|`` or other text in
    one could make two people's keys one."""
    # Each with an example of its own kind: Slack's ids begin with their kind's letter.
    for name, value, required, example in (
        ("user_id", user_id, True, "U0123ABCD"),
        ("team_id", team_id, False, "T0123ABCD"),
        ("enterprise_id", enterprise_id, False, "E0123ABCD"),
    ):
        if value is None and not required:
            continue
        # A token is no id (a host passed the wrong value): refused, and never quoted.
        if (
            not isinstance(value, str)
            or not SLACK_ID.fullmatch(value)
            or without_tokens(value) != value
        ):
            # 20 characters: a Slack id's whole, never most of a token stripped of xox.
            got = quoted(value, 20) if isinstance(value, str) else type(value).__name__
            return f"{name} must be a Slack id such as {example} (letters and digits), got {got}"
    return None


@dataclass(frozen=True, init=False)
class ActingPerson:
    """The Slack user a call acts for, as the host identified them (never a model)."""

    team_id: str | None
    user_id: str
    enterprise_id: str | None = None

    def __init__(self, team_id: str | None, user_id: str, enterprise_id: str | None = None) -> None:
        """Refused (``ids_refusal``) with no id left in this frame's locals: a host that
        passed its token as an id would have an error reporter send it (they send every
        frame's locals), and a dataclass's own ``__init__`` cannot let go of them."""
        refusal = ids_refusal(team_id, user_id, enterprise_id)
        if refusal is not None:
            del team_id, user_id, enterprise_id
            raise ValueError(refusal)
        object.__setattr__(self, "team_id", team_id)
        object.__setattr__(self, "user_id", user_id)
        object.__setattr__(self, "enterprise_id", enterprise_id)

    def __repr__(self) -> str:
        if "user_id" not in vars(self):
            # Refused in __init__, whose ``self`` a traceback rendered with its locals shows
            # (a failing repr would hide the refusal).
            return "ActingPerson(<not built>)"
        return (
            f"ActingPerson(team_id={self.team_id!r}, user_id={self.user_id!r}, "
            f"enterprise_id={self.enterprise_id!r})"
        )

    def __str__(self) -> str:
        where = self.team_id or self.enterprise_id or "?"
        return f"{self.user_id} in {where}"


_ACTING: ContextVar[ActingPerson | None] = ContextVar("ocp_users_photo_acting", default=None)


def acting_person() -> ActingPerson | None:
    """The person bound around the current call, if a host bound one."""
    return _ACTING.get()


@contextlib.contextmanager
def acting_as(person: ActingPerson | None) -> Iterator[ActingPerson | None]:
    """Bind ``person`` for the calls made inside the block (and the tasks they start)."""
    bound = bind_acting_person(person)
    try:
        yield person
    finally:
        reset_acting_person(bound)


def bind_acting_person(person: ActingPerson | None) -> Token[ActingPerson | None]:
    """Bind ``person`` until ``reset_acting_person``: for blocks a ``with`` cannot span."""
    return _ACTING.set(person)


def reset_acting_person(bound: Token[ActingPerson | None]) -> None:
    """Undo one ``bind_acting_person``, in the context that made it."""
    reset_in_its_context(_ACTING, bound)


@runtime_checkable
class TokenSource(Protocol):
    """Gives the token for the acting person; may renew it once Slack says it expired.

    ``description`` names the source in reprs and messages ("given", "from
    $SLACK_USER_TOKEN"); it never holds the token. A source whose people install the
    app may also have an ``install_url`` (``InstallationTokenSource`` does): a model
    is given it when Slack refuses a token the source gave (``install_page_of``); and a
    source that refreshes in tasks of its own, or opens connections of its own, an
    ``async settle()``, awaited before ``call_sync`` closes its loop: it finishes those
    tasks and lets that loop's connections go.
    """

    @property
    def description(self) -> str: ...

    async def token_for(self, person: ActingPerson | None) -> SlackToken | str:
        """The token to use (a ``SlackToken``, or its text: checked as the tool's argument
        is). With none for this person, raise ``TokenUnavailable`` saying what to do (and
        where to install the app); None is taken for that too."""
        ...

    async def renew(
        self, person: ActingPerson | None, expired: SlackToken
    ) -> SlackToken | str | None:
        """A fresh token after Slack answered ``token_expired`` (or its text); None when it
        cannot renew."""
        ...


def install_page_of(source: TokenSource) -> str | None:
    """The source's ``install_url``, where its people install the app, if it has one."""
    return install_page(getattr(source, "install_url", None))


def install_page(url: object) -> str | None:
    """``url`` when it is an http(s) URI by RFC 3986, else None.

    A model is given it in the error object, whose output schema says ``format: uri``: a
    page with a space or a non-ASCII character in it would break that promise (a client
    that checks formats refuses the whole result), so such a page is never passed on.
    """
    return url if isinstance(url, str) and is_web_uri(url) else None


class StaticToken:
    """One token, given as text: checked once, here, and reported on every call if unusable."""

    def __init__(self, value: str, *, origin: str, description: str = "given") -> None:
        self._token, self._problems = check_token_text(value, origin=origin)
        self._origin = origin
        self._description = description

    @property
    def description(self) -> str:
        return self._description

    @property
    def origin(self) -> str:
        """Where the token came from, for messages: ``UsersSetPhoto(token=...)``, a variable."""
        return self._origin

    async def token_for(self, person: ActingPerson | None) -> SlackToken:
        return self.token_now()

    def token_now(self) -> SlackToken:
        if self._token is None:
            raise InvalidArguments(self._problems)
        return self._token

    async def renew(self, person: ActingPerson | None, expired: SlackToken) -> SlackToken | None:
        return None

    def redaction_forms(self) -> tuple[str, ...]:
        """What to remove of the token wherever a caller's words are quoted back (none for a
        token refused as unusable: it is never sent)."""
        return self.secret_texts().texts()

    def secret_texts(self) -> SecretTexts:
        """``redaction_forms`` held as SecretTexts (made once, with their searchable forms)."""
        return SecretTexts() if self._token is None else self._token.secret_texts()

    def __repr__(self) -> str:
        return f"StaticToken({self._description})"


class NoToken:
    """No token configured: every call is refused with what to set."""

    def __init__(self, hint: str, *, model_hint: str | None = None) -> None:
        """``hint`` says what to set; ``model_hint`` says it to a model where ``hint``
        speaks to a Python caller (give token=)."""
        self._hint = hint
        self._model_hint = model_hint

    @property
    def description(self) -> str:
        return "None"

    async def token_for(self, person: ActingPerson | None) -> SlackToken:
        raise InvalidArguments([Problem(TOKEN_PATH, self._hint, self._model_hint)])

    async def renew(self, person: ActingPerson | None, expired: SlackToken) -> SlackToken | None:
        return None

    def __repr__(self) -> str:
        return "NoToken()"


def held_token(token: str | TokenSource | None) -> TokenSource | None:
    """A token given as text, held as a source at once (anything else as it is): no frame a
    refused setting raises through then holds it as text (environment.py)."""
    if isinstance(token, str):
        return StaticToken(token, origin="UsersSetPhoto(token=...)")
    return token


def token_from_environment(environ: Variables) -> tuple[str, str] | None:
    """The first token variable that is set, as (variable name, value); None if none is."""
    for name in TOKEN_VARIABLES:
        value = environ.get(name)
        if value:
            return name, value
    return None


def environment_token_source(
    environ: Variables, *, hint: str, model_hint: str | None = None
) -> TokenSource:
    """SLACK_USER_TOKEN, else SLACK_TOKEN, as a source; one that refuses when neither is set
    (saying ``hint``, and ``model_hint`` to a model when given)."""
    found = token_from_environment(environ)
    if found is None:
        return NoToken(hint, model_hint=model_hint)
    variable, value = found
    return StaticToken(value, origin=variable, description=f"from ${variable}")
