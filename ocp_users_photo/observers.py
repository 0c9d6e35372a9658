"""Call observers: told when a call starts, just before a change is sent, and when it ends.

The agent history (agents) and, later, the undo history observe calls through this
port. An observer is never given the token: what it sees is the call's name, a safe
view of its arguments, what is about to be sent, and how the call ended.
``before_change`` may refuse the change by raising a ``UsersPhotoError``; nothing
is then sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ocp_users_photo.errors import UsersPhotoError
from ocp_users_photo.tokens import ActingPerson


@dataclass(frozen=True)
class CallInfo:
    """One call of a tool, as observers see it: no token, no image bytes."""

    tool_name: str
    method: str
    endpoint: str
    arguments: Mapping[str, Any]
    person: ActingPerson | None = None


@dataclass(frozen=True)
class ChangeInfo:
    """What is about to be sent: the image's summary (format, size, bytes, crop box)."""

    image: Mapping[str, Any]


@dataclass(frozen=True)
class CallOutcome:
    """How a call ended: Slack's reply and what was sent, or the error."""

    reply: Mapping[str, Any] | None = None
    image: Mapping[str, Any] = field(default_factory=dict)
    error: UsersPhotoError | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None


class CallObserver:
    """Base of observers; each hook does nothing unless overridden."""

    async def call_started(self, call: CallInfo) -> None:
        """The call was made; its arguments are not checked yet."""

    async def before_change(self, call: CallInfo, change: ChangeInfo) -> None:
        """Every check passed and the change is about to be sent; raise to refuse it."""

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        """The call ended, in a reply or an error."""


async def notify_started(observers: Sequence[CallObserver], call: CallInfo) -> None:
    for observer in observers:
        await observer.call_started(call)


async def notify_before_change(
    observers: Sequence[CallObserver], call: CallInfo, change: ChangeInfo
) -> None:
    for observer in observers:
        await observer.before_change(call, change)


async def notify_ended(
    observers: Sequence[CallObserver], call: CallInfo, outcome: CallOutcome
) -> None:
    for observer in observers:
        await observer.call_ended(call, outcome)
