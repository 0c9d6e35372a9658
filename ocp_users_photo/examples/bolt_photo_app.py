"""An example multi-person Slack app (Bolt for Python, extra ``bolt``): "set my photo to this".

Each person installs the app through OAuth with the user scopes users.profile:write
and users.profile:read; Bolt keeps the installations in slack_sdk's SQLite store.
Then anyone who installed it types ``/photo NAME`` or writes ``photo NAME`` to the
app, and the app sets THAT person's photo with THAT person's own token: Bolt tells who
sent the request (verified by Slack's signature), ``tool.acting_as`` binds them, and
the ``InstallationTokenSource`` finds and refreshes their token. NAME is one of the
app's own images (a file in ``PHOTO_APP_IMAGES``); nothing is downloaded from Slack.
Every photo a change replaces is kept first (``keep_previous=True``, in the history
file ``PHOTO_APP_HISTORY``), so ``/photo undo`` (or ``photo undo``) puts back what the
person had before.

    SLACK_CLIENT_ID=... SLACK_CLIENT_SECRET=... SLACK_SIGNING_SECRET=... \\
    PHOTO_APP_IMAGES=./portraits python -m ocp_users_photo.examples.bolt_photo_app

It serves Slack's requests on /slack/events, the install link on /slack/install and
the OAuth redirect on /slack/oauth_redirect (port 3000; PORT overrides). Against the
local emulator, also set SLACK_API_URL to its base URL, PHOTO_APP_AUTHORIZE_URL to the
OAuth URL its banner prints, and PHOTO_APP_REDIRECT_URI to this app's
http://127.0.0.1:3000/slack/oauth_redirect (the emulator approves at once, and takes
any loopback redirect unless its --redirect-uri names others).

The installation database holds every person's tokens: it is created readable by its
owner only.

Links are refused: this app offers its own images only. A host that wants links passes
``build_app`` the image hosts to fetch from (``url_hosts``: the tool's guarded fetch) and
an ``image_choice`` that hands a link on (Slack's link markup is undone before it). A
choice's paths are read from its ``image_roots`` (an attribute), else its ``folder``,
else the app's image folder: never from anywhere, since what a person types reaches it.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

import anyio.to_thread

from ocp_users_photo.extras import missing_extra
from ocp_users_photo.home_paths import home_expanded
from ocp_users_photo.images.beneath import can_open_beneath, file_beneath
from ocp_users_photo.images.paths import path_exists
from ocp_users_photo.private_folders import make_private_folders

try:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.authorization import AuthorizeResult
    from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
    from slack_bolt.context.async_context import AsyncBoltContext
    from slack_bolt.context.respond.async_respond import AsyncRespond
    from slack_bolt.context.say.async_say import AsyncSay
    from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
    from slack_bolt.response import BoltResponse
    from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
    from slack_sdk.web.async_client import AsyncWebClient
except ModuleNotFoundError as missing:  # the extra is not installed
    if __name__ == "__main__":  # run as the README says: one line, as the CLI's doors say it
        raise SystemExit(f"ocp-users-photo: {missing_extra('bolt', missing)}") from None
    raise missing_extra("bolt", missing) from missing

from ocp_users_photo.credentials import ClientCredentials
from ocp_users_photo.errors import (
    InvalidArguments,
    SlackApiError,
    TokenNotUsable,
    TransportError,
    UsersPhotoError,
    may_have_taken_effect,
)
from ocp_users_photo.examples.bolt_revocation import forget_on_revocation, installation_team
from ocp_users_photo.examples.bot_rotation import BotRotationKeepingAWorkingToken
from ocp_users_photo.examples.sdk_log_masking import TokensLearned, mask_slack_sdk_logs
from ocp_users_photo.examples.signed_oauth_state import SignedOAuthStateStore
from ocp_users_photo.installations import InstallationTokenSource
from ocp_users_photo.installations.errors import (
    InstallationStoreFailed,
    NotInstalled,
    TokenRefreshFailed,
)
from ocp_users_photo.model_result import INSTALLATION_GONE, reinstall_page
from ocp_users_photo.safe_text import shown
from ocp_users_photo.tokens import ActingPerson, install_page
from ocp_users_photo.tool import UsersSetPhoto
from ocp_users_photo.undo.errors import HistoryUnavailable, KeepingImpossible, NothingToUndo

BOT_SCOPES: Final = ("commands", "chat:write", "im:history")
USER_SCOPES: Final = ("users.profile:write", "users.profile:read")
IMAGE_SUFFIXES: Final = (".png", ".jpg", ".jpeg", ".gif")
# What a person types to put their previous photo back: "/photo undo", "photo undo".
UNDO_WORD: Final = "undo"
DEFAULT_HISTORY: Final = "photo_app_history.sqlite3"  # the kept photos, for undo
# "photo NAME" in a direct message to the app: what Bolt matches messages with, the
# name then read with string methods (a pattern capturing it up to trailing spaces took
# quadratic time on a long run of spaces: one message froze the app's loop for seconds).
PHOTO_MESSAGE: Final = re.compile(r"\A\s*photo\s", re.IGNORECASE)
_MAX_NAMES_SHOWN: Final = 20
# Events seen lately, by event_id: Slack delivers an event again (x-slack-retry-num) when
# it saw no answer in 3 s; only one this process has seen is skipped.
_EVENTS_REMEMBERED: Final = 10_000
# Bolt's authorize answers remembered, by bot token (``RecentAuthorizations``).
_AUTHORIZATIONS_REMEMBERED: Final = 1_000
# Slack's escapes in message text (its only three) and its <link|label> markup.
_SLACK_ESCAPES: Final = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
logger = logging.getLogger("ocp_users_photo.examples.bolt_photo_app")


class ImageNotAvailable(Exception):
    """The request names no image the app can use; the text says what to ask for instead."""


class ImageChoice(Protocol):
    """Turns what a person typed into an image for ``UsersSetPhoto`` (a path, bytes...)."""

    async def image_for(self, requested: str) -> str | bytes: ...


class OwnImages:
    """The app's own images: a file name (or name without suffix) in one folder, nothing else."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = home_expanded(folder).resolve()  # as the settings' check reads it
        if not self.folder.is_dir():
            raise ValueError(f"the image folder {self.folder} does not exist")

    def names(self) -> list[str]:
        return sorted(
            path.name
            for path in self.folder.iterdir()
            if path.suffix.lower() in IMAGE_SUFFIXES and self._a_file_inside(path)
        )

    def _a_file_inside(self, path: Path) -> bool:
        """A file the tool would open: a link leading out is no image of the app's, whatever
        is at its far end (listed only when that was a file, the names told anyone who
        could put a link in the folder what exists outside it)."""
        roots = (self.folder,)
        if can_open_beneath():
            return file_beneath(str(path), roots)
        return path_exists(str(path), roots) and path.is_file()

    async def image_for(self, requested: str) -> str:
        wanted = requested.strip()
        if wanted.lower().startswith(("http://", "https://", "<http://", "<https://")):
            raise ImageNotAvailable(
                "this app takes its own images, not links: name one of the app's own images"
            )
        names = await anyio.to_thread.run_sync(self.names)  # a folder listing blocks
        for name in names:
            if wanted in (name, Path(name).stem):
                return str(self.folder / name)
        raise ImageNotAvailable(
            # Masked: "photo xoxp-..." (a token pasted by mistake) must not go back into Slack.
            f"there is no image called {shown(wanted, 60)!r}; the app has: {offered_names(names)}"
        )


