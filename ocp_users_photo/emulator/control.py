"""The emulator's own HTTP API under /_emulator/: the index, faults and the request log.

Not Slack's: it lets a test drive an emulator that runs in another process (e.g.
the CLI) the way the Python API drives one in the same process. GET /_emulator/
lists every endpoint with one line each; control_accounts.py adds the endpoints
for tokens, users, the rate limit, the clock and OAuth.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ocp_users_photo.emulator.control_accounts import AccountControls
from ocp_users_photo.emulator.control_http import (
    CONTROL_ROOT,
    BadControlRequest,
    Endpoint,
    answering_bad_requests,
    json_object,
)
from ocp_users_photo.emulator.fault_specs import fault_from_json
from ocp_users_photo.emulator.faults import SET_PHOTO_PATH
from ocp_users_photo.emulator.replies import json_response
from ocp_users_photo.emulator.state import EmulatorState

_YES = ("1", "true", "yes")


class ControlApi:
    """Handlers of the control endpoints, bound to one emulator's state."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state
        root = CONTROL_ROOT
        self._endpoints = [
            Endpoint("GET", root + "/", self.index, "this list of control endpoints"),
            Endpoint("GET", root + "/health", self.health, '{"ok": true} once serving'),
            Endpoint("GET", root + "/faults", self.list_faults, "the faults still pending"),
            Endpoint(
                "POST",
                root + "/faults",
                self.inject_fault,
                'inject one: {"kind": ..., its parameters, "times"?: 1, '
                '"path"?: "users.setPhoto" | "*" | "/avatars/..."}',
            ),
            Endpoint("DELETE", root + "/faults", self.clear_faults, "drop every pending fault"),
            Endpoint(
                "GET",
                root + "/requests",
                self.list_requests,
                "the request log, credentials redacted (?path=users.setPhoto, ?include_body=1)",
            ),
            Endpoint("DELETE", root + "/requests", self.clear_requests, "empty the request log"),
            *AccountControls(state).endpoints(),
        ]

    def routes(self) -> list[Route]:
        return [
            Route(
                endpoint.path, answering_bad_requests(endpoint.handler), methods=[endpoint.method]
            )
            for endpoint in self._endpoints
        ]

    async def index(self, request: Request) -> Response:
        listed = [
            {"method": endpoint.method, "path": endpoint.path, "summary": endpoint.summary}
            for endpoint in self._endpoints
        ]
        return json_response({"ok": True, "endpoints": listed})

    async def health(self, request: Request) -> Response:
        return json_response({"ok": True})

    async def list_faults(self, request: Request) -> Response:
        pending = [item.to_json() for item in self._state.faults.pending()]
        return json_response({"ok": True, "faults": pending})

    async def inject_fault(self, request: Request) -> Response:
        spec = await json_object(request)
        fault = fault_from_json(spec)
        times = spec.get("times", 1)
        path = spec.get("path", SET_PHOTO_PATH)
        if not isinstance(times, int) or isinstance(times, bool) or not isinstance(path, str):
            raise BadControlRequest("'times' must be an integer and 'path' a string")
        pending = self._state.faults.inject(fault, times=times, path=path)
        return json_response({"ok": True, "fault": pending.to_json()})

    async def clear_faults(self, request: Request) -> Response:
        self._state.faults.clear()
        return json_response({"ok": True})

    async def list_requests(self, request: Request) -> Response:
        path = request.query_params.get("path")
        include_body = request.query_params.get("include_body", "") in _YES
        reveal = self._state.config.reveal_secrets_in_control_api
        records = self._state.requests.for_path(path) if path else self._state.requests.all()
        listed = [
            record.to_json(include_body=include_body, reveal_secrets=reveal) for record in records
        ]
        return json_response({"ok": True, "requests": listed})

    async def clear_requests(self, request: Request) -> Response:
        self._state.requests.clear()
        return json_response({"ok": True})
