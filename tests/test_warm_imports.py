"""A long-running MCP server imports what its calls use when it starts (warm_imports.py).

An upgrade in place (pip install -U) replaces the package's files under a server an MCP
host keeps running: a module first imported mid-call came from the other version, and
every call failed (ModuleNotFoundError) until the server was restarted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ocp_users_photo.emulator import RunningEmulator
from tests.conftest import CANARY_TOKEN
from tests.programs import environment_without_slack
from tests.undo_fixtures import picture

# What must not be imported for the first time by a call, once the server has started.
WATCHED = ("ocp_users_photo", "aiohttp", "PIL", "httpcore", "h11", "yarl", "multidict")

_CALLS = textwrap.dedent(
    """
    import asyncio, json, sys
    from ocp_users_photo.mcp_server import call_tool, offered
    from ocp_users_photo.settings import door_image_roots, door_token_source
    from ocp_users_photo.tool import UsersSetPhoto
    from ocp_users_photo.warm_imports import import_what_calls_use

    stack, images, history = sys.argv[1:4]

    async def calls(tool, first_imports):
        tools = offered(tool)
        answers = [
            await call_tool(tools["usersSetPhoto"], "usersSetPhoto", {"image": "red.png"}),
            await call_tool(tools["usersSetPhoto"], "usersSetPhoto", {"image": "green.png"}),
            await call_tool(tools["usersSetPhoto"], "usersSetPhoto", {"image": "blue.webp"}),
            await call_tool(tools["usersRestorePhoto"], "usersRestorePhoto", {}),
            await call_tool(tools["usersRestorePhoto"], "usersRestorePhoto", {"entry": 3}),
        ]
        return [answer["isError"] for answer in answers]

    tool = UsersSetPhoto(
        door_token_source("model"),
        image_roots=door_image_roots("model", [images]),
        photo_history=history,
    )
    assert tool._slack.http_stack == stack, tool._slack.http_stack
    import_what_calls_use(tool)
    before = set(sys.modules)
    failed = asyncio.run(calls(tool, before))
    watched = tuple(sys.argv[4].split(","))
    new = sorted(name for name in set(sys.modules) - before if name.startswith(watched))
    print(json.dumps({"failed": failed, "new": new}))
    """
)


@pytest.mark.parametrize("stack", ["httpx", "aiohttp"])
def test_calls_import_nothing_the_server_did_not_import_at_start(
    slack_emulator: RunningEmulator, tmp_path: Path, stack: str
) -> None:
    images = tmp_path / "images"
    images.mkdir()
    (images / "red.png").write_bytes(picture((200, 0, 0)))
    (images / "green.png").write_bytes(picture((0, 200, 0)))
    (images / "blue.webp").write_bytes(picture((0, 0, 200), fmt="WEBP"))
    finished = subprocess.run(
        [
            sys.executable,
            "-c",
            _CALLS,
            stack,
            str(images),
            str(tmp_path / "history.sqlite3"),
            ",".join(WATCHED),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment_without_slack(
            {
                "SLACK_USER_TOKEN": CANARY_TOKEN,
                "SLACK_API_URL": slack_emulator.base_url,
                "OCP_USERS_PHOTO_HTTP_STACK": stack,
            }
        ),
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    answer = json.loads(finished.stdout.strip().splitlines()[-1])
    assert answer["failed"] == [False] * 5, finished.stderr[-2000:]
    assert answer["new"] == [], f"imported by a call, not at start: {answer['new']}"


def test_the_mcp_command_imports_them_before_it_serves() -> None:
    source = (Path(__file__).parents[1] / "ocp_users_photo" / "mcp_command.py").read_text()
    warm = source.index("import_what_calls_use(tool)")
    assert warm < source.index("run_own_loop(_serve_until_interrupted(tool))")


async def test_a_module_gone_under_the_server_says_to_restart_it() -> None:
    from ocp_users_photo.mcp_server import call_tool

    class Upgraded:
        name = "usersSetPhoto"

        async def run(self, arguments: object) -> dict[str, object]:
            raise ModuleNotFoundError("No module named 'ocp_users_photo.slack.aiohttp_payload'")

    result = await call_tool(Upgraded(), "usersSetPhoto", {})  # type: ignore[arg-type]
    assert result["isError"] is True
    said = result["structuredContent"]["message"]
    assert "Restart the server" in said, said
    assert "aiohttp_payload" not in said  # the path stays in the server's log
