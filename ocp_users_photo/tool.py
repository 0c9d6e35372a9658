"""UsersSetPhoto: the usersSetPhoto tool, tying the steps of one call together.

arguments -> parse_arguments -> the token (tokens.py) -> the image (images/: resolve,
header, policy, re-encode) -> SlackClient.call("users.setPhoto") -> check_photo_reply
-> the reply. Each step lives in its own module; this one orders them, tells the
call's observers, and keeps the tool's configuration. What ``prepare`` gives and takes
(``PreparedUpload``, ``Preparing``, ``TokenOverride``, the options) is in prepared.py.

Keeping the replaced photo (undo) is an observer, ``undo.keeper.PhotoKeeper``, that
this tool adds to a change when ``keep_previous`` and the door say so
(the defaults by door in settings.py); the tool gives every observer a ``SlackSession`` that calls
Slack's read methods with the change's token without showing it. ``undo``,
``restore`` and ``history`` are in ``undo/restore.py``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import unicodedata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

import httpx

from ocp_users_photo._version import __version__
from ocp_users_photo.argument_view import safe_view
from ocp_users_photo.arguments import (
    ParsedArguments,
    check_max_retries,
    describe_value,
    parse_arguments,
)
from ocp_users_photo.closing import AsyncClosing
from ocp_users_photo.credentials import Renew as Renew
from ocp_users_photo.credentials import (
    SecretTexts,
    SlackToken,
    check_token_text,
    token_secret_forms,
    user_token_problem,
)
from ocp_users_photo.environment import Environment
from ocp_users_photo.errors import (
    NOT_CALLED,
    TOKEN_PATH,
    InvalidArguments,
    Problem,
    TokenNotUsable,
    TokenUnavailable,
    TransportError,
    UsersPhotoError,
    raise_alone,
    with_secrets_redacted,
)
from ocp_users_photo.forwarding import Forwarded
from ocp_users_photo.home_paths import home_expanded
from ocp_users_photo.images.limits import DEFAULT_LIMITS, ImageLimits
from ocp_users_photo.images.policy import Fit, ReencodePlan, described_for, plan_upload
from ocp_users_photo.images.reencode import reencode
from ocp_users_photo.images.resolvers import (
    ImageIntake,
    ImageResolver,
    IntakeContext,
    default_resolvers,
)
from ocp_users_photo.images.upload import PreparedImage
from ocp_users_photo.images.url_resolver import UrlResolver
from ocp_users_photo.model_result import error_result
from ocp_users_photo.observers import (
    CallInfo,
    CallObserver,
    CallOutcome,
    ChangeInfo,
    apply_change,
    notify_abandoned,
    notify_ended,
    notify_started,
)
from ocp_users_photo.ocp_description import set_photo_told
from ocp_users_photo.own_loop import run_own_loop
from ocp_users_photo.photo_reply import (
    ENVELOPE_FIELDS,
    ReplyCheck,
    bounded_envelope,
    check_photo_reply_off_loop,
)

# prepare()'s values live in prepared.py; re-exported (``X as X``) for callers that
# import them from here, where they were defined until prepared.py.
from ocp_users_photo.prepared import PreparedUpload as PreparedUpload
from ocp_users_photo.prepared import PrepareOptions as PrepareOptions
from ocp_users_photo.prepared import Preparing as Preparing
from ocp_users_photo.prepared import SummaryOptions as SummaryOptions
from ocp_users_photo.prepared import TokenOverride as TokenOverride
from ocp_users_photo.safe_text import MINUS_SIGNS, shown_path
from ocp_users_photo.settings import (
    ImageRoots,
    Settings,
    door_image_roots,
    history_path_from,
    resolve_roots,
)
from ocp_users_photo.slack.addresses import same_slack
from ocp_users_photo.slack.client import DEFAULT_DEADLINE, SlackClient, require_asyncio
from ocp_users_photo.slack.deadlines import (
    call_deadline,
    call_seconds,
    check_seconds,
    within_call,
)
from ocp_users_photo.slack.form import FilePart
from ocp_users_photo.slack.retry import RetryPolicy
from ocp_users_photo.slack.session import IdentityCache, SlackSession
from ocp_users_photo.spec import ToolSpec, thaw, tool_spec
from ocp_users_photo.tokens import (
    ActingPerson,
    NoToken,
    StaticToken,
    TokenSource,
    acting_person,
    held_token,
    install_page_of,
)
from ocp_users_photo.web_image import UrlPolicy
from ocp_users_photo.worker_threads import in_conversion_thread

if TYPE_CHECKING:
    from ocp_users_photo.acting_tool import ActingTool
    from ocp_users_photo.model_tool import ModelTool
    from ocp_users_photo.undo.entries import KeptPhoto
    from ocp_users_photo.undo.keeper import KeepMode, PhotoKeeper
    from ocp_users_photo.undo.restore_tool import UsersRestorePhoto
    from ocp_users_photo.undo.store import PhotoHistory
    from ocp_users_photo.whoami import TokenIdentity

REPLY_CHECKS: Final = ("strict", "warn", "off")
# The manifest's sentence on URLs, replaced in a tool's input schema when it allows hosts.
URLS_NOT_FETCHED: Final = "Web URLs are not fetched: download the file first."
# How many allowed URL hosts a model is told by name (the rest are counted).
_URL_HOSTS_NAMED: Final = 20
# Where the image's description says what a path is, and how many of the host's image
# folders it names after it (a model given none guessed, and met a refusal first).
_A_PATH: Final = "a path to a PNG, JPEG or GIF file"
_ROOTS_NAMED: Final = 5
# The image's description where a model door has no image folder at all.
_NO_PATHS: Final = (
    "File paths are refused here: no image folder is configured (the host adds one, as "
    "--image-root for the MCP server)."
)


def _inside(roots: Sequence[Path]) -> str:
    """Where paths are read, for a model: the host's folders, the first taking relative ones."""
    named = [shown_path(root) for root in roots[:_ROOTS_NAMED]]
    more = len(roots) - len(named)
    if more:
        named.append(f"{more} more")
    if len(roots) == 1:
        return f"inside {named[0]} (a relative path is taken from there)"
    return f"inside one of {', '.join(named)} (a relative path is taken from the first)"


FITS: Final = ("downscale", "reject")
_PYTHON_VERSION: Final = ".".join(str(part) for part in sys.version_info[:3])
# What a token source gives (its token, or its renewal), waited for within the call.
T = TypeVar("T")
# The HTTP library that sends (httpx, or aiohttp with [fast]) is added by the Slack client.
USER_AGENT: Final = f"ocp-users-photo/{__version__} python/{_PYTHON_VERSION}"

