# ruff: noqa: F811  (photo_app, the fixture imported from test_bolt_photo_app, is a parameter here)
"""Review of the example Bolt app run as the README says, then attacked (round 18).

Each test failed when written.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import stat
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.examples.bolt_photo_app import PhotoAppSettings, build_app
from tests.installation_helpers import CLIENT_ID, CLIENT_SECRET, TEAM_ID, photo_tokens
from tests.test_bolt_app_as_slack_drives_it import answers_accepted
from tests.test_bolt_photo_app import (  # noqa: F401  (the fixtures are parameters here)
    RESPONSE_METHOD,
    SIGNING_SECRET,
    RunningApp,
    direct_message,
    emulator_config,
    install_through_the_app,
    photo_app,
    posted,
    slash_command,
)


async def test_a_person_who_has_not_installed_is_told_what_to_do_in_their_own_words(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """Someone who never installed (or removed the app: tokens_revoked) got the token
    source's text, written for a developer: "UCAROL0003 in T0EMULATOR has not installed
    the app ...: ask them to install it ... (if the workspace is in an Enterprise Grid org,
    the host must bind the person with their enterprise_id too ...)"; the person is the
    one to install, and the host's binding is nothing they can mend."""
    answers_accepted(emulator)
    await install_through_the_app(photo_app, "UALICE0001")  # the workspace has the app
    await slash_command(photo_app, emulator, "UCAROL0003", "red")
    [answer] = await posted(emulator, RESPONSE_METHOD, 1)
    text = str(answer["text"])
    assert text.startswith("Your photo was not changed: you have not installed"), text
    assert text.endswith(f"Install it: {photo_app.url}/slack/install"), text
    for developers_words in ("ask them", "the host", "enterprise_id", "UCAROL0003"):
        assert developers_words not in text, text
    assert photo_tokens(emulator) == []


async def test_a_replayed_slash_command_is_not_done_again(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """A signed /photo request sent again within Slack's five minutes (captured from a
    proxy's log, say) was carried out again: a replayed "/photo undo" puts back the photo
    the first one took away. Slack never sends a command twice; its trigger_id is unique."""
    answers_accepted(emulator)
    await install_through_the_app(photo_app, "UALICE0001")
    body = urlencode(
        {
            "team_id": TEAM_ID,
            "channel_id": "C0GENERAL1",
            "user_id": "UALICE0001",
            "command": "/photo",
            "text": "red",
            "api_app_id": "A0EMULATOR1",
            "response_url": f"{emulator.base_url}/{RESPONSE_METHOD}",
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        }
    )
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None  # None only without a timestamp
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": signature,
    }
    async with httpx.AsyncClient(timeout=10) as slack:
        first = await slack.post(f"{photo_app.url}/slack/events", content=body, headers=headers)
        await posted(emulator, RESPONSE_METHOD, 1)
        again = await slack.post(f"{photo_app.url}/slack/events", content=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    await asyncio.sleep(1.0)
    assert len(photo_tokens(emulator)) == 1
    assert len(emulator.requests.for_path(RESPONSE_METHOD)) == 1


async def test_hostile_text_is_not_echoed_back_as_slack_markup(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """Slack escapes < > & typed in a message; the app undid the escapes to read the name
    and echoed it unescaped, so "photo <!channel> <https://evil.example|Reinstall here>"
    typed as text came back as a live @channel and a labelled link under the app's name."""
    answers_accepted(emulator)
    await install_through_the_app(photo_app, "UALICE0001")
    typed = "&lt;!channel&gt; &lt;https://evil.example|Reinstall here&gt; &amp;"
    await direct_message(photo_app, "UALICE0001", f"photo {typed}")
    await slash_command(photo_app, emulator, "UALICE0001", "<!here> <@UBOB000002>")
    [reply] = await posted(emulator, "chat.postMessage", 1)
    [answer] = await posted(emulator, RESPONSE_METHOD, 1)
    for text in (str(reply["text"]), str(answer["text"])):
        assert text.startswith("Your photo was not changed: there is no image called"), text
        assert "<" not in text, text
        assert ">" not in text, text
    assert "&lt;!channel&gt; &lt;https://evil.example|Reinstall" in str(reply["text"])
    assert "&lt;!here&gt; &lt;@UBOB000002&gt;" in str(answer["text"])


async def test_a_direct_message_is_answered_when_the_images_cannot_be_listed(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    """Any other direct message is answered with the app's images; with the image folder
    gone, help_text raised out of the listener: Bolt answered Slack 500 (the event is
    delivered again, and skipped as seen) and the person heard nothing."""
    answers_accepted(emulator)
    await install_through_the_app(photo_app, "UALICE0001")
    shutil.rmtree(photo_app.app.images.folder)  # type: ignore[attr-defined]
    delivered = await direct_message(photo_app, "UALICE0001", "hello")
    assert delivered.status_code == 200, delivered.text
    [reply] = await posted(emulator, "chat.postMessage", 1)
    assert str(reply["text"]).startswith("Write 'photo NAME'"), reply["text"]
    assert json.dumps(reply).count("portraits") == 0


def test_paths_from_the_environment_may_start_with_a_tilde(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PHOTO_APP_DATABASE=~/photo_app.db (an env file, a unit file: no shell expands it)
    made the owner-only file in the home folder, then slack_sdk's store opened a folder
    named "~" under the working one: a traceback at start. PHOTO_APP_IMAGES=~/portraits
    passed the settings' check, then OwnImages looked in ./~/portraits."""
    home = tmp_path / "home"
    (home / "portraits").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    settings = PhotoAppSettings.from_environment(
        {
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "PHOTO_APP_IMAGES": "~/portraits",
            "PHOTO_APP_DATABASE": "~/photo_app.db",
            "PHOTO_APP_HISTORY": "~/history.sqlite3",
        }
    )
    app = build_app(settings)
    asyncio.run(app.aclose())
    assert stat.S_IMODE((home / "photo_app.db").stat().st_mode) == 0o600
    assert app.images.folder == (home / "portraits").resolve()  # type: ignore[attr-defined]
    assert not (tmp_path / "~").exists()


def test_the_names_offered_tell_nothing_of_where_a_link_in_the_folder_leads(
    tmp_path: Path,
) -> None:
    """The app's image names were its folder's entries that ``is_file()``: a link in the
    folder was listed when its far end, outside, was a file, and left out when it was
    nothing or a folder, so anyone who could put a link there learnt, by asking the app,
    what exists outside it. A link leading out is now never an image of the app's (the
    tool refuses it too); a link that stays inside still is."""
    from ocp_users_photo.examples.bolt_photo_app import ImageNotAvailable, OwnImages

    folder, outside = tmp_path / "images", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (outside / "secret").write_bytes(b"x")
    (outside / "folder").mkdir()
    (folder / "me.png").write_bytes(b"x")
    (folder / "again.png").symlink_to("me.png")
    for far_end in ("secret", "nothing", "folder"):
        (folder / f"{far_end}.png").symlink_to(f"../outside/{far_end}")
    images = OwnImages(folder)
    assert images.names() == ["again.png", "me.png"]
    with pytest.raises(ImageNotAvailable) as refused:
        asyncio.run(images.image_for("secret"))
    assert str(refused.value).endswith("the app has: again.png, me.png")