def _image_roots(images: ImageChoice, settings: PhotoAppSettings) -> list[Path]:
    """The folders the tool may read the choice's paths from: its own ``image_roots``, else
    its ``folder`` (``OwnImages``), else the app's image folder. Never None, the Python
    API's "anywhere": a choice that hands on what a person typed would let anyone who
    installed the app make any file the process can read their Slack photo."""
    roots = getattr(images, "image_roots", None)
    if isinstance(roots, str | os.PathLike):
        return [home_expanded(roots)]  # one folder, as UsersSetPhoto takes it too
    if roots is not None:
        return [home_expanded(root) for root in roots]
    folder = getattr(images, "folder", None)
    if isinstance(folder, Path):
        return [folder]
    return [home_expanded(settings.image_folder).resolve()]


def offered_names(names: list[str]) -> str:
    """The app's image names for a person to read: at most 20, each cut to 60 characters."""
    if not names:
        return "none yet"
    listed = ", ".join(shown(name, 60) for name in names[:_MAX_NAMES_SHOWN])
    more = len(names) - _MAX_NAMES_SHOWN
    return f"{listed} and {more} more" if more > 0 else listed


@dataclass(frozen=True)
class PhotoAppSettings:
    """What the app needs: its credentials, where it keeps installations, its images.

    The secrets stay out of its repr: a settings object printed or logged shows none.
    """

    client_id: str
    client_secret: str = field(repr=False)
    signing_secret: str = field(repr=False)
    database: str
    image_folder: str
    history: str = DEFAULT_HISTORY
    base_url: str | None = None
    authorization_url: str | None = None
    redirect_uri: str | None = None
    install_url: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> PhotoAppSettings:
        missing = [
            name
            for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET")
            if not environ.get(name)
        ]
        if missing:
            raise SystemExit(
                f"set {', '.join(missing)} (the app's Basic Information page) to run the app"
            )
        image_folder = environ.get("PHOTO_APP_IMAGES", ".")
        if not home_expanded(image_folder).is_dir():
            raise SystemExit(
                f"PHOTO_APP_IMAGES={image_folder!r} is not a folder: create it and put the "
                "app's images in it, or name the folder they are in"
            )
        return cls(
            client_id=environ["SLACK_CLIENT_ID"],
            client_secret=environ["SLACK_CLIENT_SECRET"],
            signing_secret=environ["SLACK_SIGNING_SECRET"],
            database=environ.get("PHOTO_APP_DATABASE", "photo_app.db"),
            image_folder=image_folder,
            history=environ.get("PHOTO_APP_HISTORY", DEFAULT_HISTORY),
            base_url=environ.get("SLACK_API_URL"),
            authorization_url=environ.get("PHOTO_APP_AUTHORIZE_URL"),
            redirect_uri=environ.get("PHOTO_APP_REDIRECT_URI"),
            install_url=environ.get("PHOTO_APP_INSTALL_URL"),
        )


