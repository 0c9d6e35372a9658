"""A person's first try of the MCP server from a desktop host (review: mcp-first-try).

The server runs as a host starts it (the mcp SDK's stdio client, the README's options).
A desktop host such as Claude Desktop reads its configuration, and starts the server with
its ``args`` and ``env``, when it starts itself: a token or folder the person mends in that
file reaches the server only once the host is restarted. Each test states what the person
met; they fail on the code as reviewed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ocp_users_photo.emulator import Fault
from tests.conftest import CANARY_TOKEN, inject, photo_requests
from tests.test_mcp_server import TOOL, assert_refused, mcp_session


async def test_no_token_says_to_restart_the_host_once_it_is_set(tmp_path: Path) -> None:
    """No SLACK_USER_TOKEN in the host's ``env``: the model relayed "set SLACK_USER_TOKEN
    ... in the env block of the host's configuration", and the host's log said the same.
    The person did so and asked again, and got the same refusal: the running server had
    been started without it, and nothing said that the host must be restarted to pass it on."""
    async with mcp_session(tmp_path, token=None, log_level="warning") as session:
        error = assert_refused(
            await session.call({"image": "photo.png"}), "$.token", code="token_not_usable"
        )
        assert "restart" in error["message"], error["message"]
    logged = (tmp_path / "server-stderr.txt").read_text()
    (started,) = [line for line in logged.splitlines() if "no Slack token: set" in line]
    assert "restart" in started, started


async def test_the_log_at_info_names_what_the_server_was_started_with(
    tmp_path: Path, private_data_folder: Path
) -> None:
    """``--log-level info`` (docs/mcp.md's way to see more in the host's log) said nothing at
    all at start: a person checking that the host passed the folder, the emulator's address
    and the variable they wrote could not find any of them. Expected: one INFO line naming
    the image folders, the Slack address, the history file and the token's variable (never
    the token: mcp_session checks the canary is nowhere)."""
    async with mcp_session(tmp_path, log_level="info") as session:
        await session.client.list_tools()
        base_url = session.slack.base_url
        root = session.root
    logged = (tmp_path / "server-stderr.txt").read_text()
    history = private_data_folder / "ocp-users-photo" / "photo-history.sqlite3"
    started = [line for line in logged.splitlines() if " INFO " in line and str(root) in line]
    assert len(started) == 1, f"the host's log: {logged!r}"
    assert base_url in started[0], started[0]
    assert str(history) in started[0], started[0]
    assert "SLACK_USER_TOKEN" in started[0], started[0]


async def test_no_token_names_the_read_scope_the_server_needs_to_keep_photos(
    tmp_path: Path,
) -> None:
    """The server keeps each photo a change replaces, and refuses a change whose photo it
    cannot keep. With no token, the model was told to get "a user token (xoxp-...) with
    scope users.profile:write": a person who made just that token was refused at the next
    change (previous_photo_not_kept: add users.profile:read, reinstall the app), a second
    round of reinstalling the advice could have saved."""
    async with mcp_session(tmp_path, token=None, log_level="warning") as session:
        error = assert_refused(
            await session.call({"image": "photo.png"}), "$.token", code="token_not_usable"
        )
        assert "users.profile:write" in error["message"], error["message"]
        assert "users.profile:read" in error["message"], error["message"]


@pytest.mark.parametrize("refusal", ["revoke", "expire"])
async def test_a_refused_token_says_a_new_one_reaches_the_server_with_a_restart(
    tmp_path: Path, refusal: str
) -> None:
    """Slack refuses the host's token (token_revoked: "create a new user token (xoxp-...)
    and set it"; token_expired: "install the app again"). The person puts a new token in
    the host's configuration and asks again: the running server still holds the old one,
    and nothing they read (the model's answer, the host's log) said the host must be
    restarted for the new one to reach it."""
    async with mcp_session(tmp_path, log_level="warning") as session:
        session.slack.state.add_token(CANARY_TOKEN)
        getattr(session.slack.state, refusal)(CANARY_TOKEN)
        result = await session.call({"image": "photo.png"})
        assert result["isError"] is True
        error = result["structuredContent"]
        assert error["error"] == f"token_{refusal}d"
        assert "restart the host" in error["message"], error["message"]
        assert json.loads(result["content"][0]["text"]) == error
        assert not photo_requests(session.slack)
    logged = (tmp_path / "server-stderr.txt").read_text()
    (refused,) = [line for line in logged.splitlines() if f"token_{refusal}d" in line]
    assert "restart the host" in refused, refused


# Claude Desktop gives up on a tool call after 60 s (the MCP TypeScript SDK's default request
# timeout, which it does not raise) and reads no answer that comes later.
DESKTOP_HOSTS_TIMEOUT = 60.0


@pytest.mark.runs_long
@pytest.mark.waits
async def test_a_slack_that_does_not_answer_is_said_before_a_desktop_host_gives_up(
    tmp_path: Path,
) -> None:
    """Slack does not answer auth.test. Each attempt ends at its 30 s, then the next is
    made, within the call's 120 s deadline: the host stopped waiting at 60 s, so the model
    got the host's bare "request timed out" instead of the tool's own answer (auth.test
    only reads, so nothing changed: try again). Expected: the tool's answer within the
    host's 60 s."""
    async with mcp_session(tmp_path, log_level="warning") as session:
        inject(session.slack, *[Fault.delay(45)] * 3, method="auth.test")
        started = time.monotonic()
        result = await session.client.call_tool(
            TOOL, {"image": "photo.png"}, read_timeout_seconds=DESKTOP_HOSTS_TIMEOUT
        )
        took = time.monotonic() - started
        assert took < DESKTOP_HOSTS_TIMEOUT, took
        dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        assert dumped["isError"] is True
        error = dumped["structuredContent"]
        assert error["error"] == "transport_error", error
        assert "nothing changed" in error["message"], error["message"]
        assert not photo_requests(session.slack)
