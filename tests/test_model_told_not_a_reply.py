"""An answer to users.setPhoto that is no Slack reply, as a model is told of it.

The review of 2026-12-05 found the model told to "check with users.profile.get before
trying again": it has no such tool, and a call again may change the photo twice. A Python
caller, who has users.profile.get, is still told to use it.
"""

from __future__ import annotations

import pytest

from ocp_users_photo import UsersPhotoError, UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.errors import MAY_HAVE_HAPPENED_FOR_MODELS
from tests.conftest import CANARY_TOKEN, inject, make_image


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


async def test_a_model_is_told_not_to_call_again_and_a_caller_to_look(
    emulator: RunningEmulator,
) -> None:
    image = make_image((600, 600))
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, max_retries=0
    ) as tool:
        inject(emulator, Fault.json({"ok": "true", "profile": {}}), method="users.setPhoto")
        told = await tool.run({"image": image})
        assert told["ok"] is False
        assert "not a Slack reply" in told["message"]
        assert MAY_HAVE_HAPPENED_FOR_MODELS in told["message"]
        assert "users.profile.get" not in told["message"]
        inject(emulator, Fault.json({"ok": "true", "profile": {}}), method="users.setPhoto")
        with pytest.raises(UsersPhotoError, match=r"check with users\.profile\.get"):
            await tool.call({"image": image})
