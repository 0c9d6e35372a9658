"""A newcomer's first hour: the README's steps on the local emulator, and what they skip.

A call to a loopback address where nothing listens (the emulator was not started, or was
stopped with Ctrl-C, in "Try steps 5 to 7 on the emulator first") said "check the network
and the Slack address": no network is involved, and the address was right. It now says
that no server listens there, and that the local emulator is started with
'ocp-users-photo emulator'.
"""

from __future__ import annotations

import socket

import pytest

from ocp_users_photo import TransportError, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.slack.stacks import StackName
from tests.conftest import CANARY_TOKEN, make_image


def _port_nothing_listens_on() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_loopback_address_where_nothing_listens_says_to_start_the_emulator(
    http_stack: StackName,
) -> None:
    port = _port_nothing_listens_on()
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=f"http://127.0.0.1:{port}/api",
        max_retries=0,
        environ={"OCP_USERS_PHOTO_HTTP_STACK": http_stack},
    ) as tool:
        with pytest.raises(TransportError) as raised:
            await tool.call({"image": make_image()})
    error = raised.value
    assert error.reached is False
    message = str(error)
    assert f"a server listens at 127.0.0.1:{port}" in message, message
    assert "ocp-users-photo emulator" in message, message
    assert "check the network" not in message, message
    assert error.to_check is not None
    assert "ocp-users-photo emulator" in error.to_check  # the CLI's "next:" line names it too


async def test_https_to_the_running_emulator_says_it_serves_plain_http(
    emulator: RunningEmulator, http_stack: StackName
) -> None:
    # The emulator listens (plain http); the URL asks for https: its handshake fails with a
    # ConnectError, and "start the emulator there" would send the reader to start it again.
    served = emulator.base_url.removeprefix("http://")
    local = served.removesuffix("/api")
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=f"https://{served}",
        max_retries=0,
        environ={"OCP_USERS_PHOTO_HTTP_STACK": http_stack},
    ) as tool:
        with pytest.raises(TransportError) as raised:
            await tool.call({"image": make_image()})
    message = str(raised.value)
    assert "a server listens at" not in message, message
    assert "ocp-users-photo emulator" not in message, message
    assert (
        f"does not speak https (the local Slack emulator serves plain http: http://{local}/api)"
        in message
    ), message
