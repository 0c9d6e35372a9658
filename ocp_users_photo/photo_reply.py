"""Checks users.setPhoto's ok reply against the seed's response schema.

How replies the seed's schema does not foresee are treated (a decision, tested):

- ``warning`` and ``response_metadata`` are Slack's envelope, allowed on any reply.
  They are kept in the returned dict (the caller may want the warnings), logged
  at WARNING, and set aside before the schema check, which then applies strictly.
- A bare ``{"ok": true}`` is a success: Slack's own spec gives it as the typical
  success reply. Refusing it would turn a photo that was set into an error an
  agent would retry. Any other ok reply must match the schema exactly.

Errors, HTTP statuses and bodies that are not JSON are the Slack core's business
(``slack/replies.py``); this module sees only replies Slack called ``ok``.
"""

from __future__ import annotations

import logging
from typing import Any, Final, Literal

from ocp_users_photo.errors import Problem, ReplySchemaError
from ocp_users_photo.spec import response_check, response_validator

logger = logging.getLogger("ocp_users_photo")

ReplyCheck = Literal["strict", "warn", "off"]
ENVELOPE_FIELDS: Final = ("warning", "response_metadata")


def check_photo_reply(body: dict[str, Any], *, reply_check: ReplyCheck) -> dict[str, Any]:
    """The ok reply, once checked as ``reply_check`` says; ``ReplySchemaError`` when strict."""
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


def _log_warnings(body: dict[str, Any]) -> None:
    warning = body.get("warning")
    metadata = body.get("response_metadata")
    listed = metadata.get("warnings") if isinstance(metadata, dict) else None
    if warning or listed:
        logger.warning("Slack warns about users.setPhoto: %s %s", warning or "", listed or "")
