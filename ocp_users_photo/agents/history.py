"""The agent's context history, told about each call without the token or the image bytes.

ocp-agent sends its whole context, history included, with every later request
(the ``OCP-Session`` header), so what is recorded here travels: arguments are
summarised (``safe_view``), the image is described (format, size, bytes, a short
fingerprint: images/upload.py), and the token is never recorded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Final

from ocp_users_photo.credentials import quotable
from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome
from ocp_users_photo.web_image import looks_like_web_url, redact_url

_PLAIN_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


class HistoryObserver(CallObserver):
    """Records a call in an agent's ``context.history`` the way ocp-agent records its own."""

    def __init__(self, agent: Any) -> None:
        add_interaction = getattr(getattr(agent, "context", None), "add_interaction", None)
        self._add = add_interaction if callable(add_interaction) else None

    def _record(self, action: str, endpoint: str, result: str, metadata: dict[str, Any]) -> None:
        if self._add is not None:
            self._add(action=action, api_endpoint=endpoint, result=result, metadata=metadata)

    async def call_started(self, call: CallInfo) -> None:
        self._record(
            f"tool_call:{call.tool_name}",
            call.endpoint,
            "executing",
            {
                "tool_name": call.tool_name,
                "method": call.method,
                "parameters": safe_view(call.arguments),
            },
        )

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        error = outcome.error
        if error is not None:
            self._record(
                f"tool_error:{call.tool_name}",
                call.endpoint,
                f"Error: {error.code}",
                {
                    "error_type": type(error).__name__,
                    "error_code": error.code,
                    "error_message": error.message,
                },
            )
            return
        reply = outcome.reply or {}
        profile = reply.get("profile")
        self._record(
            f"tool_response:{call.tool_name}",
            call.endpoint,
            "ok",
            {
                "success": True,
                "image": dict(outcome.image),
                "avatar_hash": profile.get("avatar_hash") if isinstance(profile, dict) else None,
            },
        )


def safe_view(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments as history may keep them: no token, no image bytes, no long strings."""
    if not isinstance(arguments, Mapping):
        return {"arguments": f"<{type(arguments).__name__}>"}
    view: dict[str, Any] = {}
    for index, (name, value) in enumerate(list(arguments.items())[:20]):
        key = _shown_name(name, index)
        if key == "token":
            view[key] = "[redacted]"
        elif key == "image":
            view[key] = _image_kind(value)
        elif quotable(value):
            view[key] = value
        else:
            view[key] = f"<{type(value).__name__}>"
    return view


def _shown_name(name: object, index: int) -> str:
    """An argument's name as history may keep it: a short identifier that is no credential.

    A model may put anything in a name, a token included; such names become placeholders.
    """
    if (
        isinstance(name, str)
        and _PLAIN_NAME.fullmatch(name)
        and not name.lower().startswith(("xox", "xapp"))
    ):
        return name
    return f"<argument {index + 1}>"


def _image_kind(value: object) -> str:
    """What kind of image argument was given, without its content."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, os.PathLike):
        return f"<path {os.path.basename(os.fsdecode(value))[:60]}>"
    if isinstance(value, str):
        stripped = value.strip()
        if looks_like_web_url(stripped[:4096]):
            # The host and the file's name only: query strings often carry signatures.
            return f"<url {redact_url(stripped[:4096])[:120]}>"
        if stripped[:5].lower() == "data:":
            return f"<data: URI, {len(value)} characters>"
        if len(value) <= 4096 and ("/" in value or "." in value[-6:]):
            return f"<path {os.path.basename(value)[:60]}>"
        return f"<text, {len(value)} characters>"
    return f"<{type(value).__name__}>"
