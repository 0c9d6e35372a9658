"""The emulator's settings: a frozen EmulatorConfig plus the tokens and users it starts with."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, get_args

from ocp_users_photo.emulator.oauth_apps import OAuthApp
from ocp_users_photo.emulator.ratelimit import check_calls_per_minute
from ocp_users_photo.safe_text import quoted
from ocp_users_photo.token_kinds import token_kind

# The user scopes every accepted-by-default xoxp- token carries: enough for the
# three users.* methods this emulator serves (auth.test needs none), and nothing else.
DEFAULT_USER_SCOPES: tuple[str, ...] = ("users.profile:read", "users.profile:write")
# A bot token may read profiles (Slack grants users.profile:read to bots) but
# users.profile:write is a user scope, so no bot token ever carries it.
DEFAULT_BOT_SCOPES: tuple[str, ...] = ("users.profile:read",)

# A user id as Slack writes them: U (or W in an Enterprise Grid org) and capitals/digits.
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")

# Slack documents Tier 2 as "about 20 calls a minute".
TIER_2_CALLS_PER_MINUTE = 20

# How users.setPhoto answers a success: "profile" names the new photo
# ({"ok": true, "profile": {avatar_hash, image_24 ... image_original}}, the seed's schema);
# "bare" is {"ok": true} alone, the reply Slack's own examples show.
SetPhotoReply = Literal["profile", "bare"]
SET_PHOTO_REPLIES: Final[tuple[SetPhotoReply, ...]] = get_args(SetPhotoReply)


def is_slack_user_id(value: str) -> bool:
    """Whether `value` looks like a Slack user id ("U0123ABCD", "W012ABC")."""
    return _SLACK_USER_ID.fullmatch(value) is not None


def split_scopes(scopes: str | Iterable[str]) -> tuple[str, ...]:
    """Scopes as a tuple, from Slack's comma-separated text or any iterable of names."""
    items = scopes.split(",") if isinstance(scopes, str) else scopes
    return tuple(scope.strip() for scope in items if scope.strip())


def default_scopes(token: str) -> tuple[str, ...]:
    """The scopes a token gets when none are given: a bot's for bot tokens, else a user's."""
    return DEFAULT_BOT_SCOPES if token_kind(token) == "bot" else DEFAULT_USER_SCOPES


def user_id_for_token(token: str) -> str:
    """A stable Slack-shaped user id (U + 10 upper-case alphanumerics) derived from a token.

    Derived rather than random so that the same token maps to the same user in
    every emulator run, and a test can predict it.
    """
    digest = hashlib.sha256(token.encode("utf-8")).hexdigest().upper()
    return "U" + digest[:10]


def bot_id_for_user(user_id: str) -> str:
    """A stable B... bot id for a bot user (auth.test names both for a bot token)."""
    digest = hashlib.sha256(b"bot:" + user_id.encode("utf-8")).hexdigest().upper()
    return "B" + digest[:10]


@dataclass(frozen=True)
class TokenGrant:
    """One token the emulator knows: whose it is, which scopes it carries, until when.

    `expires_at` is in seconds since the epoch on the emulator's clock (None: never);
    `bot_id` is the B... id auth.test shows for a bot token (derived when None);
    `app_id` the app whose install issued it (None: a token configured or accepted as
    it came, all of one app), which the rate limit counts by.
    """

    token: str = field(repr=False)  # the emulator's, but a repr is no place for a token
    user_id: str
    scopes: tuple[str, ...] = DEFAULT_USER_SCOPES
    expires_at: float | None = None
    bot_id: str | None = None
    app_id: str | None = None

    @property
    def is_bot(self) -> bool:
        return token_kind(self.token) == "bot"

    @classmethod
    def from_json(cls, record: Mapping[str, Any]) -> TokenGrant:
        """Read {"token": ..., "user_id"?: ..., "scopes"?: "a,b" | [...]}."""
        token = _required_text(record, "token")
        scopes_value = record.get("scopes")
        if scopes_value is None:
            scopes = default_scopes(token)
        elif isinstance(scopes_value, str) or (
            isinstance(scopes_value, list) and all(isinstance(s, str) for s in scopes_value)
        ):
            scopes = split_scopes(scopes_value)
        else:
            raise ValueError("'scopes' must be a comma-separated string or a list of strings")
        user_id = record.get("user_id")
        if user_id is not None and not isinstance(user_id, str):
            raise ValueError("'user_id' must be a string")
        return cls(token=token, user_id=user_id or user_id_for_token(token), scopes=scopes)


