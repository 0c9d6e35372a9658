"""A name server that never answers for Slack's own host: the command line and
``call_sync`` still end with their call, on either HTTP stack.

httpx (through anyio) and aiohttp's threaded resolver look Slack's host up with the
loop's ``getaddrinfo``, which asyncio runs in its default executor; ``asyncio.run`` waits
for that executor's threads as it ends. The command was refused on time and then never
exited (killed after 20 s here) while the lookup stood still. The loops the package runs
itself now look names up in its own daemon threads (own_loop.py). Found by a review
helper's test of the Python API; a caller's own ``asyncio.run`` is the caller's and stays
as it is. ``socket.getaddrinfo`` never returns in these programs, and the host is under
``.invalid``: nothing is looked up or sent anywhere.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap

import pytest

from ocp_users_photo.own_loop import new_own_loop, run_own_loop
from ocp_users_photo.slack.stacks import HTTP_STACK_VARIABLE
from tests.conftest import CANARY_TOKEN
from tests.http_stacks import stack_params
from tests.test_stalled_name_lookup import STALLED_LOOKUPS

COMMAND_LINE = STALLED_LOOKUPS + textwrap.dedent(
    """
    from ocp_users_photo.cli import main

    code = main(sys.argv[1:])
    print(f"exit {code} after {time.monotonic() - started:.1f} s", flush=True)
    sys.exit(code)
    """
)
CALL_SYNC = STALLED_LOOKUPS + textwrap.dedent(
    """
    import io
    from PIL import Image
    from ocp_users_photo import TransportError, UsersSetPhoto

    picture = io.BytesIO()
    Image.new("RGB", (600, 600), (200, 40, 40)).save(picture, format="PNG")

    tool = UsersSetPhoto(
        sys.argv[1], base_url="https://slack.invalid/api", environ={}, keep_previous=False,
        deadline=1.0, timeout=0.5, max_retries=0,
    )
    try:
        tool.call_sync({"image": picture.getvalue()})
    except TransportError as refusal:
        print("refused:", refusal.code, flush=True)
    print(f"ended after {time.monotonic() - started:.1f} s", flush=True)
    """
)


def run_stalled(program: str, arguments: list[str], stack: str) -> str:
    """The program's output; it must end by itself well before the lookup would."""
    done = subprocess.run(
        [sys.executable, "-c", program, *arguments],
        env={**os.environ, HTTP_STACK_VARIABLE: stack, "SLACK_USER_TOKEN": CANARY_TOKEN},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.stdout


def seconds_in(line: str) -> float:
    """The seconds a line "... after 1.2 s" says."""
    return float(line.rsplit(" after ", 1)[1].removesuffix(" s"))


@pytest.mark.parametrize("stack", stack_params())
def test_the_command_line_ends_with_its_call_when_slack_hosts_lookup_stalls(stack: str) -> None:
    arguments = ["whoami", "--base-url", "https://slack.invalid/api/", "--timeout", "1"]
    output = run_stalled(COMMAND_LINE, [*arguments, "--max-retries", "0"], stack)
    assert output.startswith("exit 5 after "), output  # a transport error, nothing reached
    assert seconds_in(output.strip()) < 10, output


@pytest.mark.parametrize("stack", stack_params())
def test_call_sync_ends_with_its_call_when_slack_hosts_lookup_stalls(stack: str) -> None:
    output = run_stalled(CALL_SYNC, [CANARY_TOKEN], stack).splitlines()
    assert output[0] == "refused: transport_error", output
    assert seconds_in(output[1]) < 10, output


def test_the_own_loop_looks_names_up_as_asyncios_does() -> None:
    """The same answers, the arguments in asyncio's order: a family, type, protocol or
    flag put in the wrong place would ask the system another question."""

    async def both() -> tuple[list[object], list[object]]:
        loop = asyncio.get_running_loop()
        own = await loop.getaddrinfo(
            "127.0.0.1", 443, family=socket.AF_INET, type=socket.SOCK_STREAM, proto=0, flags=0
        )
        system = socket.getaddrinfo("127.0.0.1", 443, socket.AF_INET, socket.SOCK_STREAM, 0, 0)
        return list(own), list(system)

    own, system = run_own_loop(both())
    assert own == system
    assert own  # the loopback address answered

    loop = new_own_loop()
    try:
        assert isinstance(loop, asyncio.AbstractEventLoop)
        assert type(loop).getaddrinfo is not asyncio.BaseEventLoop.getaddrinfo
    finally:
        loop.close()
