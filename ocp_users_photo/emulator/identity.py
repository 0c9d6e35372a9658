"""auth.test: whose token this is, in which workspace, with which scopes (x-oauth-scopes)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ocp_users_photo.emulator.auth import authenticate, request_token
from ocp_users_photo.emulator.config import bot_id_for_user
from ocp_users_photo.emulator.methods import incoming_of
from ocp_users_photo.emulator.profiles import public_root
from ocp_users_photo.emulator.replies import slack_ok
from ocp_users_photo.emulator.state import EmulatorState


class IdentityMethods:
    """auth.test, bound to the emulator's state."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    async def auth_test(self, request: Request) -> Response:
        incoming = incoming_of(request)
        token = request_token(request.headers, incoming, query_allowed=True)
        # Any valid token, of any kind, may ask who it is: no scope is needed.
        grant = authenticate(self._state.tokens, token, needed_scope=None, bots_allowed=True)
        config = self._state.config
        person = self._state.directory.ensure(grant.user_id)
        reply: dict[str, Any] = {
            "url": public_root(request) + "/",
            "team": config.team_name,
            "user": person.record.display_name or grant.user_id.lower(),
            "team_id": config.team_id,
            "user_id": grant.user_id,
        }
        if grant.is_bot or grant.bot_id is not None:
            reply["bot_id"] = grant.bot_id or bot_id_for_user(grant.user_id)
        if config.enterprise_id is not None:
            reply["enterprise_id"] = config.enterprise_id
            reply["is_enterprise_install"] = False
        expires_in = self._state.tokens.expires_in(grant)
        if expires_in is not None:
            reply["expires_in"] = expires_in
        return slack_ok(reply, scopes=grant.scopes)
