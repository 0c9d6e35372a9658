# ruff: noqa: F811  (photo_app, the fixture imported from test_bolt_photo_app, is a parameter here)
"""The example Bolt app driven as Slack drives it: each test states what a careful Bolt
app does (they failed before: a review of the app, r-bolt)."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

import httpx

from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.installation_helpers import TEAM_ID, photo_tokens
from tests.test_bolt_photo_app import (  # noqa: F401  (the fixtures are parameters here)
    RESPONSE_METHOD,
    RunningApp,
    direct_message,
    emulator_config,
    install_through_the_app,
    photo_app,
    posted,
    signed,
    slash_command,
)


def answers_accepted(emulator: RunningEmulator) -> None:
    emulator.faults.inject(
        Fault.json({"ok": True, "channel": "D0DIRECT01", "ts": "1.000001"}),
        times=20,
        path="chat.postMessage",
    )
    emulator.faults.inject(Fault.json({"ok": True}), times=20, path=RESPONSE_METHOD)


def texts(emulator: RunningEmulator, method: str) -> list[str]:
    return [
        str(json.loads(r.body or b"{}").get("text")) for r in emulator.requests.for_path(method)
    ]


async def test_a_long_run_of_spaces_in_a_direct_message_does_not_stall_everyone(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """A message of a long run of spaces must not stall the app. PHOTO_MESSAGE was
    `photo\\s+(?P<name>\\S.*?)\\s*$`, which backtracked quadratically over a run of
    spaces followed by a non-space; Bolt's keyword matcher (re.findall) and the listener
    ran it on the event loop, before the event's ack. Anyone who can DM the app
    (no installation of their own needed) stalls every request the app serves: the loop
    (shared here by the app and this test) does not tick, and the event's own 200 comes
    after Slack's 3 seconds, so Slack redelivers it."""
    answers_accepted(emulator)
    await install_through_the_app(photo_app, "UBOB000002")
    gaps: list[float] = []

    async def heartbeat() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    beating = asyncio.create_task(heartbeat())
    started = time.monotonic()
    delivered = await direct_message(photo_app, "UMALLORY01", "photo a" + " " * 12000 + "x")
    answered_after = time.monotonic() - started
    beating.cancel()
    assert delivered.status_code == 200
    stood_still = max(gaps, default=answered_after)  # answered before a first beat: no gap
    assert stood_still < 1.0, f"the app's event loop stood still for {stood_still:.1f} s"
    assert answered_after < 3.0, f"Slack's event was acknowledged after {answered_after:.1f} s"


async def test_a_redelivery_of_an_event_never_handled_is_handled(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """The first delivery failed (the app was restarting: x-slack-retry-reason http_error);
    the redelivery is the only one the app sees. skip_redeliveries drops every event with
    x-slack-retry-num, so the person's "photo red" is neither done nor answered."""
    answers_accepted(emulator)
    await install_through_the_app(photo_app, "UALICE0001")
    body = json.dumps(
        {
            "token": "unused-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0EMULATOR1",
            "type": "event_callback",
            "event_id": "Ev0NEVERSEEN1",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": "UALICE0001", "is_bot": False}],
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": "D0DIRECT01",
                "user": "UALICE0001",
                "text": "photo red",
                "ts": f"{time.time():.6f}",
            },
        }
    )
    headers = signed(body, "application/json")
    headers.update({"x-slack-retry-num": "1", "x-slack-retry-reason": "http_error"})
    async with httpx.AsyncClient(timeout=10) as slack:
        delivered = await slack.post(f"{photo_app.url}/slack/events", content=body, headers=headers)
    assert delivered.status_code == 200
    [reply] = await posted(emulator, "chat.postMessage", 1)
    assert reply["text"] == "Done: your Slack photo is now red."