# None: by door (Python call/prepare/send off, model doors on); True: on everywhere, a change
# whose photo cannot be kept is refused; "if_readable": on, but a token without
# users.profile:read changes anyway with a warning (the command line); False: off.
KeepPrevious = bool | Literal["if_readable"] | None


class UsersSetPhoto(AsyncClosing):
    """Slack's users.setPhoto as a checked, asynchronous tool.

    ``await tool.call(arguments)`` returns the checked reply or raises a
    ``UsersPhotoError``; ``await tool.run(arguments)`` returns an error object
    instead of raising, for feeding back to a model.
    """

    def __init__(
        self,
        token: str | TokenSource | None = None,
        *,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        timeout: float = 30.0,
        deadline: float = DEFAULT_DEADLINE,
        max_retries: int = 2,
        max_retry_wait: float = 30.0,
        reply_check: ReplyCheck = "strict",
        fit: Fit = "downscale",
        image_roots: ImageRoots = None,
        retry_backoff: float = 0.5,
        limits: ImageLimits = DEFAULT_LIMITS,
        environ: Mapping[str, str] | Environment | None = None,
        observers: Sequence[CallObserver] = (),
        url_hosts: Sequence[str] | None = None,
        image_resolvers: Mapping[str, ImageResolver] | None = None,
        keep_previous: KeepPrevious = None,
        photo_history: PhotoHistory | str | os.PathLike[str] | None = None,
    ) -> None:
        # Held first, so no frame a refused setting raises through holds the token as text,
        # or a mapping holding it: an error reporter sends a frame's locals (environment.py).
        token = held_token(token)
        environment = Environment.of(environ)
        del environ
        _check_option("reply_check", reply_check, REPLY_CHECKS)
        _check_option("fit", fit, FITS)
        check_seconds("timeout", timeout, allow_zero=False)
        check_seconds("deadline", deadline, allow_zero=False)
        check_seconds("max_retry_wait", max_retry_wait, allow_zero=True)
        check_seconds("retry_backoff", retry_backoff, allow_zero=True)
        check_max_retries(max_retries)
        if client is not None and not isinstance(client, httpx.AsyncClient):
            raise TypeError(f"client must be an httpx.AsyncClient, not {type(client).__name__}")
        if not (
            keep_previous is None
            or isinstance(keep_previous, bool)
            or keep_previous == "if_readable"
        ):
            raise ValueError(
                f"keep_previous must be None (by door), True, False or 'if_readable', got "
                f"{keep_previous!r}"
            )

        settings = Settings.from_environment(environment, base_url=base_url)
        self.spec: ToolSpec = tool_spec()
        self.token_source: TokenSource = _token_source(token, settings)
        self.base_url = settings.base_url
        # What marks the uploads this tool prepares: only it sends them (send()).
        self._uploads_mark = object()
        _check_same_slack(self.token_source, self.base_url)
        self.reply_check: ReplyCheck = reply_check
        self.fit: Fit = fit
        self.image_roots: tuple[Path, ...] | None = resolve_roots(image_roots)
        # A model door (run(), agents, MCP) without roots reads the working directory only
        # (never / or the home folder): the defaults by door in settings.py.
        self.model_image_roots = door_image_roots("model", image_roots)
        self.limits = limits
        self.timeout = float(timeout)
        self.observers: tuple[CallObserver, ...] = tuple(observers)
        self.keep_previous: KeepPrevious = keep_previous
        # A PhotoKeeper among the observers (a host assembling its own) is the tool's
        # keeper: its history is the one undo and history() read, and no door adds another
        # (two keepers would wait for one person's turn in one task, for ever).
        hosts_keeper = _host_keeper(self.observers)
        if hosts_keeper is not None:
            photo_history = _one_history(hosts_keeper.history, photo_history)
        self._photo_history_given = photo_history
        self._photo_history_path = settings.history_path
        self._photo_history: PhotoHistory | None = None
        self._keepers: dict[str, PhotoKeeper] = {}
        self._identities = IdentityCache()
        url_policy = _url_policy(url_hosts, limits)
        resolvers: dict[str, ImageResolver] = {
            **default_resolvers(),
            "url": UrlResolver(
                url_policy,
                trusted_roots=settings.trusted_roots,
                proxied=settings.proxy is not None,
            ),
        }
        resolvers.update(image_resolvers or {})
        # The hosts the URL resolver fetches from, as its policy matches them (lower case,
        # IDNA), for the schema and the MCP text: a caller's own resolver's (image_resolvers=,
        # to set its byte cap or TLS roots), where "URLs are not fetched" was said.
        fetching = resolvers["url"]
        self.url_hosts: tuple[str, ...] = tuple(
            (fetching.policy if isinstance(fetching, UrlResolver) else url_policy).allowed_hosts
        )
        self._intake = ImageIntake(resolvers)
        self._slack = SlackClient(
            base_url=self.base_url,
            user_agent=USER_AGENT,
            http_client=client,
            timeout=timeout,
            deadline=deadline,
            proxy=settings.proxy,
            http_stack=settings.http_stack,
            trusted_roots=settings.trusted_roots,
            retry=RetryPolicy(
                max_retries=max_retries, max_retry_wait=max_retry_wait, backoff=retry_backoff
            ),
        )

    # The manifest's fields; the JSON ones as plain copies (callers may edit what they get).
    # ToolDefinition's members (name, description, input_schema) are properties: a type
    # checker matches a protocol's read-only property to a property only (pyright refuses
    # any other descriptor, so a Forwarded name made the tool no ModelTool to it).
    @property
    def name(self) -> str:
        """The manifest's tool name."""
        return self.spec.name

    method = Forwarded[str]("spec")
    path = Forwarded[str]("spec")
    operation_id = Forwarded[str]("spec")
    parameters = Forwarded[dict[str, Any]]("spec", thaw)
    response_schema = Forwarded[dict[str, Any]]("spec", thaw)

    @property
    def description(self) -> str:
        """The manifest's description, its size sentence said for this tool's ``fit`` and
        ``limits`` (a tool that refuses large images does not promise to scale them)."""
        return described_for(self.spec.description, self.fit, self.limits)

    @property
    def input_schema(self) -> dict[str, Any]:
        """The manifest's input schema; with ``url_hosts``, the image's text says which URLs."""
        schema: dict[str, Any] = self.spec.json_copy("input_schema")
        image = schema["properties"]["image"]
        image["description"] = described_for(image["description"], self.fit, self.limits)
        if self.url_hosts:
            image["description"] = image["description"].replace(
                URLS_NOT_FETCHED, self.url_hosts_told("It")
            )
        if self.image_roots:
            image["description"] = image["description"].replace(
                _A_PATH, f"{_A_PATH} {_inside(self.image_roots)}", 1
            )
        elif self.model_image_roots == ():
            # No folder at a model door (started in /, the home folder...): every path is
            # refused, so the model is not offered one.
            image["description"] = (
                image["description"].replace(f"{_A_PATH}, ", "", 1) + " " + _NO_PATHS
            )
        return schema

    @property
    def model_description(self) -> str:
        """The manifest's description with what a model passes, for a door whose parameters
        are the seed's (ocp-agent's): they list Slack's ``token`` as required and ``image``
        as optional "file contents", which a model must not take at their word."""
        return set_photo_told(
            self.description, self.input_schema["properties"]["image"]["description"]
        )

    def url_hosts_told(self, subject: str) -> str:
        """What a model is told of the image hosts allowed (at most ``_URL_HOSTS_NAMED``
        named), in a sentence about ``subject``."""
        shown = self.url_hosts[:_URL_HOSTS_NAMED]
        hosts = ", ".join(shown)
        more = len(self.url_hosts) - len(shown)
        if more:
            hosts += f" and {more} more the host allows"
        if len(self.url_hosts) != 1:
            on = "one of these hosts"
        else:  # a leading dot names no host, but the names under it
            on = "a host under this name" if shown[0].startswith(".") else "this host"
        # Said only where a named host has one: beside "images.example.com" alone it
        # described nothing a model was shown.
        dot = (
            " (a leading dot allows every name under it)"
            if any(host.startswith(".") for host in shown)
            else ""
        )
        return (
            f"{subject} may also be an https URL of an image on {on}: {hosts}{dot}; URLs on "
            "hosts not allowed are refused."
        )

    @property
    def endpoint(self) -> str:
        """The URL this tool posts to."""
        return self._slack.url_for(self.spec.slack_method)

    async def call(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Check, upload, check the reply; the reply's JSON, or a ``UsersPhotoError``."""
        reply, _ = await self.call_with_summary(arguments)
        return reply

    async def run(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Like ``call``, but an expected failure comes back as an error object, not an exception.

        The error object is Slack's error shape extended so a model can correct itself:
        ``{"ok": false, "error", "message", "problems", ...}`` (the rest, such as
        ``retry_after`` and ``install_url``, in ``model_result.py``). The arguments are a
        model's, so only the input schema's names are taken: a ``token`` is refused.
        """
        try:
            reply, _ = await self.call_with_summary(arguments, model_facing=True)
        except UsersPhotoError as error:
            return error_result(error, install_url=install_page_of(self.token_source))
        return reply

    def acting_as(
        self, *, team_id: str | None, user_id: str, enterprise_id: str | None = None
    ) -> ActingTool:
        """This tool acting for one person: every call sets that person's photo.

        The host names the person (from its own sign-in, or a Slack request it verified);
        the token source gives their token. Use the result directly, or as
        ``async with`` to bind the person for everything called in the block.
        """
        from ocp_users_photo.acting_tool import ActingTool, acting_person_for

        try:
            person = acting_person_for(
                team_id=team_id, user_id=user_id, enterprise_id=enterprise_id
            )
        finally:
            # Not in the locals a refusal is reported with: a host may pass its token as an id.
            del team_id, user_id, enterprise_id
        return ActingTool(self, person)

    async def whoami(self) -> TokenIdentity:
        """auth.test with the token this tool would use now: whose it is, its scopes.

        For the acting person when one is bound, saying whether the token is theirs
        (``is_acting_persons_own``). A bot token is reported, not refused,
        so the answer can say what to use instead; an app-level or refresh token, which
        acts for no person, is refused here with what to use (TokenNotUsable). Asked
        afresh each time, unlike ``SlackSession.whoami``'s remembered answer: a scope
        added since shows at once.
        """
        from dataclasses import replace

        from ocp_users_photo.whoami import identity_from

        person = acting_person()
        not_called = "auth.test was not called"
        try:
            token = await _token_of(self.token_source, person)
        except InvalidArguments as refused:
            raise TokenNotUsable(refused.problems, refused=not_called) from None
        if token.kind in ("app", "refresh"):
            problem = user_token_problem(token, origin=_origin_of(self.token_source))
            if problem is not None:
                raise TokenNotUsable([problem], refused=not_called)
        reply = await self._slack.call("auth.test", token=token, renew=self._renewer(person))
        identity = identity_from(reply.body, reply.headers, token.kind)
        return replace(identity, acting_for=person) if person is not None else identity

    # Undo: the kept photos of the acting person (undo/) --------------------------------

    @property
    def photo_history(self) -> PhotoHistory:
        """Where replaced photos are kept: ``photo_history=``, else $OCP_USERS_PHOTO_HISTORY,
        else ``photo-history.sqlite3`` in the user's data folder. Opened on first use."""
        if self._photo_history is None:
            from ocp_users_photo.undo.store import PhotoHistory

            given = self._photo_history_given
            if isinstance(given, PhotoHistory):
                self._photo_history = given
            else:
                self._photo_history = PhotoHistory(
                    given or history_path_from(self._photo_history_path)
                )
        return self._photo_history

    async def undo(self) -> dict[str, Any]:
        """Put back what Slack showed before the last change kept here (for the acting person).

        ``users.setPhoto`` with the kept original and its crop box, or ``users.deletePhoto``
        when it was Slack's default avatar. An undo is a change too: what it replaces is
        kept (unless ``keep_previous=False``), so a second undo puts that back. Slack's
        reply, or a ``UsersPhotoError`` (``NothingToUndo`` when nothing is kept).
        """
        from ocp_users_photo.undo.restore import restore_kept

        return (await restore_kept(self, None)).reply

    async def restore(self, entry: int | KeptPhoto) -> dict[str, Any]:
        """Put back kept entry ``entry`` (its number, or a ``KeptPhoto`` from ``history()``).

        Like ``undo``, a change that keeps what it replaces. ``InvalidArguments`` when the
        acting person has no such entry.
        """
        from ocp_users_photo.undo.restore import restore_kept

        return (await restore_kept(self, _entry_number(entry))).reply

    async def history(self) -> list[KeptPhoto]:
        """The acting person's kept photos, newest first: time, size, hash, kind; no bytes."""
        from ocp_users_photo.undo.restore import kept_photos

        return await kept_photos(self)

    def restore_tool(self) -> UsersRestorePhoto:
        """``usersRestorePhoto``, the model-facing way to list and put back kept photos."""
        from ocp_users_photo.undo.restore_tool import UsersRestorePhoto

        return UsersRestorePhoto(self)

    def companion_model_tools(self) -> tuple[ModelTool, ...]:
        """The tools a model door offers beside this one: ``usersRestorePhoto`` while model
        doors keep replaced photos (``keep_previous`` is not False)."""
        if self.keep_previous is False:
            return ()
        return (self.restore_tool(),)

    def _keeper(self, *, model_facing: bool) -> PhotoKeeper | None:
        """The keeper for a change at this door, or None when keeping is off there."""
        keep = self.keep_previous
        if keep is False or (keep is None and not model_facing):
            return None
        return self._keeper_in("if_readable" if keep == "if_readable" else "required")

    def _watching(
        self, observers: Sequence[CallObserver], *, model_facing: bool
    ) -> tuple[CallObserver, ...]:
        """Who hears of a change: the tool's observers, the call's, then the keeper, if any.

        Undo and restore are told as a model door (``model_facing=True``): they keep what
        they replace unless keeping was turned off.
        """
        watching = (*self.observers, *observers)
        hosts_keeper = _host_keeper(watching)  # two would wait on each other: refused
        keeper = self._keeper(model_facing=model_facing)
        if keeper is None or hosts_keeper is not None:
            return watching
        return (*watching, keeper)

    def _call_info(
        self, arguments: Mapping[str, Any], token_override: TokenOverride | None = None
    ) -> CallInfo:
        """What observers are told of a usersSetPhoto call, for the person acting now."""
        return CallInfo(
            tool_name=self.spec.name,
            method=self.spec.method,
            endpoint=self.endpoint,
            arguments=safe_view(arguments, self._known_token_secrets(token_override)),
            person=acting_person(),
        )

    def _known_token_secrets(self, token_override: TokenOverride | None) -> SecretTexts:
        """The forms of the token a call will send, where known before it starts (the one
        handed over for it, or the tool's one fixed token): kept out of what observers and
        an agent's history are told of its arguments, and of the caller's words a refusal
        quotes. A person's token from an installation store is known only once asked for:
        their arguments' view is masked by token shape alone."""
        if token_override is not None:
            return token_override.secret_texts()
        source = self.token_source
        return source.secret_texts() if isinstance(source, StaticToken) else SecretTexts()

    def settle_changes_under_way(self) -> None:
        """For a program about to end at once (``os._exit``): each change under way holds
        its person's turn for the settle time, written now (blocking), as a cancelled one
        does, so that an upload Slack may still set does not overtake the next change."""
        hosts_keeper = _host_keeper(self.observers)
        for keeper in (*self._keepers.values(), *([hosts_keeper] if hosts_keeper else [])):
            keeper.settle_under_way()

    def _keeper_in(self, mode: KeepMode) -> PhotoKeeper:
        keeper = self._keepers.get(mode)
        if keeper is None:
            from ocp_users_photo.undo.keeper import PhotoKeeper

            keeper = PhotoKeeper(self.photo_history, mode=mode, limits=self.limits)
            self._keepers[mode] = keeper
        return keeper

    def _session(self, token: SlackToken, renew: Renew | None) -> SlackSession:
        """A session with ``token``, for a change's observers and the history's owner."""
        return SlackSession(self._slack, token, renew=renew, identities=self._identities)

    def _session_of(self, upload: PreparedUpload) -> SlackSession:
        """A session with the token the upload will be sent with, for the change's observers.

        A token the observers' reads renew (Slack said token_expired) becomes the upload's
        too: the change is then sent with it, not first with the expired one.
        """
        renew = upload.renew
        if renew is None:
            return self._session(upload.token, None)

        async def renew_for_both(expired: SlackToken) -> SlackToken | None:
            fresh = await renew(expired)
            if fresh is not None:
                upload.token = fresh
            return fresh

        return self._session(upload.token, renew_for_both)

    async def _acting_token(
        self, token_override: TokenOverride | None = None, *, refused: str = "nothing was sent"
    ) -> tuple[SlackToken, Renew | None]:
        """The acting person's token and its renewal (undo and history); InvalidArguments if
        there is none, saying what was ``refused`` ("nothing was put back")."""
        person = acting_person()
        token, problems = await self._configured_token(person, token_override)
        if token is None:
            raise TokenNotUsable(problems, refused=refused)
        return token, self._renewer(person) if token_override is None else None

    async def _session_for(
        self, token_override: TokenOverride | None = None, *, refused: str = "nothing was sent"
    ) -> SlackSession:
        """A session with the acting person's token (undo and history); InvalidArguments if none."""
        return self._session(*await self._acting_token(token_override, refused=refused))

    async def _delete_photo(self, token: SlackToken, renew: Renew | None) -> dict[str, Any]:
        """users.deletePhoto with ``token``: Slack shows the default avatar again.

        Its documented success is ``{"ok": true}``: that, with Slack's envelope bounded, is
        all that goes on (to a model, a terminal); anything else a server adds is dropped.
        """
        reply = await self._slack.call("users.deletePhoto", token=token, renew=renew)
        answer: dict[str, Any] = {"ok": True}
        answer.update((key, reply.body[key]) for key in ENVELOPE_FIELDS if key in reply.body)
        return bounded_envelope(answer)

    def call_sync(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """``call`` for code without an event loop; it runs one for the call and closes it."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return run_own_loop(self._call_then_close(arguments))
        raise RuntimeError("call_sync() cannot run inside an event loop: use 'await tool.call()'")

    async def call_with_summary(
        self,
        arguments: Mapping[str, Any],
        *,
        digest: bool = False,
        model_facing: bool = False,
        token_override: TokenOverride | None = None,
        observers: Sequence[CallObserver] = (),
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The reply and a summary of what was sent (image format, size, bytes; a fingerprint if
        ``digest``: images/upload.py).

        Agent integrations record the summary in place of the arguments, which may hold
        a token or a whole image. ``observers`` are told about this call, after the tool's own.
        """
        with call_deadline(self._slack.deadline):  # every request of the call keeps to it
            return await self._call_with_summary(
                arguments,
                digest=digest,
                model_facing=model_facing,
                token_override=token_override,
                observers=observers,
            )

    async def _call_with_summary(
        self,
        arguments: Mapping[str, Any],
        *,
        digest: bool,
        model_facing: bool,
        token_override: TokenOverride | None,
        observers: Sequence[CallObserver],
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        watching = self._watching(observers, model_facing=model_facing)
        if not watching:
            # Nobody to tell: no call's view, change or outcome to build (about 30 us of
            # CPU a call, 4% of one at 100 KB: benchmarks/README.md).
            upload = await self._prepare(
                arguments, model_facing=model_facing, token_override=token_override
            )
            reply = await self._send_checked(upload, digest=digest)  # which closes it
            return reply, upload.summary()
        call = self._call_info(arguments, token_override)
        await notify_started(watching, call)
        try:
            upload = await self._prepare(
                arguments, model_facing=model_facing, token_override=token_override
            )
        except UsersPhotoError as error:
            await notify_ended(watching, call, CallOutcome(image={}, error=error))
            raise
        except BaseException:
            notify_abandoned(watching, call)
            raise
        reply = await self._told_around(watching, call, upload, digest=digest, announce=False)
        return reply, upload.summary()

    async def send(
        self,
        upload: PreparedUpload,
        *,
        digest: bool = False,
        observers: Sequence[CallObserver] = (),
    ) -> dict[str, Any]:
        """Send what ``prepare`` checked; Slack's checked reply. Closes the upload.

        ``upload.summary()`` says what was sent (format, size, bytes, crop box), with a
        fingerprint of the bytes (images/upload.py) when ``digest`` is true.
        ``call_with_summary`` does both steps.
        The tool's observers, then ``observers``, are told of the change as in ``call``
        (one may refuse it: nothing is sent); with ``keep_previous`` on (True or
        "if_readable"), the photo it replaces is kept first.
        """
        if not isinstance(upload, PreparedUpload):
            raise TypeError(
                "send() takes what prepare() checked, not "
                f"{type(upload).__name__}: upload = await tool.prepare(arguments), then "
                "await tool.send(upload) (or await tool.call(arguments) for both steps)"
            )
        if upload.closed:
            raise ValueError(
                "this upload was sent or closed already and its image let go: prepare it "
                "again (upload = await tool.prepare(arguments)) to send that photo again"
            )
        if upload.made_by is not self._uploads_mark:
            # Its token is the other tool's: sent here it would go to this tool's Slack.
            raise ValueError(
                "this upload was prepared by another UsersSetPhoto, with that tool's token "
                "and for its Slack: send it with the tool that prepared it, or prepare it "
                "with this one (upload = await tool.prepare(arguments))"
            )
        watching = self._watching(observers, model_facing=upload.model_facing)
        with call_deadline(self._slack.deadline):
            if not watching:
                return await self._send_checked(upload, digest=digest)
            call = upload.call or self._call_info({})
            return await self._told_around(watching, call, upload, digest=digest)

    async def _token_is_bound_persons(self, upload: PreparedUpload) -> None:
        """With a fixed token (the tool's one, a ``token=`` argument, a handed-over one:
        ``upload.fixed_token``) and a person bound (``acting_as``) when it was prepared or
        now, TokenNotUsable unless auth.test says the token is that person's own (asked
        once per token, and by then already when a keeper asked). Slack sets the photo of
        the token's owner: with keeping off, such a token under ``acting_as(user_id=...)``
        changed its own user's photo and answered ok, as if it were the bound person's. A
        token source whose people install the app is checked so too (an installation
        holding another user's token); other sources are trusted to give each person
        theirs. With any token, an upload prepared for one person and sent where another
        is bound is refused first."""
        prepared_for = upload.call.person if upload.call is not None else None
        bound_now = acting_person()
        if (
            prepared_for is not None
            and bound_now is not None
            and prepared_for.user_id != bound_now.user_id
        ):
            # Whatever the token: sent where another person is bound, an upload prepared
            # (and its token chosen) for one person would change that person's photo.
            raise TokenNotUsable(
                [
                    Problem(
                        TOKEN_PATH,
                        f"this upload was prepared for {prepared_for}, and the person bound "
                        f"now is {bound_now}: prepare it again for {bound_now} (inside their "
                        f"acting_as), or send it where {prepared_for} is bound",
                    )
                ],
            )
        persons = [p for p in (prepared_for, bound_now) if p is not None]
        # A source whose people install the app (its install_url: tokens.install_page_of)
        # gives what its store holds: checked too, as keeping checks it.
        installed = hasattr(self.token_source, "install_url")
        if not persons or not (upload.fixed_token or installed):
            return
        from ocp_users_photo.whoami import is_own_token_of, not_persons_own_for_models

        identity = await self._session_of(upload).whoami()
        person = next((p for p in persons if not is_own_token_of(identity, p)), None)
        if person is None:
            return
        if not upload.fixed_token and not identity.user_id:
            # A reply of another shape (Slack's names the user of every token): whose the
            # token is stays unknown, which is no fault of the store.
            raise TokenNotUsable(
                [
                    Problem(
                        TOKEN_PATH,
                        "Slack's auth.test reply named no user for the token the tool's token "
                        f"source gave for {person} (Slack's always does), so whose it is is "
                        "unknown: try again later; if it keeps happening, check the Slack "
                        "address is Slack's",
                    )
                ],
                refused="nothing was sent to change the photo",
            )
        if not upload.fixed_token:
            # The source's own answer for the person (an installation holding another
            # user's token: a store written wrong): keeping checks it, and so must a call
            # that keeps nothing, else it set the other user's photo and answered ok.
            raise TokenNotUsable(
                [
                    Problem(
                        TOKEN_PATH,
                        f"the token the tool's token source gave for {person} is not their "
                        "own (auth.test names another user), so Slack would set another "
                        "user's photo: the source's store holds someone else's token for "
                        "them; fix the store, or have them install the app again",
                    )
                ],
                refused="nothing was sent to change the photo",
                reinstall=True,  # installing again files their own: the page goes with it
            )
        raise TokenNotUsable(
            [
                Problem(
                    TOKEN_PATH,
                    f"the token this call uses (the tool's one fixed token, or one given for "
                    f"the call) is not the own token of {person}, the person this call acts "
                    "for, so Slack would set another user's photo: give no token= when acting "
                    "for a person, and the tool a token source that gives each person their "
                    "own token (such as InstallationTokenSource), or call it without acting_as",
                    model_message=not_persons_own_for_models(person),
                )
            ],
            refused="nothing was sent to change the photo",
        )

    async def _told_around(
        self,
        watching: Sequence[CallObserver],
        call: CallInfo,
        upload: PreparedUpload,
        *,
        digest: bool,
        announce: bool = True,
    ) -> dict[str, Any]:
        """Send ``upload`` with ``watching`` told of the change (``apply_change``): one may
        refuse it, and the upload is closed whatever happens."""
        change = ChangeInfo(image=upload.summary(), session=self._session_of(upload))
        try:
            return await apply_change(
                watching,
                call,
                change,
                lambda: self._send_checked(upload, digest=digest),
                announce=announce,
                sent=upload.summary,
            )
        finally:
            upload.close()

    async def _send_checked(
        self, upload: PreparedUpload, *, digest: bool = False
    ) -> dict[str, Any]:
        """``send`` without keeping: the request, the reply's check. Closes the upload."""
        try:
            await self._token_is_bound_persons(upload)
            image = upload.image
            if digest:
                image.want_fingerprint()
            reply = await self._slack.call(
                self.spec.slack_method,
                token=upload.token,
                fields=image.crop_box.form_fields() if image.crop_box is not None else None,
                files={
                    "image": FilePart(
                        image.filename, image.content_type, image.body(), size=image.byte_count
                    )
                },
                renew=upload.renew,
                log_detail=image.describe(),
            )
            body = await check_photo_reply_off_loop(reply.body, reply_check=self.reply_check)
            if digest:
                upload.fingerprint = image.fingerprint()
            return body
        finally:
            upload.close()

    def prepare(
        self,
        arguments: Mapping[str, Any],
        *,
        model_facing: bool = False,
        token_override: TokenOverride | None = None,
    ) -> Preparing:
        """Every local check, and any conversion: what would be sent. Raises InvalidArguments.

            async with tool.prepare({"image": "me.png"}) as upload:
                print(upload.summary())          # nothing sent yet
                reply = await tool.send(upload)

        ``await tool.prepare(...)`` gives the upload to the caller, who must ``close()``
        it (it may hold an open file). ``model_facing`` arguments may only use the input
        schema's names (no token).
        """

        async def checks() -> PreparedUpload:
            with call_deadline(self._slack.deadline):  # reading and converting keep to it
                upload = await self._prepare(
                    arguments, model_facing=model_facing, token_override=token_override
                )
            # What send() tells the observers: this call, as the person preparing it.
            upload.call = self._call_info(arguments, token_override)
            upload.model_facing = model_facing
            return upload

        return Preparing(checks)

    async def _prepare(
        self,
        arguments: Mapping[str, Any],
        *,
        model_facing: bool = False,
        token_override: TokenOverride | None = None,
        acting_token: tuple[SlackToken, Renew | None] | None = None,
        fit: Fit | None = None,
        refused: str = NOT_CALLED,
    ) -> PreparedUpload:
        """``prepare``'s checks; ``acting_token``: the token (and renewal) the caller resolved
        already with ``_acting_token`` (undo, restore), so it is not asked for again;
        ``fit``: in place of the tool's (a kept photo goes back scaled whatever it says);
        ``refused`` heads a refusal (an undo's or a restore's own words)."""
        person = acting_person()
        brings_token = not model_facing and isinstance(arguments, Mapping) and "token" in arguments
        configured: SlackToken | None = None
        configured_problems: list[Problem] = []
        renew: Renew | None = None
        if acting_token is not None:
            configured, renew = acting_token
        elif not brings_token:
            configured, configured_problems = await self._configured_token(person, token_override)
            # Only the tool's own source renews its token: a token handed over for this
            # call (token_override) that Slack calls expired fails, never becomes the source's.
            if configured is not None and token_override is None:
                renew = self._renewer(person)
        try:
            return await self._checked(
                arguments,
                configured,
                configured_problems,
                renew,
                model_facing=model_facing,
                brings_token=brings_token,
                token_override=token_override,
                fit=fit,
                refused=refused,
            )
        except InvalidArguments as refusal:
            # A refusal quotes the caller's words (a path, a URL): the host's own token in
            # them, in a shape not known as a token's (no xoxp-, a look-alike hyphen), is
            # redacted too. Raised alone: the original, as context, would still hold it.
            # Alone even when nothing was redacted: an error the caller is handling (an
            # enclosing frame's, under nest_asyncio) would otherwise become its context.
            # A token= argument's own too: known once given, whether or not it was usable.
            raise_alone(_redacted_refusal(refusal, configured, arguments if brings_token else None))

    async def _checked(
        self,
        arguments: Mapping[str, Any],
        configured: SlackToken | None,
        configured_problems: list[Problem],
        renew: Renew | None,
        *,
        model_facing: bool,
        brings_token: bool,
        token_override: TokenOverride | None,
        fit: Fit | None,
        refused: str,
    ) -> PreparedUpload:
        """``_prepare``'s checks once the token is known."""
        parsed, problems = parse_arguments(
            arguments,
            configured_token=configured,
            configured_token_problems=configured_problems,
            model_facing=model_facing,
        )
        # The host's token cannot be used: whatever else is wrong, the caller's arguments
        # alone cannot make this call work (a model must not be asked to retry it).
        refusal = TokenNotUsable if configured_problems else InvalidArguments
        if parsed.image is None:
            raise refusal(problems, refused=refused)
        roots = self.model_image_roots if model_facing else self.image_roots
        # Within a call, the image is ready by the call's deadline or not used: a call whose
        # conversion waited behind other calls' ends in time, and its turn is not taken.
        require_asyncio()  # the deadline is asyncio's: said plainly under another runner
        image = await within_call(
            self._image_of(parsed, roots, problems, refusal, fit or self.fit, refused),
            lambda: _image_not_ready(self._slack.deadline),
        )
        assert parsed.token is not None, "_image_of refuses a call without a token"
        # A token= argument or a handed-over one is nobody's by the source's choice: like
        # the tool's one fixed token, checked against a bound person before it is sent.
        fixed = (
            brings_token
            or token_override is not None
            or isinstance(self.token_source, StaticToken | NoToken)
        )
        return PreparedUpload(
            token=parsed.token,
            image=image,
            renew=renew,
            fixed_token=fixed,
            made_by=self._uploads_mark,
        )

    async def _image_of(
        self,
        parsed: ParsedArguments,
        roots: tuple[Path, ...] | None,
        problems: list[Problem],
        refusal: type[InvalidArguments],
        fit: Fit,
        refused: str,
    ) -> PreparedImage:
        """The image to send, read, checked and converted as ``parsed`` asks; ``refusal``
        with every problem (``problems`` first), headed ``refused``, if it cannot be."""
        assert parsed.image is not None, "checked by _prepare"
        # Refused already: a URL is checked, not fetched (the model's host hears nothing of
        # a call that sends nothing); a file or bytes are still read for their problems.
        refused_already = bool(problems) or parsed.token is None
        context = IntakeContext(image_roots=roots, limits=self.limits, fetches=not refused_already)
        resolved, image_problems = await self._intake.resolve(parsed.image, context)
        problems.extend(image_problems)
        if resolved is None:
            raise refusal(problems, refused=refused)
        try:
            planned, plan_problems = plan_upload(
                resolved.facts, resolved.source, parsed.crop_box, fit=fit, limits=self.limits
            )
            problems.extend(plan_problems)
            if problems or planned is None or parsed.token is None:
                raise refusal(problems, refused=refused)
            if isinstance(planned, ReencodePlan):
                image, encode_problems = await in_conversion_thread(
                    reencode, planned, resolved.source
                )
                if image is None:
                    raise InvalidArguments(encode_problems, refused=refused)
                return image
            return planned
        except BaseException:
            resolved.close()
            raise

    async def _configured_token(
        self, person: ActingPerson | None, token_override: TokenOverride | None
    ) -> tuple[SlackToken | None, list[Problem]]:
        """The token this call uses when its arguments bring none, with its problems."""
        if token_override is not None:
            if token_override.problem is not None:
                return None, [token_override.problem]
            source: TokenSource = token_override.source
            origin = token_override.origin
        else:
            source = self.token_source
            origin = _origin_of(source)
        try:
            token = await _token_of(source, person)
        except InvalidArguments as refused:
            return None, list(refused.problems)
        problem = user_token_problem(token, origin=origin)
        return (None, [problem]) if problem is not None else (token, [])

    def _renewer(self, person: ActingPerson | None) -> Renew:
        source = self.token_source

        async def renew(expired: SlackToken) -> SlackToken | None:
            fresh: object = await _in_call_time(lambda: source.renew(person, expired), source)
            try:
                return None if fresh is None else _as_token(fresh, source)
            except InvalidArguments as refused:
                # The host's source, not the model's arguments: not a call to correct.
                raise TokenNotUsable(
                    refused.problems, refused="the expired token was not renewed"
                ) from None

        return renew

    async def _call_then_close(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return await self.call(arguments)
        finally:
            await self._end_of_own_loop()

    async def _end_of_own_loop(self) -> None:
        """Before a loop of the tool's own ends (call_sync, a synchronous agent's call):
        the loop's closing cancels what is left, so a token refresh Slack may have answered
        already (and spent the old refresh token for) ends first, even when the call was
        interrupted (Ctrl-C), and the source's connections of this loop close with the tool's."""
        # Only what this loop's calls asked for, where the source tells it apart: another
        # person's slow refresh is no reason to hold this call.
        settle = getattr(self.token_source, "settle_this_loop", None)
        if not callable(settle):
            settle = getattr(self.token_source, "settle", None)
        if callable(settle):
            await settle()
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client and the photo history the tool opened (what was passed in is
        left to its owner)."""
        try:
            await self._slack.aclose()
        finally:  # the history is closed whatever the HTTP stack's closing raised
            opened = self._photo_history
            if opened is not None and opened is not self._photo_history_given:
                await opened.aclose()

    def __repr__(self) -> str:
        if "fit" not in vars(self):
            # Half built: a setting was refused in __init__, whose ``self`` a traceback
            # rendered with its locals shows (a failing repr would hide the refusal).
            return "UsersSetPhoto(<not built>)"
        # No token at all shows as None, not as a token whose text is 'None'.
        source = self.token_source
        token = None if isinstance(source, NoToken) else source.description
        return (
            f"UsersSetPhoto(base_url={self.base_url!r}, token={token!r}, "
            f"reply_check={self.reply_check!r}, fit={self.fit!r})"
        )


def _entry_number(entry: object) -> int:
    """A history entry's number, from the number or a listed ``KeptPhoto``."""
    number = getattr(entry, "entry", entry)
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(
            f"entry must be an entry number (1 or more) or a KeptPhoto from history(), not "
            f"{type(entry).__name__}"
        )
    from ocp_users_photo.undo.entries import MAX_ENTRY

    if number < 1 or number > MAX_ENTRY:
        from ocp_users_photo.undo.errors import EntryRefused

        # As the model's door bounds it: a number of thousands of digits was quoted whole,
        # and past 4,300 of them Python's own ValueError (int to text) came out instead.
        raise EntryRefused(
            f"entry {describe_value(number)} is no entry number: entries are numbered from 1 "
            f"to {MAX_ENTRY} (history() lists them)",
            tool_name="restore",
        )
    return number


def _redacted_refusal(
    refusal: InvalidArguments,
    configured: SlackToken | None,
    arguments: Mapping[str, Any] | None,
) -> InvalidArguments:
    """``refusal`` without the forms of the host's token, or of a ``token=`` argument (in
    ``arguments``), in the caller's words it quotes. The forms live in this frame only: the
    refusal's traceback, which an error reporter may render with its locals, holds none."""
    given = arguments.get("token") if arguments is not None else None
    if configured is not None:
        forms = configured.redaction_forms()
    elif isinstance(given, SlackToken):
        forms = given.redaction_forms()
    elif isinstance(given, str | bytes | bytearray | memoryview):
        # Bytes too (a file read in binary mode), refused as no text but quoted all the same;
        # full-width letters read as ASCII and look-alike hyphens and minus signs as "-", so
        # the token's last segment is found as its own.
        text = given if isinstance(given, str) else bytes(given).decode("utf-8", "replace")
        text = text.strip()[:_LONGEST_TOKEN_ARGUMENT]
        plain = "".join(
            "-" if unicodedata.category(c) == "Pd" or c in MINUS_SIGNS else c
            for c in unicodedata.normalize("NFKC", text)
        )
        # A short text is no token (each is over 40 characters): redacted, "image" or "x"
        # would be cut out of every word of the refusal that holds it.
        forms = (*token_secret_forms(plain), text) if len(plain) >= _SHORTEST_TOKEN else ()
    else:
        forms = ()
    return with_secrets_redacted(refusal, forms)


# Far past any Slack token's length: a longer text, refused, is no token to look for whole.
_LONGEST_TOKEN_ARGUMENT: Final = 1024
_SHORTEST_TOKEN: Final = 16


def _image_not_ready(deadline: float) -> TransportError:
    """The call's deadline passed while its image was read, decoded or converted (taking
    turns with other calls' conversions): nothing was sent."""
    return TransportError(
        f"no time was left of the call's {deadline:g} s deadline: the image was still being "
        "read or converted, or waiting for memory other calls' images hold (they go first), "
        "so nothing was sent and nothing can have taken effect. Try again (or give the tool "
        "a longer deadline=)",
        reached=False,
        method="users.setPhoto",
    )


def _check_same_slack(source: TokenSource, base_url: str) -> None:
    """ValueError when ``source`` renews tokens at another Slack API than the tool calls:
    the refresh token and the app's secret would go to a Slack that did not issue them
    (a GovSlack tool refreshing at slack.com), and its tokens would not work here."""
    renews_at = getattr(source, "base_url", None)
    if isinstance(renews_at, str) and not same_slack(renews_at, base_url):
        raise ValueError(
            f"the token source renews tokens at {renews_at} while this tool calls {base_url}: "
            "give both the same base_url= (or the same SLACK_API_URL in their environ=)"
        )


def _token_source(token: TokenSource | None, settings: Settings) -> TokenSource:
    if token is None:
        return settings.token_source
    if isinstance(token, TokenSource):
        return token
    raise TypeError(
        f"token must be a Slack token (text) or a TokenSource, not {type(token).__name__}"
    )


def _url_policy(hosts: Sequence[str] | None, limits: ImageLimits) -> UrlPolicy:
    """The policy for image URLs on ``hosts``, checked now: a bad entry fails at construction
    (ValueError naming it)."""
    if isinstance(hosts, str):
        hosts = [hosts]
    return UrlPolicy(allowed_hosts=tuple(hosts or ()), max_bytes=limits.max_bytes)


def _check_option(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        choices = ", ".join(repr(choice) for choice in allowed)
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


async def _token_of(source: TokenSource, person: ActingPerson | None) -> SlackToken:
    """``source.token_for(person)``; InvalidArguments when the source's answer is no token."""
    if isinstance(source, StaticToken | NoToken):  # no I/O: nothing to bound in time
        return await source.token_for(person)
    given: object = await _in_call_time(lambda: source.token_for(person), source)
    return _as_token(given, source)


async def _in_call_time(asking: Callable[[], Awaitable[T]], source: TokenSource) -> T:
    """``asking()`` (a source's token or renewal), waited for until the call's deadline at
    most: a source's store that never answers (a database behind a firewall that drops
    packets) must not hold the call for ever. TokenUnavailable when it ran out."""
    require_asyncio()  # the deadline is asyncio's: said plainly under another runner
    return await within_call(asking(), lambda: _no_token_in_time(source))


def _no_token_in_time(source: TokenSource) -> TokenUnavailable:
    deadline = call_seconds() or 0.0
    late = TokenUnavailable(
        f"the token source ({source.description}) gave no token within the call's "
        f"{deadline:.3g} s deadline (its store did not answer, or a token refresh is still "
        "under way: that one goes on and is saved); nothing was sent: try again, and if it "
        "persists, check what the source reads (its installation store's database)"
    )
    # The source's description names the store's database (a path, a database URL's host
    # and user): the host's to read, not a model's.
    late.model_message = (
        f"the host's token source gave no token within the call's {deadline:.3g} s deadline "
        "(its store did not answer, or a token refresh is still under way); nothing was "
        "sent: try again in a moment, and if it persists, tell the person that whoever runs "
        "this app must check its installation store"
    )
    return late


def _as_token(given: object, source: TokenSource) -> SlackToken:
    """A source's answer as a SlackToken: a host's own source may give the token as text,
    checked as any token is (else InvalidArguments, saying what came instead)."""
    if isinstance(given, SlackToken):
        return given
    if given is None:
        raise _none_given(source)
    token, problems = check_token_text(given, origin=_origin_of(source))
    if token is None:
        raise InvalidArguments(problems)
    return token


def _none_given(source: TokenSource) -> TokenUnavailable:
    """A host's own source answering None: it has no token for the person (not "the token
    must be text", which sent its author to the wrong fault)."""
    refused = TokenUnavailable(
        f"the token source ({source.description}) gave no token (None) for the acting person; "
        "nothing was sent. A source with no token for a person raises TokenUnavailable "
        "(ocp_users_photo.TokenUnavailable: what to do, and install_url where they install "
        "the app), which a model is told as it is"
    )
    refused.model_message = (
        "the host has no Slack token for this person, so nothing was sent: tell the person to "
        "ask whoever runs this app to connect their Slack account"
    )
    return refused


def _origin_of(source: TokenSource) -> str:
    """Where a source's token comes from, for messages (``$SLACK_USER_TOKEN``, ``token=``)."""
    return str(getattr(source, "origin", source.description))


def _host_keeper(observers: Sequence[CallObserver]) -> PhotoKeeper | None:
    """The PhotoKeeper among ``observers``, if any. Not imported to look: while its module
    is not loaded, no PhotoKeeper can exist (and an import on the loop reads files)."""
    keeper_module = sys.modules.get("ocp_users_photo.undo.keeper")
    if not observers or keeper_module is None:
        return None
    kind: type[PhotoKeeper] = keeper_module.PhotoKeeper
    keepers = [observer for observer in observers if isinstance(observer, kind)]
    if len(keepers) > 1:
        raise ValueError(
            "observers hold more than one PhotoKeeper: give one (each would wait for the "
            "person's turn the other holds)"
        )
    return keepers[0] if keepers else None


def _one_history(
    kept_in: PhotoHistory, photo_history: PhotoHistory | str | os.PathLike[str] | None
) -> PhotoHistory:
    """The keeper's history, which ``photo_history``, when given too, must name."""
    from ocp_users_photo.undo.store import PhotoHistory

    if photo_history is None or photo_history is kept_in:
        return kept_in
    given = photo_history.path if isinstance(photo_history, PhotoHistory) else photo_history
    # Compared as written (no file system call: tools are made inside event loops too).
    if os.path.normpath(home_expanded(given)) != os.path.normpath(kept_in.path):
        raise ValueError(
            f"photo_history ({given}) is not the history the PhotoKeeper in observers keeps "
            f"in ({kept_in.path}): give the same, or leave photo_history out"
        )
    return kept_in
