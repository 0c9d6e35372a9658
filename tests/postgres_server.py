"""A real PostgreSQL server for the tests: initdb and pg_ctl in a temporary folder, on loopback.

Debian's ``postgresql`` package puts the server's programs in
``/usr/lib/postgresql/<version>/bin``; ``pg_config --bindir`` or PATH may name them too.
PostgreSQL refuses to run as root, so under root the server runs as the ``postgres``
user (or ``nobody``) through ``runuser``, in a folder that user owns. Where the
programs are absent the tests that need them are skipped with the reason shown, unless
OCP_USERS_PHOTO_REQUIRE_POSTGRES is set (CI), where that is a failure.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REQUIRE_POSTGRES = "OCP_USERS_PHOTO_REQUIRE_POSTGRES"
_TIMEOUT = 60


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str

    @property
    def url(self) -> str:
        """An SQLAlchemy URL (psycopg 3) for the server's postgres database."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/postgres"


def find_postgres_bin() -> Path | None:
    """The folder holding initdb and pg_ctl, or None if PostgreSQL is not installed."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(found.stdout.strip()))
    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True))
    initdb = shutil.which("initdb")
    if initdb is not None:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _server_account() -> str | None:
    """Who runs the server: None for the current user, else an unprivileged account."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root with neither a postgres nor a nobody account")


@contextlib.contextmanager
def running_postgres(bin_folder: Path) -> Iterator[PostgresServer]:
    """initdb, start on a free loopback port, yield, stop and remove the folder."""
    account = _server_account()
    # Not under pytest's tmp_path: its parents are private to root, and the server's
    # account must reach its folder.
    folder = Path(tempfile.mkdtemp(prefix="ocp-users-photo-pg-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    prefix: list[str] = []
    if account is not None:
        entry = pwd.getpwnam(account)
        for path in (folder, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        runuser = shutil.which("runuser")
        if runuser is None:
            raise RuntimeError("running as root needs runuser (util-linux) to start PostgreSQL")
        prefix = [runuser, "-u", account, "--"]
    port = _free_port()

    def run(*command: str) -> None:
        subprocess.run(
            [*prefix, *command], check=True, capture_output=True, timeout=_TIMEOUT, cwd=folder
        )

    try:
        initdb, pg_ctl = str(bin_folder / "initdb"), str(bin_folder / "pg_ctl")
        run(initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
        try:
            yield PostgresServer(host="127.0.0.1", port=port, user="postgres")
        finally:
            run(pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
