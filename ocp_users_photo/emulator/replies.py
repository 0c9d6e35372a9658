"""Slack-shaped replies: ok:true JSON, and ok:false errors with their x-slack-failure header."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

from starlette.responses import Response

JSON_MEDIA_TYPE = "application/json; charset=utf-8"


class SlackFailure(Exception):
    """Raised by a handler to answer {"ok": false, "error": code, **extra}."""

    def __init__(
        self,
        error: str,
        *,
        status_code: int = 200,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status_code = status_code
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


def json_response(
    payload: Mapping[str, Any], *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status_code, headers=headers, media_type=JSON_MEDIA_TYPE)


def scope_headers(scopes: tuple[str, ...], accepted: str | None) -> dict[str, str]:
    """What Slack tells a known token on a method's reply, an error's too: its scopes
    (``x-oauth-scopes``) and the scope the method accepts (``x-accepted-oauth-scopes``,
    none for a method that needs none)."""
    headers = {"x-oauth-scopes": ",".join(scopes)}
    if accepted is not None:
        headers["x-accepted-oauth-scopes"] = accepted
    return headers


@contextlib.contextmanager
def naming_scopes(scopes: tuple[str, ...], accepted: str | None) -> Iterator[None]:
    """Around a method's work once its token is known: a refusal (bad_image, ratelimited,
    user_not_found) carries the scope headers, as a success does."""
    try:
        yield
    except SlackFailure as failure:
        for name, value in scope_headers(scopes, accepted).items():
            failure.headers.setdefault(name, value)
        raise


def slack_ok(
    payload: Mapping[str, Any] | None = None,
    *,
    scopes: tuple[str, ...] | None = None,
    accepted: str | None = None,
) -> Response:
    """``{"ok": true, **payload}``; ``scopes``, the token's, and ``accepted``, the method's,
    named in the headers as Slack does on every Web API reply to a token."""
    headers = None if scopes is None else scope_headers(scopes, accepted)
    return json_response({"ok": True, **(payload or {})}, headers=headers)


def slack_error(failure: SlackFailure) -> Response:
    # Slack echoes the code in x-slack-failure; HTTP stays 200 for API-level errors.
    headers = {"x-slack-failure": failure.error, **failure.headers}
    payload = {"ok": False, "error": failure.error, **failure.extra}
    return json_response(payload, status_code=failure.status_code, headers=headers)
