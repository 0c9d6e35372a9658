"""The example Bolt app, driven as Slack drives it: the OAuth redirect, then signed requests.

The app serves on a loopback port (Bolt's own aiohttp server); Slack is the emulator.
People install the app through the emulator's authorize page and the app's OAuth
redirect; then signed /photo commands and "photo NAME" messages arrive, and each sets
the photo of the person who sent it, with that person's token.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import socket
import stat
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import anyio.to_thread
import httpx
import pytest
from aiohttp import web
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.examples.bolt_photo_app import PhotoApp, PhotoAppSettings, build_app
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    TEAM_ID,
    owner_of,
    photo_tokens,
    portrait,
    rotation_config,
)

SIGNING_SECRET = "bolt-example-signing-secret"
RESPONSE_METHOD = "test.response_url"  # where the emulator takes Bolt's respond() posts


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    # Slack's 12 hours: Bolt rotates tokens within 2 hours of their expiry on every request.
    return rotation_config(lifetime=43200)


@dataclass
class RunningApp:
    url: str
    app: PhotoApp
    database: str


def app_settings(
    emulator: RunningEmulator, tmp_path: Path, *, base_url: str | None
) -> tuple[PhotoAppSettings, socket.socket, str]:
    """The app's settings (its portraits made in ``tmp_path``), the socket it will listen
    on and its URL: ``base_url`` None is production's (Slack itself)."""
    images = tmp_path / "portraits"
    images.mkdir()
    (images / "red.png").write_bytes(portrait((220, 30, 30)))
    (images / "blue.png").write_bytes(portrait((30, 30, 220)))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    settings = PhotoAppSettings(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        signing_secret=SIGNING_SECRET,
        database=str(tmp_path / "photo_app.db"),
        image_folder=str(images),
        history=str(tmp_path / "photo_history.sqlite3"),
        base_url=base_url,
        authorization_url=emulator.authorize_url,
        redirect_uri=f"{url}/slack/oauth_redirect",
        install_url=f"{url}/slack/install",
    )
    return settings, listener, url


@pytest.fixture
async def photo_app(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[RunningApp]:
    settings, listener, url = app_settings(emulator, tmp_path, base_url=emulator.base_url)
    # Start-up work (the store's tables, the image folder) blocks: a thread, as at boot.
    app = await anyio.to_thread.run_sync(build_app, settings)
    runner = web.AppRunner(app.bolt.web_app())
    await runner.setup()
    await web.SockSite(runner, listener).start()
    try:
        yield RunningApp(url=url, app=app, database=settings.database)
    finally:
        await runner.cleanup()
        await app.aclose()


async def install_through_the_app(running: RunningApp, user_id: str) -> None:
    """The person opens the app's install link, approves, and lands on its OAuth redirect."""
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(f"{running.url}/slack/install")
        assert start.status_code == 302, start.text
        cookie = start.headers["set-cookie"].split(";")[0]
        approve = await browser.get(start.headers["location"] + f"&emulator_user={user_id}")
        assert approve.status_code == 302, approve.text
        redirect = approve.headers["location"]
        assert redirect.startswith(f"{running.url}/slack/oauth_redirect?code=")
        landed = await browser.get(redirect, headers={"cookie": cookie})
        assert landed.status_code == 200, landed.text


def signed(body: str, content_type: str) -> dict[str, str]:
    """Slack's request signature (v0, HMAC-SHA256 of 'v0:timestamp:body')."""
    timestamp = str(int(time.time()))
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": f"v0={digest}",
    }


async def slash_command(
    running: RunningApp,
    emulator: RunningEmulator,
    user_id: str,
    text: str,
    *,
    team_id: str = TEAM_ID,
) -> httpx.Response:
    body = urlencode(
        {
            "token": "unused-verification-token",
            "team_id": team_id,
            "team_domain": "emulated",
            "channel_id": "C0GENERAL1",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/photo",
            "text": text,
            "api_app_id": "A0EMULATOR1",
            "response_url": f"{emulator.base_url}/{RESPONSE_METHOD}",
            "trigger_id": f"{time.time_ns()}.1.2",  # unique, as Slack's: a repeat is a replay
        }
    )
    async with httpx.AsyncClient(timeout=10) as slack:
        return await slack.post(
            f"{running.url}/slack/events",
            content=body,
            headers=signed(body, "application/x-www-form-urlencoded"),
        )


