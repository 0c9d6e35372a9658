"""What a newcomer reading README.md and docs/ meets that the code does otherwise.

Each test is one documented promise, run as the documentation says to run it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, run_emulator
from ocp_users_photo.exit_codes import ExitCode
from tests.installation_helpers import portrait
from tests.programs import environment_without_slack, run_cli
from tests.test_bolt_photo_app import SIGNING_SECRET, emulator_config  # noqa: F401

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("port", ["99999", "65536", "-1"])
def test_emulator_port_out_of_range_is_a_one_line_status_2(port: str) -> None:
    """docs/emulator.md: "A bad flag or tokens file, or a port in use, ends the command
    with status 2 and a one-line message". --port 99999 ends in an OverflowError
    traceback from socket.bind, status 1."""
    done = run_cli("emulator", "--port", port, timeout=30)
    assert "Traceback" not in done.stderr, done.stderr[-600:]
    assert done.returncode == ExitCode.INVALID
    # argparse's usage, as for every bad flag, then the one line that says what is wrong.
    assert done.stderr.strip().splitlines()[-1].endswith("is not a port: give 0 to 65535")


async def test_the_docs_rate_limit_is_counted_as_the_emulator_counts_it() -> None:
    """docs/emulator.md's flag table: `--rate-limit N` is "calls a minute per token and
    method". The emulator (and its --help, and the README) count per app: a second
    token gets 429 once the first has used the app's calls."""
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=2)) as emulator:
        statuses = []
        async with httpx.AsyncClient() as client:
            for who in ("alice", "alice", "bob0"):
                answer = await client.post(
                    f"{emulator.base_url}/users.setPhoto",
                    headers={"Authorization": f"Bearer xoxp-1-2-{who}{who}{who}{who}"},
                    files={"image": ("me.png", portrait((1, 2, 3)), "image/png")},
                )
                statuses.append(answer.status_code)
    per_token = statuses == [200, 200, 200]
    [row] = [
        line
        for line in (DOCS / "emulator.md").read_text().splitlines()
        if line.startswith("| `--rate-limit N`")
    ]
    assert ("per token" in row) == per_token, (row, statuses)


def test_a_missing_extra_names_the_missing_package_not_the_packages_own_module() -> None:
    """`pip install .` (no [emulator]) then `ocp-users-photo demo`: "this command needs
    ocp_users_photo.demo, which is not installed" - the package's own module is there;
    Starlette is what is missing (the mcp command names its package: "needs the mcp
    package")."""
    program = (
        "import sys; sys.modules['starlette'] = None\n"
        "from ocp_users_photo.cli import main\n"
        "sys.argv = ['ocp-users-photo', 'demo']\n"
        "sys.exit(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env=environment_without_slack(),
        timeout=60,
        check=False,
    )
    assert done.returncode == ExitCode.INVALID
    assert "[emulator]" in done.stderr
    assert "ocp_users_photo.demo, which is not installed" not in done.stderr, done.stderr


def test_the_emulator_banner_names_a_base_url_the_tool_takes() -> None:
    """`ocp-users-photo emulator --host 0.0.0.0` (or --host '', which binds every
    interface too) says "set SLACK_API_URL=http://0.0.0.0:PORT/api", which every command
    then refuses ("plain http to 0.0.0.0").
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "ocp_users_photo.cli", "emulator", "--host", "0.0.0.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment_without_slack(),
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()
        ready = process.stdout.readline()
    finally:
        process.terminate()
        process.communicate(timeout=20)
    suggested = ready.split("set SLACK_API_URL=", 1)[1].split(". Ctrl-C", 1)[0]
    UsersSetPhoto("xoxp-1-2-abcdefabcdef", base_url=suggested)  # refused: ValueError
