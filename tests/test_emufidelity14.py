"""The emulator's assumptions as README lists them, where the fidelity review found the
list shorter than the code: each sentence added there is shown here."""

from __future__ import annotations

import httpx
import pytest

from ocp_users_photo.emulator import RunningEmulator
from tests.conftest import CANARY_TOKEN
from tests.emulator_fixtures import solid_png


@pytest.mark.parametrize(
    "method",
    ["users.setPhoto", "users.deletePhoto", "users.profile.get", "auth.test", "oauth.v2.access"],
)
async def test_get_is_taken_like_post_by_every_method(
    emulator: RunningEmulator, method: str
) -> None:
    """ "GET is accepted like POST for every method": not a 405 from the router, but the
    method's own Slack answer (an error code where GET carries no image or grant)."""
    async with httpx.AsyncClient() as client:
        answer = await client.get(
            f"{emulator.base_url}/{method}", headers={"Authorization": f"Bearer {CANARY_TOKEN}"}
        )
    assert answer.status_code == 200, answer.text
    assert "ok" in answer.json()


async def test_auth_test_takes_a_token_from_the_query_string(emulator: RunningEmulator) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{emulator.base_url}/auth.test", params={"token": CANARY_TOKEN})
        refused = await client.post(
            f"{emulator.base_url}/users.deletePhoto", params={"token": CANARY_TOKEN}
        )
    assert answer.json()["ok"] is True
    assert refused.json() == {"ok": False, "error": "not_authed"}


async def test_a_crop_value_of_ten_digits_is_bad_image(emulator: RunningEmulator) -> None:
    """Nine digits at most, leading zeros or not (the tool never sends them)."""
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{emulator.base_url}/users.setPhoto",
            headers={"Authorization": f"Bearer {CANARY_TOKEN}"},
            data={"crop_x": "0000000000", "crop_y": "0", "crop_w": "100"},
            files={"image": ("me.png", solid_png(), "image/png")},
        )
    assert answer.json() == {"ok": False, "error": "bad_image"}
