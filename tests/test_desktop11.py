"""A person's first try of the MCP server from a desktop host (review: desktop11).

A host (Claude Desktop, Cursor, VS Code) starts the server from its JSON config in a
working directory of its own choosing, often ``/``: a relative path in ``args`` is taken
from there, not from where the person wrote the config. What the host's log says must let
the person find the folder meant and write it in full.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from ocp_users_photo.emulator import EmulatorConfig, Fault, run_emulator
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests
from tests.programs import environment_without_slack, run_module
from tests.test_mcp_server import assert_refused, mcp_session


@pytest.mark.parametrize(
    "host_folder",
    ["host-working-directory", "host-working-directory-" * 6 + "/server"],
    ids=["short", "deeper-than-120-characters"],
)
def test_a_relative_image_root_missing_where_the_host_started_says_where_it_looked(
    tmp_path: Path, host_folder: str
) -> None:
    """``"args": ["mcp", "--image-root", "Pictures"]``: the host started the server in
    another folder, where there is no Pictures. The log said only "image root 'Pictures'
    is not an existing folder (it does not exist)", while the person's Pictures folder
    does exist: nothing told them the path was taken from the host's working directory,
    nor to give the full path. A host's folder (an extension's) is often over 120
    characters deep: cut as a word, at 120, the path lost the folder's own name; it is
    bounded as paths are, at 300."""
    started_in = tmp_path / host_folder
    started_in.mkdir(parents=True)
    (tmp_path / "Pictures").mkdir()
    done = run_module(
        "ocp_users_photo.mcp_server",
        "--image-root",
        "Pictures",
        env={"SLACK_USER_TOKEN": CANARY_TOKEN, "HOME": str(tmp_path)},
        cwd=started_in,
        stdin_closed=True,
    )
    assert done.returncode == 2, done.stderr
    assert str(started_in / "Pictures") in done.stderr, done.stderr
    assert "full path" in done.stderr, done.stderr
    assert CANARY_TOKEN not in done.stderr


def test_a_relative_history_that_cannot_be_made_says_where_it_was_looked_for(
    tmp_path: Path,
) -> None:
    """``"args": [..., "--history", "photos/history.sqlite3"]``: taken from the folder the
    host started the server in, where it cannot be made. The log named only
    "photos/history.sqlite3", so the person could not tell which folder was meant, nor
    that the path was the host's working directory's."""
    started_in = tmp_path / "host-working-directory"
    started_in.mkdir()
    (started_in / "photos").write_text("a file where the history's folder would be")
    (tmp_path / "Pictures").mkdir()
    done = run_module(
        "ocp_users_photo.mcp_server",
        "--image-root",
        str(tmp_path / "Pictures"),
        "--history",
        "photos/history.sqlite3",
        env={"SLACK_USER_TOKEN": CANARY_TOKEN, "HOME": str(tmp_path)},
        cwd=started_in,
        stdin_closed=True,
    )
    assert done.returncode == 0, done.stderr
    assert str(started_in / "photos" / "history.sqlite3") in done.stderr, done.stderr
    assert "--no-keep-previous" in done.stderr, done.stderr
    assert CANARY_TOKEN not in done.stderr


@pytest.mark.parametrize("quote", ['"', "'"])
async def test_a_token_pasted_with_its_quotes_says_to_remove_them(
    tmp_path: Path, quote: str
) -> None:
    """``"SLACK_USER_TOKEN": "\\"xoxp-...\\""`` (or a token copied from a .env file with its
    quotes): the refusal said the token "is not a Slack token (they start with xox)" and
    to give one "not a client or signing secret", while the person sees a token that does
    start with xoxp: nothing said the quotes were the trouble."""
    async with mcp_session(tmp_path, token=f"{quote}{CANARY_TOKEN}{quote}") as session:
        error = assert_refused(
            await session.call({"image": "photo.png"}), "$.token", code="token_not_usable"
        )
        assert "quotes" in error["message"], error["message"]
        assert not photo_requests(session.slack)
    logged = (tmp_path / "server-stderr.txt").read_text()
    assert "quotes" in logged, logged


def _start_server(root: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The server as a host starts it, its three streams piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "ocp_users_photo.mcp_server", "--image-root", str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=root,
    )


def _line(obj: dict[str, object]) -> bytes:
    return (json.dumps(obj) + "\n").encode()


# How a host ends a server: SIGTERM (quitting the app, reloading its config), or closing
# the server's stdout (the host crashed, or gave up reading it), stdin left open.
HOST_ENDINGS = {"SIGTERM": 130, "stdout closed": 0}


@pytest.mark.runs_long
@pytest.mark.parametrize(("ending", "status_expected"), list(HOST_ENDINGS.items()))
async def test_a_host_ending_the_server_while_a_change_is_on_its_way_says_so_in_its_log(
    tmp_path: Path, ending: str, status_expected: int
) -> None:
    """A host ends the server while Slack has the change. At SIGTERM the log said only
    "interrupted: the server stops", though a cancelled upload gets a WARNING that
    whether the photo changed is unknown (docs/mcp.md, --log-level); the person had
    nothing to read about the change Slack may still have made. A closed stdout did not
    end the server at all until stdin closed."""
    root = tmp_path / "images"
    root.mkdir()
    (root / "photo.png").write_bytes(make_image())
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as slack:
        inject(slack, Fault.delay(30))
        env = environment_without_slack(
            {
                "SLACK_USER_TOKEN": CANARY_TOKEN,
                "SLACK_API_URL": slack.base_url,
                "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"],
                "PYTHONPATH": os.pathsep.join(sys.path),
            }
        )
        server = _start_server(root, env)
        try:
            assert server.stdin is not None
            initialize = {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "desktop11", "version": "0"},
            }
            server.stdin.write(
                _line({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize})
                + _line({"jsonrpc": "2.0", "method": "notifications/initialized"})
                + _line(
                    {
                        "jsonrpc": "2.0",
                        "id": 2,
                        "method": "tools/call",
                        "params": {"name": "usersSetPhoto", "arguments": {"image": "photo.png"}},
                    }
                )
            )
            server.stdin.flush()
            for _ in range(3000):  # until Slack has the change (30 s at most)
                if photo_requests(slack):
                    break
                await anyio.sleep(0.01)
            assert photo_requests(slack), "the change reached Slack"
            if ending == "SIGTERM":
                server.send_signal(signal.SIGTERM)
            else:
                assert server.stdout is not None
                server.stdout.close()
            status = await anyio.to_thread.run_sync(lambda: server.wait(timeout=30))
            assert server.stderr is not None
            logged = server.stderr.read().decode()
        finally:
            if server.poll() is None:
                server.kill()
                server.wait(timeout=10)
            for stream in (server.stdin, server.stdout, server.stderr):
                if stream is not None:
                    stream.close()
    assert status == status_expected, logged
    warned = [line for line in logged.splitlines() if "WARNING" in line]
    assert any("usersSetPhoto" in line and "unknown" in line for line in warned), logged
    assert CANARY_TOKEN not in logged
