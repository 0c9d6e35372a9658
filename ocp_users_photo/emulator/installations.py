"""OAuth's bookkeeping: codes handed out, installations made, refresh tokens and their use.

Tokens it issues go into the TokenRegistry like any other, under the approving
person's user id, so every method sees one person whichever token (first or
refreshed) they come with.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from ocp_users_photo.emulator.clock import EmulatorClock
from ocp_users_photo.emulator.config import EmulatorConfig, bot_id_for_user
from ocp_users_photo.emulator.oauth_apps import OAuthApp, check_lifetime
from ocp_users_photo.emulator.tokens import TokenRegistry

Subject = Literal["user", "bot"]
# Codes handed out and not redeemed yet; past this the oldest is forgotten (invalid_code).
MAX_PENDING_CODES = 10_000


class OAuthRefused(Exception):
    """oauth.v2.access cannot go ahead; `error` is the Slack error code to answer."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class AppSettings:
    """An app's run-time token settings (start from its OAuthApp; changeable while serving)."""

    token_rotation: bool
    access_token_seconds: int
    code_seconds: int


@dataclass(frozen=True)
class AuthorizationCode:
    """A code handed to a redirect URI: single-use, short-lived, bound to app and redirect."""

    code: str = field(repr=False)
    client_id: str
    user_id: str
    user_scopes: tuple[str, ...]
    bot_scopes: tuple[str, ...]
    redirect_uri: str
    redirect_uri_given: bool
    expires_at: float


@dataclass(frozen=True)
class IssuedToken:
    """An access token as oauth.v2.access reports it (refresh fields only with rotation)."""

    subject: Subject
    access_token: str = field(repr=False)
    user_id: str
    scopes: tuple[str, ...]
    refresh_token: str | None = field(default=None, repr=False)
    expires_in: int | None = None


@dataclass(frozen=True)
class Installation:
    """What one approval installed: the person's user token and/or the app's bot token."""

    app: OAuthApp
    user_id: str
    user: IssuedToken | None
    bot: IssuedToken | None
    bot_user_id: str | None


@dataclass(frozen=True)
class _Refresh:
    client_id: str
    subject: Subject
    user_id: str
    scopes: tuple[str, ...]
    installation_key: tuple[str, str]
    usable: bool = True


