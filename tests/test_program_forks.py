"""The program server's forks behave as new interpreters: what the suite's program runs
show (output, exit codes, signals, environment, time zone, working folder, umask, stdin,
closed streams, modules in the run's folder) is what a person's ``python -m`` would show.
Each case is run both ways and compared."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import pytest

from tests.program_forks import EVERY_RUN_NEW, LAUNCHER, ProgramServer, program_command
from tests.programs import environment_without_slack, run_module

pytestmark = [
    pytest.mark.skipif(
        sys.platform != "linux", reason="the program server runs on Linux only (pidfds)"
    ),
    pytest.mark.skipif(
        bool(os.environ.get(EVERY_RUN_NEW)), reason=f"{EVERY_RUN_NEW} asks for no server"
    ),
]
ROOT = Path(__file__).resolve().parent.parent
FORKED = str(LAUNCHER)


def both_ways(
    *args: str,
    module: str = "tests.program_probe",
    cwd: Path | None = None,
    stdin: str = "",
    environ: Mapping[str, str] | None = None,
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """The run in a new interpreter, then in a fork (checked to be one)."""
    # PYTHONPATH: tests/ is found from any folder (the package is installed, tests/ is not).
    environ = {
        **(environ or environment_without_slack()),
        "PROBE_VARIABLE": "carried",
        "PYTHONPATH": str(ROOT),
    }
    program_command(module, list(args), environ)  # a start met once is not yet served
    assert FORKED in program_command(module, list(args), environ), "the server is not used"
    runs = []
    for extra in ({EVERY_RUN_NEW: "1"}, {}):
        runs.append(
            subprocess.run(
                program_command(module, list(args), {**environ, **extra}),
                input=stdin,
                capture_output=True,
                text=True,
                env={**environ, **extra},
                cwd=cwd,
                timeout=60,
                check=False,
            )
        )
    return runs[0], runs[1]


def test_the_probe_sees_the_same_process_either_way(tmp_path: Path) -> None:
    old_umask = os.umask(0o027)
    try:
        new, forked = both_ways(cwd=tmp_path, stdin="piped in\n")
    finally:
        os.umask(old_umask)
    assert new.returncode == forked.returncode == 0, (new.stderr, forked.stderr)
    seen = json.loads(forked.stdout)
    assert seen == json.loads(new.stdout)
    assert seen["cwd"] == str(tmp_path)
    assert seen["umask"] == 0o027
    assert seen["variable"] == "carried"
    assert seen["stdin"] == "piped in\n"
    assert seen["name"] == "__main__"
    assert forked.stderr == new.stderr == "to stderr\n"


# Python 3.12 and later, as they end, report an exit status past a C long (their own
# words, not the program's: "Exception ignored on threading shutdown:" first on 3.13); a
# fork's end, in os._exit, says nothing. 3.11 says nothing either.
_EXIT_STATUS_OVERFLOW: Final = re.compile(
    r"(Exception ignored on threading shutdown:\n)?"
    r"OverflowError: Python int too large to convert to C long\n\Z"
)


@pytest.mark.parametrize(
    ("how", "returncode"),
    [
        (["exit", "7"], 7),
        (["exit", str(2**40)], 0),  # the system keeps the last byte
        (["exit", str(2**70)], 255),  # past a C long: -1
        (["raise"], 1),
        (["interrupt"], -signal.SIGINT),
        (["terminated"], -signal.SIGTERM),
    ],
)
def test_a_fork_ends_as_a_new_interpreter_does(how: list[str], returncode: int) -> None:
    new, forked = both_ways(*how)
    assert new.returncode == forked.returncode == returncode
    assert json.loads(forked.stdout) == json.loads(new.stdout)
    assert forked.stderr == _EXIT_STATUS_OVERFLOW.sub("", new.stderr)  # a traceback's frames too


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["set", "me.png", "--token", "xoxp-not-here"],
        ["set", "missing.png"],
        ["manifest", "--format", "openai"],
        ["history", "--json"],
        [],
    ],
    ids=["version", "token-flag", "missing-image", "manifest", "history", "no-command"],
)
def test_the_command_line_answers_the_same_either_way(args: list[str], tmp_path: Path) -> None:
    new, forked = both_ways(*args, module="ocp_users_photo.cli", cwd=tmp_path)
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        new.returncode,
        new.stdout,
        new.stderr,
    )


def test_the_runs_time_zone_is_the_programs() -> None:
    environ = {**environment_without_slack(), "TZ": "Asia/Tokyo"}
    new, forked = both_ways(environ=environ)
    assert json.loads(forked.stdout)["zone"] == json.loads(new.stdout)["zone"] == ["JST", "JST"]


def test_a_file_the_program_never_closed_is_written_at_its_end(tmp_path: Path) -> None:
    new, forked = both_ways("unclosed", "kept.txt", cwd=tmp_path)
    assert new.returncode == forked.returncode == 0
    # both runs wrote the one file, the fork last: what is read is the fork's
    assert (tmp_path / "kept.txt").read_text() == "written but never closed\n"
    subprocess.run(  # and a new interpreter, alone, writes the same
        [sys.executable, "-m", "tests.program_probe", "unclosed", "new.txt"],
        capture_output=True,
        cwd=tmp_path,
        env={**environment_without_slack(), "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=True,
    )
    assert (tmp_path / "new.txt").read_text() == (tmp_path / "kept.txt").read_text()


@pytest.mark.parametrize("closed", ["<&-", ">&-"], ids=["stdin", "stdout"])
def test_a_program_started_without_stdin_or_stdout_runs_as_it_would(closed: str) -> None:
    """A closed descriptor stays closed in the program (its sys.std* None), and the
    launcher's socket does not take its number."""
    environ = {**environment_without_slack(), "PYTHONPATH": str(ROOT)}
    program_command("tests.program_probe", [], environ)
    runs = []
    for extra in ({EVERY_RUN_NEW: "1"}, {}):
        words = program_command("tests.program_probe", [], {**environ, **extra})
        assert (FORKED in words) is not bool(extra)
        runs.append(
            subprocess.run(
                ["bash", "-c", f'exec "$@" {closed}', "bash", *words],
                capture_output=True,
                text=True,
                env={**environ, **extra},
                timeout=30,
                check=False,
            )
        )
    new, forked = runs
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        new.returncode,
        new.stdout,
        new.stderr,
    )