async def direct_message(
    running: RunningApp,
    user_id: str,
    text: str,
    *,
    event_id: str | None = None,
    retry: int | None = None,
    **event: object,
) -> httpx.Response:
    """Slack's event for a direct message to the app (``event``: more of its fields, such
    as a file share's); ``retry``, Slack's redelivery number for an event it saw no 200 for."""
    body = json.dumps(
        {
            "token": "unused-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0EMULATOR1",
            "type": "event_callback",
            "event_id": event_id or f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": user_id, "is_bot": False}],
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": "D0DIRECT01",
                "user": user_id,
                "text": text,
                "ts": f"{time.time():.6f}",
                **event,
            },
        }
    )
    headers = signed(body, "application/json")
    if retry is not None:
        headers["x-slack-retry-num"] = str(retry)
        headers["x-slack-retry-reason"] = "http_timeout"
    async with httpx.AsyncClient(timeout=10) as slack:
        return await slack.post(f"{running.url}/slack/events", content=body, headers=headers)


async def posted(emulator: RunningEmulator, method: str, count: int) -> list[dict[str, object]]:
    """The JSON bodies the app posted to ``method``, once there are ``count`` (10 s at most)."""
    for _ in range(500):
        records = emulator.requests.for_path(method)
        if len(records) >= count:
            return [json.loads(record.body or b"{}") for record in records]
        await asyncio.sleep(0.02)
    raise AssertionError(f"the app posted {len(emulator.requests.for_path(method))} to {method}")


async def test_each_person_sets_their_own_photo_by_slash_command(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    emulator.faults.inject(Fault.json({"ok": True}), times=10, path=RESPONSE_METHOD)
    await install_through_the_app(photo_app, "UALICE0001")
    await install_through_the_app(photo_app, "UBOB000002")
    store = SQLite3InstallationStore(database=photo_app.database, client_id=CLIENT_ID)
    alice = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id="UALICE0001")
    assert alice is not None
    assert alice.user_token is not None
    assert alice.bot_token is not None  # Bolt saved the bot too (for /photo and messages)

    acked = await slash_command(photo_app, emulator, "UALICE0001", "red.png")
    assert acked.status_code == 200
    [alice_answer] = await posted(emulator, RESPONSE_METHOD, 1)
    assert alice_answer["text"] == "Done: your Slack photo is now red.png."
    acked = await slash_command(photo_app, emulator, "UBOB000002", "blue")
    assert acked.status_code == 200
    bob_answer = (await posted(emulator, RESPONSE_METHOD, 2))[1]
    assert bob_answer["text"] == "Done: your Slack photo is now blue."

    assert [owner_of(emulator, token) for token in photo_tokens(emulator)] == [
        "UALICE0001",
        "UBOB000002",
    ]
    assert photo_tokens(emulator)[0] == alice.user_token
    alice_now, bob_now = emulator.state.person("UALICE0001"), emulator.state.person("UBOB000002")
    assert alice_now is not None
    assert bob_now is not None
    assert alice_now.avatar_hash != bob_now.avatar_hash


