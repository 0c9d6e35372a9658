"""A hostile (or failing) Slack endpoint, seen from every door: what the tool tells the person
and the model must be true of what happened, whatever the server answers."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from ocp_users_photo import ReplySchemaError, SlackApiError, UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import may_have_taken_effect
from tests.cli_fixtures import image_fixture, slack_emulator_config_fixture  # noqa: F401 (fixtures)
from tests.conftest import CANARY_TOKEN, make_image, photo_requests
from tests.programs import run_cli

IMAGE = make_image((600, 600))
# Slack's own failures, which its docs say may follow "some aspect of the operation" having
# succeeded: true of a change, never of a read.
FAILED_PARTWAY = ["internal_error", "fatal_error"]
READS = ["auth.test", "users.profile.get"]


def says_a_change_may_be_made(text: str) -> bool:
    return "may have made the change" in text or "may be set already" in text


@pytest.mark.parametrize("code", FAILED_PARTWAY)
@pytest.mark.parametrize("method", READS)
async def test_slacks_own_failure_of_a_read_does_not_say_the_photo_may_have_changed(
    emulator: RunningEmulator, method: str, code: str
) -> None:
    """A read that Slack failed (internal_error) before users.setPhoto was ever sent was
    told as "Slack may have made the change before it did: check the photo", and
    may_have_taken_effect() said True, so a host told the person to go and look, and an
    undo history would keep a change that was never asked for as "unknown"."""
    emulator.faults.inject(Fault.json({"ok": False, "error": code}), path=method)
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, keep_previous=True
    ) as tool:
        with pytest.raises(SlackApiError) as raised:
            await tool.call({"image": IMAGE})
        emulator.faults.inject(Fault.json({"ok": False, "error": code}), path=method)
        result = await tool.run({"image": base64.b64encode(IMAGE).decode()})
    assert photo_requests(emulator) == [], "users.setPhoto was never sent"
    error = raised.value
    assert error.method == method
    assert not may_have_taken_effect(error)
    assert not error.may_have_taken_effect
    assert not says_a_change_may_be_made(str(error)), str(error)
    assert "nothing changed" in str(error)
    assert result["ok"] is False
    assert result["error"] == code
    assert not says_a_change_may_be_made(result["message"]), result["message"]
    assert "nothing changed" in result["message"]


async def test_slacks_own_failure_of_the_change_still_says_it_may_have_been_made(
    emulator: RunningEmulator,
) -> None:
    emulator.faults.inject(Fault.json({"ok": False, "error": "internal_error"}))
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(SlackApiError) as raised:
            await tool.call({"image": IMAGE})
    assert may_have_taken_effect(raised.value)
    assert says_a_change_may_be_made(str(raised.value))


@pytest.mark.parametrize("method", READS)
def test_the_command_line_does_not_say_a_failed_read_may_have_set_the_photo(
    slack_emulator: RunningEmulator, tmp_path: Path, image: Path, method: str
) -> None:
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "history.sqlite3"),
    }
    slack_emulator.faults.inject(Fault.json({"ok": False, "error": "internal_error"}), path=method)
    done = run_cli("set", str(image), env=env)
    assert done.returncode != 0
    assert photo_requests(slack_emulator) == [], "users.setPhoto was never sent"
    assert not says_a_change_may_be_made(done.stderr), done.stderr
    assert "nothing changed" in done.stderr, done.stderr
    if method == "auth.test":
        slack_emulator.faults.inject(Fault.json({"ok": False, "error": "fatal_error"}), path=method)
        whoami = run_cli("whoami", "--json", env=env)
        assert whoami.returncode != 0
        assert not says_a_change_may_be_made(whoami.stdout + whoami.stderr), whoami.stderr


@pytest.mark.parametrize("body", [{"ok": 1}, {"ok": "true"}, {"user_id": "U1"}])
@pytest.mark.parametrize("method", READS)
async def test_a_read_answered_with_no_slack_reply_does_not_say_the_photo_may_have_changed(
    emulator: RunningEmulator, method: str, body: dict[str, object]
) -> None:
    """JSON without a boolean ok, answered to a read before any change was sent, was told
    as "whether it took effect is unknown: check with users.profile.get before trying
    again", and may_have_taken_effect() said True."""
    emulator.faults.inject(Fault.json(body), path=method)
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, keep_previous=True
    ) as tool:
        with pytest.raises(ReplySchemaError) as raised:
            await tool.call({"image": IMAGE})
        emulator.faults.inject(Fault.json(body), path=method)
        result = await tool.run({"image": base64.b64encode(IMAGE).decode()})
    assert photo_requests(emulator) == [], "users.setPhoto was never sent"
    error = raised.value
    assert error.method == method
    assert not may_have_taken_effect(error)
    for text in (str(error), result["message"]):
        assert "took effect" not in text, text
        assert "nothing changed" in text, text
        assert "SLACK_API_URL" in text, text


def test_the_command_line_does_not_say_a_read_answered_with_no_slack_reply_may_have_acted(
    slack_emulator: RunningEmulator, tmp_path: Path, image: Path
) -> None:
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "history.sqlite3"),
    }
    slack_emulator.faults.inject(Fault.json({"ok": 1}), path="users.profile.get")
    done = run_cli("set", str(image), env=env)
    assert done.returncode != 0
    assert photo_requests(slack_emulator) == [], "users.setPhoto was never sent"
    assert "took effect" not in done.stderr, done.stderr
    assert "nothing changed" in done.stderr, done.stderr
