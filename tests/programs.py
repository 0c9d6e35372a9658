"""The package's programs run as a person runs them: a process of their own, whose
environment holds no Slack variable of the machine running the tests unless a test gives
one (a fork of the program server where that behaves as a new interpreter would:
tests/program_forks.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.program_forks import program_command


def environment_without_slack(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without SLACK_* variables, then ``extra`` on top."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SLACK_")}
    environment.update(extra or {})
    return environment


def emulator_cli_environment(base_url: str, home: Path, token: str) -> dict[str, str]:
    """A command's environment against the emulator at ``base_url``: ``token`` as the user
    token, ``home`` as the home folder, no other SLACK_* variable."""
    return environment_without_slack(
        {"SLACK_USER_TOKEN": token, "SLACK_API_URL": base_url, "HOME": str(home)}
    )


def bound_by_permissions() -> list[str]:
    """The words before a command that run it bound by file permissions: as root, without
    the capabilities that pass them by (util-linux's setpriv); as anyone else, none."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def run_module(
    module: str,
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdin_closed: bool = False,
    timeout: float = 60,
    prefix: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """``python -m module args`` to completion, text output captured; never raises on exit.
    ``prefix``: the words before the interpreter (``bound_by_permissions()``, a setpriv).
    Without one, a fork of the program server where that behaves as a new interpreter
    would (tests/program_forks.py)."""
    environ = environment_without_slack(env)
    command = (
        [*prefix, sys.executable, "-m", module, *args]
        if prefix
        else program_command(module, list(args), environ)
    )
    return subprocess.run(
        command,
        stdin=subprocess.DEVNULL if stdin_closed else None,
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def run_python(statement: str) -> subprocess.CompletedProcess[str]:
    """``python -c statement`` in a new interpreter (never forked: what it imports is the
    point of most such runs), text output captured; never raises on exit."""
    return subprocess.run(
        [sys.executable, "-c", statement], capture_output=True, text=True, timeout=60, check=False
    )


def run_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
    prefix: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """``ocp-users-photo args`` (as ``python -m ocp_users_photo.cli``), after ``prefix``."""
    return run_module(
        "ocp_users_photo.cli", *args, env=env, cwd=cwd, timeout=timeout, prefix=prefix
    )


async def started_emulator(*args: str) -> asyncio.subprocess.Process:
    """``ocp-users-photo emulator args`` started, its stdout and stderr piped: the caller
    reads its base URL (the first line) and stops it (SIGINT, as Ctrl-C does)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ocp_users_photo",
        "emulator",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


# What Python and asyncio say of what a program left to the collector.
_LEFT_BEHIND = ("unclosed", "never awaited", "destroyed but it is pending", "never retrieved")
# Python 3.13's word for a database connection collected open: slack_sdk's SQLite store
# leaves each of its own so (``with sqlite3.connect(...)`` commits, never closes).
_SLACK_SDKS_OWN = "unclosed database in <sqlite3.connection"


def assert_nothing_left_by(statement: str) -> None:
    """Run ``statement`` (Python, from the repository's root) in a process of its own, every
    warning shown and asyncio's debug mode on, and check it ends well and leaves nothing
    to the collector: no unclosed transport, session or socket, no coroutine never
    awaited, no task destroyed pending, no exception never retrieved. In the suite's own
    process the collector also finalizes what earlier tests left, and their warnings
    would be counted."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-W", "always", "-X", "dev", "-c", statement],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    said = "\n".join(
        line for line in done.stderr.lower().splitlines() if _SLACK_SDKS_OWN not in line
    )
    left = [words for words in _LEFT_BEHIND if words in said]
    assert not left, done.stderr[-3000:]


def mypy_strict_on(folder: Path, program: str) -> subprocess.CompletedProcess[str]:
    """``mypy --strict`` on ``program``, written as a user's file in ``folder``: what the
    package's types let a typed caller write."""
    user = folder / "user_program.py"
    user.write_text(program, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(user)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
    )
