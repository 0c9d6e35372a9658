"""The MCP server's edges that a host reaches on the raw stdio wire: a host that stops
reading, ids MCP does not allow, and a server started with no image folder.

Each test starts ``python -m ocp_users_photo.mcp_server`` on the package's emulator
(tests/test_mcp_wire_requests.py's ``wire_server``).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CANARY_TOKEN
from tests.test_mcp_wire_requests import PING_8_ANSWER, wire_server


async def test_a_host_that_closes_stdout_ends_the_server_without_another_line(
    tmp_path: Path,
) -> None:
    """The host closes its end of the server's stdout (it crashed, or gave up reading) and
    sends nothing more, stdin left open. docs/mcp.md promises that this ends the connection
    as closing stdin does; the server went on running until stdin closed or another line
    came (it saw the closed pipe only when it next wrote)."""
    async with wire_server(tmp_path, options=["--log-level", "info"]) as wire:
        await wire.send_line('{"jsonrpc": "2.0", "id": 8, "method": "ping"}')
        assert await wire.answer(8) == PING_8_ANSWER
        transport = wire.process._transport  # type: ignore[attr-defined]
        transport.get_pipe_transport(1).close()
        try:
            exited = await asyncio.wait_for(wire.process.wait(), 15)
        except TimeoutError:
            exited = None
    assert exited == 0, "the server still ran 15 s after the host closed its stdout"
    log = (tmp_path / "stderr.txt").read_text()
    assert "Traceback" not in log, log[-1500:]
    assert "the host closed the server's stdout" in log, log[-1500:]


BAD_IDS = {"fractional": "1.5", "null": "null", "true": "true", "an array": "[9]"}


@pytest.mark.parametrize("request_id", list(BAD_IDS.values()), ids=list(BAD_IDS))
async def test_a_request_with_an_id_mcp_does_not_allow_is_logged(
    tmp_path: Path, request_id: str
) -> None:
    """MCP's ids are integers or texts. The SDK reads a request with any other id (7.5,
    null, true, an array) as a notification, which no one answers: the host waits for
    ever, and nothing was logged. No answer can carry such an id back, so the server says
    in its log what was sent and what to send instead, and goes on serving."""
    async with wire_server(tmp_path) as wire:
        await wire.send_line(f'{{"jsonrpc": "2.0", "id": {request_id}, "method": "tools/list"}}')
        await wire.send_line('{"jsonrpc": "2.0", "id": 8, "method": "ping"}')
        assert await wire.answer(8) == PING_8_ANSWER, "the server stopped answering"
    log = (tmp_path / "stderr.txt").read_text()
    assert "tools/list came with no id MCP allows" in log, log[-1500:]
    assert "send an integer or a text as its id" in log, log[-1500:]


async def test_a_real_notification_is_not_taken_for_a_request(tmp_path: Path) -> None:
    """A notification MCP defines (cancelled, initialized) is no request without an id."""
    async with wire_server(tmp_path) as wire:
        await wire.send_line(
            '{"jsonrpc": "2.0", "method": "notifications/cancelled", '
            '"params": {"requestId": 99, "reason": "gone"}}'
        )
        await wire.send_line('{"jsonrpc": "2.0", "id": 8, "method": "ping"}')
        assert await wire.answer(8) == PING_8_ANSWER
    log = (tmp_path / "stderr.txt").read_text()
    assert "no id MCP allows" not in log, log[-1500:]


async def test_with_no_image_folder_a_path_is_refused_with_what_the_person_does(
    tmp_path: Path,
) -> None:
    """Started in / without --image-root, the server reads no image paths. The model's
    refusal named the Python API's options (register(), image_roots=) and did not say
    that the host must be restarted once --image-root is added to its configuration."""
    async with wire_server(tmp_path, image_root=False, cwd=Path("/")) as wire:
        await wire.send_line(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 3,
                    "method": "tools/call",
                    "params": {"name": "usersSetPhoto", "arguments": {"image": "/tmp/me.png"}},
                }
            )
        )
        answer = await wire.answer(3, seconds=30)
    assert answer is not None
    result = answer["result"]
    assert result["isError"] is True
    told = result["structuredContent"]
    assert told["error"] == "invalid_arguments"
    seen = json.dumps(result)
    for python_only in ("register(", "UsersSetPhoto", "image_roots="):
        assert python_only not in seen, f"{python_only} told to a model: {told['message']}"
    assert "--image-root" in told["message"]
    assert "restart" in told["message"]
    assert "base64" in told["message"]
    assert CANARY_TOKEN not in seen


def _server_on_sockets(
    tmp_path: Path,
) -> tuple[subprocess.Popen[bytes], socket.socket, socket.socket]:
    """The server with socket pairs for stdin and stdout, as Node's hosts (libuv) start
    their children; the host's ends returned, the session initialized."""
    stdin_host, stdin_server = socket.socketpair()
    stdout_host, stdout_server = socket.socketpair()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    (tmp_path / "images").mkdir()
    with (tmp_path / "stderr.txt").open("w") as errlog:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ocp_users_photo.mcp_server",
                "--image-root",
                str(tmp_path / "images"),
                "--log-level",
                "info",
            ],
            stdin=stdin_server.fileno(),
            stdout=stdout_server.fileno(),
            stderr=errlog,
            env=env,
            cwd=tmp_path,
        )
    stdin_server.close()
    stdout_server.close()
    stdout_host.settimeout(20)
    return process, stdin_host, stdout_host


def _ping(stdin_host: socket.socket, stdout_host: socket.socket, request_id: int) -> bytes:
    stdin_host.sendall(b'{"jsonrpc": "2.0", "id": %d, "method": "ping"}\n' % request_id)
    answer = b""
    while not answer.endswith(b"\n"):
        piece = stdout_host.recv(4096)
        assert piece, "the server closed its stdout"
        answer += piece
    return answer


def test_a_host_on_socket_pairs_that_closes_stdout_ends_the_server(tmp_path: Path) -> None:
    """The same end when stdout is a socket (Claude Desktop and VS Code are Node programs,
    whose children get socket pairs): the host's end closed ends the server."""
    process, stdin_host, stdout_host = _server_on_sockets(tmp_path)
    try:
        assert json.loads(_ping(stdin_host, stdout_host, 8))["id"] == 8
        stdout_host.close()
        exited = process.wait(timeout=15)
    finally:
        process.kill()
        process.wait()
        stdin_host.close()
    assert exited == 0
    log = (tmp_path / "stderr.txt").read_text()
    assert "the host closed the server's stdout" in log, log[-1500:]


def test_a_host_that_only_stops_writing_on_the_stdout_socket_is_still_served(
    tmp_path: Path,
) -> None:
    """A host that shuts down only its own sending on the stdout socket (it never writes
    there) still reads: the server goes on answering."""
    process, stdin_host, stdout_host = _server_on_sockets(tmp_path)
    try:
        assert json.loads(_ping(stdin_host, stdout_host, 8))["id"] == 8
        stdout_host.shutdown(socket.SHUT_WR)
        time.sleep(1)
        assert process.poll() is None, "the server ended on a half-closed stdout socket"
        assert json.loads(_ping(stdin_host, stdout_host, 9))["id"] == 9
        stdin_host.shutdown(socket.SHUT_WR)  # the host ends the connection: EOF on stdin
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
        process.wait()
        stdin_host.close()
        stdout_host.close()
