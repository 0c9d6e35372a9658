"""Slack failing at a token's refresh (its own fault), as a model is told it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from tests.conftest import inject
from tests.installation_helpers import (
    LIFETIME,
    TEAM_ID,
    emulator_source,
    install,
    portrait,
    rotation_config,
    sqlite_store,
)

INSTALL_PAGE = "https://example.com/slack/install"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return rotation_config()


@pytest.mark.parametrize("code", ["internal_error", "fatal_error", "service_unavailable"])
async def test_slack_failing_at_a_refresh_asks_for_a_later_try_not_an_install(
    emulator: RunningEmulator, tmp_path: Path, code: str
) -> None:
    """The refresh token is still good: installing again mends nothing, a call later may."""
    store = sqlite_store(tmp_path / "installations.db")
    await install(emulator, store, "UOUTAGE001")
    emulator.state.advance_clock(LIFETIME)  # the token expired: the call refreshes it
    inject(emulator, Fault.slack_error(code), method="oauth.v2.access")
    async with (
        emulator_source(emulator, store, install_url=INSTALL_PAGE) as source,
        UsersSetPhoto(source, base_url=emulator.base_url, environ={}, keep_previous=False) as tool,
    ):
        result = await tool.acting_as(team_id=TEAM_ID, user_id="UOUTAGE001").run(
            {"image": portrait()}
        )
    assert result["error"] == "refresh_failed"
    assert "install_url" not in result, result
    message = result["message"]
    assert "install the app" not in message, message
    assert INSTALL_PAGE not in message, message
    assert "try again in a few minutes" in message, message
