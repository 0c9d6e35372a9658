"""The example Bolt app's authorize step (the review of 2026-12-07 15:40 UTC).

Bolt's authorize ran auth.test with the bot's token at every request, before the ack, so
a slow auth.test held a /photo's ack past Slack's 3 s (Slack told the person it failed
while their photo changed), and a rate limit or a 5xx on it answered the person with
Bolt's "your installation ... is no longer available. Please reinstall". A workspace where
the app has no installation it can use got that same answer, with no install link, though
the app was given one (``PHOTO_APP_INSTALL_URL``).
"""

from __future__ import annotations

import time

from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.examples.bolt_photo_app import RecentAuthorizations
from tests.installation_helpers import photo_tokens
from tests.test_bolt_app_as_slack_drives_it import answers_accepted
from tests.test_bolt_photo_app import (
    RESPONSE_METHOD,
    RunningApp,
    emulator_config,  # noqa: F401 (fixture: the app's emulator)
    install_through_the_app,
    photo_app,  # noqa: F401 (fixture: the app, served)
    posted,
    slash_command,
)


async def _alice_set_red_once(emulator: RunningEmulator, app: RunningApp) -> None:
    """Alice installs through the app and sets a photo: Bolt has met her bot token once."""
    answers_accepted(emulator)
    await install_through_the_app(app, "UALICE0001")
    assert (await slash_command(app, emulator, "UALICE0001", "red")).status_code == 200
    await posted(emulator, RESPONSE_METHOD, 1)


async def test_a_slow_auth_test_does_not_hold_the_ack_of_a_command(
    emulator: RunningEmulator,
    photo_app: RunningApp,  # noqa: F811
) -> None:
    await _alice_set_red_once(emulator, photo_app)
    emulator.faults.inject(Fault.delay(5), path="auth.test")
    started = time.monotonic()
    acked = await slash_command(photo_app, emulator, "UALICE0001", "blue")
    assert acked.status_code == 200
    assert time.monotonic() - started < 3  # Slack's limit for the ack
    answer = (await posted(emulator, RESPONSE_METHOD, 2))[1]
    assert answer["text"] == "Done: your Slack photo is now blue."


async def test_a_rate_limited_auth_test_does_not_tell_the_person_to_reinstall(
    emulator: RunningEmulator,
    photo_app: RunningApp,  # noqa: F811
) -> None:
    await _alice_set_red_once(emulator, photo_app)
    for failure in (Fault.rate_limited(), Fault.status(503)):
        emulator.faults.inject(failure, path="auth.test")
        acked = await slash_command(photo_app, emulator, "UALICE0001", "blue")
        assert acked.status_code == 200
    answers = await posted(emulator, RESPONSE_METHOD, 3)
    assert not any("reinstall" in str(answer["text"]) for answer in answers), answers


def test_the_authorizations_remembered_are_bounded() -> None:
    remembered = RecentAuthorizations(limit=2)
    for token in ("xoxb-1", "xoxb-2", "xoxb-3"):
        remembered[token] = None  # type: ignore[assignment]
    assert list(remembered) == ["xoxb-2", "xoxb-3"]
    # Its keys are bot tokens: neither its repr nor its str shows one.
    assert "xoxb" not in repr(remembered)
    assert "xoxb" not in str(remembered)


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
