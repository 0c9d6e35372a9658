"""The Slack apps the emulator's OAuth knows: credentials, redirect URLs, scopes, token rotation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ocp_users_photo.emulator.loopback import is_loopback_host
from ocp_users_photo.slack.deadlines import finite_seconds

# Emulator-only credentials, published in docs/emulator.md: not secrets.
DEFAULT_CLIENT_ID = "1111111111.2222222222"
DEFAULT_CLIENT_SECRET = "emulator-client-secret"  # noqa: S105
DEFAULT_APP_ID = "A0EMULATOR1"

# Slack: rotated access tokens expire after 12 hours; an OAuth code after 10 minutes.
ROTATED_TOKEN_SECONDS = 12 * 60 * 60
CODE_SECONDS = 10 * 60


@dataclass(frozen=True)
class OAuthApp:
    """One app installable through /oauth/v2/authorize and oauth.v2.access.

    `redirect_uris` are the app's configured Redirect URLs; empty means any http(s)
    URL on a loopback host (tests start their redirect servers on free ports).
    `user_scopes`/`bot_scopes` are the scopes it may be granted; None grants any
    scope the authorize URL asks for. With `token_rotation` the tokens issued expire
    after `access_token_seconds` and come with refresh tokens.
    """

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = field(default=DEFAULT_CLIENT_SECRET, repr=False)
    app_id: str = DEFAULT_APP_ID
    redirect_uris: tuple[str, ...] = ()
    user_scopes: tuple[str, ...] | None = None
    bot_scopes: tuple[str, ...] | None = None
    token_rotation: bool = False
    access_token_seconds: int = ROTATED_TOKEN_SECONDS
    code_seconds: int = CODE_SECONDS

    def __post_init__(self) -> None:
        for name in ("client_id", "client_secret", "app_id"):
            value = getattr(self, name)
            if not value or not value.isprintable() or any(ch.isspace() for ch in value):
                raise ValueError(f"OAuthApp.{name} must be non-empty printable text without spaces")
        if ":" in self.client_id:
            # HTTP Basic auth separates the id from the secret with the first colon.
            raise ValueError("OAuthApp.client_id must not contain ':'")
        for uri in self.redirect_uris:
            parts = urlsplit(uri)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
                raise ValueError(f"redirect URI {uri!r} must be an absolute http(s) URL, no #")
        check_lifetime("OAuthApp.access_token_seconds", self.access_token_seconds)
        check_lifetime("OAuthApp.code_seconds", self.code_seconds)

    def allows_redirect(self, uri: str) -> bool:
        """Whether `uri` matches a Redirect URL: the same one, or a path below it."""
        try:
            parts = urlsplit(uri)
            parts.port  # noqa: B018 (read to check it: 99999 or "x" raise)
        except ValueError:  # "http://[::1/cb": no URL at all
            return False
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
            return False
        if not self.redirect_uris:
            return is_loopback_host(parts.hostname)
        return any(_under(parts.geturl(), allowed) for allowed in self.redirect_uris)

    def ungrantable(self, user_scopes: Iterable[str], bot_scopes: Iterable[str]) -> list[str]:
        """The asked scopes this app may not be granted (empty when all may)."""
        refused: list[str] = []
        for asked, allowed in ((user_scopes, self.user_scopes), (bot_scopes, self.bot_scopes)):
            if allowed is not None:
                refused.extend(scope for scope in asked if scope not in allowed)
        return refused


def _under(uri: str, allowed: str) -> bool:
    given, configured = urlsplit(uri), urlsplit(allowed)
    if (given.scheme, given.netloc.lower()) != (configured.scheme, configured.netloc.lower()):
        return False
    base = configured.path.rstrip("/")
    path = given.path
    # Query strings are left to the app: Slack matches the URL's location only.
    return path == configured.path or path == base or path.startswith(base + "/")


def check_lifetime(name: str, seconds: object) -> None:
    """Refuse a token's or a code's lifetime that is no finite number of seconds, 1 or more:
    infinity, NaN (``< 1`` passed both) or an integer past a float's reach was taken, and
    the OAuth exchange issuing a token with it answered HTTP 500."""
    found = finite_seconds(seconds)
    if found is None or found < 1:
        raise ValueError(f"{name} must be a finite number of seconds, at least 1, such as 3600")
