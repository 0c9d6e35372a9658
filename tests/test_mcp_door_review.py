"""The MCP door's review: what a host's cancellations and repeats do to the person's photo.

Each drives the real server (``python -m ocp_users_photo.mcp_server``) over stdio, with the
mcp SDK's own client where a session is needed, against the package's emulator on 127.0.0.1.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from ocp_users_photo.emulator import Fault
from ocp_users_photo.spec import load_manifest
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests, shown_avatar_hash
from tests.programs import environment_without_slack, run_module
from tests.test_mcp_server import mcp_session


@pytest.mark.waits
async def test_a_cancelled_upload_does_not_overturn_the_next_change(tmp_path: Path) -> None:
    """The host cancels a change whose upload already reached Slack (Slack is slow), then the
    model sets another photo: that change waits for the person's turn, which the cancelled
    one holds a while (the keeper's settle time), so the cancelled upload lands first and
    Slack ends up showing the photo the model was told is set."""
    async with mcp_session(tmp_path, log_level="warning") as session:
        (session.root / "other.png").write_bytes(make_image(color=(10, 10, 200)))
        inject(session.slack, Fault.delay(2))
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(session.call, {"image": "photo.png"})
            for _ in range(1000):
                if photo_requests(session.slack):
                    break
                await anyio.sleep(0.01)
            assert photo_requests(session.slack), "the first change reached Slack"
            tasks.cancel_scope.cancel()
        second = await session.call({"image": "other.png"})
        told = second["structuredContent"]["profile"]["avatar_hash"]
        await anyio.sleep(3)  # the cancelled upload's delay is over
        assert shown_avatar_hash(session.slack) == told, "Slack shows the cancelled photo"


async def test_a_token_with_the_catalogs_scopes_can_set_a_photo_over_mcp(tmp_path: Path) -> None:
    """tool_manifest.json's auth.scopes (what a catalog tells people to grant) are enough for
    the MCP server with its default options, which keep the replaced photo for undo."""
    scopes = load_manifest()["auth"]["scopes"]
    async with mcp_session(tmp_path, log_level="warning") as session:
        session.slack.state.add_token(CANARY_TOKEN, scopes=scopes)
        result = await session.call({"image": "photo.png"})
    assert result.get("isError", False) is False, result["structuredContent"]


@pytest.mark.parametrize("history", ["a folder", "in a file"])
def test_an_unusable_history_is_said_at_start(tmp_path: Path, history: str) -> None:
    """A history that cannot be written refuses every change (history_unavailable): the
    server says so in the host's log when it starts, not first to a model."""
    blocker = tmp_path / "blocker"
    if history == "a folder":
        blocker.mkdir()
        path = blocker
    else:
        blocker.write_text("not a folder")
        path = blocker / "history.sqlite3"
    done = run_module(
        "ocp_users_photo.mcp_server",
        "--image-root",
        str(tmp_path),
        "--history",
        str(path),
        env={"SLACK_USER_TOKEN": CANARY_TOKEN, "HOME": str(tmp_path)},
        cwd=tmp_path,
        stdin_closed=True,
    )
    assert done.returncode == 0, done.stderr
    assert "photo history" in done.stderr, done.stderr
    assert "--no-keep-previous" in done.stderr, done.stderr
    assert CANARY_TOKEN not in done.stderr


def test_ctrl_c_stops_an_idle_server(tmp_path: Path) -> None:
    """Run by hand as the README shows, Ctrl-C (SIGINT) ends the server at once with the
    interrupted status, though the SDK's stdin reader thread would wait for stdin to close."""
    server = subprocess.Popen(
        [sys.executable, "-m", "ocp_users_photo.mcp_server", "--image-root", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment_without_slack({"SLACK_USER_TOKEN": CANARY_TOKEN}),
        cwd=tmp_path,
    )
    ctrl_c_ends_an_initialized_server(server)


def ctrl_c_ends_an_initialized_server(server: subprocess.Popen[bytes]) -> None:
    """Initialize ``server`` over its stdin, then SIGINT: it must end with 130 (it waited for
    stdin to close). The bound is generous: a loaded machine is slow, a hang is endless."""
    try:
        assert server.stdin is not None
        assert server.stdout is not None
        request = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "review", "version": "0"},
            },
        }
        server.stdin.write((json.dumps(request) + "\n").encode())
        server.stdin.flush()
        assert json.loads(server.stdout.readline())["id"] == 1
        server.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 30
        while server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.poll() == 130, "still running 30 s after Ctrl-C"
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)
        for stream in (server.stdin, server.stdout, server.stderr):
            if stream is not None:
                stream.close()


async def test_repeating_the_same_call_does_not_evict_the_photos_kept_before(
    tmp_path: Path,
) -> None:
    """A host or a looping model repeats one call: after the first, Slack shows the same
    photo as before each repeat (the same avatar hash), so a repeat keeps nothing, and the
    person's earlier photos stay in the history; undo goes back to the photo before."""
    async with mcp_session(tmp_path, log_level="warning") as session:
        (session.root / "mine.png").write_bytes(make_image(color=(10, 200, 10)))
        mine = await session.call({"image": "mine.png"})
        mine_hash = mine["structuredContent"]["profile"]["avatar_hash"]
        for _ in range(21):  # 20 entries at most per person
            repeated = await session.call({"image": "photo.png"})
            assert repeated.get("isError", False) is False
        listing = await session.client.call_tool("usersRestorePhoto", {})
        entries = listing.model_dump(by_alias=True, mode="json")["structuredContent"]["entries"]
        assert [entry["avatar_hash"] for entry in entries][:1] == [mine_hash]
        assert len(entries) == 2  # the photo before any change, and mine.png
        undone = await session.client.call_tool("usersRestorePhoto", {"entry": entries[0]["entry"]})
        assert undone.model_dump(by_alias=True)["isError"] is False
    assert shown_avatar_hash(session.slack) == mine_hash
