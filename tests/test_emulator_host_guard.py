"""On loopback the emulator answers only loopback Host names: DNS rebinding is refused."""

from __future__ import annotations

import httpx
import pytest

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.emulator.loopback import is_loopback_host, split_host_header


@pytest.mark.parametrize(
    "host",
    ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "10.0.0.1", "[::2]", "a b", ""],
)
async def test_a_foreign_host_gets_421_everywhere(
    emulator: RunningEmulator, client: httpx.AsyncClient, host: str
) -> None:
    for url in (
        emulator.base_url + "/users.profile.get?token=xoxp-h",
        emulator.control_url + "requests",
        emulator.authorize_url,
    ):
        response = await client.get(url, headers={"Host": f"{host}:{emulator.port}"})
        assert response.status_code == 421, url
        reply = response.json()
        assert reply["ok"] is False
        assert reply["error"] == "host_not_allowed"
        assert "127.0.0.1" in reply["detail"]
    # Refused before the log: nothing was recorded.
    assert len(emulator.requests) == 0


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "app.localhost"]
)
async def test_loopback_hosts_are_served(
    emulator: RunningEmulator, client: httpx.AsyncClient, host: str
) -> None:
    response = await client.get(
        emulator.base_url + "/users.profile.get",
        params={"token": "xoxp-h"},
        headers={"Host": f"{host}:{emulator.port}"},
    )
    assert response.json()["ok"] is True
    # Image URLs name the host the client used.
    assert response.json()["profile"]["image_24"].startswith(f"http://{host}:{emulator.port}/")


async def test_an_upload_to_a_foreign_host_is_answered_not_reset(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        emulator.base_url + "/users.setPhoto",
        headers={"Host": "attacker.example", "Authorization": "Bearer xoxp-h"},
        files={"image": ("p.png", b"x" * 2_000_000, "image/png")},
    )
    assert response.status_code == 421


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("localhost.", True),
        ("x.localhost", True),
        ("127.0.0.1", True),
        ("127.255.255.254", True),
        ("::1", True),
        ("[::1]", True),
        ("0:0:0:0:0:0:0:1", True),
        ("128.0.0.1", False),
        ("0.0.0.0", False),
        ("localhost.example", False),
        ("[::ffff:127.0.0.1]", True),
        ("[::ffff:10.0.0.1]", False),
        ("", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("127.0.0.1:8765", "127.0.0.1"),
        ("localhost", "localhost"),
        ("[::1]:80", "[::1]"),
        ("[::1]", "[::1]"),
        ("host:port", None),
        ("[::1", None),
        ("[::1]x", None),
        (":80", None),
    ],
)
def test_split_host_header(value: str, host: str | None) -> None:
    assert split_host_header(value) == host
