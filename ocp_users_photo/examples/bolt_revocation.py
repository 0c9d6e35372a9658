"""When a person or a workspace removes the photo app: their tokens and kept photos go.

Slack sends ``tokens_revoked`` (a person removed the app, or an admin revoked their
token) and ``app_uninstalled`` (the workspace removed it). Bolt's own listeners delete
installations under the request's team id, which misses an organisation-wide
installation (stored under the organisation alone); these delete them as the token
source looks them up, and remove the photos kept for undo of those people from the app's
history (``PhotoHistory.forget``), so nothing of a person who left stays behind. An
event left unanswered would be delivered again and counted as failed by Slack.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Literal

import anyio.to_thread

from ocp_users_photo.extras import missing_extra

try:
    from slack_bolt.async_app import AsyncApp, AsyncBoltContext
    from slack_sdk.errors import SlackApiError
    from slack_sdk.oauth.installation_store import Bot, Installation
    from slack_sdk.oauth.installation_store.async_installation_store import (
        AsyncInstallationStore,
    )
    from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
except ModuleNotFoundError as missing:  # the extra is not installed
    raise missing_extra("bolt", missing) from missing

from ocp_users_photo.installations.errors import InstallationStoreFailed
from ocp_users_photo.installations.sqlite_absence import confirm_no_bot
from ocp_users_photo.installations.store_access import AsyncStoreInThreads, StoreAccess
from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.undo import HistoryOwner, PhotoHistory

logger = logging.getLogger(__name__)
# Between deletions tried again: slack_sdk's SQLite store logs a failed delete (a backup
# or a migration holding the database) and returns as if it had deleted; Bolt has
# answered Slack already, which sends the event once. About 15 s in all.
_PAUSES_BEFORE_DELETING_AGAIN: Final = (0.5, 1.0, 2.0, 4.0, 8.0)

__all__ = ["forget_on_revocation", "installation_team"]

# What the store holds of what an event removed: nothing, that (installed by the event's
# time), only what was installed since, or a row saved since whose token Slack could not
# say works (rate limited, failing, unreachable): asked again, never taken for either.
Stored = Literal["nothing", "from before", "installed since", "unconfirmed"]
# What Slack answers auth.test with a token it revoked (or whose app was removed).
_REVOKED: Final = frozenset(
    {"token_revoked", "invalid_auth", "account_inactive", "not_authed", "app_uninstalled"}
)
# Asks Slack whether a token works: auth.test with it (Bolt's client), raising
# SlackApiError for one refused.
AuthTest = Callable[[str], Awaitable[object]]


def forget_on_revocation(
    bolt: AsyncApp, installations: AsyncInstallationStore, history_path: str
) -> None:
    """Handle ``tokens_revoked`` and ``app_uninstalled`` on ``bolt``."""

    @bolt.event("tokens_revoked")
    async def tokens_revoked(
        event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        revoked_at = _sent_at(body)
        tokens = event.get("tokens")
        tokens = tokens if isinstance(tokens, Mapping) else {}
        people = [user for user in tokens.get("oauth") or () if isinstance(user, str)]
        team_id = installation_team(context)
        history = PhotoHistory(history_path)
        access = StoreAccess(installations)
        forgotten = 0
        try:
            for user_id in people:

                async def delete(user_id: str = user_id) -> None:
                    await installations.async_delete_installation(
                        enterprise_id=context.enterprise_id, team_id=team_id, user_id=user_id
                    )

                async def kept(user_id: str = user_id) -> Stored:
                    try:
                        person = ActingPerson(team_id, user_id, context.enterprise_id)
                    except ValueError:  # no Slack-shaped id: no installation the source finds
                        return "nothing"
                    found = await access.find(person)
                    token = None if found is None else found.user_token
                    return await _stored_alive(found, revoked_at, token, _auth_test(context))

                if await _deleted(delete, kept, f"the installation of {user_id}"):
                    forgotten += 1
                workspace = context.enterprise_id or context.team_id or ""
                await history.forget(HistoryOwner(workspace, user_id))
        finally:
            await history.aclose()
        if tokens.get("bot"):
            await _deleted_from_workspace(
                installations.async_delete_bot,
                installations,
                context,
                revoked_at,
                "the bot's token",
            )
        logger.info("tokens revoked: %d of %d person(s) forgotten", forgotten, len(people))

    @bolt.event("app_uninstalled")
    async def app_uninstalled(body: dict[str, Any], context: AsyncBoltContext) -> None:
        await _deleted_from_workspace(
            installations.async_delete_all,
            installations,
            context,
            _sent_at(body),
            "its installations",
        )
        # The kept photos are keyed by the organisation in an Enterprise Grid: one
        # workspace of it leaving does not say which of its people used the app there.
        if context.enterprise_id is None or context.is_enterprise_install:
            history = PhotoHistory(history_path)
            try:
                await history.forget_workspace(context.enterprise_id or context.team_id or "")
            finally:
                await history.aclose()
        logger.info("the app was uninstalled from a workspace: its installations removed")


def installation_team(context: AsyncBoltContext) -> str | None:
    """The person's team id as the token source looks it up: none for an org-wide
    installation (slack_sdk stores it under the organization alone, and Bolt's context
    still names the workspace the request came from)."""
    return None if context.is_enterprise_install else context.team_id


async def _deleted(
    delete: Callable[[], Awaitable[None]], kept: Callable[[], Awaitable[Stored]], what: str
) -> bool:
    """``delete()`` what ``kept()`` says is still stored from before the event, until it
    says it is gone; False, with a warning naming ``what``, if it is not after about 15 s.
    What was installed again since the event is kept, and said: the store may still hold
    rows of the old installation (slack_sdk keeps every save), with their revoked tokens.
    While the store cannot say (busy), nothing is deleted blind: a deletion waiting on its
    lock landed after a reinstall saved meanwhile, and removed it. Only a store that never
    says, to the last attempt, has the installation deleted blind then; one that said it
    held it, and was busy after its deletion, is not deleted from again blind."""
    still: Stored | None = None
    said = False  # whether the store ever answered what it holds
    for pause in (0.0, 0.0, *_PAUSES_BEFORE_DELETING_AGAIN):
        await asyncio.sleep(pause)
        try:
            still = await kept()
        except InstallationStoreFailed:  # the store is busy or failing: it cannot say
            still = None
        else:
            said = True
        if still == "nothing":
            return True
        if still == "installed since":
            logger.warning(
                "%s was installed again since the app was removed: the new installation is "
                "kept; the store may still hold the old one's rows, with their revoked tokens",
                what,
            )
            return True
        if still == "from before":
            await delete()
    if still == "unconfirmed":
        logger.warning(
            "%s was saved again since the app was removed, and Slack could not say whether "
            "its token still works (rate limited, failing or unreachable): its tokens stay "
            "stored; remove it by hand if the person did not install the app again",
            what,
        )
        return False
    if still is None and not said:
        await delete()
        logger.warning(
            "the installation store never said whether %s was still stored (busy or "
            "failing): it was deleted without that answer; check that it is gone once the "
            "store answers",
            what,
        )
        return False
    if still is None:
        logger.warning(
            "the installation store held %s and was busy or failing after it was deleted: "
            "whether it is gone is not known; check that it is once the store answers",
            what,
        )
        return False
    logger.warning(
        "could not remove %s from the installation store (busy or failing): its tokens stay "
        "stored until it is removed; remove it by hand once the store answers",
        what,
    )
    return False


async def _deleted_from_workspace(
    delete: Callable[..., Awaitable[None]],
    installations: AsyncInstallationStore,
    context: AsyncBoltContext,
    revoked_at: float,
    what: str,
) -> bool:
    """``_deleted`` for what the store keeps of the workspace (its bot, everything):
    looked for by its bot, which every installation of this app saves."""
    ids = {"enterprise_id": context.enterprise_id, "team_id": installation_team(context)}
    kept = functools.partial(
        _bot_kept, installations, revoked_at=revoked_at, auth_test=_auth_test(context), **ids
    )
    return await _deleted(
        functools.partial(delete, **ids),
        kept,
        f"{what} (workspace {context.enterprise_id or context.team_id})",
    )


def _sent_at(body: Mapping[str, Any]) -> float:
    """When Slack sent the event (its ``event_time``), else now: what was installed after
    it is a new installation, not the one the event is about."""
    sent = body.get("event_time")
    return (
        float(sent) if isinstance(sent, int | float) and not isinstance(sent, bool) else time.time()
    )


def _auth_test(context: AsyncBoltContext) -> AuthTest | None:
    """auth.test through the request's Bolt client, with a token given; None without one."""
    client = getattr(context, "client", None)
    auth_test = getattr(client, "auth_test", None)
    if not callable(auth_test):
        return None

    async def asked(token: str) -> object:
        answer: object = await auth_test(token=token)
        return answer

    return asked


