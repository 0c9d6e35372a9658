"""Session 14: the MCP server over a long session, as a host drives it.

Each test was seen failing before its fix. Only 127.0.0.1 is spoken to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import CANARY_TOKEN, make_image


def _initialize_line() -> bytes:
    request = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "review", "version": "0"},
        },
    }
    return (json.dumps(request) + "\n").encode()


def test_a_host_that_reads_no_answers_is_not_read_without_bound(tmp_path: Path) -> None:
    """A host writing requests and reading none of the answers: the server went on reading
    stdin, each request answered in memory and waiting on the full stdout pipe (43,000
    tools/list took 2 GB). It now stops reading, so the host's writes wait instead; once
    the host reads, every request is answered and the server ends as usual."""
    root = tmp_path / "images"
    root.mkdir()
    (root / "photo.png").write_bytes(make_image())
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"],
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    requests = 4000
    process = subprocess.Popen(
        [sys.executable, "-m", "ocp_users_photo.mcp_server", "--image-root", str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    stdin, stdout = process.stdin, process.stdout
    written = [0]

    def write() -> None:
        try:
            stdin.write(_initialize_line())
            stdin.write(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n')
            for number in range(1, requests + 1):
                line = {"jsonrpc": "2.0", "id": number, "method": "tools/list"}
                stdin.write((json.dumps(line) + "\n").encode())
                stdin.flush()
                written[0] = number
        except (BrokenPipeError, ValueError):
            pass

    writer = threading.Thread(target=write, daemon=True)
    try:
        writer.start()
        # Until the host's writes stall (the server reads no more) or all are written.
        last, still_since = -1, time.monotonic()
        while writer.is_alive() and time.monotonic() - still_since < 3:
            time.sleep(0.2)
            if written[0] != last:
                last, still_since = written[0], time.monotonic()
        assert writer.is_alive(), (
            f"all {requests} requests were read though none of the answers was: the server "
            "holds what it cannot write without bound"
        )
        answered: set[int] = set()
        for line in stdout:
            answered.add(json.loads(line)["id"])
            if len(answered) == requests + 1:
                break
        writer.join(10)
        assert answered == set(range(requests + 1)), "each request answered once read"
        stdin.close()
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        stdout.close()
