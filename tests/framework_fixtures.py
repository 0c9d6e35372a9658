"""Fixtures for the framework loop tests: a host-built tool on the emulator, and the calls made.

The host builds ``UsersSetPhoto`` with its own user token and an image folder; a
framework's test model then calls it with arguments. Loaded by conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from tests.conftest import make_image

HOST_TOKEN = "xoxp-1-test"

# The OpenAI Agents SDK sends traces to OpenAI when it finds a key, and reads this switch
# once, on first use: set before any test runs, so no test of this process ever sends one.
os.environ["OPENAI_AGENTS_DISABLE_TRACING"] = "1"


@dataclass(frozen=True)
class PhotoHost:
    """What the host set up: its tool, the picture a model may name, the emulator it talks to."""

    tool: UsersSetPhoto
    picture: Path
    emulator: RunningEmulator

    def good_call(self) -> dict[str, Any]:
        """A call a model makes in strict mode: every name, null for what it leaves out."""
        return {"image": self.picture.name, "crop_x": 100, "crop_y": "50", "crop_w": 400}

    def partial_box_call(self) -> dict[str, Any]:
        """A call the schema allows but the tool refuses: a crop box missing two values."""
        return {"image": self.picture.name, "crop_x": 10, "crop_y": None, "crop_w": None}

    async def avatar_hash(self) -> str:
        """The avatar hash Slack (the emulator) now reports for the host's user."""
        async with httpx.AsyncClient(timeout=10) as client:
            reply = await client.get(
                f"{self.emulator.base_url}/users.profile.get",
                headers={"Authorization": f"Bearer {HOST_TOKEN}"},
            )
        avatar: str = reply.json()["profile"]["avatar_hash"]
        return avatar


@pytest.fixture
async def photo_host(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[PhotoHost]:
    picture = tmp_path / "portrait.png"
    picture.write_bytes(make_image((600, 600)))
    async with UsersSetPhoto(
        HOST_TOKEN, base_url=emulator.base_url, image_roots=[tmp_path], environ={}
    ) as tool:
        yield PhotoHost(tool=tool, picture=picture, emulator=emulator)
