"""The emulator's own HTTP API under /_emulator/: faults, the request log, tokens, limits.

Not Slack's: it lets a test drive an emulator that runs in another process
(e.g. the CLI) the way the Python API drives one in the same process.

    GET    /_emulator/health               {"ok": true}
    GET    /_emulator/faults               pending faults
    POST   /_emulator/faults               {"kind": ..., params, "times"?: 1, "path"?: "*" | ...}
    DELETE /_emulator/faults               drop every pending fault
    GET    /_emulator/requests             the request log (?path=users.setPhoto, ?include_body=1)
    DELETE /_emulator/requests             empty the request log
    POST   /_emulator/tokens               {"token": ..., "user_id"?: ..., "scopes"?: "a,b" | [...]}
    POST   /_emulator/tokens/revoke        {"token": ...}
    POST   /_emulator/users                {"user_id": ..., "real_name"?, "display_name"?, ...}
    PUT    /_emulator/rate_limit           {"calls_per_minute": int | null}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ocp_users_photo.emulator.config import UserRecord
from ocp_users_photo.emulator.faults import SET_PHOTO_PATH, Fault
from ocp_users_photo.emulator.replies import json_response
from ocp_users_photo.emulator.state import EmulatorState


class ControlApi:
    """Handlers of the control endpoints, bound to one emulator's state."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    def routes(self) -> list[Route]:
        return [
            Route("/_emulator/health", self.health, methods=["GET"]),
            Route("/_emulator/faults", self.list_faults, methods=["GET"]),
            Route("/_emulator/faults", self.inject_fault, methods=["POST"]),
            Route("/_emulator/faults", self.clear_faults, methods=["DELETE"]),
            Route("/_emulator/requests", self.list_requests, methods=["GET"]),
            Route("/_emulator/requests", self.clear_requests, methods=["DELETE"]),
            Route("/_emulator/tokens", self.add_token, methods=["POST"]),
            Route("/_emulator/tokens/revoke", self.revoke_token, methods=["POST"]),
            Route("/_emulator/users", self.add_user, methods=["POST"]),
            Route("/_emulator/rate_limit", self.set_rate_limit, methods=["PUT"]),
        ]

    async def health(self, request: Request) -> Response:
        return json_response({"ok": True})

    async def list_faults(self, request: Request) -> Response:
        pending = [item.to_json() for item in self._state.faults.pending()]
        return json_response({"ok": True, "faults": pending})

    async def inject_fault(self, request: Request) -> Response:
        spec = await _json_object(request)
        if isinstance(spec, Response):
            return spec
        try:
            fault = Fault.from_json(spec)
            times = spec.get("times", 1)
            path = spec.get("path", SET_PHOTO_PATH)
            if not isinstance(times, int) or isinstance(times, bool) or not isinstance(path, str):
                raise ValueError("'times' must be an integer and 'path' a string")
            pending = self._state.faults.inject(fault, times=times, path=path)
        except ValueError as error:
            return _bad_request(str(error))
        return json_response({"ok": True, "fault": pending.to_json()})

    async def clear_faults(self, request: Request) -> Response:
        self._state.faults.clear()
        return json_response({"ok": True})

    async def list_requests(self, request: Request) -> Response:
        path = request.query_params.get("path")
        include_body = request.query_params.get("include_body", "") in ("1", "true", "yes")
        records = self._state.requests.for_path(path) if path else self._state.requests.all()
        listed = [record.to_json(include_body=include_body) for record in records]
        return json_response({"ok": True, "requests": listed})

    async def clear_requests(self, request: Request) -> Response:
        self._state.requests.clear()
        return json_response({"ok": True})

    async def add_token(self, request: Request) -> Response:
        spec = await _json_object(request)
        if isinstance(spec, Response):
            return spec
        token, user_id, scopes = spec.get("token"), spec.get("user_id"), spec.get("scopes")
        if not isinstance(token, str) or not token:
            return _bad_request("'token' must be a non-empty string")
        if user_id is not None and not isinstance(user_id, str):
            return _bad_request("'user_id' must be a string")
        if scopes is not None and not (
            isinstance(scopes, str)
            or (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes))
        ):
            return _bad_request("'scopes' must be a comma-separated string or a list of strings")
        grant = self._state.add_token(token, user_id=user_id, scopes=scopes)
        # The token itself is not echoed back: replies may end up in logs.
        return json_response(
            {"ok": True, "user_id": grant.user_id, "scopes": ",".join(grant.scopes)}
        )

    async def revoke_token(self, request: Request) -> Response:
        spec = await _json_object(request)
        if isinstance(spec, Response):
            return spec
        token = spec.get("token")
        if not isinstance(token, str) or not token:
            return _bad_request("'token' must be a non-empty string")
        self._state.revoke(token)
        return json_response({"ok": True})

    async def add_user(self, request: Request) -> Response:
        spec = await _json_object(request)
        if isinstance(spec, Response):
            return spec
        try:
            record = UserRecord.from_json(spec)
        except ValueError as error:
            return _bad_request(str(error))
        self._state.add_user(record)
        return json_response({"ok": True, "user_id": record.user_id})

    async def set_rate_limit(self, request: Request) -> Response:
        spec = await _json_object(request)
        if isinstance(spec, Response):
            return spec
        limit = spec.get("calls_per_minute")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)):
            return _bad_request("'calls_per_minute' must be an integer or null")
        try:
            self._state.set_rate_limit(limit)
        except ValueError as error:
            return _bad_request(str(error))
        return json_response({"ok": True, "calls_per_minute": limit})


async def _json_object(request: Request) -> Mapping[str, Any] | Response:
    try:
        document = json.loads(await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _bad_request("the body must be JSON")
    if not isinstance(document, dict):
        return _bad_request("the body must be a JSON object")
    return document


def _bad_request(message: str) -> Response:
    return json_response({"ok": False, "error": "bad_request", "detail": message}, status_code=400)
