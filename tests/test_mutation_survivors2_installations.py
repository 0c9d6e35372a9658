"""Mutation survivors, second round, on the per-person token path (its own module: it
uses the installation tests' emulator configuration and store fixtures)."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.oauth.installation_store.installation_store import InstallationStore

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.installations import ForeignInstallation, SingleProcessRefreshLock
from tests.installation_helpers import (
    TEAM_ID,
    install,
    photo_tokens,
    portrait,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
)
from tests.test_installations_hostile import ALICE, source_for

# --- installations/source.py _elsewhere: an org-wide installation of an organization not named ---
# Mutant: `if installation.is_enterprise_install and person.enterprise_id is None:` ->
# `if False:` (a store that filters by user id alone gave an Enterprise Grid org-wide install
# of the same user id; the host named only a workspace, and the photo was set with that
# organization's token, for whoever it belongs to there).


class _OrgWideStore(InstallationStore):
    """Answers every lookup with the person's installation made org-wide, of an organization
    the host did not name."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def save(self, installation: Any) -> None:
        self.inner.save(installation)

    def find_installation(self, *, user_id: str | None = None, **_: Any) -> Any:
        found = self.inner.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=user_id)
        if found is not None:
            found.is_enterprise_install = True
            found.enterprise_id = "E0ORGWIDE1"
        return found


async def test_an_org_wide_installation_of_an_organization_not_named_is_foreign(
    emulator: RunningEmulator,
    store: Any,
) -> None:
    await install(emulator, store, ALICE.user_id)
    source = source_for(emulator, _OrgWideStore(store), refresh_lock=SingleProcessRefreshLock())
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(ForeignInstallation):
            await tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": portrait()})
    assert photo_tokens(emulator) == []


async def test_a_token_another_process_refreshed_counts_only_while_it_lasts(tmp_path: Any) -> None:
    """_fresher: a token someone else refreshed since this call read the old one is used
    instead of refreshing again, but only while it lasts a little (30 s, or the margin):
    one that is itself about to expire would have every waiting call fail on it."""
    import time

    from slack_sdk.oauth.installation_store import Installation

    from ocp_users_photo.credentials import SlackToken
    from ocp_users_photo.installations import InstallationTokenSource
    from tests.installation_helpers import CLIENT_ID, CLIENT_SECRET, sqlite_store

    now = time.time()
    source = InstallationTokenSource(
        sqlite_store(tmp_path / "i.db"),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        clock=lambda: now,
        environ={},
    )

    def installation(token: str, expires_in: int | None) -> Installation:
        return Installation(
            user_id="UALICE0001",
            team_id=TEAM_ID,
            user_token=token,
            user_token_expires_in=expires_in,
            installed_at=now,
        )

    seen = SlackToken("xoxe.xoxp-1-old")
    async with source:
        assert not source._fresher(installation("xoxe.xoxp-1-old", 3600), seen, ALICE)  # same
        assert source._fresher(installation("xoxe.xoxp-1-new", 3600), seen, ALICE)
        assert source._fresher(installation("xoxe.xoxp-1-new", None), seen, ALICE)  # no end
        assert not source._fresher(installation("xoxe.xoxp-1-new", 10), seen, ALICE)  # expiring