def test_a_module_in_the_runs_folder_is_imported_as_a_new_interpreter_would(
    tmp_path: Path,
) -> None:
    """``python -m`` puts the run's folder first on sys.path: an httpx.py there is the one
    imported. The server had imported the real one, so that run starts a new interpreter."""
    (tmp_path / "httpx.py").write_text('raise ImportError("the folder\'s own httpx")\n')
    new, forked = both_ways("--version", module="ocp_users_photo.cli", cwd=tmp_path)
    assert new.returncode == forked.returncode == 1
    assert forked.stderr.splitlines()[-1] == new.stderr.splitlines()[-1]
    assert "the folder's own httpx" in new.stderr.splitlines()[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def started_emulator(port: int) -> subprocess.Popen[str]:
    """``ocp-users-photo emulator`` in a fork, once it serves."""
    environ = environment_without_slack()
    program_command("ocp_users_photo", [], environ)  # a start met once is not yet served
    words = program_command("ocp_users_photo", ["emulator", "--port", str(port)], environ)
    assert FORKED in words
    process = subprocess.Popen(words, stdout=subprocess.PIPE, text=True, env=environ)
    assert process.stdout is not None
    assert process.stdout.readline().startswith("http://127.0.0.1:")
    assert listening(port)
    return process


def test_ctrl_c_reaches_the_forked_program_and_it_ends_as_it_would() -> None:
    port = free_port()
    with started_emulator(port) as process:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    with subprocess.Popen(
        [sys.executable, "-m", "ocp_users_photo", "emulator", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        env=environment_without_slack(),
    ) as real:
        assert real.stdout is not None
        assert real.stdout.readline().startswith("http://127.0.0.1:")
        real.send_signal(signal.SIGINT)
        assert real.wait(timeout=30) == process.returncode


def test_a_killed_launcher_takes_its_program_down() -> None:
    """As a run's timeout does: subprocess kills the launcher, the program must not live on."""
    port = free_port()
    with started_emulator(port) as process:
        process.kill()
        process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while listening(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not listening(port)


def started_otherwise(variable: str) -> dict[str, str]:
    """This environment with ``variable`` set otherwise (PYTHONUNBUFFERED toggled)."""
    environ = environment_without_slack()
    if variable == "PYTHONUNBUFFERED" and variable in environ:
        del environ[variable]
    else:
        otherwise = {"PYTHONIOENCODING": "latin-1:replace", "LC_ALL": "C"}
        environ[variable] = otherwise.get(variable, "1")
    return environ


@pytest.mark.parametrize("variable", ["PYTHONIOENCODING", "LC_ALL", "PYTHONUNBUFFERED"])
def test_a_program_that_starts_otherwise_gets_a_server_that_started_so(variable: str) -> None:
    """The first run of another start is a new interpreter; the next ones are forks of a
    server started that way, and see what a new interpreter does."""
    environ = started_otherwise(variable)
    words = program_command("tests.program_probe", ["first"], environ)
    assert words == [sys.executable, "-m", "tests.program_probe", "first"]
    new, forked = both_ways(environ=environ, stdin="caf\u00e9\n")
    assert new.returncode == forked.returncode == 0, (new.stderr, forked.stderr)
    assert json.loads(forked.stdout) == json.loads(new.stdout)


def test_run_module_forks_from_its_second_run_on() -> None:
    """run_module's programs are forks of the server (their parent is its waiter) once this
    worker has met their start."""
    parents = []
    for _ in range(2):
        finished = run_module("tests.program_probe", "parent", stdin_closed=True)
        assert finished.returncode == 0, finished.stderr
        parents.append(finished.stderr.splitlines()[-1])
    assert "tests.program_server" in parents[1]
    assert (
        "tests.program_server"
        not in run_module("tests.program_probe", "parent", env={EVERY_RUN_NEW: "1"}).stderr
    )


def test_the_server_ends_with_the_process_that_started_it(tmp_path: Path) -> None:
    """A test process killed mid-run leaves no server behind: its end of the server's stdin
    closes, and the server ends, its folder removed (a killed process runs no atexit)."""
    script = (
        "import os, sys\n"
        "from tests.program_forks import ProgramServer\n"
        "server = ProgramServer(os.environ)\n"
        "print(server.process.pid, server.socket.exists(), server.folder, flush=True)\n"
        "os._exit(0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**environment_without_slack(), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    pid, served, folder = done.stdout.split()
    assert served == "True"  # its socket was there while the process lived
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists()
    assert not Path(folder).exists()  # its socket's folder went with it


def test_a_stopped_server_leaves_nothing() -> None:
    server = ProgramServer(environment_without_slack())
    assert server.ready
    server.stop()
    assert server.process.returncode == 0
    assert not server.folder.exists()
