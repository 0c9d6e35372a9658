"""The MCP door's review: what a host's cancellations and repeats do to the person's photo.

Each drives the real server (``python -m ocp_users_photo.mcp_server``) over stdio, with the
mcp SDK's own client where a session is needed, against the package's emulator on 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import anyio

from ocp_users_photo.emulator import Fault
from ocp_users_photo.spec import load_manifest
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests, shown_avatar_hash
from tests.test_mcp_server import mcp_session


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
