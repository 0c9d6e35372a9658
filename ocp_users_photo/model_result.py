"""What ``run()`` returns for a failure: Slack's error reply, extended for a model to act on.

    {"ok": false, "error": <code>, "message": <what to do>,
     "problems": [{"path": ..., "message": ...}], "retry_after": <seconds, when rate limited>,
     "install_url": <where the person installs the app, when the host's token source has none>}

Slack's ``needed``/``provided`` (missing_scope) and its warnings are carried over
when present. The token is never part of it: no error message holds it.
"""

from __future__ import annotations

from typing import Any

from ocp_users_photo.errors import (
    InvalidArguments,
    RateLimited,
    ReplySchemaError,
    SlackApiError,
    TokenUnavailable,
    UsersPhotoError,
)


def error_result(error: UsersPhotoError) -> dict[str, Any]:
    """The JSON object ``run`` returns for ``error``."""
    result: dict[str, Any] = {"ok": False, "error": error.code, "message": error.message}
    if isinstance(error, (InvalidArguments, ReplySchemaError)):
        result["problems"] = [problem.as_dict() for problem in error.problems]
    else:
        result["problems"] = []
    if isinstance(error, SlackApiError):
        if error.needed is not None:
            result["needed"] = error.needed
        if error.provided is not None:
            result["provided"] = error.provided
        if error.warnings:
            result["warnings"] = list(error.warnings)
    if isinstance(error, RateLimited):
        result["retry_after"] = error.retry_after
    if isinstance(error, TokenUnavailable) and error.install_url is not None:
        result["install_url"] = error.install_url
    return result
