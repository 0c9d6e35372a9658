"""The emulator listening beyond loopback says what that exposes.

It takes any token and its control API lists the requests it recorded (the images sent
among them) and changes its state: `--host 0.0.0.0` puts all of that on the network, and
its banner, which gives the loopback address to connect to, did not say so.
"""

from __future__ import annotations

import asyncio
import signal

import pytest

from ocp_users_photo.emulator.command import exposure_warning
from tests.programs import started_emulator


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_says_nothing(host: str) -> None:
    assert exposure_warning(host) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "myhost.example"])
def test_any_other_address_is_warned_of(host: str) -> None:
    warning = exposure_warning(host)
    assert warning is not None
    assert host in warning
    assert "any token" in warning
    assert "leave --host out" in warning


async def test_the_command_warns_on_stderr_when_it_listens_on_every_interface() -> None:
    process = await started_emulator("--host", "0.0.0.0", "--port", "0")
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        async with asyncio.timeout(60):
            first = (await process.stdout.readline()).decode()
            warning = (await process.stderr.readline()).decode()
    finally:
        process.send_signal(signal.SIGINT)
        await process.wait()
    assert first.startswith("http://127.0.0.1:"), first
    assert "listening on 0.0.0.0, beyond this machine's loopback" in warning, warning
