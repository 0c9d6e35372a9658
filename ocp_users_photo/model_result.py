"""What ``run()`` returns for a failure: Slack's error reply, extended for a model to act on.

    {"ok": false, "error": <code>, "message": <what to do>,
     "problems": [{"path": ..., "message": ...}], "retry_after": <seconds, when rate limited>,
     "install_url": <where the person installs the app (again), when the host's token
                     source has none for them, or Slack refused the one it gave>}

Slack's ``needed``/``provided`` (missing_scope), its warnings and its own explanation
(``response_metadata.messages``, as ``slack_messages``) are carried over when present.
The token is never part of it: no error message holds it.
"""

from __future__ import annotations

from typing import Any, Final

from ocp_users_photo.errors import (
    InvalidArguments,
    RateLimited,
    ReplySchemaError,
    SlackApiError,
    TokenNotUsable,
    TokenUnavailable,
    UsersPhotoError,
)
from ocp_users_photo.hints import REINSTALL_CODES
from ocp_users_photo.tokens import install_page
from ocp_users_photo.undo.errors import KeepingImpossible


def error_result(error: UsersPhotoError, *, install_url: str | None = None) -> dict[str, Any]:
    """The JSON object ``run`` returns for ``error``.

    ``install_url`` is the token source's install page, given when the token came from
    it: a Slack refusal that installing again mends (``REINSTALL_CODES``) then carries it.
    """
    message = error.model_message or error.message
    result: dict[str, Any] = {"ok": False, "error": error.code, "message": message}
    if isinstance(error, (InvalidArguments, ReplySchemaError)):
        result["problems"] = [problem.as_model_dict() for problem in error.problems]
    else:
        result["problems"] = []
    if isinstance(error, SlackApiError):
        if error.needed is not None:
            result["needed"] = error.needed
        if error.provided is not None:
            result["provided"] = error.provided
        if error.warnings:
            result["warnings"] = list(error.warnings)
        if error.slack_messages:
            result["slack_messages"] = list(error.slack_messages)
    if isinstance(error, RateLimited):
        result["retry_after"] = error.retry_after
    # Only a page that is a URI, as the output schema promises (tokens.install_page).
    if isinstance(error, TokenUnavailable):
        page = install_page(error.install_url)
        # A refresh refused for the app's own settings (its client id or secret), or one
        # Slack did not answer (an outage: try again later): installing again mends
        # neither, so the model is not given a link to send the person to.
        mended_elsewhere = getattr(error, "on_apps_side", False) or getattr(
            error, "no_answer", False
        )
        if page is not None and not mended_elsewhere:
            result["install_url"] = page
    elif (page := reinstall_page(error, install_url)) is not None:
        result["install_url"] = page
        message = str(result["message"])
        if isinstance(error, SlackApiError) and error.error in INSTALLATION_GONE:
            # The token came from this person's installation: "create a new user token and
            # set it" is a single-token host's remedy, and the method Slack named (often
            # auth.test, asked before the change) is not one the model called.
            unchanged = "" if error.may_have_taken_effect else ", so nothing was changed"
            message = (
                f"Slack refused the token of this person's installation of the app "
                f"({error.method}: {error.error}{error.slack_said}){unchanged}: they install "
                "the app again, then ask again"
            )
        result["message"] = with_install_page(message, page)
    return result


# Slack's refusals of a token an installation gave that only installing again mends.
INSTALLATION_GONE: Final = frozenset({"token_revoked", "invalid_auth"})


def with_install_page(message: str, page: str) -> str:
    """``message`` and then, as a sentence of its own, where to install the app again: the
    model's result and an agent's history say it alike."""
    said = message.rstrip()
    ended = said if said.endswith((".", "!", "?")) else f"{said}."
    return f"{ended} The app's install page: {page}"


def reinstall_page(error: UsersPhotoError, install_url: str | None) -> str | None:
    """``install_url`` (when it is a web URI) if installing the app again mends ``error``:
    Slack refused the token the source gave (``REINSTALL_CODES``), it lacks a scope a
    change needs, or the photo shown could not be kept for want of users.profile:read;
    else None."""
    page = install_page(install_url)
    if isinstance(error, TokenNotUsable) and error.reinstall:
        return page
    if isinstance(error, KeepingImpossible) and error.needs_read_scope:
        return page
    if page is None or not isinstance(error, SlackApiError) or error.error not in REINSTALL_CODES:
        return None
    return page
