"""pytest fixtures shipped with ocp-users-photo: a running Slack emulator per test.

Registered as a pytest11 plugin. The emulator (an optional extra) is imported
inside the fixtures only, so installing the package without the extra never
breaks a pytest run that does not use them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ocp_users_photo.extras import install_command

if TYPE_CHECKING:
    from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator

_MISSING_EXTRA = "the slack_emulator fixture needs the emulator extra: " + install_command(
    "emulator"
)


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    """The emulator's configuration; override this fixture to change it."""
    try:
        from ocp_users_photo.emulator import EmulatorConfig
    except ImportError as error:
        pytest.fail(f"{_MISSING_EXTRA} ({error})")
    return EmulatorConfig()


@pytest.fixture
def slack_emulator(slack_emulator_config: EmulatorConfig) -> Iterator[RunningEmulator]:
    """A running emulator (in a thread, so sync and async tests alike can use it).

    Its `base_url` is the Slack API base (http://127.0.0.1:PORT/api); `state`,
    `faults` and `requests` inspect and steer it.
    """
    try:
        from ocp_users_photo.emulator import start_emulator_in_thread
    except ImportError as error:
        pytest.fail(f"{_MISSING_EXTRA} ({error})")
    with start_emulator_in_thread(slack_emulator_config) as emulator:
        yield emulator
