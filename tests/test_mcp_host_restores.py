"""What a desktop host (Claude Desktop, an IDE) sees from the real MCP server: restores.

Each drives ``python -m ocp_users_photo.mcp_server`` over stdio with the mcp SDK's own
client (``tests.test_mcp_server.mcp_session``) against the package's emulator on 127.0.0.1.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio

from tests.conftest import make_image, photo_requests, shown_avatar_hash
from tests.test_mcp_server import mcp_session

RESTORE = "usersRestorePhoto"


async def test_a_repeated_restore_does_not_claim_the_entry_the_other_call_kept(
    tmp_path: Path,
) -> None:
    """A host sends "put my old photo back" twice at once (a retry, or two model turns):
    both restores run, one after the other. The second replaces the photo with itself, so
    it keeps nothing (the same avatar hash); its message must not say that the photo it
    replaced was kept as the entry the first call wrote (the closing line is to name only
    an entry written by this very change)."""
    async with mcp_session(tmp_path, log_level="warning") as session:
        (session.root / "other.png").write_bytes(make_image(color=(10, 10, 200)))
        for image in ("photo.png", "other.png"):
            done = await session.call({"image": image})
            assert done.get("isError", False) is False, done
        listing = await session.client.call_tool(RESTORE, {})
        entries = (listing.structured_content or {})["entries"]
        newest = entries[0]["entry"]
        before = len(photo_requests(session.slack))

        results: list[dict[str, Any]] = []

        async def restore() -> None:
            result = await session.client.call_tool(RESTORE, {"entry": newest})
            assert result.is_error is False, result
            results.append(result.structured_content or {})

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(restore)
            tasks.start_soon(restore)

        assert len(photo_requests(session.slack)) == before + 2, "both restores reached Slack"
        after = (await session.client.call_tool(RESTORE, {})).structured_content or {}
        written = [e["entry"] for e in after["entries"] if e["entry"] > entries[0]["entry"]]
        assert len(written) == 1, "only the first restore kept what it replaced"
        shown = shown_avatar_hash(session.slack)

    claims = [
        int(match.group(1))
        for result in results
        if (match := re.search(r"was kept as #(\d+)", result["message"]))
    ]
    # Before: both messages said "The photo it replaced (avatar_hash <the other photo>) was
    # kept as #3, so this can be undone too"; the second replaced <shown> and kept nothing.
    assert claims.count(written[0]) == 1, (shown, [r["message"] for r in results])
