"""The agent's context history, told about each call without the token or the image bytes.

ocp-agent sends its whole context, history included, with every later request
(the ``OCP-Session`` header), so what is recorded here travels: arguments come
summarised (``safe_view``, applied before any observer sees them), the image is
described (format, size, bytes, a short fingerprint: images/upload.py), and the token
is never recorded.
"""

from __future__ import annotations

import re
from typing import Any, Final

from ocp_users_photo.argument_view import safe_view
from ocp_users_photo.errors import UsersPhotoError
from ocp_users_photo.model_result import error_result, with_install_page
from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome
from ocp_users_photo.tokens import TokenSource, install_page_of

__all__ = ["HistoryObserver", "safe_view"]

# The start of an absolute path in a message: /..., ~/..., C:\... (a looked-for path, the
# image roots). The history travels to every API the agent calls: no folder of the host.
_HOST_PATH: Final = re.compile(r"(?<![\w.:/])(?:~?/[\w.~-]|[A-Za-z]:\\)")
_PATH_LEFT_OUT: Final = "(left out of the history: it names a folder of this machine)"
_ABANDONED_BEFORE: Final = (
    "the call ended without an answer (cancelled, or an unexpected error) before its change "
    "was sent: nothing changed"
)
_ABANDONED_SENDING: Final = (
    "the call ended without an answer (cancelled, or an unexpected error) once its change "
    "was on its way to Slack: whether the photo changed is unknown; look at the Slack profile"
)


class HistoryObserver(CallObserver):
    """Records a call in an agent's ``context.history`` the way ocp-agent records its own.

    ``install_from``: the token source, when the call's token came from it: its install page
    (looked up only for an error, off the path of every call) is named in the history.
    An error that installing the app again mends names it, as ``run()``'s error object
    does (model_result.py): the history is what the agent's model reads of a failure.
    """

    def __init__(self, agent: Any, *, install_from: TokenSource | None = None) -> None:
        add_interaction = getattr(getattr(agent, "context", None), "add_interaction", None)
        self._add = add_interaction if callable(add_interaction) else None
        self._install_from = install_from
        self._sending: set[int] = set()  # id() of the calls whose change went to Slack
        self.calls_started = 0  # how many calls this observer was told of

    def _record(self, action: str, endpoint: str, result: str, metadata: dict[str, Any]) -> None:
        if self._add is not None:
            self._add(action=action, api_endpoint=endpoint, result=result, metadata=metadata)

    async def call_started(self, call: CallInfo) -> None:
        self.calls_started += 1
        self._record(
            f"tool_call:{call.tool_name}",
            call.endpoint,
            "executing",
            {
                "tool_name": call.tool_name,
                "method": call.method,
                "parameters": dict(call.arguments),  # already a safe view (observers.py)
            },
        )

    def change_sending(self, call: CallInfo) -> None:
        self._sending.add(id(call))

    def call_abandoned(self, call: CallInfo) -> None:
        """A call cancelled (or ended by an unexpected error): its "executing" entry gets
        an end too, saying whether the photo may have changed."""
        sending = id(call) in self._sending
        self._sending.discard(id(call))
        self._record(
            f"tool_error:{call.tool_name}",
            call.endpoint,
            "Error: abandoned",
            {
                "error_type": "abandoned",
                "error_code": "abandoned",
                "error_message": _ABANDONED_SENDING if sending else _ABANDONED_BEFORE,
            },
        )

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        self._sending.discard(id(call))
        error = outcome.error
        if error is not None:
            source = self._install_from
            told = error_result(
                error, install_url=None if source is None else install_page_of(source)
            )
            metadata = {
                "error_type": type(error).__name__,
                "error_code": error.code,
                # What a model reads of it (the door's words where they differ from a caller's).
                "error_message": _without_host_paths(error.model_message or error.message),
            }
            page = told.get("install_url")
            if isinstance(page, str):
                metadata["install_url"] = page
                if page not in metadata["error_message"]:  # NotInstalled's names it already
                    metadata["error_message"] = with_install_page(metadata["error_message"], page)
            self._record(
                f"tool_error:{call.tool_name}", call.endpoint, f"Error: {error.code}", metadata
            )
            return
        reply = outcome.reply or {}
        profile = reply.get("profile")
        answered: dict[str, Any] = {"success": True, "image": dict(outcome.image)}
        avatar_hash = profile.get("avatar_hash") if isinstance(profile, dict) else None
        # Slack's bare {"ok": true} (setPhoto's documented typical reply, deletePhoto's only
        # one) names no photo: none is recorded. A model read {"avatar_hash": null} beside
        # "success" as a photo with no hash: none set, or the default avatar.
        if isinstance(avatar_hash, str):
            answered["avatar_hash"] = avatar_hash
        self._record(f"tool_response:{call.tool_name}", call.endpoint, "ok", answered)

    async def call_untold(self, call: CallInfo, *, error: UsersPhotoError | None) -> None:
        """A call no change of which was told to observers (usersRestorePhoto's list, or a
        refusal before anything was sent), recorded as a told call is: its start, then
        its error or a success that names no photo."""
        await self.call_started(call)
        if error is not None:
            await self.call_ended(call, CallOutcome(image={}, error=error))
            return
        self._record(f"tool_response:{call.tool_name}", call.endpoint, "ok", {"success": True})


def _without_host_paths(message: str) -> str:
    """``message``, or a note in its place when it names a folder of this machine."""
    return _PATH_LEFT_OUT if _HOST_PATH.search(message) else message
