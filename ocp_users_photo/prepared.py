"""What ``UsersSetPhoto.prepare`` takes and gives: values, no steps of a call.

``PreparedUpload`` is a call that passed every local check, not yet sent; ``Preparing``
is what ``prepare`` returns, awaited or entered with ``async with``. ``TokenOverride`` is
a token a front end was handed for one call; ``PrepareOptions`` and ``SummaryOptions``
are the keyword options wrappers such as ``ActingTool`` pass on. They live apart from
tool.py so that modules holding or passing them (agents/headers.py, undo/restore.py,
acting_tool.py) need not import the tool; tool.py re-exports them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypedDict

from ocp_users_photo.credentials import Renew, SecretTexts, SlackToken, token_secret_forms
from ocp_users_photo.errors import Problem
from ocp_users_photo.images.upload import PreparedImage
from ocp_users_photo.observers import CallInfo, CallObserver
from ocp_users_photo.tokens import StaticToken


@dataclass(frozen=True)
class TokenOverride:
    """A token a front end was handed for one call (an agent's headers), with where it came from.

    ``problem`` says why what was handed over is no token (``value`` is then empty).
    """

    value: str = field(repr=False)  # the token itself: never in a repr (a traceback's locals)
    origin: str
    problem: Problem | None = None

    @functools.cached_property
    def source(self) -> StaticToken:
        """The token as a source, checked once a call: the call's token and the forms its
        arguments' view and its replies are searched for are made from it once."""
        return StaticToken(self.value, origin=self.origin)

    def secret_texts(self) -> SecretTexts:
        """The forms of the token handed over, to keep out of what is told of the call:
        the source's, or, for text refused as a token (never sent), its own forms."""
        made = self.source.secret_texts()
        if made or not self.value:
            return made
        return SecretTexts(token_secret_forms(self.value))


class PrepareOptions(TypedDict, total=False):
    """``prepare``'s options after the arguments, for wrappers that pass them on (ActingTool)."""

    model_facing: bool
    token_override: TokenOverride | None


class SummaryOptions(PrepareOptions, total=False):
    """``call_with_summary``'s options after the arguments, for wrappers that pass them on."""

    digest: bool
    observers: Sequence[CallObserver]


@dataclass
class PreparedUpload:
    """A call that passed every local check: what will be sent, not yet sent.

    It may hold an open file: close it, or use it as ``async with`` (or ``with``),
    which closes it at the end of the block. ``UsersSetPhoto.send`` closes it too.
    """

    token: SlackToken
    image: PreparedImage
    renew: Renew | None = field(default=None, repr=False)
    # A fingerprint (12 hex digits) of the bytes sent, once ``send(upload, digest=True)``
    # sent them: SHA-256 over their size and ends, images/upload.py (not a hash of all of them).
    fingerprint: str | None = field(default=None, init=False)
    # What ``send`` tells the tool's observers of this call (the arguments' safe view, the
    # person acting when it was prepared), and the door it was prepared at: set by
    # ``UsersSetPhoto.prepare``, None for an upload made inside a call.
    call: CallInfo | None = field(default=None, repr=False, compare=False)
    model_facing: bool = field(default=False, repr=False, compare=False)
    # Whether the token is one no source chose for the bound person (a ``token=`` argument,
    # a handed-over token, the tool's one fixed token): sent for a person bound at
    # ``prepare`` or ``send`` only once auth.test says it is theirs. True unless ``prepare``
    # took it from a token source that gives each person theirs.
    fixed_token: bool = field(default=True, repr=False, compare=False)
    # The mark of the tool that prepared it (``UsersSetPhoto``'s own): only that tool sends
    # it, so its token goes to that tool's Slack alone.
    made_by: object = field(default=None, repr=False, compare=False)

    def summary(self) -> dict[str, Any]:
        """What is being sent, for logs and an agent's history: no token, no bytes."""
        described = self.image.summary()
        if self.image.crop_box is not None:
            described["crop"] = self.image.crop_box.form_fields()
        if self.fingerprint is not None:
            described["fingerprint"] = self.fingerprint
        return described

    @property
    def closed(self) -> bool:
        """Whether it was sent or closed: its image let go, nothing left to send."""
        return self.image.source.closed

    def close(self) -> None:
        self.image.close()

    def __enter__(self) -> PreparedUpload:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> PreparedUpload:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()


class Preparing:
    """What ``tool.prepare(arguments)`` returns: the checks, run when awaited or entered.

    ``async with tool.prepare(arguments) as upload:`` gives the ``PreparedUpload`` and
    closes it when the block ends; ``upload = await tool.prepare(arguments)`` gives it
    to the caller, who closes it.
    """

    __slots__ = ("_checks", "_upload")

    def __init__(self, checks: Callable[[], Coroutine[Any, Any, PreparedUpload]]) -> None:
        self._checks = checks
        self._upload: PreparedUpload | None = None

    def __await__(self) -> Generator[Any, None, PreparedUpload]:
        return self._checks().__await__()

    async def __aenter__(self) -> PreparedUpload:
        if self._upload is not None:
            raise RuntimeError("enter a tool.prepare(...) block once; call prepare() again")
        self._upload = await self._checks()
        return self._upload

    async def __aexit__(self, *exc_info: object) -> None:
        if self._upload is not None:
            self._upload.close()

    def __enter__(self) -> NoReturn:
        # Python's own refusal names no way out; nothing has been read or checked yet.
        raise TypeError(
            "tool.prepare(...) is asynchronous: write 'async with tool.prepare(arguments) "
            "as upload:' inside an async function, or 'upload = await tool.prepare("
            "arguments)'; without an event loop, tool.call_sync(arguments) checks and sends"
        )

    def __exit__(self, *exc_info: object) -> None:
        """Never reached: ``__enter__`` refuses."""
