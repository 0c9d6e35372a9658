"""Fixtures for tests that talk to the emulator over HTTP (loaded by conftest.py).

A test module that needs another configuration overrides ``emulator_config``; one that
needs default headers on its client overrides ``client``.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator, run_emulator


def solid_png(color: tuple[int, int, int] = (0, 128, 255), size: int = 512) -> bytes:
    """A square PNG of one colour, the smallest size Slack takes by default."""
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """No rate limit: most tests make more than 20 calls a minute with one token."""
    return EmulatorConfig(rate_limit_per_minute=None)


@pytest.fixture
async def emulator(emulator_config: EmulatorConfig) -> AsyncIterator[RunningEmulator]:
    async with run_emulator(emulator_config) as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield http
