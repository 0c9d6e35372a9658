"""Reads Slack's answer: JSON or not, ok or not, and checks an ok answer against the schema.

How replies the seed's schema does not foresee are treated (a decision, tested):

- ``warning`` and ``response_metadata`` are Slack's envelope, allowed on any reply.
  They are kept in the returned dict (the caller may want the warnings), logged
  at WARNING, and set aside before the schema check, which then applies strictly.
- A bare ``{"ok": true}`` is a success: Slack's own spec gives it as the typical
  success reply. Refusing it would turn a photo that was set into an error an
  agent would retry. Any other ok reply must match the schema exactly.
- An HTTP 5xx is a ``TransportError`` even when it carries a Slack error code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Final, Literal

from ocp_users_photo.errors import (
    Problem,
    RateLimited,
    ReplySchemaError,
    SlackApiError,
    TransportError,
)
from ocp_users_photo.hints import hint_for
from ocp_users_photo.spec import response_check, response_validator
from ocp_users_photo.transport import HttpReply, retry_after_seconds

logger = logging.getLogger("ocp_users_photo")

ReplyCheck = Literal["strict", "warn", "off"]
ENVELOPE_FIELDS: Final = ("warning", "response_metadata")
_EXCERPT_CHARS: Final = 120
_NOT_JSON: Final = object()


def interpret_reply(
    reply: HttpReply, *, reply_check: ReplyCheck, redact: Callable[[Any], Any]
) -> dict[str, Any]:
    """The checked success reply, or the error that says what went wrong.

    ``redact`` removes the token from anything taken from the reply, in case the
    server echoes it.
    """
    status = reply.status_code
    if status == 429:
        raise _rate_limited(reply, _json_object_or_none(reply, redact) or {})
    if status >= 500:
        slack_error = (_json_object_or_none(reply, redact) or {}).get("error")
        code = f" ({slack_error})" if isinstance(slack_error, str) else ""
        raise TransportError(
            f"Slack answered HTTP {status}{code} after {reply.attempts} attempts: try again later",
            status_code=status,
        )
    body = _json_object(reply, redact)
    ok = body.get("ok")
    if ok is False:
        return _raise_slack_error(reply, body)
    if not 200 <= status < 300:
        raise TransportError(
            f"Slack answered HTTP {status} without a Slack error code: check base_url",
            status_code=status,
        )
    if ok is not True:
        raise ReplySchemaError(
            [Problem("$.ok", "the reply has no boolean 'ok' field, so it is not a Slack reply")],
            body,
        )
    _log_warnings(body)
    if reply_check != "off":
        problems = reply_problems(body)
        if problems and reply_check == "strict":
            raise ReplySchemaError(problems, body)
        for problem in problems:
            logger.warning("users.setPhoto reply does not match the schema: %s", problem)
    return body


def reply_problems(body: dict[str, Any]) -> list[Problem]:
    """Where an ok reply breaks the response schema (envelope set aside; bare ok accepted)."""
    if ENVELOPE_FIELDS[0] in body or ENVELOPE_FIELDS[1] in body:
        checked = {key: value for key, value in body.items() if key not in ENVELOPE_FIELDS}
    else:
        checked = body
    envelope = _envelope_problems(body)
    failure = None if checked == {"ok": True} else response_check()(checked)
    if failure is None:
        return envelope  # the common case: one compiled check, nothing to explain
    problems = [
        Problem(error.json_path, error.message)
        for error in response_validator().iter_errors(checked)
    ]
    if not problems:
        # Only the compiled check's stricter pattern rule caught it (see spec.py).
        problems = [Problem(*failure)]
    problems.extend(envelope)
    return problems


def _envelope_problems(body: dict[str, Any]) -> list[Problem]:
    found: list[Problem] = []
    if "warning" in body and not isinstance(body["warning"], str):
        found.append(Problem("$.warning", "Slack's warning must be text"))
    metadata = body.get("response_metadata")
    if "response_metadata" in body and not isinstance(metadata, dict):
        found.append(Problem("$.response_metadata", "response_metadata must be an object"))
    return found


def _raise_slack_error(reply: HttpReply, body: dict[str, Any]) -> dict[str, Any]:
    raw_code = body.get("error")
    code = raw_code if isinstance(raw_code, str) and raw_code else "unknown_error"
    if code == "ratelimited":
        raise _rate_limited(reply, body)
    raise SlackApiError(code, hint=hint_for(code), reply=body, status_code=reply.status_code)


def _rate_limited(reply: HttpReply, body: dict[str, Any]) -> RateLimited:
    wait = retry_after_seconds(reply.headers)
    retry_after = wait if wait is not None else 60.0
    return RateLimited(
        retry_after,
        hint=f"{hint_for('ratelimited')} (Slack asks for {retry_after:g} s)",
        reply=body or {"ok": False, "error": "ratelimited"},
        status_code=reply.status_code,
    )


def _json_object(reply: HttpReply, redact: Callable[[Any], Any]) -> dict[str, Any]:
    if not reply.body.strip():
        raise TransportError(
            f"Slack answered HTTP {reply.status_code} with an empty body, not JSON",
            status_code=reply.status_code,
        )
    parsed = _parse_json(reply.body)
    if parsed is _NOT_JSON:
        # Raised outside the except block: the decoder's error holds the whole body, which
        # must not stay reachable as this error's __context__.
        raise TransportError(
            f"Slack answered HTTP {reply.status_code} with a body that is not JSON "
            f"({_content_type(reply)}): {_excerpt(reply.body, redact)}",
            status_code=reply.status_code,
        )
    if not isinstance(parsed, dict):
        raise TransportError(
            f"Slack answered HTTP {reply.status_code} with JSON that is not an object "
            f"({type(parsed).__name__}): {_excerpt(reply.body, redact)}",
            status_code=reply.status_code,
        )
    cleaned: dict[str, Any] = redact(parsed)
    return cleaned


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _json_object_or_none(reply: HttpReply, redact: Callable[[Any], Any]) -> dict[str, Any] | None:
    try:
        return _json_object(reply, redact)
    except TransportError:
        return None


def _content_type(reply: HttpReply) -> str:
    content_type: str = reply.headers.get("content-type", "no content type")
    return content_type[:60]


def _excerpt(body: bytes, redact: Callable[[Any], Any]) -> str:
    # Redact before shortening, so a token cut in half by the excerpt cannot slip through.
    text = str(redact(body.decode("utf-8", errors="replace")))
    text = " ".join(text[: _EXCERPT_CHARS * 4].split())
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return repr(text[:_EXCERPT_CHARS] + ("..." if len(text) > _EXCERPT_CHARS else ""))


def _log_warnings(body: dict[str, Any]) -> None:
    warning = body.get("warning")
    metadata = body.get("response_metadata")
    listed = metadata.get("warnings") if isinstance(metadata, dict) else None
    if warning or listed:
        logger.warning("Slack warns about users.setPhoto: %s %s", warning or "", listed or "")