class OAuthGrants:
    """Codes, installations and refresh tokens of the configured apps; thread-safe."""

    def __init__(self, config: EmulatorConfig, tokens: TokenRegistry, clock: EmulatorClock) -> None:
        self._lock = threading.Lock()
        self._tokens = tokens
        self._clock = clock
        self._apps = {app.client_id: app for app in config.oauth_apps}
        self._settings = {
            app.client_id: AppSettings(
                app.token_rotation, app.access_token_seconds, app.code_seconds
            )
            for app in config.oauth_apps
        }
        self._codes: dict[str, AuthorizationCode] = {}
        self._refresh: dict[str, _Refresh] = {}
        # (client_id, user_id) -> every access and refresh token issued for it.
        self._issued: dict[tuple[str, str], list[str]] = {}

    def app(self, client_id: str) -> OAuthApp | None:
        return self._apps.get(client_id)

    def settings(self, client_id: str) -> AppSettings:
        with self._lock:
            return self._settings[client_id]

    def configure(
        self,
        client_id: str | None = None,
        *,
        token_rotation: bool | None = None,
        access_token_seconds: int | None = None,
        code_seconds: int | None = None,
    ) -> dict[str, AppSettings]:
        """Change one app's (or, with no client_id, every app's) settings for tokens issued next."""
        for name, seconds in (
            ("access_token_seconds", access_token_seconds),
            ("code_seconds", code_seconds),
        ):
            if seconds is not None:
                check_lifetime(name, seconds)
        if client_id is not None and client_id not in self._apps:
            raise ValueError("no app with that client_id is configured")
        with self._lock:
            for each in [client_id] if client_id is not None else list(self._settings):
                current = self._settings[each]
                self._settings[each] = AppSettings(
                    current.token_rotation if token_rotation is None else token_rotation,
                    access_token_seconds or current.access_token_seconds,
                    code_seconds or current.code_seconds,
                )
            return dict(self._settings)

    def issue_code(
        self,
        app: OAuthApp,
        *,
        user_id: str,
        user_scopes: tuple[str, ...],
        bot_scopes: tuple[str, ...],
        redirect_uri: str,
        redirect_uri_given: bool,
    ) -> str:
        """A new code for an approval, valid for the app's code lifetime."""
        code = f"{_digits(10)}.{_digits(13)}.{secrets.token_hex(32)}"
        lifetime = self.settings(app.client_id).code_seconds
        now = self._clock.now()
        grant = AuthorizationCode(
            code,
            app.client_id,
            user_id,
            user_scopes,
            bot_scopes,
            redirect_uri,
            redirect_uri_given,
            now + lifetime,
        )
        with self._lock:
            self._forget_stale_codes(now)
            self._codes[code] = grant
        return code

    def _forget_stale_codes(self, now: float) -> None:
        """Drop the oldest codes while expired or past MAX_PENDING_CODES (lock held).

        The authorize page is a GET any web page can load (an image tag will do), and a
        code nobody redeems would otherwise stay for as long as the emulator serves.
        """
        while self._codes:
            oldest = next(iter(self._codes.values()))
            if oldest.expires_at > now and len(self._codes) < MAX_PENDING_CODES:
                return
            del self._codes[oldest.code]

    def redeem_code(self, app: OAuthApp, code: str, redirect_uri: str | None) -> Installation:
        """Exchange a code for tokens; raises OAuthRefused (invalid_code, bad_redirect_uri)."""
        with self._lock:
            grant = self._codes.get(code)
            if grant is None or grant.client_id != app.client_id:
                raise OAuthRefused("invalid_code")
            # Single use: taken now, whatever the outcome below.
            del self._codes[code]
        if grant.expires_at <= self._clock.now():
            raise OAuthRefused("invalid_code")
        # Slack: it "must match the originally submitted URI (if one was sent)"; one sent
        # only now must match the Redirect URL the code went to.
        sent = grant.redirect_uri_given or redirect_uri is not None
        if sent and redirect_uri != grant.redirect_uri:
            raise OAuthRefused("bad_redirect_uri")
        key = (app.client_id, grant.user_id)
        user = None
        if grant.user_scopes:
            user = self._issue("user", app, grant.user_id, grant.user_scopes, key)
        bot = bot_user_id = None
        if grant.bot_scopes:
            bot_user_id = _bot_user_id(app)
            bot = self._issue("bot", app, bot_user_id, grant.bot_scopes, key)
        return Installation(app, grant.user_id, user, bot, bot_user_id)

    def refresh(self, app: OAuthApp, refresh_token: str) -> IssuedToken:
        """A new access token and refresh token for the same person; the old refresh is spent.

        Raises OAuthRefused("invalid_refresh_token") for a token that is unknown, spent,
        revoked or another app's.
        """
        with self._lock:
            record = self._refresh.get(refresh_token)
            if record is None or not record.usable or record.client_id != app.client_id:
                raise OAuthRefused("invalid_refresh_token")
            self._refresh[refresh_token] = replace(record, usable=False)
        return self._issue(
            record.subject, app, record.user_id, record.scopes, record.installation_key, True
        )

    def revoke_refresh_token(self, refresh_token: str) -> bool:
        """Make one refresh token unusable; False if it was not a usable one."""
        with self._lock:
            record = self._refresh.get(refresh_token)
            if record is None or not record.usable:
                return False
            self._refresh[refresh_token] = replace(record, usable=False)
            return True

    def revoke_installation(self, user_id: str, client_id: str | None = None) -> int:
        """Revoke the user tokens (access and refresh) installed for a person; how many there
        were. Access tokens then answer token_revoked, refresh tokens invalid_refresh_token.

        The bot tokens their installs were issued stay: in Slack a workspace's bot token is
        the app's, not the person's, and one person withdrawing their grant (tokens_revoked)
        leaves it working for everyone else; the app's uninstall revokes it
        (``/_emulator/tokens/revoke`` with the bot token)."""
        with self._lock:
            keys = [key for key in self._issued if key[1] == user_id]
            if client_id is not None:
                keys = [key for key in keys if key[0] == client_id]
            issued: list[str] = []
            for key in keys:
                theirs = [token for token in self._issued[key] if self._is_users(token)]
                self._issued[key] = [t for t in self._issued[key] if t not in theirs]
                if not self._issued[key]:
                    del self._issued[key]
                issued += theirs
            access_tokens = [token for token in issued if token not in self._refresh]
            for token in issued:
                if token in self._refresh:
                    self._refresh[token] = replace(self._refresh[token], usable=False)
        for token in access_tokens:
            self._tokens.revoke(token)
        return len(issued)

    def _is_users(self, token: str) -> bool:
        """Whether ``token`` (access or refresh, issued here) is a user's, not the bot's."""
        refresh = self._refresh.get(token)
        if refresh is not None:
            return refresh.subject == "user"
        return token.removeprefix("xoxe.").startswith("xoxp-")

    def installation_of(self, token: str) -> tuple[str, str] | None:
        """(client_id, user_id) of the installation an access or refresh token belongs to."""
        with self._lock:
            return next((key for key, tokens in self._issued.items() if token in tokens), None)

    def _issue(
        self,
        subject: Subject,
        app: OAuthApp,
        user_id: str,
        scopes: tuple[str, ...],
        key: tuple[str, str],
        rotating: bool = False,
    ) -> IssuedToken:
        settings = self.settings(app.client_id)
        # A refresh always yields an expiring token, even if rotation was turned off since.
        rotation = settings.token_rotation or rotating
        prefix = "xoxp-" if subject == "user" else "xoxb-"
        if rotation:
            access_token = f"xoxe.{prefix}1-{_rotating(2, 2, user_id)}"
            refresh_token: str | None = f"xoxe-1-{_rotating(3, 1, user_id)}"
            expires_in: int | None = settings.access_token_seconds
        else:
            access_token = f"{prefix}{_digits(10)}-{_digits(13)}-{secrets.token_hex(16)}"
            refresh_token = expires_in = None
        bot_id = bot_id_for_user(user_id) if subject == "bot" else None
        self._tokens.grant(
            access_token,
            user_id=user_id,
            scopes=scopes,
            expires_in=expires_in,
            bot_id=bot_id,
            app_id=app.app_id,
        )
        with self._lock:
            issued = self._issued.setdefault(key, [])
            issued.append(access_token)
            if refresh_token is not None:
                issued.append(refresh_token)
                self._refresh[refresh_token] = _Refresh(
                    app.client_id, subject, user_id, scopes, key
                )
        return IssuedToken(subject, access_token, user_id, scopes, refresh_token, expires_in)


