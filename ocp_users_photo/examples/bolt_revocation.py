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

import logging
from collections.abc import Mapping
from typing import Any

from ocp_users_photo.extras import missing_extra

try:
    from slack_bolt.async_app import AsyncApp, AsyncBoltContext
    from slack_sdk.oauth.installation_store.async_installation_store import (
        AsyncInstallationStore,
    )
except ModuleNotFoundError as missing:  # the extra is not installed
    raise missing_extra("bolt", missing) from missing

from ocp_users_photo.undo import HistoryOwner, PhotoHistory

logger = logging.getLogger(__name__)

__all__ = ["forget_on_revocation", "installation_team"]


def forget_on_revocation(
    bolt: AsyncApp, installations: AsyncInstallationStore, history_path: str
) -> None:
    """Handle ``tokens_revoked`` and ``app_uninstalled`` on ``bolt``."""

    @bolt.event("tokens_revoked")
    async def tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        tokens = event.get("tokens")
        tokens = tokens if isinstance(tokens, Mapping) else {}
        people = [user for user in tokens.get("oauth") or () if isinstance(user, str)]
        team_id = installation_team(context)
        history = PhotoHistory(history_path)
        try:
            for user_id in people:
                await installations.async_delete_installation(
                    enterprise_id=context.enterprise_id, team_id=team_id, user_id=user_id
                )
                workspace = context.enterprise_id or context.team_id or ""
                await history.forget(HistoryOwner(workspace, user_id))
        finally:
            await history.aclose()
        if tokens.get("bot"):
            await installations.async_delete_bot(
                enterprise_id=context.enterprise_id, team_id=team_id
            )
        logger.info("tokens revoked: %d person(s) forgotten", len(people))

    @bolt.event("app_uninstalled")
    async def app_uninstalled(context: AsyncBoltContext) -> None:
        await installations.async_delete_all(
            enterprise_id=context.enterprise_id, team_id=installation_team(context)
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
