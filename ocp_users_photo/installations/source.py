"""InstallationTokenSource: each person's own user token, from slack_sdk's installation stores.

The host binds the acting person (``tool.acting_as`` or ``tokens.acting_as``); this
source finds that person's newest installation by enterprise, team and user id, and
gives its user token. A token that expires within ``refresh_margin`` seconds, or that
Slack answered ``token_expired`` for, is refreshed through oauth.v2.access and the
installation saved back. A refresh happens once however many calls want it: tasks
and threads in this process wait on a lock per person, processes sharing the store on a lock in
the store's database, and whoever waited reads the installation the winner saved.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import enum
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Literal

import httpx
from slack_sdk.oauth.installation_store import Installation

from ocp_users_photo.arguments import check_max_retries
from ocp_users_photo.closing import AsyncClosing
from ocp_users_photo.credentials import (
    ClientCredentials,
    SlackToken,
    check_token_text,
    shown_client_id,
)
from ocp_users_photo.environment import Environment
from ocp_users_photo.errors import RateLimited, TokenUnavailable, UsersPhotoError, raise_alone
from ocp_users_photo.installations.errors import (
    ForeignInstallation,
    InstallationStoreFailed,
    NoActingPerson,
    NotInstalled,
    RefreshBusy,
    RefreshImpossible,
    TokenRefreshFailed,
    UserTokenMissing,
)
from ocp_users_photo.installations.person_locks import PersonLocks
from ocp_users_photo.installations.refresh_grant import companions_of, refresh_user_token
from ocp_users_photo.installations.refresh_locks import LockNotTaken, RefreshLock, refresh_lock_for
from ocp_users_photo.installations.refresh_runner import RefreshRunner, wait_from_loop
from ocp_users_photo.installations.refused_refreshes import RefusedRefreshes, key_of
from ocp_users_photo.installations.shared_failures import SharedFailures
from ocp_users_photo.installations.store_access import AnyInstallationStore, StoreAccess
from ocp_users_photo.safe_text import quoted
from ocp_users_photo.settings import Settings
from ocp_users_photo.slack.client import SlackClient
from ocp_users_photo.slack.deadlines import call_deadline, check_seconds, outside_call_deadline
from ocp_users_photo.slack.retry import RetryPolicy
from ocp_users_photo.spec import MAX_WEB_URI_CHARS
from ocp_users_photo.token_kinds import token_kind
from ocp_users_photo.tokens import ActingPerson, install_page

logger = logging.getLogger("ocp_users_photo")

DEFAULT_REFRESH_MARGIN = 300.0
# How long one refresh (oauth.v2.access, its retries and waits, and the auth.test that
# confirms whose the new token is) may take. The 60 s a refresh lock's lease lasts
# (sqlite_lease.py) must hold all that is done under it: the store's read before (SQLite
# waits up to 5 s on a busy file), the refresh, the read of what was stored meanwhile (5),
# and the first save after (two connections, each up to 5 s): 5 + 35 + 5 + 10 s. So no refresh
# outlives its lock, and a second process never refreshes the same installation beside
# it, or finds its spent refresh token before the save (Slack spends it when it answers).
REFRESH_DEADLINE = 35.0
# How long settle() waits for the refreshes under way: a refresh lock's lease, all one
# may take (REFRESH_DEADLINE's budget above).
SETTLE_SECONDS = 60.0
# A refreshed installation's save is tried this many times (a busy database, a lost
# connection), 0.05 s then 0.2 s apart, before it is kept in memory (see _save_refreshed).
SAVE_ATTEMPTS = 3
# Then it is saved again in the background (other processes serving the person read the
# store, which holds the refresh token Slack spent): first after 1 s, the waits doubling
# up to RESAVE_MAX_WAIT, for RESAVE_SECONDS at most (after that, at the person's next call).
RESAVE_FIRST_WAIT = 1.0
RESAVE_MAX_WAIT = 30.0
RESAVE_SECONDS = 3600.0


class _Gone(enum.Enum):
    """The store's answer when the person's installation is gone (_stored_meanwhile)."""

    DELETED = "deleted"


def _check_settings(refresh_margin: object, timeout: object, max_retries: object) -> None:
    """As the tool checks its own (check_seconds, check_max_retries): taken, a timeout of 0, -1
    or NaN failed every refresh as "try again in a few minutes", max_retries=-1 raised an
    AssertionError, and a refresh_margin of 10**400 an OverflowError naming no setting."""
    check_seconds("refresh_margin", refresh_margin, allow_zero=True)
    check_seconds("timeout", timeout)
    check_max_retries(max_retries)


def _installed_again(
    stored: Installation, refreshed_from: Installation, spent: str, kept_from: str | None = None
) -> bool:
    """Whether ``stored``, the store's newest now, is an installation made since the refresh
    of ``refreshed_from`` began: another refresh token, and a token that lasts as long or
    longer. A copy saved back by another writer (a Bolt app, a host's own code) holds an
    older token, and dropping the refreshed one for it would leave the person a refresh
    token Slack spent. ``kept_from``: when ``refreshed_from`` was a copy kept unsaved, the
    digest of the refresh token of the store's row it came from; that row is no new
    installation either (its token may outlast the copy's, one due at once)."""
    if key_of(stored.user_refresh_token or "") in (spent, kept_from):
        return False
    if not stored.user_token or stored.user_token == refreshed_from.user_token:
        return False
    ends, old_ends = stored.user_token_expires_at, refreshed_from.user_token_expires_at
    return ends is None or (old_ends is not None and ends >= old_ends)  # whole seconds


# Kinds of token that never set a person's photo: in an installation's user token, damage.
NOT_USER_KINDS = frozenset({"bot", "app", "refresh"})

# How long a token another call refreshed meanwhile must still last to be taken as it is.
FRESH_ENOUGH_SECONDS = 30.0


class InstallationTokenSource(AsyncClosing):
    """A ``TokenSource`` over an installation store: the acting person's token, kept fresh.

    ``client_id`` and ``client_secret`` are the app's (its Basic Information page); they
    authenticate the refresh. ``install_url`` is where a person without an installation
    can install the app, quoted in the error a model gets. ``refresh_lock`` defaults to
    the lock in the store's own database (SQLite, PostgreSQL); other stores need one.
    """

    def __init__(
        self,
        store: AnyInstallationStore,
        *,
        client_id: str,
        client_secret: str,
        install_url: str | None = None,
        refresh_lock: RefreshLock | None = None,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        base_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        clock: Callable[[], float] = time.time,
        environ: Mapping[str, str] | Environment | None = None,
    ) -> None:
        environment = Environment.of(environ)
        # From here held only where no repr shows them: an error reporter sends the locals
        # of every frame an error leaves (a refused setting below), mappings walked.
        try:
            self._credentials = ClientCredentials(client_id, client_secret)
        finally:
            # client_id too: a host that swapped the two gives the secret as client_id
            # (shown_client_id), which the credentials keep.
            del client_id, client_secret, environ
        self._store = StoreAccess(store)
        if (
            self._store.client_id is not None
            and self._store.client_id != self._credentials.client_id
        ):
            kept = shown_client_id(self._store.client_id)
            raise ValueError(
                f"the store keeps installations of client_id {kept}, not "
                f"{shown_client_id(self._credentials.client_id)}: a refresh token only works "
                "with the app that issued it"
            )
        if install_url is not None and install_page(install_url) is None:
            raise ValueError(
                f"install_url must be an http(s) URL of at most {MAX_WEB_URI_CHARS} characters, "
                "with spaces and other characters a URL cannot hold percent-encoded (%20...), "
                f"got {quoted(str(install_url))}"
            )
        _check_settings(refresh_margin, timeout, max_retries)
        self.install_url = install_url
        self.refresh_lock: RefreshLock = (
            refresh_lock if refresh_lock is not None else refresh_lock_for(store)
        )
        self.refresh_margin = float(refresh_margin)
        self._clock = clock
        self._locks = PersonLocks()
        # Refreshes under way, on the runner's loop, which no caller's cancellation or loop's
        # end reaches (see _refresh); aclose waits for them before closing the HTTP client.
        self._runner = RefreshRunner()
        # With the host's http_client, refreshes run on the caller's loop instead (_refresh).
        self._own_client = http_client is None
        self._on_callers_loops: set[asyncio.Task[Installation]] = set()
        # The refreshes under way on the runner's loop, each with the loop of the call that
        # asked for it: a loop of a call's own that ends waits for its own (settle_this_loop),
        # not for other people's, whose calls wait for them.
        self._asked_from: dict[
            concurrent.futures.Future[Installation], asyncio.AbstractEventLoop
        ] = {}
        # Refreshed installations whose save failed, by lock key: the only copy of the
        # person's live refresh token (Slack spent the stored one), used and saved again
        # at the person's next call.
        self._unsaved: dict[str, Installation] = {}
        # For each, the digest (key_of) of the refresh token it was refreshed from: saved
        # only while the store still holds that installation (not deleted, not replaced).
        self._unsaved_from: dict[str, str] = {}
        # Their saves again in the background, on the runner's loop, by lock key.
        self._resaving: dict[str, concurrent.futures.Future[None]] = {}
        # Each one's wake-up (its loop and event), and whether aclose has ended them: a save
        # under way in the store finishes first (aclose waits for it), none starts after.
        self._resave_wakers: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        # Counted up by each aclose: a save in the background ends when the count it began
        # under has passed, and one begun after the close (the source used again) goes on.
        self._resave_closes = 0
        # Lasting refusals of a refresh, remembered a minute: not asked again meanwhile.
        self._refused = RefusedRefreshes()
        # The last failed refresh of each person, for the calls that waited on it.
        self._failures = SharedFailures()
        # How long the token each person's last refresh here got lives, by lock key: a
        # token living less than twice the margin is refreshed at half its life instead
        # (else, living less than the margin, every call would refresh it).
        self._lifetimes: dict[str, float] = {}
        from ocp_users_photo.tool import USER_AGENT

        # The environment's proxy, HTTP stack and trusted CAs (SSL_CERT_FILE/DIR), as the
        # tool's own calls use them: a refresh crosses the same network.
        settings = Settings.from_environment(environment, base_url=base_url)
        self._slack = SlackClient(
            base_url=settings.base_url,
            user_agent=USER_AGENT,
            http_client=http_client,
            timeout=min(timeout, REFRESH_DEADLINE),
            deadline=REFRESH_DEADLINE,
            retry=RetryPolicy(max_retries=max_retries),
            proxy=settings.proxy,
            http_stack=settings.http_stack,
            trusted_roots=settings.trusted_roots,
        )

    @property
    def description(self) -> str:
        return f"installations in {self._store.describe()}"

    @property
    def base_url(self) -> str:
        """The Slack API the refreshes go to (with the refresh token and the app's secret)."""
        return self._slack.base_url

    @property
    def client_id(self) -> str:
        return self._credentials.client_id

    async def token_for(self, person: ActingPerson | None) -> SlackToken:
        """The acting person's user token, refreshed first if it expires within the margin."""
        person = _bound(person)
        installation = await self._installation(person)
        if self._expiring(installation, person):
            current = self._token_of(installation)
            try:
                installation = await self._refresh(person, current)
            except (TokenRefreshFailed, RefreshImpossible, RefreshBusy, RateLimited) as failed:
                # Refreshed ahead of its end, the token still works: a refresh Slack did
                # not answer, refused, or rate-limited (the app's refreshes, not this
                # call's method) need not fail a call it can still make. Said to the host
                # all the same, and again at each call until mended.
                lasts = _seconds_left(installation, self._clock())
                if lasts is None or lasts < FRESH_ENOUGH_SECONDS:
                    raise
                logger.warning(
                    "could not refresh the user token of %s ahead of its end (%s); its "
                    "current token, good for %d s more, is used meanwhile",
                    person,
                    failed.code,
                    lasts,
                )
        return self._token_of(installation)

    async def renew(self, person: ActingPerson | None, expired: SlackToken) -> SlackToken:
        """A token Slack will take after it answered ``token_expired`` for ``expired``."""
        installation = await self._refresh(_bound(person), expired)
        return self._token_of(installation)

    def _token_of(self, installation: Installation) -> SlackToken:
        """The installation's user token, with the secrets Slack holds beside it (the
        person's refresh token, the app's client secret) redacted wherever it is: a reply
        to this token that echoed them (a server's bug, a hostile one) showed them to the
        model, the logs and the error."""
        companions = companions_of(installation.user_refresh_token, self._credentials)
        return SlackToken(_user_token(installation), companions=companions)

    async def installation_for(self, person: ActingPerson) -> Installation:
        """The person's newest installation as stored (not refreshed), or a typed error."""
        return await self._installation(person)

    async def _installation(self, person: ActingPerson, *, locked: bool = False) -> Installation:
        """The installation to use: the one kept unsaved here, else the store's newest.
        ``locked``: the caller holds the person's lock (a refresh)."""
        unsaved = await self._unsaved_for(person, locked=locked)
        if unsaved is not None:
            return unsaved
        installation = await self._store.find(person)
        if installation is None:
            filed = await self._filed_otherwise(person)
            raise NotInstalled(person, install_url=self.install_url, filed_under=filed)
        if installation.user_id != person.user_id or _elsewhere(installation, person):
            raise ForeignInstallation(person)
        if not installation.user_token:
            raise UserTokenMissing(person, install_url=self.install_url)
        if (
            check_token_text(installation.user_token, origin="the store")[1]
            or token_kind(installation.user_token) in NOT_USER_KINDS
        ):
            # A bot, app or refresh token in the user token's place is refused here, as the
            # installation's fault (install again), not by the tool as a token to replace,
            # whose words quote the source's description (the store's path) to a model.
            raise UserTokenMissing(person, install_url=self.install_url, damaged=True)
        return installation

    async def _filed_otherwise(
        self, person: ActingPerson
    ) -> Literal["workspace", "organization"] | None:
        """Where the store files this person's installation when the host bound them with both
        an enterprise and a workspace and none was found so: under the workspace alone (no
        Enterprise Grid org: the enterprise id is one too many) or under the organization
        alone (an org-wide installation). For the refusal's words only: what is found so is
        never used, the host's binding is."""
        if person.enterprise_id is None or person.team_id is None:
            return None
        workspace = ActingPerson(team_id=person.team_id, user_id=person.user_id)
        organization = ActingPerson(
            team_id=None, user_id=person.user_id, enterprise_id=person.enterprise_id
        )
        try:
            # The organization's first: it is the one an enterprise id names.
            if await self._store.find(organization) is not None:
                return "organization"
            if await self._store.find(workspace) is not None:
                return "workspace"
        except InstallationStoreFailed:
            pass  # the refusal says what it would have said without looking
        return None

    async def _unsaved_for(self, person: ActingPerson, *, locked: bool) -> Installation | None:
        """The person's refreshed installation whose save failed, saved now if the store
        takes it (then None: the store answers); else still the one to use.

        Saved under the person's lock only: a save of it left to run beside a refresh would
        land after the newer installation that refresh saved, and the store's newest would
        hold the refresh token Slack spent."""
        key = self._lock_key(person)
        if key not in self._unsaved:
            return None
        if locked:
            return await self._save_unsaved(key, person)
        async with self._locks.hold(key):
            return await self._save_unsaved(key, person)

    async def _save_unsaved(self, key: str, person: ActingPerson) -> Installation | None:
        unsaved = self._unsaved.get(key)
        if unsaved is None:
            return None
        try:
            if await self._replaced(key, person):
                self._forget_unsaved(key, unsaved)
                logger.info(
                    "the refreshed installation of %s kept unsaved is dropped: the store's "
                    "installation it came from was deleted or replaced meanwhile",
                    person,
                )
                return None
            await self._store.save(unsaved)
        except InstallationStoreFailed:
            return unsaved
        self._forget_unsaved(key, unsaved)
        logger.info("saved the refreshed installation of %s at last", person)
        return None

    async def _replaced(self, key: str, person: ActingPerson) -> bool:
        """Whether the store no longer holds, as the person's newest, the installation the
        unsaved one was refreshed from: the host deleted it (the person removed the app) or
        the person installed again. Saved then, the copy in memory would bring a removed
        person back, or be filed over their new installation."""
        spent = self._unsaved_from.get(key)
        if spent is None:
            return False
        stored = await self._store.find(person)
        return stored is None or key_of(stored.user_refresh_token or "") != spent

    def _forget_unsaved(self, key: str, unsaved: Installation) -> None:
        if self._unsaved.get(key) is unsaved:
            del self._unsaved[key]
            self._unsaved_from.pop(key, None)

    def _expiring(self, installation: Installation, person: ActingPerson) -> bool:
        """Whether the token ends within the margin, or within half the life of the tokens
        Slack gives this person (seen at a refresh here) when that is shorter."""
        expires_at = installation.user_token_expires_at
        if expires_at is None:
            return False
        return expires_at - self._margin_for(person) <= self._clock()

    def _margin_for(self, person: ActingPerson) -> float:
        """The refresh margin, or half the life of the tokens Slack gives this person (seen
        at a refresh here) when that is shorter."""
        lifetime = self._lifetimes.get(self._lock_key(person))
        if lifetime is None:
            return self.refresh_margin
        return min(self.refresh_margin, lifetime / 2)

    def _fresher(
        self, installation: Installation, seen_token: SlackToken, person: ActingPerson
    ) -> bool:
        """Whether someone else refreshed since ``seen_token`` was read, and it is still good:
        good for a little while, not the whole refresh margin (a token that lives less than
        the margin would have every waiting call refresh again, one after another), nor
        more than half the life of the person's tokens (one living less than
        FRESH_ENOUGH_SECONDS was refreshed again by each waiting call: five at once, five
        refreshes)."""
        if installation.user_token == seen_token.reveal():
            return False
        expires_at = installation.user_token_expires_at
        lasts = min(self._margin_for(person), FRESH_ENOUGH_SECONDS)
        return expires_at is None or expires_at - lasts > self._clock()

    async def _refresh(self, person: ActingPerson, seen_token: SlackToken) -> Installation:
        """The refreshed installation, the refresh run to its end whatever the caller does.

        Slack spends the refresh token when it answers: a refresh abandoned between asking
        and saving (a caller's timeout cancelling it) would leave the store holding a spent
        refresh token, and the person would have to install the app again. So it runs on
        the refresh runner's loop (``refresh_runner.py``), which no caller's cancellation or
        loop's end reaches; a cancelled caller just stops waiting for it. With the host's
        own ``http_client``, whose connections belong to the host's loop, it runs there, in
        a task of its own, shielded: ``call_sync`` and ``aclose`` wait for it.
        """
        refreshing = self._refresh_once(person, seen_token)
        if not self._own_client:
            task = asyncio.get_running_loop().create_task(refreshing)
            self._on_callers_loops.add(task)
            task.add_done_callback(self._on_callers_loops.discard)
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
            return await asyncio.shield(task)
        future = self._runner.submit(refreshing)
        self._asked_from[future] = asyncio.get_running_loop()
        future.add_done_callback(self._asked_from.pop)
        return await wait_from_loop(future)

    async def _refresh_once(self, person: ActingPerson, seen_token: SlackToken) -> Installation:
        key = self._lock_key(person)
        asked_at = self._failures.now()
        async with self._locks.hold(key):
            current = await self._installation(person, locked=True)
            if self._fresher(current, seen_token, person):
                return current
            # One that failed while this call waited is its answer too (shared_failures.py).
            failed = self._failures.ended_since(key, asked_at)
            if failed is not None:
                raise_alone(failed)
            try:
                async with self._across_processes(person, key):
                    current = await self._installation(person, locked=True)
                    if self._fresher(current, seen_token, person):
                        return current
                    refreshed = await self._refresh_now(person, current)
            except UsersPhotoError as failure:
                self._failures.record(key, failure)
                raise
            self._failures.forget(key)
            return refreshed

    async def _refresh_now(self, person: ActingPerson, installation: Installation) -> Installation:
        if not installation.user_refresh_token:
            raise RefreshImpossible(person, install_url=self.install_url)
        token_key = key_of(installation.user_refresh_token)  # no local holds the token
        refused = self._refused.recall(token_key)
        if refused is not None:  # asked again so soon, Slack would say the same
            logger.debug("the refresh of %s was refused moments ago (%s)", person, refused)
            raise TokenRefreshFailed(person, slack_error=refused, install_url=self.install_url)
        try:
            return await self._refreshed(person, installation)
        except TokenRefreshFailed as failed:
            self._refused.remember(token_key, failed.slack_error)
            raise

    async def _refreshed(self, person: ActingPerson, installation: Installation) -> Installation:
        logger.debug("refreshing the user token of %s", person)
        try:
            # Not the call's deadline (never cut short), but one of its own for the grant and
            # the auth.test that confirms whose its token is, both under the lock's lease:
            # each had 35 s, and a slow Slack let the lease run out (a second process then
            # sent the refresh token Slack had spent).
            with outside_call_deadline(), call_deadline(REFRESH_DEADLINE):
                outcome = await refresh_user_token(
                    self._slack,
                    self._credentials,
                    installation,
                    person,
                    now=self._clock(),
                    install_url=self.install_url,
                )
        except TokenRefreshFailed as refused:
            if refused.slack_error != "invalid_refresh_token":
                raise
            # Someone outside this lock (a Bolt app refreshing on its own, a host whose
            # lease ran out) may have spent the refresh token and saved what it got.
            latest = await self._installation(person, locked=True)
            if latest.user_refresh_token == installation.user_refresh_token:
                raise
            if not self._fresher(latest, SlackToken(installation.user_token or ""), person):
                raise
            return latest
        refreshed = outcome.installation
        spent = key_of(installation.user_refresh_token or "")
        stored = await self._stored_meanwhile(person)
        if stored is _Gone.DELETED:
            # The host forgot the person while Slack answered (a Bolt app's tokens_revoked
            # handler): saved now, the installation would come back and be acted for.
            self._unsaved.pop(self._lock_key(person), None)
            self._unsaved_from.pop(self._lock_key(person), None)
            logger.info(
                "the installation of %s was deleted while its token was refreshed: not saved again",
                person,
            )
            raise NotInstalled(person, install_url=self.install_url)
        kept_from = self._unsaved_from.get(self._lock_key(person))
        if isinstance(stored, Installation) and _installed_again(
            stored, installation, spent, kept_from
        ):
            # The person installed the app again while Slack answered (asked to, for a scope
            # the old installation lacked): that installation is the newest. Saved now, the
            # refreshed copy of the old one would be filed over it, its grant lost.
            try:
                newest = await self._installation(person, locked=True)
            except TokenUnavailable:
                newest = None  # unusable after all: the refreshed copy is saved, as ever
            if newest is not None:
                logger.info(
                    "%s installed the app again while their old token was refreshed: the new "
                    "installation is used, and the old one's refreshed copy is not saved",
                    person,
                )
                return newest
        await self._save_refreshed(person, refreshed, spent)
        if outcome.unconfirmed is not None:
            # Saved due at once: the next call refreshes it again, and asks whose it is.
            logger.warning(
                "refreshed the user token of %s, but Slack did not confirm whose it is (%s): "
                "it is not used until a refresh is confirmed",
                person,
                outcome.unconfirmed,
            )
            raise TokenRefreshFailed(
                person,
                slack_error=None,
                unconfirmed=outcome.unconfirmed,
                install_url=self.install_url,
            )
        logger.info("refreshed the user token of %s", person)
        lifetime = None
        if refreshed.user_token_expires_at is not None:
            lifetime = max(refreshed.user_token_expires_at - self._clock(), 0.0)
        if lifetime is not None and lifetime < 2 * self.refresh_margin:
            self._lifetimes[self._lock_key(person)] = lifetime
        else:
            # Only short lives change the margin: kept for every person, Slack's 12 hours
            # grew a table by one entry per person served, never dropped.
            self._lifetimes.pop(self._lock_key(person), None)
        return refreshed

    async def _stored_meanwhile(
        self, person: ActingPerson
    ) -> Installation | Literal[_Gone.DELETED] | None:
        """The person's newest installation in the store now, ``_Gone.DELETED`` when there is none
        (deleted by the host since the refresh began), or None when the store cannot answer:
        not taken for a delete, the refreshed token is the only live copy, and is saved (or
        kept) as ever."""
        try:
            found = await self._store.find(person)
        except InstallationStoreFailed:
            return None
        return _Gone.DELETED if found is None else found

    async def _save_refreshed(
        self, person: ActingPerson, refreshed: Installation, spent: str
    ) -> None:
        """Save a refreshed installation: Slack spent the stored refresh token when it
        answered, so this is the only copy of the live one. A save that fails is tried
        again; one that still fails keeps the installation in memory (used, and saved again,
        at the person's next call in this process) and raises InstallationStoreFailed."""
        key = self._lock_key(person)
        for attempt in range(SAVE_ATTEMPTS):
            try:
                await self._store.save(refreshed)
            except InstallationStoreFailed:
                if attempt == SAVE_ATTEMPTS - 1:
                    self._unsaved[key] = refreshed
                    # Refreshed from a copy kept unsaved, it comes from what the store holds.
                    self._unsaved_from.setdefault(key, spent)
                    self._resave_in_background(key, person)
                    logger.warning(
                        "could not save the refreshed installation of %s: kept in this "
                        "process and saved again in the background and at their next call "
                        "(until then other processes find a spent refresh token; if this "
                        "process ends first, they must install the app again)",
                        person,
                    )
                    raise
                await asyncio.sleep(0.05 * 4**attempt)
            else:
                self._unsaved.pop(key, None)
                self._unsaved_from.pop(key, None)
                return

    def _resave_in_background(self, key: str, person: ActingPerson) -> None:
        """Save the person's unsaved installation again without waiting for their next call
        here: other processes (workers of one deployment) read the store meanwhile."""
        running = self._resaving.get(key)
        # One of the runner's under way: in a forked child the parent's never ends (the
        # runner forgot its loop there), and the child's own save must not wait on it.
        if running is not None and running in self._runner.under_way():
            return
        # The closes counted so far: a close from now on ends it, even before it has begun.
        future = self._runner.submit(self._keep_saving(key, person, self._resave_closes))
        self._resaving[key] = future
        future.add_done_callback(lambda done: self._forget_resave(key, done))

    def _forget_resave(self, key: str, done: concurrent.futures.Future[None]) -> None:
        if self._resaving.get(key) is done:
            del self._resaving[key]
        if not done.cancelled():
            done.exception()  # retrieved: a failure was logged where it happened

    async def _keep_saving(self, key: str, person: ActingPerson, closes: int) -> None:
        """Save the person's unsaved installation (``_save_unsaved``, under their lock) until
        the store takes it, it is saved or replaced elsewhere, the source closes or the time
        runs out."""
        closing = asyncio.Event()
        waker = (asyncio.get_running_loop(), closing)
        self._resave_wakers.add(waker)  # before the count is read: aclose counts, then wakes
        try:
            wait, ends = RESAVE_FIRST_WAIT, time.monotonic() + RESAVE_SECONDS
            while time.monotonic() < ends and self._resave_closes == closes:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(closing.wait(), wait)
                if self._resave_closes != closes:
                    return
                wait = min(2 * wait, RESAVE_MAX_WAIT)
                async with self._locks.hold(key):  # not beside a refresh of the same person
                    if await self._save_unsaved(key, person) is None:
                        return  # saved now (and said so), or saved or replaced meanwhile
            if self._resave_closes == closes:
                logger.warning(
                    "the refreshed installation of %s is still unsaved: saved at their next "
                    "call in this process",
                    person,
                )
        finally:
            self._resave_wakers.discard(waker)

    @contextlib.asynccontextmanager
    async def _across_processes(self, person: ActingPerson, key: str) -> AsyncIterator[None]:
        """The refresh lock, its own failures made typed; the block's errors pass unchanged."""
        lock = self.refresh_lock.hold(key)
        failure: TokenUnavailable | None = None
        try:
            await lock.__aenter__()
        except LockNotTaken as timeout:
            failure = RefreshBusy(person, timeout.waited_seconds)
        except Exception as error:
            failure = InstallationStoreFailed("taking the refresh lock", error)
        if failure is not None:
            # Alone: the lock's own error (a database's, a caller's lock's) may quote its
            # connection's password, and would stay this error's __context__.
            raise_alone(failure)
        try:
            yield
        except BaseException as error:
            with contextlib.suppress(Exception):
                await lock.__aexit__(type(error), error, error.__traceback__)
            raise
        try:
            await lock.__aexit__(None, None, None)
        except Exception as error:
            # The refresh is saved; a lease left behind ends by itself.
            logger.warning("could not release the refresh lock (%s)", type(error).__name__)

    def _lock_key(self, person: ActingPerson) -> str:
        parts = (self.client_id, person.enterprise_id or "", person.team_id or "", person.user_id)
        return "|".join(parts)

    async def settle(self) -> None:
        """Wait for the refreshes under way (their callers perhaps gone) to save what they
        got: before a loop of the caller's own ends (``call_sync``), or a process exits."""
        loop = asyncio.get_running_loop()
        resaving = set(self._resaving.values())  # not waited for: they may take an hour
        under_way: list[asyncio.Future[Installation]] = [
            wait_from_loop(future) for future in self._runner.under_way() if future not in resaving
        ]
        under_way.extend(task for task in self._on_callers_loops if task.get_loop() is loop)
        await self._wait_settled(under_way)

    async def _wait_settled(self, under_way: list[asyncio.Future[Installation]]) -> None:
        """Wait for ``under_way``, at most ``SETTLE_SECONDS``."""
        if under_way:
            _, still = await asyncio.wait(under_way, timeout=SETTLE_SECONDS)
            if still:
                # A store that never answers held a refresh before Slack was even asked
                # (call_sync returned only when the store did, if ever). Past the lease,
                # another process may take the refresh over anyway.
                logger.warning(
                    "%d token refresh(es) still under way after %.0f s, not waited for "
                    "further: the installation store may not be answering",
                    len(still),
                    SETTLE_SECONDS,
                )

    async def settle_this_loop(self) -> None:
        """``settle`` for the refreshes the calls of the running loop asked for: before a
        loop of a call's own ends (``call_sync``, a synchronous agent's call). Another
        person's refresh under way (a slow Slack, a stalled store) is waited for by their
        own call, not by every call that ends meanwhile."""
        loop = asyncio.get_running_loop()
        under_way: list[asyncio.Future[Installation]] = [
            wait_from_loop(future)
            for future, asked_from in list(self._asked_from.items())
            if asked_from is loop
        ]
        under_way.extend(task for task in self._on_callers_loops if task.get_loop() is loop)
        await self._wait_settled(under_way)

    async def aclose(self) -> None:
        """Once the refreshes under way have saved what they got, close the HTTP client the
        source opened for them and stop their thread (a later refresh starts it again).
        Each wait is bounded (``SETTLE_SECONDS``): past it, what still waits on the store
        is left to finish in its thread."""
        await self.settle()
        # Background saves end (what is still unsaved is lost with this source, as said):
        # one in the store finishes first, and the runner's aclose waits for it.
        self._resave_closes += 1
        for loop, closing in list(self._resave_wakers):
            with contextlib.suppress(RuntimeError):  # its loop closed meanwhile
                loop.call_soon_threadsafe(closing.set)
        # Bounded too: a store that never answers (a refresh stalled before Slack was asked,
        # or a background save) held aclose for ever. What is left runs on in its daemon
        # thread, the source's HTTP client open for it, and saves what it gets.
        if not await self._runner.aclose(last=self._slack.aclose, wait=SETTLE_SECONDS):
            logger.warning(
                "the token source was closed with work still under way after %.0f s, left "
                "running in its own thread: the installation store may not be answering",
                SETTLE_SECONDS,
            )

    def __repr__(self) -> str:
        if "refresh_lock" not in vars(self):
            # Half built: a setting was refused in __init__, whose ``self`` a traceback
            # rendered with its locals shows (a failing repr would hide the refusal).
            return "InstallationTokenSource(<not built>)"
        return (
            f"InstallationTokenSource({self._store.describe()}, "
            f"client_id={shown_client_id(self.client_id)}, "
            f"refresh_lock={self.refresh_lock!r})"
        )


def _bound(person: ActingPerson | None) -> ActingPerson:
    if person is None:
        raise NoActingPerson()
    return person


def _elsewhere(installation: Installation, person: ActingPerson) -> bool:
    """Whether ``installation`` is of another organization or workspace than ``person``'s
    (a store that filters by user id alone): its token would act there, not here."""
    if person.enterprise_id is not None and installation.enterprise_id != person.enterprise_id:
        return True
    if installation.is_enterprise_install and person.enterprise_id is None:
        # Org-wide, of an organization the host did not name: nothing says the person's
        # workspace belongs to it.
        return True
    return (
        not installation.is_enterprise_install
        and person.team_id is not None
        and installation.team_id != person.team_id
    )


def _seconds_left(installation: Installation, now: float) -> float | None:
    """How long the installation's user token is still good for (None: it never expires)."""
    expires_at = installation.user_token_expires_at
    return None if expires_at is None else expires_at - now


def _user_token(installation: Installation) -> str:
    token = installation.user_token
    assert token is not None, "_installation() refuses installations without a user token"
    return token