@dataclass
class PhotoApp:
    """The Bolt app and what it owns; ``aclose()`` when done."""

    bolt: AsyncApp
    tool: UsersSetPhoto
    source: InstallationTokenSource
    images: ImageChoice

    async def set_photo_for(
        self, *, team_id: str | None, user_id: str, enterprise_id: str | None, requested: str
    ) -> str:
        """Set the requesting person's photo (or put the previous one back, for "undo");
        the answer to show them."""
        if requested.strip().lower() == UNDO_WORD:
            return await self.undo_for(
                team_id=team_id, user_id=user_id, enterprise_id=enterprise_id
            )
        if not requested.strip():
            return await self.help_text()
        try:
            image = await self.images.image_for(requested)
        except ImageNotAvailable as unavailable:
            return f"Your photo was not changed: {unavailable}."
        except Exception:
            logger.exception("the app's images could not be read")
            return "Your photo was not changed: the app could not read its images (logged)."
        person = self.tool.acting_as(team_id=team_id, user_id=user_id, enterprise_id=enterprise_id)
        try:
            await person.call({"image": image})
        except UsersPhotoError as error:
            return self._failed(error, person.person)
        return f"Done: your Slack photo is now {Path(requested.strip()).name[:60]}."

    async def undo_for(
        self, *, team_id: str | None, user_id: str, enterprise_id: str | None
    ) -> str:
        """Put back the photo the person's last change replaced; the answer to show them."""
        person = self.tool.acting_as(team_id=team_id, user_id=user_id, enterprise_id=enterprise_id)
        try:
            await person.undo()
        except NothingToUndo:
            return "There is nothing to undo: this app has not changed your photo."
        except UsersPhotoError as error:
            return self._failed(error, person.person)
        return "Done: your previous Slack photo is back."

    def _failed(self, error: UsersPhotoError, person: ActingPerson) -> str:
        """What a person is told of a failed change: "not changed" only when nothing can have
        changed (the errors' texts are written for people; ``run()``'s are for models).

        The operator reads in the log (WARNING) what is theirs to watch or mend: the app's
        own failures, Slack failing (5xx, no answer, rate limits) and changes that may
        have happened; a person's own refusals (their token, their scopes) stay at INFO.
        """
        said = shown(str(error), 600)
        if may_have_taken_effect(error):
            logger.warning("a change for %s may have taken effect: %s", person, said)
            return f"Your photo may have changed: look at your profile before asking again. {error}"
        if _on_the_apps_side(error):
            # The app's own files or settings (its history, its images, its client secret):
            # the person can do nothing about them, and their text is for the operator.
            logger.warning("a change for %s failed on the app's side: %s", person, said)
            return (
                "Your photo was not changed: the app could not do it (a problem on the app's "
                "side, logged for its operator); try again later."
            )
        if _on_slacks_side(error):
            logger.warning("a change for %s failed on Slack's side: %s", person, said)
        else:
            logger.info("a change for %s was refused: %s", person, said)
        if isinstance(error, KeepingImpossible) and error.needs_read_scope:
            # Installed before the app asked to read photos: the person mends it by
            # installing again (the error's own text is written for the app's developer).
            answer = (
                "Your photo was not changed: the app keeps your current photo first so that "
                "'photo undo' can put it back, and your installation does not let it read "
                "your photo."
            )
            page = install_page(self.source.install_url)
        elif isinstance(error, NotInstalled):
            # The source's text is for a developer ("ask them to install it", how a host
            # binds a person of an Enterprise Grid): the person reading this is the one to
            # install, and this app binds them as Slack's request says.
            answer = (
                "Your photo was not changed: you have not installed this app, and only your "
                "own installation lets it change your photo."
            )
            page = install_page(self.source.install_url)
            if page is None:
                return f"{answer} Ask whoever runs the app for its install link."
            return f"{answer} Install it: {page}"
        elif isinstance(error, SlackApiError) and error.error in INSTALLATION_GONE:
            # The error's text ("create a new user token and set it") is a single-token
            # host's remedy: this person's token is their installation's, mended by them
            # installing again.
            answer = (
                "Your photo was not changed: Slack no longer accepts your installation of "
                f"this app ({error.error}: it was revoked or removed)."
            )
            page = reinstall_page(error, self.source.install_url)
            if page is None:
                return f"{answer} Ask whoever runs the app for its install link."
        else:
            answer = f"Your photo was not changed: {error}"
            page = reinstall_page(error, self.source.install_url)
        return answer if page is None else f"{answer} Install the app again: {page}"

    async def help_text(self) -> str:
        """What a person who wrote something else (or shared a file) is told the app does."""
        names = getattr(self.images, "names", None)
        which = "one of the app's images"
        if callable(names):
            try:
                listed = offered_names(await anyio.to_thread.run_sync(names))
            except Exception:  # the folder gone: the person is still told what the app does
                logger.exception("the app's images could not be listed")
            else:
                which = f"one of: {listed}"
        return (
            f"Write 'photo NAME' (or /photo NAME) to set your Slack photo to {which}; "
            "'photo undo' puts your previous photo back. Images shared here are not used: "
            "this app sets photos from its own images."
        )

    async def aclose(self) -> None:
        await self.tool.aclose()
        await self.source.aclose()


