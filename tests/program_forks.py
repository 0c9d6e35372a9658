"""The command that runs one of the package's programs: through this test process's
program server (``tests/program_server.py``) where it behaves as a new interpreter would,
else a new interpreter.

A run is forked from a server that started as a new interpreter of that run would: with the
same ``PYTHON*`` and locale variables (one server for each such start a worker meets more
than once; the first run of each starts a new interpreter).
``OCP_USERS_PHOTO_TEST_NEW_INTERPRETERS=1`` runs every program in a new interpreter, as
they all ran before the server: the command line's test files took 482 s of processor
time so and 274 s forked, the MCP server's 218 s and 164 s (2026-12-07, three workers).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = Path(__file__).resolve().with_name("program_launcher.py")
EVERY_RUN_NEW = "OCP_USERS_PHOTO_TEST_NEW_INTERPRETERS"


def read_at_start(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables a new interpreter reads as it starts (its paths, flags and encodings)."""
    return {
        key: value
        for key, value in environ.items()
        if key.startswith(("PYTHON", "LC_")) or key in ("LANG", "LANGUAGE")
    }


class ProgramServer:
    """One ``tests.program_server`` process and the folder of its socket."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="ocp-users-photo-forks-"))
        self.socket = self.folder / "socket"
        with (self.folder / "stderr.txt").open("wb") as stderr:  # the server's own: empty
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.program_server", str(self.socket)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                cwd=ROOT,
                env=dict(environ),
            )
        assert self.process.stdout is not None
        self.ready = self.process.stdout.readline() == b"ready\n"

    def serves(self) -> bool:
        return self.ready and self.process.poll() is None

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()  # the server's signal to end
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)


# One server per way of starting (the variables ``read_at_start`` names) that a worker meets
# twice: the suite's own environment, a PYTHONPATH some tests give to reach a worktree's
# package. A start seen once (a test's own hidden ocp-agent) costs less in a new interpreter.
_servers: dict[tuple[tuple[str, str], ...], ProgramServer | None] = {}
_starting = threading.Lock()


def _server_for(environ: Mapping[str, str]) -> ProgramServer | None:
    """The server that starts as ``environ`` would, started the second time it is asked."""
    key = tuple(sorted(read_at_start(environ).items()))
    with _starting:
        if key not in _servers:
            _servers[key] = None
            return None
        server = _servers[key]
        if server is None:
            server = _servers[key] = ProgramServer(environ)
            atexit.register(server.stop)
        return server if server.serves() else None


def program_command(module: str, args: list[str], environ: Mapping[str, str]) -> list[str]:
    """The words that run ``python -m module args`` in environment ``environ``."""
    forking = (
        sys.platform == "linux"
        and not os.environ.get(EVERY_RUN_NEW)
        and not environ.get(EVERY_RUN_NEW)
    )
    server = _server_for(environ) if forking else None
    if server is None:
        return [sys.executable, "-m", module, *args]
    return [sys.executable, "-I", "-S", str(LAUNCHER), str(server.socket), module, *args]
