"""One command, one process: what the command line costs on each HTTP stack.

    python benchmarks/cli_one_shot.py                 # 9 rounds
    python benchmarks/cli_one_shot.py --rounds 15 --stacks aiohttp httpx

A person at a terminal runs ``ocp-users-photo set me.png`` once: the process starts,
imports the package and its HTTP stack, makes one to four calls and exits. The rest of
the benchmarks measure a long-lived client, where aiohttp's cheaper calls repay its
import (~0.1 s of CPU); here they cannot. Each round runs every command once per stack
(``OCP_USERS_PHOTO_HTTP_STACK``), the order drawn afresh every round, against the local
emulator in its own process (``--no-image-processing``: the server's decoding is the same
for every stack and would only add noise). Per command and stack: the wall time of the
whole process and its CPU (user + system, from ``wait4``), medians with min-max. A 3 MB
PNG (1024x1024 of noise) is sent from a path, as a person would.

The rival is what a person writes instead: a few lines of slack_sdk's synchronous
``WebClient`` (urllib underneath, so no HTTP library is imported at all: its lightest
way), ``users_setPhoto(image="me.png")`` or ``auth_test()``, run as ``python -c``. It
checks nothing before sending and keeps nothing, so it compares with
``set --no-keep-previous`` and ``whoami``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from images import sized_image

HERE = Path(__file__).resolve().parent
COMMAND = [sys.executable, "-m", "ocp_users_photo"]
TOKEN = "xoxp-1234567890-1234567890123-0123456789abcdef0123456789abcdef"
COMMANDS: dict[str, list[str]] = {
    "set (keeping on)": [*COMMAND, "set", "me.png"],
    "set --no-keep-previous": [*COMMAND, "set", "me.png", "--no-keep-previous"],
    "whoami": [*COMMAND, "whoami"],
}
_SCRIPT = (
    "import os\n"
    "from slack_sdk import WebClient\n"
    "environment = os.environ\n"
    "web = WebClient(token=environment['SLACK_USER_TOKEN'],\n"
    "                base_url=environment['SLACK_API_URL'] + '/')\n"
    "assert web.{call}['ok']\n"
)
# What a person writes instead, run once per round (the stack column says "urllib").
RIVALS: dict[str, list[str]] = {
    "slack_sdk script: users_setPhoto": [
        sys.executable,
        "-c",
        _SCRIPT.format(call="users_setPhoto(image='me.png')"),
    ],
    "slack_sdk script: auth_test": [sys.executable, "-c", _SCRIPT.format(call="auth_test()")],
}


def start_emulator(folder: Path) -> tuple[subprocess.Popen[str], str]:
    """The emulator on a free loopback port, and its API base URL once it serves."""
    process = subprocess.Popen(
        [*COMMAND, "emulator", "--no-rate-limit", "--no-image-processing", "--no-record-bodies"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=folder,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        process.kill()
        raise RuntimeError("the emulator did not start")
    return process, url


def run_once(
    arguments: list[str], environment: dict[str, str], folder: Path
) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one command's process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        arguments,
        env=environment,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        assert process.stderr is not None
        raise RuntimeError(f"{arguments} failed: {process.stderr.read()[:300]!r}")
    if process.stderr is not None:
        process.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime


def summary(values: list[float]) -> str:
    """Median (min-max) in milliseconds."""
    median = statistics.median(values) * 1000
    return f"{median:.0f} ({min(values) * 1000:.0f}-{max(values) * 1000:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--stacks", nargs="+", default=["aiohttp", "httpx", "auto"])
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "me.png").write_bytes(sized_image("PNG", 3 * 1024 * 1024, 1024))
        emulator, url = start_emulator(folder)
        try:
            base = {
                **os.environ,
                "SLACK_API_URL": url,
                "SLACK_USER_TOKEN": TOKEN,
                "HOME": str(folder),
                "XDG_DATA_HOME": str(folder / "data"),
            }
            base.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as once installed
            commands = {**COMMANDS, **RIVALS}
            runs = [(label, stack) for label in COMMANDS for stack in options.stacks]
            runs += [(label, "urllib") for label in RIVALS]
            for label, stack in runs:  # warm: bytecode written, files in the page cache
                run_once(commands[label], {**base, "OCP_USERS_PHOTO_HTTP_STACK": stack}, folder)
            walls: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
            cpus: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
            for round_number in range(options.rounds):
                order = list(runs)
                random.Random(round_number).shuffle(order)
                for label, stack in order:
                    environment = {**base, "OCP_USERS_PHOTO_HTTP_STACK": stack}
                    wall, cpu = run_once(commands[label], environment, folder)
                    walls[label, stack].append(wall)
                    cpus[label, stack].append(cpu)
        finally:
            emulator.terminate()
            emulator.wait(10)
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{options.rounds} rounds, load {load} (1 / 5 / 15 min) at the end; ms, median (min-max)")
    print("| command | stack | wall | CPU |")
    print("| --- | --- | --- | --- |")
    for label, stack in runs:
        wall, cpu = summary(walls[label, stack]), summary(cpus[label, stack])
        print(f"| {label} | {stack} | {wall} | {cpu} |")


if __name__ == "__main__":
    main()
