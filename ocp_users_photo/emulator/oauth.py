"""Slack's OAuth v2 as the emulator serves it: the authorize page and oauth.v2.access.

GET /oauth/v2/authorize approves at once (no sign-in page) and redirects with a
code; which person approves is the emulator-only `emulator_user` parameter, else
the configured default. oauth.v2.access exchanges a code (grant_type
authorization_code) or a refresh token (grant_type refresh_token).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import html
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ocp_users_photo.emulator.config import is_slack_user_id
from ocp_users_photo.emulator.incoming import Incoming
from ocp_users_photo.emulator.installations import (
    Installation,
    IssuedToken,
    OAuthRefused,
    joined,
    split_scope_text,
)
from ocp_users_photo.emulator.methods import incoming_of
from ocp_users_photo.emulator.oauth_apps import OAuthApp
from ocp_users_photo.emulator.replies import SlackFailure, slack_ok
from ocp_users_photo.emulator.state import EmulatorState

AUTHORIZE_PATH = "/oauth/v2/authorize"
# Emulator-only authorize parameters (Slack has none of these).
USER_PARAMETER = "emulator_user"
DECISION_PARAMETER = "emulator_decision"


class OAuthRoutes:
    """Handlers for the authorize page and oauth.v2.access, bound to one emulator's state."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    async def authorize(self, request: Request) -> Response:
        query = request.query_params
        app = self._state.oauth.app(query.get("client_id", ""))
        if app is None:
            return _error_page("invalid_client_id", "No app has the client_id this link gives.")
        given = query.get("redirect_uri") or None
        redirect_uri = given or (app.redirect_uris[0] if app.redirect_uris else None)
        if redirect_uri is None or not app.allows_redirect(redirect_uri):
            # Never a redirect to a URL the app did not list: the page says why instead.
            return _error_page(
                "bad_redirect_uri",
                "The redirect_uri is missing or matches none of the app's Redirect URLs"
                + (" (any http(s) URL on a loopback host)." if not app.redirect_uris else "."),
            )
        user_scopes = split_scope_text(query.get("user_scope"))
        bot_scopes = split_scope_text(query.get("scope"))
        if not user_scopes and not bot_scopes:
            return _error_page("invalid_scope", "The link asks for no scope and no user_scope.")
        refused = app.ungrantable(user_scopes, bot_scopes)
        if refused:
            return _error_page("invalid_scope", f"The app may not ask for: {', '.join(refused)}.")
        user_id = query.get(USER_PARAMETER) or self._state.config.oauth_default_user_id
        if not is_slack_user_id(user_id):
            return _error_page(
                "invalid_emulator_user",
                f"{USER_PARAMETER} must look like a Slack user id: U or W, then capitals/digits.",
            )
        state_parameter = query.get("state")
        if query.get(DECISION_PARAMETER, "approve") == "deny":
            return _redirect(redirect_uri, error="access_denied", state=state_parameter)
        self._state.directory.ensure(user_id)
        code = self._state.oauth.issue_code(
            app,
            user_id=user_id,
            user_scopes=user_scopes,
            bot_scopes=bot_scopes,
            redirect_uri=redirect_uri,
            redirect_uri_given=given is not None,
        )
        return _redirect(redirect_uri, code=code, state=state_parameter)

    async def access(self, request: Request) -> Response:
        incoming = incoming_of(request)
        client_id, client_secret = _client_credentials(request.headers, incoming)
        app = self._state.oauth.app(client_id or "")
        if app is None:
            raise SlackFailure("invalid_client_id")
        if not hmac.compare_digest((client_secret or "").encode(), app.client_secret.encode()):
            raise SlackFailure("bad_client_secret")
        grant_type = incoming.argument("grant_type") or "authorization_code"
        try:
            if grant_type == "authorization_code":
                installation = self._state.oauth.redeem_code(
                    app, incoming.argument("code") or "", incoming.argument("redirect_uri")
                )
                return slack_ok(self._installation_reply(installation))
            if grant_type == "refresh_token":
                issued = self._state.oauth.refresh(app, incoming.argument("refresh_token") or "")
                return slack_ok(self._refresh_reply(app, issued))
        except OAuthRefused as refusal:
            raise SlackFailure(refusal.error) from refusal
        raise SlackFailure("invalid_grant_type")

    def _installation_reply(self, installation: Installation) -> dict[str, Any]:
        reply: dict[str, Any] = {"app_id": installation.app.app_id}
        authed_user: dict[str, Any] = {"id": installation.user_id}
        if installation.user is not None:
            authed_user.update(_token_fields(installation.user))
        reply["authed_user"] = authed_user
        if installation.bot is not None:
            reply.update(_token_fields(installation.bot))
            reply["bot_user_id"] = installation.bot_user_id
        reply.update(self._workspace_fields())
        return reply

    def _refresh_reply(self, app: OAuthApp, issued: IssuedToken) -> dict[str, Any]:
        reply: dict[str, Any] = {"app_id": app.app_id, **_token_fields(issued)}
        if issued.subject == "bot":
            reply["bot_user_id"] = issued.user_id
        reply.update(self._workspace_fields())
        return reply

    def _workspace_fields(self) -> dict[str, Any]:
        config = self._state.config
        enterprise = None
        if config.enterprise_id is not None:
            enterprise = {"id": config.enterprise_id, "name": config.enterprise_name}
        return {
            "team": {"id": config.team_id, "name": config.team_name},
            "enterprise": enterprise,
            # Installs are per workspace here: no org-wide installs.
            "is_enterprise_install": False,
        }


def _token_fields(issued: IssuedToken) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "scope": joined(issued.scopes),
        "access_token": issued.access_token,
        "token_type": issued.subject,
    }
    if issued.refresh_token is not None:
        fields["refresh_token"] = issued.refresh_token
        fields["expires_in"] = issued.expires_in
    return fields


def _client_credentials(headers: Headers, incoming: Incoming) -> tuple[str | None, str | None]:
    """HTTP Basic auth (Slack's recommendation) when given, else the form fields."""
    scheme, _, encoded = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, colon, client_secret = decoded.partition(":")
        return (client_id, client_secret) if colon else (None, None)
    return incoming.argument("client_id"), incoming.argument("client_secret")


def _redirect(uri: str, **parameters: str | None) -> Response:
    parts = urlsplit(uri)
    added = urlencode({key: value for key, value in parameters.items() if value is not None})
    query = f"{parts.query}&{added}" if parts.query else added
    return RedirectResponse(urlunsplit(parts._replace(query=query)), status_code=302)


def _error_page(error: str, explanation: str) -> Response:
    # Slack shows a page, not a redirect, when the link itself is wrong.
    page = (
        "<!DOCTYPE html><html><head><title>Slack OAuth error (emulator)</title></head><body>"
        f"<h1>OAuth error: <code>{html.escape(error)}</code></h1>"
        f"<p>{html.escape(explanation)}</p></body></html>"
    )
    return HTMLResponse(page, status_code=400)
