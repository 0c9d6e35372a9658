"""State written by older versions, read by this one (an upgrade in place), and a server
left running while the package's files change under it.

Each test writes its state as an older version did (the rows below are the ones the
versions named wrote, reproduced by running them against the emulator), then runs this
version on it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import anyio
import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

import ocp_users_photo
from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator, run_emulator
from ocp_users_photo.undo import PhotoHistory
from ocp_users_photo.undo.entries import HistoryOwner, ShownPhoto
from tests.conftest import CANARY_TOKEN, make_image
from tests.undo_fixtures import RED, history_tool, shown


async def _owner(emulator: RunningEmulator) -> HistoryOwner:
    async with httpx.AsyncClient(timeout=10) as http:
        reply = await http.post(
            f"{emulator.base_url}/auth.test", headers={"Authorization": f"Bearer {CANARY_TOKEN}"}
        )
    body = reply.json()
    return HistoryOwner(body.get("enterprise_id") or body["team_id"], body["user_id"])


async def test_a_default_avatar_an_older_version_kept_as_a_photo_is_put_back_as_the_default(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Before 0624228 (e.g. 7858eba), a person on Slack's default avatar whose profile came
    in Slack's documented shape (no is_custom_image, image_original given, a "g" hash) was
    kept as kind "custom": the default picture's bytes under the default's g-hash. Running
    7858eba's 'set' on the emulator with that shape wrote exactly such a row, the person's
    original (never evicted). This version says a photo's hash is hex alone and a "g" hash
    is the default avatar, whose undo is users.deletePhoto (README, Undo: nothing lost).

    Observed: HEAD's undo uploads the default picture with users.setPhoto, and the person
    ends with a custom photo of the default avatar (is_custom_image true).
    """
    before = await shown(emulator, CANARY_TOKEN)
    assert before.avatar_hash.startswith("g")
    assert not before.is_custom
    path = tmp_path / "photo-history.sqlite3"
    async with history_tool(emulator, path, keep_previous=False) as tool:
        await tool.call({"image": RED})  # the change the older version made
    red_hash = (await shown(emulator, CANARY_TOKEN)).avatar_hash
    # The row the older version wrote for that change (same API, same columns).
    history = PhotoHistory(path)
    kept = await history.keep(
        await _owner(emulator),
        ShownPhoto(
            kind="custom",
            avatar_hash=before.avatar_hash,
            data=before.renditions[512],
            content_type="image/png",
        ),
        {"change": "set", "image": {"format": "PNG", "width": 600, "height": 600}},
    )
    await history.finish(kept.entry, "changed", red_hash)
    await history.aclose()

    async with history_tool(emulator, path, keep_previous=True) as tool:
        await tool.undo()
    after = await shown(emulator, CANARY_TOKEN)
    assert emulator.requests.for_path("users.deletePhoto"), "the default was uploaded instead"
    assert after.is_custom is False


async def test_an_entry_an_older_version_kept_while_the_clock_read_1970_does_not_lock_the_history(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Before 5589ace, an entry kept while the clock read 1970 (a board without a real-time
    clock before NTP answers) was written with that time. This version refuses to write
    such a time, but reads a row that has one as a damaged history: the person's
    'history' and 'undo' are refused for good (the row is their original, never evicted),
    and the advice is to move the whole file (every person's photos) away.
    """
    path = tmp_path / "photo-history.sqlite3"
    async with history_tool(emulator, path, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": make_image(size=(640, 640), color=(30, 160, 60))})
    with sqlite3.connect(path) as database:  # what the older version wrote then
        database.execute("UPDATE entries SET kept_at = 86400 WHERE id = 1")
    async with history_tool(emulator, path, keep_previous=True) as tool:
        listed = await tool.history()
        assert [entry.entry for entry in listed] == [2, 1]
        await tool.undo()  # the newest entry, #2, is whole


async def test_a_running_mcp_server_keeps_working_when_the_package_files_change(
    tmp_path: Path,
) -> None:
    """An MCP host keeps 'ocp-users-photo mcp' running for days; 'pip install -U' (or a roll
    back) replaces the package's files meanwhile. Simulated here: the server runs from a copy
    of the package, and once it has listed its tools, one module the next version no longer
    has (slack/aiohttp_payload.py) is removed, as pip removes it.

    Observed: the server imports its HTTP stack's modules on the first call, from the new
    files, and every call from then on fails: 'unexpected_error ... (ModuleNotFoundError),
    so whether the photo was changed is unknown', though nothing was sent (it failed in
    auth.test), and nothing says to restart the server.
    """
    site = tmp_path / "site"
    package = Path(ocp_users_photo.__file__).parent
    shutil.copytree(package, site / "ocp_users_photo", ignore=shutil.ignore_patterns("__pycache__"))
    manifest = package / "tool_manifest.json"
    if not manifest.exists():
        manifest = package.parent / "tool_manifest.json"
    shutil.copy(manifest, site / "ocp_users_photo" / "tool_manifest.json")
    images = tmp_path / "images"
    images.mkdir()
    (images / "photo.png").write_bytes(make_image())
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as slack:
        env = {
            "SLACK_API_URL": slack.base_url,
            "SLACK_USER_TOKEN": CANARY_TOKEN,
            "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"],
            "PYTHONPATH": str(site),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        parameters = StdioServerParameters(
            command=sys.executable,
            args=["-m", "ocp_users_photo.mcp_server", "--image-root", str(images)],
            env=env,
            cwd=str(tmp_path),
        )
        with (tmp_path / "server-stderr.txt").open("w") as errlog:
            async with (
                stdio_client(parameters, errlog=errlog) as (read_stream, write_stream),
                ClientSession(read_stream, write_stream) as client,
            ):
                await client.initialize()
                listed = await client.list_tools()
                assert "usersSetPhoto" in [tool.name for tool in listed.tools]
                (site / "ocp_users_photo" / "slack" / "aiohttp_payload.py").unlink()
                with anyio.fail_after(60):
                    result = await client.call_tool("usersSetPhoto", {"image": "photo.png"})
        dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        reply = json.loads(dumped["content"][0]["text"])
        assert dumped.get("isError", False) is False, reply
        assert slack.requests.for_path("users.setPhoto")
