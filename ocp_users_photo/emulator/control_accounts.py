"""Control endpoints for who may call: tokens, users, the rate limit, the clock and OAuth;
and the shape of users.setPhoto's success reply."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ocp_users_photo.emulator.config import UserRecord, check_set_photo_reply
from ocp_users_photo.emulator.control_http import (
    CONTROL_ROOT,
    BadControlRequest,
    Endpoint,
    json_object,
    optional_int,
    optional_number,
    optional_text,
    required_text,
)
from ocp_users_photo.emulator.replies import json_response
from ocp_users_photo.emulator.state import EmulatorState


class AccountControls:
    """Handlers for tokens, users, rate limit, clock and OAuth, bound to one emulator's state."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    def endpoints(self) -> list[Endpoint]:
        root = CONTROL_ROOT
        return [
            Endpoint(
                "POST",
                root + "/tokens",
                self.add_token,
                'accept a token: {"token", "user_id"?, "scopes"?: "a,b" | [...], "expires_in"?}',
            ),
            Endpoint(
                "POST", root + "/tokens/revoke", self.revoke_token, 'token_revoked: {"token"}'
            ),
            Endpoint(
                "POST", root + "/tokens/expire", self.expire_token, 'token_expired now: {"token"}'
            ),
            Endpoint(
                "POST",
                root + "/users",
                self.add_user,
                'add a person: {"user_id", "real_name"?, "display_name"?, "title"?, "email"?}',
            ),
            Endpoint(
                "PUT",
                root + "/rate_limit",
                self.set_rate_limit,
                'users.setPhoto/deletePhoto calls a minute per app: {"calls_per_minute": n|null}',
            ),
            Endpoint(
                "PUT",
                root + "/set_photo_reply",
                self.set_photo_reply,
                'how users.setPhoto answers a success: {"reply": "profile" | "bare"}',
            ),
            Endpoint("GET", root + "/clock", self.show_clock, "the emulator's time and offset"),
            Endpoint(
                "POST",
                root + "/clock",
                self.advance_clock,
                'move the clock forward, so tokens and codes expire: {"advance_seconds"}',
            ),
            Endpoint(
                "PUT",
                root + "/oauth/settings",
                self.oauth_settings,
                'for tokens issued next: {"client_id"?, "token_rotation"?, '
                '"access_token_seconds"?, "code_seconds"?}',
            ),
            Endpoint(
                "POST",
                root + "/oauth/revoke",
                self.oauth_revoke,
                'revoke {"refresh_token"}, or the user tokens of the person of {"token"} or '
                '{"user_id", "client_id"?} (the bot token stays)',
            ),
        ]

    async def add_token(self, request: Request) -> Response:
        spec = await json_object(request)
        token = required_text(spec, "token")
        user_id = spec.get("user_id")
        if user_id is not None and not isinstance(user_id, str):
            raise BadControlRequest("'user_id' must be a string")
        scopes = spec.get("scopes")
        if scopes is not None and not (
            isinstance(scopes, str)
            or (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes))
        ):
            raise BadControlRequest(
                "'scopes' must be a comma-separated string or a list of strings"
            )
        expires_in = optional_number(spec, "expires_in")
        grant = self._state.add_token(token, user_id=user_id, scopes=scopes, expires_in=expires_in)
        # The token itself is not echoed back: replies may end up in logs.
        reply: dict[str, Any] = {
            "ok": True,
            "user_id": grant.user_id,
            "scopes": ",".join(grant.scopes),
        }
        if expires_in is not None:
            reply["expires_at"] = grant.expires_at
        return json_response(reply)

    async def revoke_token(self, request: Request) -> Response:
        self._state.revoke(required_text(await json_object(request), "token"))
        return json_response({"ok": True})

    async def expire_token(self, request: Request) -> Response:
        try:
            self._state.expire(required_text(await json_object(request), "token"))
        except LookupError as error:
            raise BadControlRequest(f"{error}: only a valid token can expire") from error
        return json_response({"ok": True})

    async def add_user(self, request: Request) -> Response:
        record = UserRecord.from_json(await json_object(request))
        self._state.add_user(record)
        return json_response({"ok": True, "user_id": record.user_id})

    async def set_rate_limit(self, request: Request) -> Response:
        spec = await json_object(request)
        limit = optional_int(spec, "calls_per_minute")
        self._state.set_rate_limit(limit)
        return json_response({"ok": True, "calls_per_minute": limit})

    async def set_photo_reply(self, request: Request) -> Response:
        spec = await json_object(request)
        try:
            reply = check_set_photo_reply(spec.get("reply"))
        except ValueError as refused:
            raise BadControlRequest(f"'reply': {refused}") from None
        self._state.use_set_photo_reply(reply)
        return json_response({"ok": True, "reply": reply})

    async def show_clock(self, request: Request) -> Response:
        clock = self._state.clock
        return json_response(
            {"ok": True, "now": clock.now(), "offset_seconds": clock.offset_seconds}
        )

    async def advance_clock(self, request: Request) -> Response:
        seconds = optional_number(await json_object(request), "advance_seconds")
        if seconds is None:
            raise BadControlRequest("'advance_seconds' must be a number >= 0")
        now = self._state.advance_clock(seconds)
        offset = self._state.clock.offset_seconds
        return json_response({"ok": True, "now": now, "offset_seconds": offset})

    async def oauth_settings(self, request: Request) -> Response:
        spec = await json_object(request)
        rotation = spec.get("token_rotation")
        if rotation is not None and not isinstance(rotation, bool):
            raise BadControlRequest("'token_rotation' must be true or false")
        settings = self._state.oauth.configure(
            optional_text(spec, "client_id"),
            token_rotation=rotation,
            access_token_seconds=optional_int(spec, "access_token_seconds"),
            code_seconds=optional_int(spec, "code_seconds"),
        )
        listed = [
            {
                "client_id": client_id,
                "token_rotation": each.token_rotation,
                "access_token_seconds": each.access_token_seconds,
                "code_seconds": each.code_seconds,
            }
            for client_id, each in settings.items()
        ]
        return json_response({"ok": True, "apps": listed})

    async def oauth_revoke(self, request: Request) -> Response:
        spec = await json_object(request)
        oauth = self._state.oauth
        refresh_token = optional_text(spec, "refresh_token")
        if refresh_token is not None:
            if not oauth.revoke_refresh_token(refresh_token):
                raise BadControlRequest("no usable refresh token of that value")
            return json_response({"ok": True, "revoked": 1})
        token = optional_text(spec, "token")
        client_id: str | None
        if token is not None:
            installation = oauth.installation_of(token)
            if installation is None:
                raise BadControlRequest("that token was not issued through OAuth here")
            client_id, user_id = installation
        else:
            user_id = required_text(spec, "user_id")
            client_id = optional_text(spec, "client_id")
        revoked = oauth.revoke_installation(user_id, client_id)
        if revoked == 0:
            raise BadControlRequest(
                "no user token installed for that person (and app); a workspace's bot token "
                "stays when a person is revoked: revoke it with /_emulator/tokens/revoke"
            )
        return json_response({"ok": True, "revoked": revoked})
