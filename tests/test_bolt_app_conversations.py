# ruff: noqa: F811  (photo_app, the fixture imported from test_bolt_photo_app, is a parameter here)
"""The example Bolt app as a builder runs it: Slack's redeliveries, messages it has no
command for (an image shared in the direct message), an installation from before the app
asked to read photos."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx

from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.installation_helpers import TEAM_ID, photo_tokens
from tests.test_bolt_photo_app import (  # noqa: F401  (the fixtures are parameters here)
    RunningApp,
    direct_message,
    emulator_config,
    install_through_the_app,
    photo_app,
    posted,
)


async def test_slacks_redelivery_of_an_undo_does_not_undo_the_undo(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """Slack redelivers an event (same event_id, x-slack-retry-num) when it saw no 200 in
    3 seconds. The app handles "photo undo" again, and an undo is a change too: the
    second puts back the photo the first took away."""
    emulator.faults.inject(
        Fault.json({"ok": True, "channel": "D0DIRECT01", "ts": "1.000001"}),
        times=10,
        path="chat.postMessage",
    )
    await install_through_the_app(photo_app, "UALICE0001")
    default = emulator.state.person("UALICE0001").avatar_hash  # type: ignore[union-attr]
    await direct_message(photo_app, "UALICE0001", "photo red", event_id="Ev0RED00001")
    await posted(emulator, "chat.postMessage", 1)
    await direct_message(photo_app, "UALICE0001", "photo undo", event_id="Ev0UNDO0001")
    await posted(emulator, "chat.postMessage", 2)
    await direct_message(photo_app, "UALICE0001", "photo undo", event_id="Ev0UNDO0001", retry=1)
    await asyncio.sleep(1.5)  # whatever the redelivery does, it has done it by now
    assert emulator.state.person("UALICE0001").avatar_hash == default  # type: ignore[union-attr]


async def test_a_photo_shared_in_the_direct_message_is_answered(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """Asked to "set my photo to this", the person attaches an image and writes "photo". No listener
    matches, so Bolt answers Slack 404 "unhandled request" (Slack retries the event and counts
    it failed) and the person hears nothing. So for any other direct message ("thanks")."""
    emulator.faults.inject(
        Fault.json({"ok": True, "channel": "D0DIRECT01", "ts": "1.000001"}),
        times=5,
        path="chat.postMessage",
    )
    await install_through_the_app(photo_app, "UALICE0001")
    delivered = await direct_message(
        photo_app,
        "UALICE0001",
        "photo",
        subtype="file_share",
        files=[
            {
                "id": "F0PORTRAIT1",
                "name": "me.png",
                "mimetype": "image/png",
                "url_private": "https://files.slack.com/files-pri/T0EMULATOR-F0PORTRAIT1/me.png",
            }
        ],
    )
    assert delivered.status_code == 200, delivered.text
    [reply] = await posted(emulator, "chat.postMessage", 1)
    assert "red.png" in str(reply["text"])  # what the app can do instead
    assert photo_tokens(emulator) == []


async def test_a_person_whose_install_lacks_the_read_scope_is_sent_the_install_link(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """Alice installed before the app asked for users.profile:read. She is told what the
    app's developer should do (manifest, keep_previous=False, --no-keep-previous), not to
    install the app again, and gets no link."""
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(f"{photo_app.url}/slack/install")
        cookie = start.headers["set-cookie"].split(";")[0]
        parts = urlsplit(start.headers["location"])
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        query.update(user_scope="users.profile:write", emulator_user="UALICE0001")
        approve = await browser.get(urlunsplit(parts._replace(query=urlencode(query))))
        landed = await browser.get(approve.headers["location"], headers={"cookie": cookie})
        assert landed.status_code == 200
    answer = await photo_app.app.set_photo_for(
        team_id=TEAM_ID, user_id="UALICE0001", enterprise_id=None, requested="red"
    )
    assert answer.startswith("Your photo was not changed")
    assert f"{photo_app.url}/slack/install" in answer
    assert "--no-keep-previous" not in answer  # the person runs no command line


async def test_a_token_typed_as_the_image_name_is_not_posted_back_into_slack(
    photo_app: RunningApp,
) -> None:
    """'photo xoxp-...' (a token pasted by mistake): the answer, which goes into the
    person's direct messages and Slack's history, names no token."""
    pasted = "xoxp-9999999999-9999999999999-fedcba9876543210fedcba9876543210"
    answer = await photo_app.app.set_photo_for(
        team_id=TEAM_ID, user_id="UALICE0001", enterprise_id=None, requested=pasted
    )
    assert answer.startswith("Your photo was not changed: there is no image called")
    assert "red.png" in answer
    assert pasted[:20] not in answer