def _create_private(database: str) -> None:
    """Make the installation database, if new, readable and writable by its owner only
    (SQLite would make it with the process's umask, often readable by everyone)."""
    if database == ":memory:" or database.startswith("file:"):
        return
    path = home_expanded(database)
    make_private_folders(path.parent)
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), 0o600)
    os.close(descriptor)


def _on_the_apps_side(error: UsersPhotoError) -> bool:
    """Whether ``error`` is the app's to mend (its history file, an image of its own Slack
    cannot take, its installation database, its client_id or secret), not the person's
    (their installation, their token) or Slack's."""
    if isinstance(error, (HistoryUnavailable, InstallationStoreFailed)):
        return True
    if isinstance(error, TokenRefreshFailed):
        return error.on_apps_side
    return isinstance(error, InvalidArguments) and not isinstance(error, TokenNotUsable)


def _on_slacks_side(error: UsersPhotoError) -> bool:
    """Whether Slack failed (no answer, a 5xx, a rate limit): an outage the operator sees."""
    if isinstance(error, TransportError):
        return True
    if isinstance(error, TokenRefreshFailed):
        return error.no_answer  # the token's refresh got no answer: an outage too
    return isinstance(error, SlackApiError) and (
        error.status_code >= 500 or error.error in ("ratelimited", "fatal_error", "internal_error")
    )


def no_installation_text(install_url: str | None) -> str:
    """What Bolt answers a /photo of a workspace where it finds no bot installation that
    works (the app installed from its settings page, not through its install link, or
    removed): Bolt's own answer said "your installation ... is no longer available" to a
    person who never installed, and named no install link."""
    answer = (
        "Your photo was not changed: this app has no installation in this workspace that it "
        "can use (it was installed from its settings page, not its install link, or removed)."
    )
    page = install_page(install_url)
    if page is None:
        return slack_text(f"{answer} Ask whoever runs the app for its install link.")
    return slack_text(f"{answer} Install it: {page}")


def slack_text(text: str) -> str:
    """``text`` with Slack's three escapes made: a reply is plain text, and what a person
    typed (Slack sends their "<" as "&lt;", unescaped by ``requested_in``) must not come
    back as a live @channel, mention or labelled link under the app's name."""
    for escaped, plain in reversed(_SLACK_ESCAPES):  # "&" first
        text = text.replace(plain, escaped)
    return text


