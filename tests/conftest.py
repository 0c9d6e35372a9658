"""Shared fixtures: images made on the fly, a scripted loopback server, a tool pointed at it."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from tests.reliability_report import ReliabilityReport
from tests.scripted_server import ScriptedSlack, scripted_slack

pytest_plugins = ["tests.emulator_fixtures", "tests.framework_fixtures"]

CANARY_TOKEN = "xoxp-1111111111-2222222222-3333333333-canary0c4a7e9f1b2d3c4e5f60718293a4b5c6"


def make_image(
    size: tuple[int, int] = (600, 600),
    fmt: str = "PNG",
    mode: str = "RGB",
    color: Any = (200, 40, 40),
    **save_options: Any,
) -> bytes:
    """Encode a solid image; a right-hand quarter in another colour shows crops and rotations."""
    picture = Image.new(mode, size, color)
    if mode in ("RGB", "RGBA"):
        width, height = size
        picture.paste(
            (20, 40, 220) if mode == "RGB" else (20, 40, 220, 255),
            (width // 2, 0, width, height // 2),
        )
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **save_options)
    return buffer.getvalue()


@pytest.fixture
def write_image(tmp_path: Path) -> Callable[..., Path]:
    """Write an image made by make_image to tmp_path/name and return its path."""

    def write(name: str = "photo.png", **options: Any) -> Path:
        path = tmp_path / name
        path.write_bytes(make_image(**options))
        return path

    return write


@pytest.fixture
async def slack() -> AsyncIterator[ScriptedSlack]:
    async with scripted_slack() as server:
        yield server


@pytest.fixture
async def tool(slack: ScriptedSlack) -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=slack.base_url, retry_backoff=0.01, environ={}
    ) as photo_tool:
        yield photo_tool


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record at DEBUG and above, from every logger."""
    caplog.set_level(logging.DEBUG)
    return caplog


_REPORT = ReliabilityReport()


@pytest.fixture(scope="session")
def reliability() -> ReliabilityReport:
    """The session's reliability figures (printed at the end of the run)."""
    return _REPORT


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _REPORT:
        terminalreporter.section("reliability figures")
        terminalreporter.write_line(_REPORT.markdown())
