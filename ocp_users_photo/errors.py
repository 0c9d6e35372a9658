"""The exceptions this package raises, one tree, so a caller can catch as widely as it needs.

    UsersPhotoError                  base of everything raised on purpose
     ├── InvalidArguments            refused before any byte was sent (also a ValueError)
     │    └── TokenNotUsable         the host's token is missing or cannot set a photo
     ├── SlackApiError               Slack answered ok:false
     │    └── RateLimited            Slack answered 429 / ratelimited; wait .retry_after seconds
     ├── ReplySchemaError            Slack answered ok:true with a reply that breaks the schema
     ├── TransportError              no usable reply: connection, timeout, 5xx after retries,
     │                               a body that is not JSON or is too large
     └── TokenUnavailable            the host's token source has no usable token for the acting
                                     person (not installed, refresh refused, store down...);
                                     the kinds are in ocp_users_photo.installations.errors

Two features add their own subclasses beside these: the undo's (``KeepingImpossible``,
``HistoryUnavailable``, ``NothingToUndo``: ocp_users_photo.undo.errors) and the image
fetch's (``ImageUrlRefused`` and its kinds: ocp_users_photo.web_image.refusals).

Every error has a short machine-readable ``code`` (Slack's own error code for
``SlackApiError``) and a message that says what to do next. No message, repr or
attribute ever holds the Slack token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NoReturn, TypeVar

from ocp_users_photo.safe_text import redacted, shown

__all__ = [
    "InvalidArguments",
    "Problem",
    "RateLimited",
    "ReplySchemaError",
    "SlackApiError",
    "TokenNotUsable",
    "TokenUnavailable",
    "TransportError",
    "UsersPhotoError",
    "after_an_earlier_attempt",
    "may_have_taken_effect",
]


# The setting a message asks to check, by its name at every door: the Python API's
# base_url, the environment's SLACK_API_URL (an MCP host's env block), the CLI's option.
SLACK_ADDRESS: Final = "the Slack address (base_url, SLACK_API_URL or --base-url)"
# Bounds on what a server's reply can put into an error (and so into a terminal or a model).
MAX_PROBLEMS: Final = 20
MAX_PROBLEM_CHARS: Final = 300
MAX_FIELD_CHARS: Final = 200
MAX_WARNINGS: Final = 10
# Where a Problem with the image argument points (every image check's problems say this).
IMAGE_PATH: Final = "$.image"
# Where a token problem is filed: an argument only the Python API takes, else the host's.
TOKEN_PATH: Final = "$.token"  # noqa: S105 (a JSON path, not a secret)
# What a refused call did not do, unless its caller says otherwise (a restore: what it is).
# Said first in a refusal, at every door: "was not called" read, to a model that had just
# called the tool, as if its call had not gone through (the arguments were refused).
NOT_CALLED: Final = "usersSetPhoto sent nothing to Slack"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the arguments or a reply: where (a JSON path) and what to do."""

    path: str
    message: str
    # What a model is told instead, where ``message`` asks what only the person running the
    # tool can do (give token=): the problem is the same, the advice is the door's.
    model_message: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}

    def as_model_dict(self) -> dict[str, str]:
        """``as_dict`` with the text a model is told."""
        return {"path": self.path, "message": self.model_message or self.message}

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class UsersPhotoError(Exception):
    """Base of every error this package raises on purpose."""

    code: str = "error"
    # What a model door says instead of ``message`` where that names what only the person
    # running the tool can change (a flag, a keyword, a file) or asks what a model cannot do.
    model_message: str | None = None
    # What the command line says instead, where ``message`` names a Python keyword.
    terminal_message: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    @property
    def may_have_taken_effect(self) -> bool:
        """Whether the photo may have changed all the same, so the person checks it before
        trying again (``may_have_taken_effect(error)``): a ``TransportError`` of a change
        whose request reached Slack or whose answer was unusable (``reached`` True or None),
        a ``ReplySchemaError`` of a change, Slack's own partway failure of a change or any
        refusal after an earlier attempt reached Slack. False for a read (auth.test,
        users.profile.get), whatever it met, and where nothing changed."""
        return may_have_taken_effect(self)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled and copied as built, not by calling ``__init__`` again: most subclasses
        take other arguments than their message (a process pool, a task queue or a
        framework's deepcopy would raise TypeError, or rebuild the wrong text)."""
        return (_rebuilt, (type(self), self.args, dict(self.__dict__)))


_E = TypeVar("_E", bound="UsersPhotoError")


def with_secrets_redacted(error: _E, secrets: Sequence[str]) -> _E:
    """``error`` itself when none of its texts holds one of ``secrets``; else a copy with
    them redacted from its message, its model's and terminal's messages and its problems.

    For a refusal quoting a caller's words (a path, a tool name) that hold the host's own
    token in a shape ``shown`` does not know (no ``xoxp-`` before it, a look-alike hyphen)."""
    if not secrets:
        return error

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return redacted(value, secrets)
        if isinstance(value, Problem):
            # The path too: an argument's name is the caller's words ($.<name>).
            model = None if value.model_message is None else redacted(value.model_message, secrets)
            return Problem(redacted(value.path, secrets), redacted(value.message, secrets), model)
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    args = tuple(clean(arg) for arg in error.args)
    state = {name: clean(value) for name, value in error.__dict__.items()}
    if args == error.args and state == error.__dict__:
        return error
    copy = _rebuilt(type(error), args, state)
    assert isinstance(copy, type(error))
    return copy


def _rebuilt(
    kind: type[UsersPhotoError], args: tuple[Any, ...], state: dict[str, Any]
) -> UsersPhotoError:
    """An error of ``kind`` with ``args`` and attributes ``state``, ``__init__`` not called."""
    error = kind.__new__(kind, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class InvalidArguments(UsersPhotoError, ValueError):
    """The call's arguments were refused before anything was sent; ``problems`` lists each."""

    code = "invalid_arguments"

    def __init__(self, problems: Sequence[Problem], *, refused: str = NOT_CALLED) -> None:
        """``refused`` says what was not done (the listing and the undo share the token check)."""
        self.problems: list[Problem] = list(problems)
        super().__init__(self._listed(refused, for_model=False))
        if any(problem.model_message for problem in self.problems):
            self.model_message = self._listed(refused, for_model=True)

    def _listed(self, refused: str, *, for_model: bool) -> str:
        """The message: what was refused, then each problem (in a model's terms or not)."""
        count = len(self.problems)
        listed = "; ".join(_problem_text(problem, for_model) for problem in self.problems)
        noun = "problem" if count == 1 else "problems"
        return f"{refused}, {count} {noun} with the arguments: {listed}"


def _said(problem: Problem, for_model: bool) -> str:
    return (problem.model_message or problem.message) if for_model else problem.message


def _problem_text(problem: Problem, for_model: bool) -> str:
    return f"{problem.path}: {_said(problem, for_model)}"


class TokenNotUsable(InvalidArguments):
    """Refused because the token the host configured is missing or cannot set a photo (none
    set, a bot or app token, a damaged one, a bad agent header); nothing was sent.

    Still an ``InvalidArguments`` (``$.token`` among its problems), with a code of its own:
    a model cannot fix the host's configuration, so its doors do not offer it as a call to
    correct and retry (frameworks' retry signals), but as one to report to the person.
    """

    code = "token_not_usable"

    def __init__(
        self,
        problems: Sequence[Problem],
        *,
        refused: str = NOT_CALLED,
        reinstall: bool = False,
    ) -> None:
        super().__init__(problems, refused=refused)
        # Installing the app again mends it (a scope the installation lacks): a host's
        # install page goes with it, as with Slack's own missing_scope.
        self.reinstall = reinstall
        # The token is the host's setting, not an argument: said first, as what it is.
        if not any(problem.path == TOKEN_PATH for problem in self.problems):
            return
        text = self._token_first(refused, for_model=False)
        self.message = text
        self.args = (text,)
        if self.model_message is not None:
            self.model_message = self._token_first(refused, for_model=True)

    def _token_first(self, refused: str, *, for_model: bool) -> str:
        about_token = [
            _said(problem, for_model) for problem in self.problems if problem.path == TOKEN_PATH
        ]
        others = [problem for problem in self.problems if problem.path != TOKEN_PATH]
        text = f"{refused}: the Slack token cannot be used: {'; '.join(about_token)}"
        if others:
            noun = "problem" if len(others) == 1 else "problems"
            listed = "; ".join(_problem_text(problem, for_model) for problem in others)
            text += f"; also {len(others)} {noun} with the arguments: {listed}"
        return text


class SlackApiError(UsersPhotoError):
    """Slack answered ``ok: false``; ``error`` is Slack's code and ``hint`` says what to do."""

    def __init__(
        self,
        error: str,
        *,
        hint: str,
        reply: Mapping[str, Any],
        status_code: int = 200,
        method: str = "users.setPhoto",
    ) -> None:
        # Slack's codes are short words; a server may send anything: bounded and printable.
        error = shown(error, 64)
        self.error = error
        self.method = method
        self.hint = hint
        self.reply: dict[str, Any] = dict(reply)
        self.status_code = status_code
        self.needed: str | None = _optional_text(reply.get("needed"))
        self.provided: str | None = _optional_text(reply.get("provided"))
        self.warnings: list[str] = _warnings_of(reply)
        self.slack_messages: list[str] = slack_messages_of(reply)
        # Set by the client when an earlier attempt of the same call reached Slack unanswered.
        self.earlier_attempt_reached = False
        # A read the tool makes on its own (the token's check, the photo shown, before a
        # change) is named as one: a model that called usersSetPhoto never called auth.test.
        # Not where the hint says it already (Slack failing partway: hints.hint_for).
        reads = (
            " (a read the tool makes itself, which changes nothing)"
            if method in READ_ONLY_METHODS and error not in SLACK_FAILED_PARTWAY
            else ""
        )
        super().__init__(f"Slack refused {method}{reads}: {error}{self.slack_said}. {hint}")
        if method not in READ_ONLY_METHODS and error in SLACK_FAILED_PARTWAY:
            # "Check the photo before trying again": a model can neither look at the photo
            # Slack shows nor tell a change it made from one it did not.
            self.model_message = (
                f"Slack refused {method}: {error}{self.slack_said}. Slack failed internally, "
                f"and may have made the change before it did: {MAY_HAVE_HAPPENED_FOR_MODELS}."
            )

    @property
    def slack_said(self) -> str:
        """Slack's own explanation (``response_metadata.messages``) as a message quotes it,
        " (Slack: ...)", or nothing."""
        return f" (Slack: {'; '.join(self.slack_messages)})" if self.slack_messages else ""

    @property
    def code(self) -> str:  # type: ignore[override]
        return self.error

    @property
    def may_have_taken_effect(self) -> bool:
        """Slack's own failure (``internal_error``, ``fatal_error``) of a change, which its
        docs say may come after "some aspect of the operation succeeded", or any refusal of
        a change an earlier attempt of the same call may have made; any other refusal
        changed nothing, and so did a read (auth.test, users.profile.get), whatever failed."""
        if self.method in READ_ONLY_METHODS:
            return False
        return self.error in SLACK_FAILED_PARTWAY or self.earlier_attempt_reached


class RateLimited(SlackApiError):
    """Slack rate-limited the call; try again after ``retry_after`` seconds."""

    def __init__(
        self,
        retry_after: float,
        *,
        hint: str,
        reply: Mapping[str, Any],
        status_code: int = 429,
        method: str = "users.setPhoto",
    ) -> None:
        self.retry_after = retry_after
        super().__init__(
            "ratelimited", hint=hint, reply=reply, status_code=status_code, method=method
        )


class ReplySchemaError(UsersPhotoError):
    """Slack said ``ok: true`` but the reply breaks the response schema."""

    code = "invalid_reply"

    def __init__(
        self,
        problems: Sequence[Problem],
        reply: Mapping[str, Any],
        *,
        method: str = "users.setPhoto",
    ) -> None:
        self.problems: list[Problem] = [
            Problem(problem.path[:120], shown(problem.message, MAX_PROBLEM_CHARS))
            for problem in problems[:MAX_PROBLEMS]
        ]
        self.reply: dict[str, Any] = dict(reply)
        self.method = method
        listed = "; ".join(str(problem) for problem in self.problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        not_a_reply = any(problem.path == "$.ok" for problem in self.problems)
        if not_a_reply and method in READ_ONLY_METHODS:
            # A read is sent before any change: whatever came back, nothing changed.
            message = (
                f"the answer to {method} is not a Slack reply ({listed}); {method} only "
                f"reads, so nothing changed: check {SLACK_ADDRESS}, then try again"
            )
        elif not_a_reply:
            unknown = (
                f"the answer to {method} is not a Slack reply ({listed}), so whether it took "
                "effect is unknown"
            )
            message = f"{unknown}: check with users.profile.get before trying again"
            # A model has no users.profile.get, and a call again may change the photo twice.
            self.model_message = f"{unknown}: {MAY_HAVE_HAPPENED_FOR_MODELS}"
        else:
            found = (
                f"Slack answered ok:true but the reply does not match the {method} response "
                f"schema: {listed}{more}."
            )
            message = (
                f"{found} It probably took effect; check with users.profile.get, "
                "or pass reply_check='warn' to accept such replies"
            )
            # Its next: line says to look at the profile; the CLI has no reply_check.
            self.terminal_message = f"{found} It probably took effect"
            # A model can neither change the tool's settings nor ask Slack itself.
            self.model_message = f"{found} It probably took effect: {MAY_HAVE_HAPPENED_FOR_MODELS}"
        super().__init__(message)


# The Web API methods this package calls that change nothing: a failed one never leaves a
# change half made, whether or not the request reached Slack.
READ_ONLY_METHODS: Final = frozenset({"auth.test", "users.profile.get"})
# Slack's codes for its own failures, which may come after part of the change was made.
SLACK_FAILED_PARTWAY: Final = frozenset({"internal_error", "fatal_error"})


class TransportError(UsersPhotoError):
    """No usable reply: the connection failed, timed out, or the server sent something unusable."""

    code = "transport_error"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        reached: bool | None = None,
        method: str | None = None,
        to_check: str | None = None,
        setting_at_fault: bool = False,
    ) -> None:
        self.status_code = status_code
        # False: nothing reached Slack; True: a request did, so it may have taken effect;
        # None: an answer came but was unusable (its status says more).
        self.reached = reached
        self.method = method
        # What this host's person checks before trying again, when it is a setting of
        # theirs (a proxy, the CA certificates) rather than the network and the address.
        self.to_check = to_check
        # Whether ``to_check`` is at fault for certain, so that trying again meets the same
        # failure (a proxy's 407, a certificate that does not verify, an unreadable CA
        # file); False where it may pass (a proxy down for a moment, its 502 or 503).
        self.setting_at_fault = setting_at_fault and to_check is not None
        super().__init__(message)

    @property
    def only_read(self) -> bool:
        """Whether the failed call was one that changes nothing (auth.test, a profile read)."""
        return self.method in READ_ONLY_METHODS


class TokenUnavailable(UsersPhotoError):
    """The host's token source cannot give a user token for the acting person; nothing was sent.

    ``code`` says which case (``not_installed``, ``refresh_failed``...), the message what
    to do, and ``install_url`` where the person can install the app, when the host gave one.
    """

    code = "token_unavailable"

    def __init__(self, message: str, *, install_url: str | None = None) -> None:
        self.install_url = install_url
        super().__init__(message)


def _optional_text(value: object) -> str | None:
    """A text field of Slack's reply (``needed``, ``provided``), bounded and printable."""
    return shown(value, MAX_FIELD_CHARS) if isinstance(value, str) else None


def _warnings_of(reply: Mapping[str, Any]) -> list[str]:
    """Slack's warnings, from the top-level ``warning`` and ``response_metadata.warnings``."""
    found: list[str] = []
    warning = reply.get("warning")
    if isinstance(warning, str):
        found.extend(shown(part, MAX_FIELD_CHARS) for part in warning[:4096].split(",") if part)
    return _metadata_texts(reply, "warnings", found)


def slack_messages_of(reply: Mapping[str, Any]) -> list[str]:
    """Slack's own explanation of a refusal (``response_metadata.messages``, such as
    "[ERROR] missing required field: image"), bounded and printable, at most MAX_WARNINGS."""
    return _metadata_texts(reply, "messages", [])


def _metadata_texts(reply: Mapping[str, Any], key: str, found: list[str]) -> list[str]:
    """``found`` and then the distinct texts listed under ``response_metadata[key]``."""
    metadata = reply.get("response_metadata")
    listed = metadata.get(key) if isinstance(metadata, Mapping) else None
    if isinstance(listed, list):
        for item in listed[:MAX_WARNINGS]:
            text = shown(item, MAX_FIELD_CHARS) if isinstance(item, str) else None
            if text and text not in found:
                found.append(text)
    return found[:MAX_WARNINGS]


def may_have_taken_effect(error: UsersPhotoError) -> bool:
    """Whether the change a failed call asked for may have happened all the same: the request
    reached Slack and no answer says it was refused (a lost or unusable answer, an HTTP 5xx,
    an ``ok: true`` outside the schema, Slack's own internal failure). False for reads,
    whatever they met.

    People are told "check before trying again" for these, and "not changed" for the rest.
    """
    if isinstance(error, TransportError):
        return error.reached is not False and not error.only_read
    if isinstance(error, ReplySchemaError):
        return error.method not in READ_ONLY_METHODS
    return isinstance(error, SlackApiError) and error.may_have_taken_effect


# A model cannot look at the photo Slack shows, nor wait and compare: what it can do.
MAY_HAVE_HAPPENED_FOR_MODELS: Final = (
    "do not call again; tell the person to check their photo in Slack"
)


def after_an_earlier_attempt(error: UsersPhotoError, method: str) -> None:
    """Say ``error``, the last answer to a change, as what it is when an earlier attempt of
    the same call reached Slack and got no usable answer (a 5xx, a dropped connection):
    whatever the last attempt met (a rate limit, a refusal, a page), the change may have
    been made by that one, and the photo it replaced must stay kept. A read (``method``
    in READ_ONLY_METHODS) changed nothing, whatever its attempts met: left as it is."""
    if method in READ_ONLY_METHODS or may_have_taken_effect(error):
        return
    if isinstance(error, SlackApiError):
        error.earlier_attempt_reached = True
    elif isinstance(error, TransportError):
        error.reached = True
    else:
        return
    said = (
        "An earlier attempt reached Slack without a usable answer, so the change may have "
        "taken effect: check before trying again."
    )
    error.message = f"{error.message} {said}"
    error.args = (error.message,)
    if error.terminal_message is not None:
        # The command line shows this text instead (a rate limit's "wait, then try again").
        error.terminal_message = f"{error.terminal_message.rstrip('.')}. {said}"
    # Not "wait, then try again" beside "do not call again": one thing a model can do.
    error.model_message = (
        f"An earlier attempt of {method} reached Slack without a usable answer, and the last "
        f"one failed ({error.code}), so the change may have taken effect: "
        f"{MAY_HAVE_HAPPENED_FOR_MODELS}."
    )


def raise_alone(error: BaseException) -> NoReturn:
    """Raise ``error`` with no exception as its ``__context__``.

    An error raised after its except block has ended still takes, as its context, the
    exception an enclosing frame is handling; asyncio's pure-Python Task (nest_asyncio,
    Jupyter) resumes a coroutine from inside such a block, the HTTP stack's error (which
    may quote the token) being handled, and ``logging.exception`` would print it. The
    context is cleared as the error leaves.
    """
    try:
        raise error
    finally:
        error.__context__ = None
        # This frame is in the error's traceback: holding the error here too made a cycle
        # that kept every frame of the failed call (its image among their locals) until
        # the cyclic collector ran.
        del error