def requested_in(text: str) -> str | None:
    """NAME in "photo NAME", Slack's escapes and link markup undone; None for other text."""
    words = text.split(None, 1)  # linear, whatever spaces a message holds
    if not words or words[0].lower() != "photo":
        return None
    name = words[1].strip() if len(words) == 2 else ""
    for escaped, plain in _SLACK_ESCAPES:
        name = name.replace(escaped, plain)
    if name.startswith("<") and name.endswith(">"):  # <https://...|label>: the link
        name = name[1:-1].partition("|")[0]
    return name


class SeenEvents:
    """The event ids of the latest deliveries, bounded: a redelivery of one is skipped."""

    def __init__(self, limit: int = _EVENTS_REMEMBERED) -> None:
        self._seen: dict[str, None] = {}
        self._limit = limit

    def first_time(self, event_id: str) -> bool:
        """Whether ``event_id`` is new here (it is remembered from now on)."""
        if event_id in self._seen:
            return False
        self._seen[event_id] = None
        if len(self._seen) > self._limit:
            del self._seen[next(iter(self._seen))]
        return True


class RecentAuthorizations(dict[str, AuthorizeResult]):
    """Bolt's authorize answers by bot token, the latest ``limit`` only: each token Bolt's
    rotation replaces leaves its entry behind (one a workspace every twelve hours)."""

    def __init__(self, limit: int = _AUTHORIZATIONS_REMEMBERED) -> None:
        super().__init__()
        self._limit = limit

    def __repr__(self) -> str:
        # Its keys are bot tokens: a log line or a traceback's locals shows the count only.
        return f"RecentAuthorizations({len(self)} of at most {self._limit})"

    def __setitem__(self, token: str, result: AuthorizeResult) -> None:
        super().__setitem__(token, result)
        while len(self) > self._limit:
            del self[next(iter(self))]


