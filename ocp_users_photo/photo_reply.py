"""Checks users.setPhoto's ok reply against the seed's response schema.

How replies the seed's schema does not foresee are treated (a decision, tested):

- ``warning`` and ``response_metadata`` are Slack's envelope, allowed on any reply.
  They are kept in the returned dict (the caller may want the warnings), bounded
  (``warning`` 200 printable characters, as the README's Security section and the log
  say; ``response_metadata`` its first 10 warnings and nothing else), logged at WARNING,
  and set aside before the schema check, which then applies strictly.
- A bare ``{"ok": true}`` is a success: Slack's own spec gives it as the typical
  success reply. Refusing it would turn a photo that was set into an error an
  agent would retry. Any other ok reply must match the schema exactly.
- ``warn`` and ``off`` accept an ok reply that does not match, but what they return is
  still what the schema allows to go on to a model or a terminal: ``ok``, the
  ``profile``'s own fields as bounded, printable text (tokens masked), the envelope
  bounded; any other field is left out (and named in the log).

Errors, HTTP statuses and bodies that are not JSON are the Slack core's business
(``slack/replies.py``); this module sees only replies Slack called ``ok``.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Final, Literal

from ocp_users_photo.errors import MAX_FIELD_CHARS, Problem, ReplySchemaError
from ocp_users_photo.safe_text import shown
from ocp_users_photo.spec import (
    load_manifest,
    response_check,
    response_check_built,
    response_validator,
)
from ocp_users_photo.worker_threads import in_worker_thread

logger = logging.getLogger("ocp_users_photo")

ReplyCheck = Literal["strict", "warn", "off"]
ENVELOPE_FIELDS: Final = ("warning", "response_metadata")
# Slack's text handed on is cut where the log and an error cut it (the README's bound).
MAX_WARNING_CHARS: Final = MAX_FIELD_CHARS
MAX_WARNINGS: Final = 10
# The longest profile text a reply that is not checked (warn, off) hands on: an image URL.
MAX_PROFILE_TEXT_CHARS: Final = 2048


async def check_photo_reply_off_loop(
    body: dict[str, Any], *, reply_check: ReplyCheck
) -> dict[str, Any]:
    """``check_photo_reply`` from async code: validators are built (and a failure explained)
    in a worker thread, since building them reads files and a failure's explanation walks
    the schema; a valid reply takes the compiled check on the loop (microseconds)."""
    if reply_check == "off":
        _log_warnings(body)
        return schema_shaped(body)
    if not response_check_built():
        await in_worker_thread(response_check)
    if not _envelope_problems(body) and _compiled_failure(body) is None:
        _log_warnings(body)
        return bounded_envelope(body)
    return await in_worker_thread(
        functools.partial(check_photo_reply, body, reply_check=reply_check)
    )


def check_photo_reply(body: dict[str, Any], *, reply_check: ReplyCheck) -> dict[str, Any]:
    """The ok reply, once checked as ``reply_check`` says; ``ReplySchemaError`` when strict."""
    _log_warnings(body)
    if reply_check == "off":
        return schema_shaped(body)
    problems = reply_problems(body)
    if not problems:
        return bounded_envelope(body)
    if reply_check == "strict":
        raise ReplySchemaError(problems, body)
    for problem in problems:
        logger.warning("users.setPhoto reply does not match the schema: %s", shown(str(problem)))
    return schema_shaped(body)


def schema_shaped(body: dict[str, Any]) -> dict[str, Any]:
    """An ok reply that was not checked (or did not match), cut to what the schema lets go
    on: ``ok``, the profile's own fields as bounded printable text, the envelope bounded.

    The reply goes to a model or a terminal: a field the schema does not know, or a value
    of any length, would pass a server's text on unbounded.
    """
    shaped: dict[str, Any] = {"ok": True}
    left_out = [shown(str(key), 40) for key in body if key not in ("ok", "profile")]
    profile = body.get("profile")
    if isinstance(profile, dict):
        known = _profile_fields()
        shaped["profile"] = {
            key: _bounded_text(value, MAX_PROFILE_TEXT_CHARS)
            for key, value in profile.items()
            if key in known and isinstance(value, str)
        }
        left_out += [f"profile.{shown(str(key), 40)}" for key in profile if key not in known]
    elif "profile" in body:
        left_out.append("profile")
    left_out = [name for name in left_out if name not in ENVELOPE_FIELDS]
    if left_out:
        logger.warning(
            "users.setPhoto reply: left out what the schema does not know: %s",
            ", ".join(left_out[:10]) + (" ..." if len(left_out) > 10 else ""),
        )
    for field in ENVELOPE_FIELDS:
        if field in body:
            shaped[field] = body[field]
    return bounded_envelope(shaped)


@functools.cache
def _profile_fields() -> frozenset[str]:
    """The profile's fields the response schema names (avatar_hash, image_24, ...)."""
    properties = load_manifest()["response_schema"]["properties"]["profile"]["properties"]
    return frozenset(properties)


def bounded_envelope(body: dict[str, Any]) -> dict[str, Any]:
    """The reply with Slack's envelope made safe to hand on: ``warning`` as bounded printable
    text, ``response_metadata`` as at most MAX_WARNINGS such warnings and nothing else. The
    schema leaves both open, and the reply goes to a model or a terminal as it is."""
    if ENVELOPE_FIELDS[0] not in body and ENVELOPE_FIELDS[1] not in body:
        return body
    bounded = dict(body)
    if "warning" in body:
        bounded["warning"] = _bounded_text(body["warning"], MAX_WARNING_CHARS)
    if "response_metadata" in body:
        metadata = body["response_metadata"]
        listed = metadata.get("warnings") if isinstance(metadata, dict) else None
        bounded["response_metadata"] = (
            {"warnings": [_bounded_text(item, 120) for item in listed[:MAX_WARNINGS]]}
            if isinstance(listed, list)
            else {}
        )
    return bounded


def _bounded_text(value: object, limit: int) -> str:
    text = value if isinstance(value, str) else repr(value)[: limit * 4]
    return shown(text, limit)


def _without_envelope(body: dict[str, Any]) -> dict[str, Any]:
    if ENVELOPE_FIELDS[0] in body or ENVELOPE_FIELDS[1] in body:
        return {key: value for key, value in body.items() if key not in ENVELOPE_FIELDS}
    return body


def _compiled_failure(body: dict[str, Any]) -> tuple[str, str] | None:
    """The compiled check's verdict on the reply without its envelope; a bare ok passes."""
    checked = _without_envelope(body)
    return None if checked == {"ok": True} else response_check()(checked)


def reply_problems(body: dict[str, Any]) -> list[Problem]:
    """Where an ok reply breaks the response schema (envelope set aside; bare ok accepted)."""
    checked = _without_envelope(body)
    envelope = _envelope_problems(body)
    failure = _compiled_failure(body)
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


def _log_warnings(body: dict[str, Any]) -> None:
    warning = body.get("warning")
    metadata = body.get("response_metadata")
    listed = metadata.get("warnings") if isinstance(metadata, dict) else None
    if warning or listed:
        logger.warning(
            "Slack warns about users.setPhoto: %s %s",
            shown(str(warning or "")),
            shown(str(listed or "")),
        )