@dataclass(frozen=True)
class UserRecord:
    """A person's profile fields other than the photo (the photo lives in the state)."""

    user_id: str
    real_name: str = ""
    display_name: str = ""
    title: str = ""
    email: str | None = None

    @classmethod
    def from_json(cls, record: Mapping[str, Any]) -> UserRecord:
        """Read {"user_id": ..., "real_name"?, "display_name"?, "title"?, "email"?}."""
        email = record.get("email")
        if email is not None and not isinstance(email, str):
            raise ValueError("'email' must be a string")
        return cls(
            user_id=_required_text(record, "user_id"),
            real_name=_optional_text(record, "real_name"),
            display_name=_optional_text(record, "display_name"),
            title=_optional_text(record, "title"),
            email=email,
        )


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything that shapes the emulator's behaviour; frozen, so share it freely.

    Run-time changes (new tokens, revocations, faults) go to the EmulatorState,
    never here.
    """

    # Tokens known up front; any xoxp-/xoxb- token is also accepted when the
    # accept_any_* switches are on.
    tokens: tuple[TokenGrant, ...] = ()
    users: tuple[UserRecord, ...] = ()
    revoked_tokens: frozenset[str] = field(default=frozenset(), repr=False)
    accept_any_user_token: bool = True
    accept_any_bot_token: bool = True
    team_id: str = "T0EMULATOR"
    team_name: str = "Emulated Workspace"
    # Set to emulate a workspace of an Enterprise Grid org (auth.test's enterprise_id,
    # oauth.v2.access's enterprise object).
    enterprise_id: str | None = None
    enterprise_name: str = "Emulated Org"
    # The apps OAuth can install, and who approves an authorize request that does not
    # name a person with the emulator-only `emulator_user` parameter.
    oauth_apps: tuple[OAuthApp, ...] = (OAuthApp(),)
    oauth_default_user_id: str = "U0INSTALLER"
    # The /_emulator/requests listing redacts credentials unless this is on (the
    # in-process RequestLog always keeps them).
    reveal_secrets_in_control_api: bool = False
    # Calls per minute per app and method (users.setPhoto, users.deletePhoto);
    # None switches rate limiting off.
    rate_limit_per_minute: int | None = TIER_2_CALLS_PER_MINUTE
    # Over this many pixels on either side an image is answered with too_large.
    max_image_side: int = 8192
    # An animated GIF with more frames than this is answered with too_many_frames.
    max_frames: int = 100
    # Requests whose body is larger than this get HTTP 413 without being parsed.
    max_body_bytes: int = 64 * 1024 * 1024
    # False: check the form, auth and limits but neither decode nor render the image.
    process_images: bool = True
    letterbox_color: tuple[int, int, int] = (255, 255, 255)
    # The request log: how many requests it keeps, and how much raw body each
    # (at most about 1 GiB together; load tests should set record_bodies=False).
    max_recorded_requests: int = 500
    record_bodies: bool = True
    max_recorded_body_bytes: int = 2 * 1024 * 1024
    # How long a stopping server waits for in-flight requests (e.g. a delay fault).
    shutdown_grace_seconds: int = 2
    # users.setPhoto's success reply: "profile" ({ok, profile}) or "bare" ({"ok": true}
    # alone, as Slack's examples show); the photo is set either way. The state can
    # switch it at run time (EmulatorState.use_set_photo_reply).
    set_photo_reply: SetPhotoReply = "profile"

    def __post_init__(self) -> None:
        check_calls_per_minute("rate_limit_per_minute", self.rate_limit_per_minute)
        for name in ("max_image_side", "max_frames", "max_body_bytes", "max_recorded_requests"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        check_set_photo_reply(self.set_photo_reply)
        if self.max_recorded_body_bytes < 0:
            raise ValueError("max_recorded_body_bytes must not be negative")
        client_ids = [app.client_id for app in self.oauth_apps]
        if len(set(client_ids)) != len(client_ids):
            raise ValueError("each OAuthApp in oauth_apps needs its own client_id")
        if not is_slack_user_id(self.oauth_default_user_id):
            raise ValueError(
                "oauth_default_user_id must look like a Slack user id (U or W, A-Z 0-9)"
            )


def check_set_photo_reply(value: object) -> SetPhotoReply:
    """`value` as a SetPhotoReply; ValueError naming the choices when it is none of them."""
    for choice in SET_PHOTO_REPLIES:
        if value == choice:
            return choice
    raise ValueError(f"set_photo_reply must be one of {', '.join(map(repr, SET_PHOTO_REPLIES))}")


def load_tokens_file(
    path: str | Path,
) -> tuple[tuple[TokenGrant, ...], tuple[UserRecord, ...], frozenset[str]]:
    """Read a JSON file {"tokens": [...], "users": [...], "revoked": [...]} (all keys optional).

    ValueError naming the file, what is wrong and what to do: a name mistyped, a folder,
    text that is not JSON (its line and column), a document of another shape.
    """
    named = f"the tokens file {quoted(str(path), 200)}"
    give = 'give a JSON file {"tokens": [...], "users": [...], "revoked": [...]} (docs/emulator.md)'
    try:
        with Path(path).open("rb") as tokens_file:
            document = json.load(tokens_file)
    except FileNotFoundError:
        raise ValueError(f"{named} does not exist: {give}, or leave --tokens out") from None
    except IsADirectoryError:
        raise ValueError(f"{named} is a folder: {give}") from None
    except OSError as error:
        raise ValueError(f"{named} cannot be read ({error.strerror}): {give}") from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{named} is not JSON (line {error.lineno}, column {error.colno}: {error.msg}): {give}"
        ) from None
    except UnicodeDecodeError:
        raise ValueError(f"{named} is not UTF-8 text: {give}") from None
    except RecursionError:
        raise ValueError(f"{named} nests lists or objects too deeply to read: {give}") from None
    try:
        # Anywhere in it (a user_id, a scope, a revoked token): a lone surrogate loaded, and
        # the emulator then served avatar URLs no reply schema takes.
        json.dumps(document, ensure_ascii=False).encode("utf-8")
        if not isinstance(document, dict):
            raise ValueError("the top level must be a JSON object")
        tokens = tuple(TokenGrant.from_json(item) for item in _list_of_objects(document, "tokens"))
        users = tuple(UserRecord.from_json(item) for item in _list_of_objects(document, "users"))
        revoked = document.get("revoked", [])
        if not isinstance(revoked, list) or not all(isinstance(t, str) for t in revoked):
            raise ValueError("'revoked' must be a list of token strings")
    except UnicodeError:  # a ValueError whose own text is Python's, not this file's
        raise ValueError(
            f"{named} holds text no UTF-8 can carry (a lone surrogate such as \\ud800): {give}"
        ) from None
    except ValueError as wrong:
        raise ValueError(f"{named}: {wrong}: {give}") from None
    return tokens, users, frozenset(revoked)


def _list_of_objects(document: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = document.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError(f"'{key}' must be a list of JSON objects")
    return items


def _required_text(record: Mapping[str, Any], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"'{key}' must be a non-empty string")
    return value


def _optional_text(record: Mapping[str, Any], key: str) -> str:
    value = record.get(key, "")
    if not isinstance(value, str):
        raise ValueError(f"'{key}' must be a string")
    return value