def build_app(
    settings: PhotoAppSettings,
    *,
    image_choice: ImageChoice | None = None,
    url_hosts: Sequence[str] = (),
) -> PhotoApp:
    """The Bolt app with OAuth (user scopes), /photo and "photo NAME" messages; image links
    fetched from ``url_hosts`` only (none by default), for an ``image_choice`` that hands
    them on."""
    # Its OAuth exchange and token rotation log people's tokens, and a refused exchange
    # Slack's reply, which may echo the app's secret (the Basic pair encodes it too).
    credentials = ClientCredentials(settings.client_id, settings.client_secret)
    mask_slack_sdk_logs((*credentials.secrets(), settings.signing_secret))
    # "~/photo_app.db" from an env file no shell expanded: the file made private must be the
    # one the store opens (sqlite3 would take "~" as a folder under the working one).
    database, history = os.path.expanduser(settings.database), os.path.expanduser(settings.history)
    _create_private(database)
    store = SQLite3InstallationStore(database=database, client_id=settings.client_id)
    # Tables made now, once: made lazily, two threads' first calls could race to make them.
    store.init()  # type: ignore[no-untyped-call]
    # Always the app's own client: one Bolt made itself would log through Bolt's logger,
    # which the mask is not on (the OAuth exchange's reply, every installer's tokens).
    client = (
        AsyncWebClient(base_url=f"{settings.base_url}/") if settings.base_url else AsyncWebClient()
    )
    oauth: dict[str, Any] = {}
    if settings.authorization_url is not None:
        oauth["authorization_url"] = settings.authorization_url
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=list(USER_SCOPES),
        redirect_uri=settings.redirect_uri,
        install_page_rendering_enabled=False,
        installation_store=TokensLearned(store),
        # Signed, not stored: the install link is public (examples/signed_oauth_state.py).
        state_store=SignedOAuthStateStore(settings.client_secret, expiration_seconds=600),
        **oauth,
    )
    # Bolt's own authorize step, given the client so that its rotation of the bot's token
    # reaches the same Slack as everything else. The bot's alone (bot_only): looking up the
    # sender's own installation, Bolt ran auth.test with their user token and, refused
    # (revoked, expired), answered the request itself with a generic "no longer available",
    # so the person never read what to do; and it rotated people's tokens without the
    # token source's lock. People's tokens are the token source's to use and refresh.
    # Its auth.test of the bot's token is made once per token (cache_enabled): made at every
    # request, before the ack, a slow Slack held the ack past its 3 s (a /photo "failed"
    # that changed the photo), and a rate limit or a 5xx told the person to reinstall.
    authorize = AsyncInstallationStoreAuthorize(
        logger=logger,
        installation_store=oauth_settings.installation_store,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        client=client,
        bot_only=True,
        cache_enabled=True,
    )
    authorize.authorize_result_cache = RecentAuthorizations()
    # A refused rotation of the bot's token, while that token still works, is a warning and
    # not Bolt's "reinstall" (examples/bot_rotation.py).
    authorize.token_rotator = BotRotationKeepingAWorkingToken(
        client_id=settings.client_id, client_secret=settings.client_secret, client=client
    )
    bolt = AsyncApp(
        signing_secret=settings.signing_secret,
        oauth_settings=oauth_settings,
        # Bolt takes an AsyncAuthorize instance here (it checks with isinstance), though its
        # annotation names only plain callables.
        authorize=authorize,  # type: ignore[arg-type]
        client=client,
        user_facing_authorize_error_message=no_installation_text(settings.install_url),
    )
    source = InstallationTokenSource(
        store,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        base_url=settings.base_url,
        install_url=settings.install_url,
    )
    images = image_choice if image_choice is not None else OwnImages(settings.image_folder)
    tool = UsersSetPhoto(
        source,
        base_url=settings.base_url,
        image_roots=_image_roots(images, settings),
        url_hosts=url_hosts,
        keep_previous=True,  # the app's users have the read scope: every change can be undone
        photo_history=history,
    )
    app = PhotoApp(bolt=bolt, tool=tool, source=source, images=images)

    async def answer_for(context: AsyncBoltContext, user_id: str, requested: str) -> str:
        try:
            answer = await app.set_photo_for(
                team_id=installation_team(context),
                user_id=user_id,
                enterprise_id=context.enterprise_id,
                requested=requested,
            )
            return slack_text(answer)
        except Exception:  # a defect: the person is still answered, Slack still acked
            logger.exception("a request for a person failed unexpectedly")
            return (
                "Something went wrong in the app (logged for its operator): look at your "
                "profile to see whether your photo changed before asking again."
            )

    @bolt.command("/photo")
    async def photo_command(
        ack: Any, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        await ack()  # Slack wants an answer within 3 seconds; the photo may take longer
        requested = str(command.get("text", ""))
        answer = await answer_for(context, str(context.user_id), requested)
        await respond(text=answer, response_type="ephemeral")

    seen = SeenEvents()

    @bolt.middleware
    async def skip_redeliveries(req: Any, resp: Any, next: Any) -> Any:
        # Slack sends an event again (x-slack-retry-num) when it saw no answer in 3 s: one
        # handled already is skipped (an undo done twice puts the photo back); one never
        # seen here (the app was restarting) is the only copy, and is handled.
        # A slash command has no event id, and Slack never sends one twice: a second with the
        # same trigger_id is a signed request replayed within its five minutes.
        body = req.body if isinstance(req.body, Mapping) else {}
        once = body.get("event_id") or (body.get("trigger_id") if body.get("command") else None)
        if isinstance(once, str) and not seen.first_time(once):
            return BoltResponse(status=200, body="")
        return await next()

    @bolt.message(PHOTO_MESSAGE)
    async def photo_message(
        message: dict[str, Any], say: AsyncSay, context: AsyncBoltContext
    ) -> None:
        # Direct messages only: in a channel the answer would be public (and its echo of
        # what was typed could ping everyone), and the README's setup subscribes to none.
        if message.get("channel_type") != "im" or context.user_id is None:
            return
        requested = requested_in(str(message.get("text", "")))
        if requested is None:
            return
        await say(text=await answer_for(context, context.user_id, requested))

    @bolt.event("message")
    async def other_message(event: dict[str, Any], say: AsyncSay) -> None:
        # Anything else a person writes or shares (an image included): what the app does.
        # The app's own posts, and edits or deletions, are not answered (no reply loops).
        if event.get("bot_id") or event.get("subtype") not in (None, "file_share"):
            return
        if event.get("channel_type") == "im" and event.get("user"):
            await say(text=slack_text(await app.help_text()))

    forget_on_revocation(bolt, oauth_settings.installation_store, history)  # the same file
    return app


def main() -> None:
    settings = PhotoAppSettings.from_environment(os.environ)
    app = build_app(settings)
    app.bolt.start(port=int(os.environ.get("PORT", "3000")))


if __name__ == "__main__":
    main()
