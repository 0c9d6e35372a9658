"""Advice for a Slack refusal of a method that only reads (auth.test, users.profile.get,
asked before the change): never the photo call's ("with a smaller image", "change their own
photo"); a missing scope names the one Slack said it needed; an expired fixed token is not
said to have failed a refresh that was never tried (an error sweep at every door)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.hints import hint_for
from ocp_users_photo.undo.errors import KeepingImpossible
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import RED, history_tool


@pytest.mark.parametrize("method", ["auth.test", "users.profile.get"])
def test_a_reads_refusal_gets_no_advice_about_the_photo_call(method: str) -> None:
    assert "smaller image" not in hint_for("request_timeout", method)
    assert "try again" in hint_for("request_timeout", method)
    assert "change their own photo" not in hint_for("no_permission", method)
    # The photo call keeps its own.
    assert "smaller image" in hint_for("request_timeout", "users.setPhoto")


def test_a_missing_scope_names_the_scope_slack_said_it_needed() -> None:
    said = hint_for("missing_scope", "auth.test", needed="users.profile:write")
    assert "add users.profile:write to the app's user token scopes" in said
    # A server's other text is not repeated: the method's own scope, or its page, instead.
    assert "\x1b" not in hint_for("missing_scope", "users.setPhoto", needed="x\x1b[2J")
    assert "users.profile:write" in hint_for("missing_scope", "users.setPhoto", needed="no way")


async def test_an_expired_fixed_token_is_not_said_to_have_failed_a_refresh(
    slack_emulator: RunningEmulator,
) -> None:
    slack_emulator.faults.inject(Fault.slack_error("token_expired"))
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=slack_emulator.base_url, environ={}, keep_previous=False
    ) as tool:
        result = await tool.run({"image": RED})
    assert result["ok"] is False, result
    assert result["error"] == "token_expired", result
    assert "could not be refreshed" not in result["message"], result["message"]
    assert "set a current token" in result["message"], result["message"]


async def test_an_auth_test_reply_naming_no_user_is_not_blamed_on_the_token(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    # Slack's auth.test names the user of every user token: "use a person's user token
    # (xoxp-)" sent a person with one already after the wrong thing.
    slack_emulator.faults.inject(Fault.json({"ok": True, "user": "x"}), path="auth.test")
    async with history_tool(slack_emulator, tmp_path / "h.sqlite3", keep_previous=True) as tool:
        result = await tool.run({"image": RED})
    assert result["ok"] is False, result
    assert "auth.test reply named no user for the token" in result["message"], result
    assert "use a person's user token" not in result["message"], result["message"]
    assert "check the Slack address" in result["message"], result["message"]


async def test_an_auth_test_reply_naming_no_user_tells_a_model_no_setting_to_check(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The model was told to "check the Slack address is Slack's (base_url=, SLACK_API_URL
    or --base-url)": the host's settings, which it can neither read nor pass; it is told to
    pass the word on, and Python's own error still names them for the host."""
    no_user = Fault.json({"ok": True, "user": "x"})
    async with history_tool(slack_emulator, tmp_path / "h.sqlite3", keep_previous=True) as tool:
        slack_emulator.faults.inject(no_user, path="auth.test")
        listed = await tool.restore_tool().run({})
        slack_emulator.faults.inject(no_user, path="auth.test")
        changed = await tool.run({"image": RED})
        slack_emulator.faults.inject(no_user, path="auth.test")
        with pytest.raises(KeepingImpossible, match="SLACK_API_URL or --base-url"):
            await tool.history()
    for result in (listed, changed):
        assert result["ok"] is False, result
        assert "named no user for the token" in result["message"], result
        assert (
            "tell the person that whoever runs the tool must check the Slack address"
            in (result["message"])
        ), result["message"]
        for setting in ("base_url", "SLACK_API_URL", "--base-url"):
            assert setting not in result["message"], result["message"]
    assert listed["message"].startswith("usersRestorePhoto sent nothing to Slack: "), listed


async def test_a_refused_read_is_named_as_one_the_tool_makes_itself(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    # The model called usersSetPhoto; "Slack refused auth.test: invalid_auth" named a
    # method it never called, and did not say that the read changed nothing.
    slack_emulator.faults.inject(Fault.slack_error("invalid_auth"), path="auth.test")
    async with history_tool(slack_emulator, tmp_path / "h.sqlite3", keep_previous=True) as tool:
        result = await tool.run({"image": RED})
    assert result["ok"] is False, result
    assert result["message"].startswith(
        "Slack refused auth.test (a read the tool makes itself, which changes nothing): "
        "invalid_auth."
    ), result["message"]
