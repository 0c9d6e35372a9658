"""The example Bolt app answers a /photo from a workspace where it has no installation it
can use (the review of 2026-12-07 15:40 UTC): Bolt's own answer told a person who never
installed that "your installation ... is no longer available. Please reinstall", and named
no install link, though the app was given one (``PHOTO_APP_INSTALL_URL``)."""

from __future__ import annotations

from ocp_users_photo.emulator import RunningEmulator
from tests.installation_helpers import photo_tokens
from tests.test_bolt_app_as_slack_drives_it import answers_accepted
from tests.test_bolt_photo_app import (
    RESPONSE_METHOD,
    RunningApp,
    emulator_config,  # noqa: F401 (fixture: the app's emulator)
    photo_app,  # noqa: F401 (fixture: the app, served)
    posted,
    slash_command,
)


async def test_a_workspace_without_the_apps_installation_is_given_the_install_link(
    emulator: RunningEmulator,
    photo_app: RunningApp,  # noqa: F811
) -> None:
    # The app installed from its settings page ("Install to Workspace"): Slack sends its
    # requests, and the app's store holds no bot of that workspace.
    answers_accepted(emulator)
    acked = await slash_command(photo_app, emulator, "UCAROL0003", "red", team_id="T0ELSEWHERE")
    assert acked.status_code == 200
    [answer] = await posted(emulator, RESPONSE_METHOD, 1)
    assert answer["text"] == (
        "Your photo was not changed: this app has no installation in this workspace that it "
        "can use (it was installed from its settings page, not its install link, or removed). "
        f"Install it: {photo_app.url}/slack/install"
    )
    assert not photo_tokens(emulator)
