"""``ocp-users-photo emulator``'s flags given what a newcomer's script gives them.

``--host "$HOST"`` with the variable unset or empty: the system takes an empty address as
every interface, so the emulator (which takes any token, and whose control API lists the
images it received) listened on the network while its banner named 127.0.0.1 and its
warning said "listening on , beyond this machine's loopback". It is refused, as an empty
``demo --out`` is. ``--oauth-user`` given no Slack user id was refused naming the Python
config's field (``oauth_default_user_id``), no flag of the command.
"""

from __future__ import annotations

import pytest

from ocp_users_photo.exit_codes import ExitCode
from tests.programs import run_cli


@pytest.mark.parametrize("host", ["", " "])
def test_an_empty_host_is_refused_not_taken_as_every_interface(host: str) -> None:
    done = run_cli("emulator", "--host", host, "--port", "0", timeout=20)
    assert done.returncode == ExitCode.INVALID, done.stdout
    assert done.stdout == ""  # no banner: it never listened
    last = done.stderr.strip().splitlines()[-1]
    assert last.endswith(
        "argument --host: an empty address: give one such as 127.0.0.1, or leave --host out "
        "(127.0.0.1)"
    ), last


def test_an_oauth_user_that_is_no_user_id_names_the_flag() -> None:
    done = run_cli("emulator", "--oauth-user", "bob", "--port", "0", timeout=20)
    assert done.returncode == ExitCode.INVALID, done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert "oauth_default_user_id" not in last, last
    assert last.endswith(
        "argument --oauth-user: 'bob' is no Slack user id: give one such as U0INSTALLER "
        "(U or W, then capital letters and digits)"
    ), last