def split_scope_text(text: str | None) -> tuple[str, ...]:
    """Slack's scope arguments: names separated by commas (spaces tolerated)."""
    if not text:
        return ()
    names = text.replace(" ", ",").split(",")
    return tuple(dict.fromkeys(name for name in names if name))


def joined(scopes: Iterable[str]) -> str:
    return ",".join(scopes)


def _bot_user_id(app: OAuthApp) -> str:
    # One bot user per app in the emulated workspace.
    digest = hashlib.sha256(b"bot-user:" + app.client_id.encode("utf-8")).hexdigest().upper()
    return "U" + digest[:10]


def _rotating(kind: int, version: int, user_id: str) -> str:
    """A rotating token's body as Slack shapes it: base64, unpadded, of "<kind>-<version>-"
    then numbers of the workspace and the person, a number of this grant, and a random hex
    secret. Tokens for one person share long runs (their numbers), as Slack's do: a client
    that redacts runs of the refresh token it spends from the answer breaks the new ones."""
    person = int.from_bytes(hashlib.sha256(user_id.encode("utf-8")).digest()[:5], "big")
    inner = (
        f"{kind}-{version}-{_WORKSPACE_NUMBER}-{person:013d}-{_digits(13)}-{secrets.token_hex(32)}"
    )
    return base64.b64encode(inner.encode("ascii")).decode("ascii").rstrip("=")


# The emulated workspace's number in its tokens (Slack's are 10 to 13 digits).
_WORKSPACE_NUMBER = "4014835228961"


def _digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(count))