async def test_a_message_to_the_app_sets_the_senders_photo(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    emulator.faults.inject(
        Fault.json({"ok": True, "channel": "D0DIRECT01", "ts": "1.000001"}),
        times=5,
        path="chat.postMessage",
    )
    await install_through_the_app(photo_app, "UALICE0001")
    await install_through_the_app(photo_app, "UBOB000002")

    accepted = await direct_message(photo_app, "UALICE0001", "photo blue.png")
    assert accepted.status_code == 200
    [reply] = await posted(emulator, "chat.postMessage", 1)
    assert reply["text"] == "Done: your Slack photo is now blue.png."
    assert reply["channel"] == "D0DIRECT01"
    [used] = photo_tokens(emulator)
    assert owner_of(emulator, used) == "UALICE0001"


async def test_someone_who_has_not_installed_is_sent_the_install_link(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    emulator.faults.inject(Fault.json({"ok": True}), times=5, path=RESPONSE_METHOD)
    await install_through_the_app(photo_app, "UALICE0001")  # the workspace has the app
    acked = await slash_command(photo_app, emulator, "UCAROL0003", "red.png")
    assert acked.status_code == 200
    [answer] = await posted(emulator, RESPONSE_METHOD, 1)
    text = str(answer["text"])
    assert text.startswith("Your photo was not changed: you have not installed this app")
    assert text.endswith(f"Install it: {photo_app.url}/slack/install")
    assert photo_tokens(emulator) == []


async def installed_then_revoked(
    running: RunningApp, emulator: RunningEmulator, user_id: str
) -> Installation:
    """The person installs the app, then Slack revokes their user token (an admin, or a
    tokens_revoked event the app missed): their installation, as the app's store keeps it."""
    await install_through_the_app(running, user_id)
    store = SQLite3InstallationStore(database=running.database, client_id=CLIENT_ID)
    installed = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id=user_id)
    assert installed is not None
    assert installed.user_token is not None
    emulator.state.revoke(installed.user_token)
    return installed


async def test_a_person_whose_user_token_slack_revoked_gets_the_apps_own_answer(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """Slack revokes Alice's user token (an admin, or a tokens_revoked event the app
    missed). Bolt's authorize step looked up her own installation and ran auth.test with
    it; refused, Bolt answered itself ("your installation with this app is no longer
    available") and the app's handler never ran: no install link, though README promises
    one (a review of 2026-12-05). Bolt now authorizes with the workspace's bot alone; the
    person's token is the app's token source's to use, and to explain."""
    emulator.faults.inject(Fault.json({"ok": True}), times=5, path=RESPONSE_METHOD)
    alice = await installed_then_revoked(photo_app, emulator, "UALICE0001")
    acked = await slash_command(photo_app, emulator, "UALICE0001", "red.png")
    assert acked.status_code == 200
    [answer] = await posted(emulator, RESPONSE_METHOD, 1)
    text = str(answer["text"])
    assert text.startswith("Your photo was not changed"), text
    assert "no longer accepts your installation of this app (token_revoked" in text, text
    assert f"Install the app again: {photo_app.url}/slack/install" in text, text
    # A single-token host's remedy is not the person's (a first-try audit).
    assert "create a new user token" not in text, text
    assert photo_tokens(emulator) in ([], [alice.user_token])  # refused by Slack, if sent


async def test_unknown_images_and_links_are_refused_with_what_there_is(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    emulator.faults.inject(Fault.json({"ok": True}), times=5, path=RESPONSE_METHOD)
    await install_through_the_app(photo_app, "UALICE0001")
    await slash_command(photo_app, emulator, "UALICE0001", "../../etc/passwd")
    await slash_command(photo_app, emulator, "UALICE0001", "https://example.com/me.png")
    first, second = await posted(emulator, RESPONSE_METHOD, 2)
    assert "the app has: blue.png, red.png" in str(first["text"])
    assert "this app takes its own images, not links" in str(second["text"])
    assert photo_tokens(emulator) == []


async def test_a_request_not_signed_by_slack_is_refused(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    await install_through_the_app(photo_app, "UALICE0001")
    body = urlencode({"command": "/photo", "user_id": "UALICE0001", "team_id": TEAM_ID})
    headers = signed(body, "application/x-www-form-urlencoded")
    headers["x-slack-signature"] = "v0=" + "0" * 64
    async with httpx.AsyncClient(timeout=10) as forger:
        refused = await forger.post(f"{photo_app.url}/slack/events", content=body, headers=headers)
    assert refused.status_code == 401
    assert photo_tokens(emulator) == []


async def test_undo_puts_back_what_the_person_had_and_only_theirs(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    emulator.faults.inject(Fault.json({"ok": True}), times=10, path=RESPONSE_METHOD)
    await install_through_the_app(photo_app, "UALICE0001")
    await install_through_the_app(photo_app, "UBOB000002")

    def shown(user_id: str) -> str:
        person = emulator.state.person(user_id)
        assert person is not None
        return person.avatar_hash

    alice_default = shown("UALICE0001")
    await slash_command(photo_app, emulator, "UALICE0001", "red.png")
    await posted(emulator, RESPONSE_METHOD, 1)  # the photo is set after the command's ack
    await slash_command(photo_app, emulator, "UBOB000002", "blue.png")
    assert [answer["text"] for answer in await posted(emulator, RESPONSE_METHOD, 2)] == [
        "Done: your Slack photo is now red.png.",
        "Done: your Slack photo is now blue.png.",
    ]
    red, bob_blue = shown("UALICE0001"), shown("UBOB000002")
    assert red != alice_default

    await slash_command(photo_app, emulator, "UALICE0001", "undo")
    answers = await posted(emulator, RESPONSE_METHOD, 3)
    assert answers[2]["text"] == "Done: your previous Slack photo is back."
    assert shown("UALICE0001") == alice_default  # Slack's default avatar again
    assert shown("UBOB000002") == bob_blue  # Bob's photo is not Alice's to undo

    await slash_command(photo_app, emulator, "UALICE0001", "undo")  # an undo is a change too
    answers = await posted(emulator, RESPONSE_METHOD, 4)
    assert answers[3]["text"] == "Done: your previous Slack photo is back."
    assert shown("UALICE0001") == red


async def test_undo_with_nothing_kept_says_so_and_sends_nothing(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    emulator.faults.inject(Fault.json({"ok": True}), times=5, path=RESPONSE_METHOD)
    await install_through_the_app(photo_app, "UALICE0001")
    await slash_command(photo_app, emulator, "UALICE0001", "undo")
    [answer] = await posted(emulator, RESPONSE_METHOD, 1)
    assert answer["text"] == "There is nothing to undo: this app has not changed your photo."
    assert photo_tokens(emulator) == []
    assert emulator.requests.for_path("users.deletePhoto") == []


async def test_the_apps_objects_show_no_secret(photo_app: RunningApp) -> None:
    app = photo_app.app
    environ = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }
    # Off the loop: reading the settings looks at the image folder (a program's start-up).
    settings = await anyio.to_thread.run_sync(PhotoAppSettings.from_environment, environ)
    texts = [repr(settings), str(settings), repr(app), repr(app.source), repr(app.tool)]
    for text in texts:
        assert CLIENT_SECRET not in text
        assert SIGNING_SECRET not in text
    assert settings.client_secret == CLIENT_SECRET
    assert f"client_id={CLIENT_ID!r}" in repr(settings)


def test_settings_for_the_emulator_come_from_the_environment(tmp_path: Path) -> None:
    environ = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": "http://127.0.0.1:8765/api",
        "PHOTO_APP_AUTHORIZE_URL": "http://127.0.0.1:8765/oauth/v2/authorize",
        "PHOTO_APP_REDIRECT_URI": "http://127.0.0.1:3000/slack/oauth_redirect",
        "PHOTO_APP_IMAGES": str(tmp_path),
    }
    settings = PhotoAppSettings.from_environment(environ)
    assert settings.authorization_url == "http://127.0.0.1:8765/oauth/v2/authorize"
    assert settings.redirect_uri == "http://127.0.0.1:3000/slack/oauth_redirect"
    with pytest.raises(SystemExit, match="is not a folder: create it"):
        PhotoAppSettings.from_environment({**environ, "PHOTO_APP_IMAGES": str(tmp_path / "no")})


def test_the_installation_database_is_its_owners_alone(photo_app: RunningApp) -> None:
    # It holds every person's user and refresh tokens.
    assert stat.S_IMODE(os.stat(photo_app.database).st_mode) == 0o600


async def test_a_change_that_may_have_happened_is_not_called_unchanged(
    photo_app: RunningApp, emulator: RunningEmulator
) -> None:
    """An ok:true outside the schema, or an answer lost after the upload: the photo may be
    set, so the person is told to look, not that it was not changed. One person each: a
    person's next change after one that may have happened waits for it to settle (10 s)."""
    people = ["UALICE0001", "UBOB000002", "UCAROL0003"]
    for person in people:
        await install_through_the_app(photo_app, person)
    odd_ok = {"ok": True, "profile": {"image_24": "https://example.com/a.png"}, "extra": 1}
    emulator.faults.inject(Fault.json(odd_ok), path="users.setPhoto")
    emulator.faults.inject(
        Fault.json({"ok": False, "error": "internal_error"}), path="users.setPhoto"
    )
    emulator.faults.inject(
        Fault.json({"ok": False, "error": "invalid_auth"}), path="users.setPhoto"
    )
    answers = [
        await photo_app.app.set_photo_for(
            team_id=TEAM_ID, user_id=person, enterprise_id=None, requested="red"
        )
        for person in people
    ]
    assert [answer.split(":")[0] for answer in answers] == [
        "Your photo may have changed",
        "Your photo may have changed",
        "Your photo was not changed",
    ]
    assert "do not call again" not in answers[0], "the text written for a model stays out"
    assert f"Install the app again: {photo_app.url}/slack/install" in answers[2]


async def test_a_token_refresh_slack_does_not_answer_is_not_a_change_that_may_have_happened(
    photo_app: RunningApp, emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack answers the change token_expired, and the refresh's connection drops: the
    person was told "Your photo may have changed: look at your profile" (the refresh's
    TransportError), though the only change sent was refused. Now: not changed, and the
    operator warned of Slack failing (README: Slack failing is logged at WARNING)."""
    await install_through_the_app(photo_app, "UALICE0001")
    emulator.faults.inject(Fault.slack_error("token_expired"), path="users.setPhoto")
    emulator.faults.inject(Fault.drop(), path="oauth.v2.access")
    with caplog.at_level("INFO", logger="ocp_users_photo"):
        answer = await photo_app.app.set_photo_for(
            team_id=TEAM_ID, user_id="UALICE0001", enterprise_id=None, requested="red"
        )
    assert answer.startswith("Your photo was not changed: could not refresh"), answer
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("failed on Slack's side" in said for said in warned), warned


async def test_an_app_run_without_an_install_link_says_whom_to_ask_for_it(
    emulator: RunningEmulator, photo_app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PHOTO_APP_INSTALL_URL is optional: an app run without it has no link to give a
    person who has not installed it, or whose installation Slack revoked. Each is told to
    ask whoever runs the app, never given a link that does not exist."""
    emulator.faults.inject(Fault.json({"ok": True}), times=5, path=RESPONSE_METHOD)
    monkeypatch.setattr(photo_app.app.source, "install_url", None)
    alice = await installed_then_revoked(photo_app, emulator, "UALICE0001")
    for person in ("UCAROL0003", "UALICE0001"):  # never installed; installed, then revoked
        acked = await slash_command(photo_app, emulator, person, "red.png")
        assert acked.status_code == 200
    # Answered in the background, each after its acknowledgement: in either order.
    texts = sorted(str(answer["text"]) for answer in await posted(emulator, RESPONSE_METHOD, 2))
    assert "no longer accepts your installation of this app (token_revoked" in texts[0], texts
    assert "you have not installed this app" in texts[1], texts
    for text in texts:
        assert text.startswith("Your photo was not changed: "), text
        assert text.endswith("Ask whoever runs the app for its install link."), text
        assert "/slack/install" not in text, text
    assert photo_tokens(emulator) in ([], [alice.user_token])  # refused by Slack, if sent
