"""Fixtures the CLI's test files share: import them into a test module to use them there
(each under a name of its own, ``*_fixture``, so that a test's parameter of the fixture's
name shadows no import).

``slack_emulator_config``: the emulator with its rate limit off (a file runs many calls);
``image``: a 600x600 PNG, ``me.png`` in the test's folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig
from tests.conftest import make_image


@pytest.fixture(name="slack_emulator_config")
def slack_emulator_config_fixture() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


@pytest.fixture(name="image")
def image_fixture(tmp_path: Path) -> Path:
    path = tmp_path / "me.png"
    path.write_bytes(make_image((600, 600)))
    return path