async def test_photo_in_a_channel_neither_changes_nor_posts_publicly(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """ "photo NAME" is for a direct message (module docstring, README, other_message's own
    channel_type check), but photo_message has no such check: in a channel it sets the
    sender's photo and answers in the channel with say(), echoing Slack markup such as
    <!channel> (a ping to everyone) and a labelled link under the app's name."""
    answers_accepted(emulator)
    await install_through_the_app(photo_app, "UALICE0001")
    for text in ("photo red", "photo <!channel> <https://evil.example/x|Reinstall the app here>"):
        await direct_message(
            photo_app, "UALICE0001", text, channel_type="channel", channel="C0GENERAL1"
        )
    await asyncio.sleep(1.5)
    assert photo_tokens(emulator) == []
    assert texts(emulator, "chat.postMessage") == []


async def test_a_link_as_slack_sends_it_in_a_message_is_refused_as_a_link(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """Slack sends a URL typed in a message as <https://...>; the link check only looks for
    a leading http(s)://, so the person is told there is no image called '<https://...>'."""
    answers_accepted(emulator)
    await install_through_the_app(photo_app, "UALICE0001")
    await direct_message(photo_app, "UALICE0001", "photo <https://example.com/me.png>")
    [reply] = await posted(emulator, "chat.postMessage", 1)
    assert "this app takes its own images, not links" in str(reply["text"]), reply["text"]


async def test_a_server_fault_tells_the_person_no_server_path(
    emulator: RunningEmulator, photo_app: RunningApp, tmp_path: Path
) -> None:
    """_failed shows str(error) to the person: a history file the app cannot write gives
    them its absolute path and the operator's options (--history, $OCP_USERS_PHOTO_HISTORY);
    a folder named like an image in PHOTO_APP_IMAGES is offered, and its path is shown."""
    answers_accepted(emulator)
    await install_through_the_app(photo_app, "UALICE0001")
    (tmp_path / "photo_history.sqlite3").mkdir()  # the history cannot be opened
    history_answer = await photo_app.app.set_photo_for(
        team_id=TEAM_ID, user_id="UALICE0001", enterprise_id=None, requested="red"
    )
    shutil.rmtree(tmp_path / "photo_history.sqlite3")
    (tmp_path / "portraits" / "old.png").mkdir()
    folder_answer = await photo_app.app.set_photo_for(
        team_id=TEAM_ID, user_id="UALICE0001", enterprise_id=None, requested="old"
    )
    for answer in (history_answer, folder_answer):
        assert answer.startswith("Your photo was not changed")
        assert str(tmp_path) not in answer, answer
        assert "OCP_USERS_PHOTO_HISTORY" not in answer


async def test_an_unexpected_error_still_answers_the_person(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """An error that is no UsersPhotoError (the image folder gone: FileNotFoundError)
    escapes the /photo listener: the person gets no answer, and Bolt, whose error path
    clears the ack, answers Slack 404 "unhandled request"."""
    answers_accepted(emulator)
    await install_through_the_app(photo_app, "UALICE0001")
    shutil.rmtree(photo_app.app.images.folder)  # type: ignore[attr-defined]
    acked = await slash_command(photo_app, emulator, "UALICE0001", "red")
    assert acked.status_code == 200, acked.text
    [answer] = await posted(emulator, RESPONSE_METHOD, 1)
    assert str(answer["text"]).startswith("Your photo was not changed")


def test_the_name_is_read_from_what_slack_sends() -> None:
    """Slack escapes &, < and > in message text and sends a typed link as <url|label>:
    the name is read back as the person typed it; any whitespace separates the word."""
    from ocp_users_photo.examples.bolt_photo_app import requested_in

    assert requested_in("photo red") == "red"
    assert requested_in("  Photo\tred  ") == "red"
    assert requested_in("photo <https://example.com/me.png>") == "https://example.com/me.png"
    assert requested_in("photo <https://e.example/x|Click>") == "https://e.example/x"
    assert requested_in("photo a&amp;b &lt;c&gt;") == "a&b <c>"
    assert requested_in("photo ") == ""
    assert requested_in("photograph red") is None
    assert requested_in("say photo red") is None


def test_seen_events_are_bounded() -> None:
    """The redelivery guard remembers at most its limit of event ids, the oldest let go."""
    from ocp_users_photo.examples.bolt_photo_app import SeenEvents

    seen = SeenEvents(limit=3)
    firsts = [seen.first_time(event_id) for event_id in ("a", "b", "a", "c", "d")]
    assert firsts == [True, True, False, True, True]
    assert seen.first_time("a") is True  # "a" was the oldest, let go when "d" came
