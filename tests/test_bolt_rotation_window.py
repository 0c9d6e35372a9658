"""The example Bolt app with token rotation on and every token in Bolt's own rotation
window (its last two hours), as each of Slack's 12-hour tokens is for two hours a day.

Bolt's authorize step rotated the bot's and the sender's tokens on every request in that
window, without the token source's lock, and slack_sdk's store copied the newest bot
token onto other rows: after a second person installed, every /photo failed and people
were told to reinstall (README's known limit until 2026-12-05; bolt-python #663). Bolt now
authorizes with the bot alone (``bot_only``), and people's tokens are the token source's.
"""

from __future__ import annotations

import pytest

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from tests.installation_helpers import owner_of, photo_tokens, refreshes, rotation_config
from tests.test_bolt_photo_app import (
    RESPONSE_METHOD,
    RunningApp,
    direct_message,
    install_through_the_app,
    photo_app,  # noqa: F401 (fixture)
    posted,
    slash_command,
)


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return rotation_config(lifetime=3600)  # within Bolt's two hours from the start


async def test_people_keep_setting_their_photos_inside_bolts_rotation_window(
    emulator: RunningEmulator,
    photo_app: RunningApp,  # noqa: F811 (the fixture)
) -> None:
    emulator.faults.inject(Fault.json({"ok": True}), times=20, path=RESPONSE_METHOD)
    emulator.faults.inject(Fault.json({"ok": True}), times=5, path="chat.postMessage")
    await install_through_the_app(photo_app, "UALICE0001")
    await install_through_the_app(photo_app, "UBOB000002")
    people = ["UALICE0001", "UBOB000002", "UALICE0001", "UBOB000002"]
    for number, person in enumerate(people, start=1):
        acked = await slash_command(photo_app, emulator, person, "red" if number % 2 else "blue")
        assert acked.status_code == 200
        answer = (await posted(emulator, RESPONSE_METHOD, number))[-1]
        assert str(answer["text"]).startswith("Done: your Slack photo is now"), answer["text"]
    # A direct message from someone who never installed the app, then Alice again.
    acked = await direct_message(photo_app, "UCAROL0003", "photo red")
    assert acked.status_code == 200
    acked = await slash_command(photo_app, emulator, "UALICE0001", "blue")
    assert acked.status_code == 200
    answer = (await posted(emulator, RESPONSE_METHOD, len(people) + 1))[-1]
    assert str(answer["text"]).startswith("Done: your Slack photo is now"), answer["text"]
    assert [owner_of(emulator, token) for token in photo_tokens(emulator)] == [
        *people,
        "UALICE0001",
    ]
    # Each person's own token, as installed: Bolt rotated only the bot's (its own, locked
    # by nobody else); a person's token an hour from its end is the token source's to
    # refresh, five minutes before its end.
    assert len(set(photo_tokens(emulator))) == 2
    assert refreshes(emulator) > 0, "the window was not reached: Bolt rotated nothing"
