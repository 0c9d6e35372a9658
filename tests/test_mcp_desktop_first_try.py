"""A person's first try of the MCP server from a desktop host (review: desktop_mcp).

The server runs as a host starts it (the mcp SDK's stdio client, the README's options) at
its default log level, WARNING: what the person reads in the host's log is what the server
writes to stderr then. Each test states what the README promises; they fail on the code as
reviewed.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from ocp_users_photo.emulator import Fault
from tests.conftest import CANARY_TOKEN, inject, photo_requests
from tests.test_mcp_server import assert_refused, mcp_session


async def test_a_token_without_the_write_scope_is_in_the_hosts_log(tmp_path: Path) -> None:
    """docs/mcp.md: "A call that fails for a reason the operator mends (the token, Slack,
    the network, the history) is one WARNING line with its code and what to do". A user
    token without users.profile:write passes the start's checks (its kind is read from
    the prefix; its scopes only from auth.test), so each call is refused with
    token_not_usable, which a model cannot mend: it was logged at INFO, and the host's log
    at the default level said nothing about why every photo change failed."""
    async with mcp_session(tmp_path, log_level="warning") as session:
        session.slack.state.add_token(CANARY_TOKEN, scopes=["users.profile:read"])
        error = assert_refused(
            await session.call({"image": "photo.png"}), "$.token", code="token_not_usable"
        )
        assert "users.profile:write" in error["message"]
        assert not photo_requests(session.slack)
    logged = (tmp_path / "server-stderr.txt").read_text()
    assert "token_not_usable" in logged, f"the host's log: {logged!r}"
    assert "users.profile:write" in logged, logged


@pytest.mark.waits
async def test_a_change_the_host_cancels_mid_upload_is_in_the_hosts_log(tmp_path: Path) -> None:
    """The host cancels a change while Slack has it (notifications/cancelled: the person
    pressed stop). Slack may still set that upload, and the history marks it pending; the
    host's log said nothing at all, at any level, so a person who finds a photo they
    stopped has nothing to read about it."""
    async with mcp_session(tmp_path, log_level="warning") as session:
        inject(session.slack, Fault.delay(3))
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(session.call, {"image": "photo.png"})
            for _ in range(1000):  # until the change is on its way (10 s at most)
                if photo_requests(session.slack):
                    break
                await anyio.sleep(0.01)
            assert photo_requests(session.slack), "the change reached Slack"
            tasks.cancel_scope.cancel()
        # The next change, answered once the cancelled upload could have landed: the server
        # has surely handled the cancellation, and Slack has answered the delayed upload.
        again = await session.call({"image": "photo.png"})
        assert again.get("isError", False) is False, again
    logged = (tmp_path / "server-stderr.txt").read_text()
    lines = [line for line in logged.splitlines() if "usersSetPhoto" in line]
    assert any("WARNING" in line and "cancel" in line for line in lines), (
        f"the host's log: {logged!r}"
    )


async def test_a_change_the_host_cancels_before_sending_is_logged_as_unchanged(
    tmp_path: Path,
) -> None:
    """Cancelled while the photo it replaces is being kept (users.profile.get slow),
    nothing has gone to Slack: the log says the photo is unchanged (INFO), not the
    WARNING that a cancelled upload gets."""
    async with mcp_session(tmp_path, log_level="info") as session:
        inject(session.slack, Fault.delay(3), method="users.profile.get")
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(session.call, {"image": "photo.png"})
            for _ in range(1000):  # until the keeper is reading (10 s at most)
                if session.slack.requests.for_path("users.profile.get"):
                    break
                await anyio.sleep(0.01)
            assert session.slack.requests.for_path("users.profile.get"), "no keeping began"
            tasks.cancel_scope.cancel()
        again = await session.call({"image": "photo.png"})
        assert again.get("isError", False) is False, again
        assert len(photo_requests(session.slack)) == 1  # only the second call's
    logged = (tmp_path / "server-stderr.txt").read_text()
    cancelled = [line for line in logged.splitlines() if "cancelled by the host" in line]
    assert len(cancelled) == 1, f"the host's log: {logged!r}"
    assert "before anything was changed" in cancelled[0]
    assert "WARNING" not in cancelled[0]
