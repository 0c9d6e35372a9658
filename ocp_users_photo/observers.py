"""Call observers: told when a call starts, just before a change is sent, and when it ends.

The agent history (agents) and the undo history (undo/keeper.py) observe calls
through this port. An observer is never given the token: what it sees is the call's
name, a safe view of its arguments, what is about to be sent, and how the call ended.
``before_change`` may refuse the change by raising a ``UsersPhotoError``; nothing
is then sent. An observer that must ask Slack something first (the photo shown now)
gets ``ChangeInfo.session``: a ``SlackSession`` that calls Slack's read methods with
the acting person's token, which it keeps to itself.

A call that ends in neither a reply nor a ``UsersPhotoError`` (cancelled, or an
unexpected exception) is reported by ``call_abandoned``, synchronously, so that an
observer holding something for the call (a lock) can let it go even while the task
is being cancelled.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ocp_users_photo.errors import UsersPhotoError
from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.undo.errors import StaleUndoEntry

if TYPE_CHECKING:
    from ocp_users_photo.slack.session import SlackSession
    from ocp_users_photo.undo.entries import KeptPhoto

ChangeKind = Literal["set", "undo", "restore"]

logger = logging.getLogger("ocp_users_photo")


@dataclass(frozen=True)
class CallInfo:
    """One call of a tool, as observers see it: no token, no image bytes."""

    tool_name: str
    method: str
    endpoint: str
    # A safe view of them (argument_view.safe_view): a Python caller's may hold a token
    # or a whole image, which observers are never given. Out of the repr all the same.
    arguments: Mapping[str, Any] = field(repr=False)
    person: ActingPerson | None = None


@dataclass
class KeptRecord:
    """Filled in by the photo keeper (undo): the entry that keeps what this very change
    replaces, or None (nothing kept, or the change turned out to change nothing: then
    ``changed_nothing`` is True, Slack showing the very photo it showed before)."""

    entry: KeptPhoto | None = None
    changed_nothing: bool = False


@dataclass(frozen=True)
class ChangeInfo:
    """What is about to be sent: the image's summary (format, size, bytes, crop box).

    ``session`` calls Slack's read methods (``users.profile.get``, ``auth.test``) for
    the acting person, with the token this change will use, never showing it (None
    when the caller made no session). ``kind`` says whether the change sets a new photo
    or puts a kept one back (``undo``, ``restore``: ``restores`` is that entry's number);
    ``to_default`` is True when it removes the photo (``users.deletePhoto``), so that
    Slack shows the default avatar again, and ``image`` is then empty. ``kept`` is where
    the keeper says which entry kept the photo this change replaces.
    """

    image: Mapping[str, Any]
    session: SlackSession | None = field(default=None, repr=False, compare=False)
    kind: ChangeKind = "set"
    restores: int | None = None
    to_default: bool = False
    kept: KeptRecord = field(default_factory=KeptRecord, repr=False, compare=False)


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

    def change_sending(self, call: CallInfo) -> None:
        """Every observer let the change go (the tool's keeper last): it is being sent to
        Slack now, so from here an interrupted call may have made it. Not awaited."""

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        """The call ended, in a reply or an error."""

    def call_abandoned(self, call: CallInfo) -> None:
        """The call ended in neither (cancelled, or an unexpected exception); not awaited.

        Whether a change was made is unknown. Let go of what the call held; do no I/O
        here that must finish (start a task for it, if need be).
        """


async def notify_started(observers: Sequence[CallObserver], call: CallInfo) -> None:
    """Tell every observer the call started, in order. One that fails or is cancelled
    there (a host's timeout while it awaits) ends the call: the observers told before it
    are told it was abandoned, or their start (an audit entry, a gauge of calls in flight)
    would never end."""
    for index, observer in enumerate(observers):
        try:
            await observer.call_started(call)
        except BaseException:
            notify_abandoned(observers[:index], call)
            raise


async def notify_before_change(
    observers: Sequence[CallObserver], call: CallInfo, change: ChangeInfo
) -> None:
    for observer in observers:
        await observer.before_change(call, change)


def notify_sending(observers: Sequence[CallObserver], call: CallInfo) -> None:
    """Tell every observer the change goes to Slack now (after every before_change)."""
    for observer in observers:
        observer.change_sending(call)


async def notify_ended(
    observers: Sequence[CallObserver], call: CallInfo, outcome: CallOutcome
) -> None:
    """Tell every observer how the call ended, in order. One that raises is logged and the
    others are still told: the call's outcome stands (the photo may be set), and the
    tool's keeper, told last, must end the person's turn. Cancelled meanwhile, the
    observers not yet told are told the call was abandoned, so they let go too."""
    for index, observer in enumerate(observers):
        try:
            await observer.call_ended(call, outcome)
        except Exception:
            logger.exception("%s failed when told the call ended", type(observer).__name__)
        except BaseException:
            notify_abandoned(observers[index + 1 :], call)
            raise


def notify_abandoned(observers: Sequence[CallObserver], call: CallInfo) -> None:
    """Tell every observer the call was abandoned; one that fails does not stop the others."""
    for observer in observers:
        try:
            observer.call_abandoned(call)
        except Exception:
            # The call's own exception is what the caller must see; this one is logged.
            logger.exception("%s failed when told the call was abandoned", type(observer).__name__)


async def apply_change(
    observers: Sequence[CallObserver],
    call: CallInfo,
    change: ChangeInfo,
    send: Callable[[], Awaitable[dict[str, Any]]],
    *,
    announce: bool = True,
    sent: Callable[[], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Tell ``observers`` about one change around ``send()``; Slack's reply, or the error.

    ``announce``: tell them it started (False for an undo's second choice, after the entry
    it chose first was dropped: StaleUndoEntry, which observers do not hear as an end).
    ``sent``: the summary of what was sent, once sent (with its fingerprint), for the end.
    """
    if announce:
        await notify_started(observers, call)
    try:
        await notify_before_change(observers, call, change)
        notify_sending(observers, call)
        reply = await send()
    except StaleUndoEntry:
        raise  # nothing was sent: the undo chooses again, as the same call
    except UsersPhotoError as error:
        await notify_ended(observers, call, CallOutcome(image=change.image, error=error))
        raise
    except BaseException:
        notify_abandoned(observers, call)
        raise
    image = change.image if sent is None else sent()
    await notify_ended(observers, call, CallOutcome(reply=reply, image=image))
    return reply