async def _stored_alive(
    found: Installation | Bot | None, revoked_at: float, token: str | None, auth: AuthTest | None
) -> Stored:
    """``_stored``, where what looks installed since the event is asked of Slack: the
    store stamps a row with the time it is saved (slack_sdk's SQLite store, on every save),
    so a refreshed copy of the revoked installation, or the bot Bolt rotated, saved after
    the event's time, read as a new installation, and the revoked tokens stayed stored.
    One whose token Slack refuses as revoked is the installation the event is about."""
    stored = _stored(found, revoked_at)
    if stored != "installed since" or not token or auth is None:
        return stored
    try:
        await auth(token)
    except SlackApiError as refused:
        error = refused.response.get("error") if refused.response is not None else None
        return "from before" if error in _REVOKED else "unconfirmed"
    except Exception:  # Slack cannot say now: asked again (``_deleted``)
        return "unconfirmed"
    return stored


def _stored(found: Installation | Bot | None, revoked_at: float) -> Stored:
    """What the store's newest ``found`` is: nothing, the installation the event is about
    (installed by the time the event was sent, a second's grace for the clocks'
    difference), or one installed since."""
    if found is None:
        return "nothing"
    return (
        "from before" if float(found.installed_at or 0) <= revoked_at + 1.0 else "installed since"
    )


async def _bot_kept(
    installations: AsyncInstallationStore,
    enterprise_id: str | None,
    team_id: str | None,
    revoked_at: float,
    auth_test: AuthTest | None = None,
) -> Stored:
    """What the store holds of the workspace's bot (``_stored``); InstallationStoreFailed
    when it cannot say (slack_sdk's SQLite store answers a read it could not make with
    None)."""
    try:
        found = await installations.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=team_id is None,
        )
        store = installations.store if isinstance(installations, AsyncStoreInThreads) else None
        if found is None and isinstance(store, SQLite3InstallationStore):
            # Rows of the workspace's bot in the file: the store's read of them failed.
            await anyio.to_thread.run_sync(
                functools.partial(
                    confirm_no_bot,
                    store,
                    enterprise_id=enterprise_id,
                    team_id=team_id,
                    is_enterprise_install=team_id is None,
                )
            )
    except Exception as error:
        raise InstallationStoreFailed("reading the bot's installation", error) from None
    token = None if found is None else found.bot_token
    return await _stored_alive(found, revoked_at, token, auth_test)
