"""This project's tool against the emulator: set with a crop box, read back, see it, delete it."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, run_emulator
from tests.conftest import make_image

TOKEN = "xoxp-tool-on-emulator"


async def test_set_read_back_look_and_delete(tmp_path: Path) -> None:
    path = tmp_path / "two-colours.png"
    path.write_bytes(make_image((800, 600)))  # red, with a blue top-right quarter
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        run_emulator(EmulatorConfig()) as emulator,
        UsersSetPhoto(TOKEN, base_url=emulator.base_url, environ={}) as tool,
        httpx.AsyncClient(timeout=10) as client,
    ):
        reply = await tool.call({"image": path, "crop_x": 400, "crop_y": 0, "crop_w": 300})
        profile = reply["profile"]
        assert len(profile["avatar_hash"]) == 12

        current = (
            await client.get(f"{emulator.base_url}/users.profile.get", headers=headers)
        ).json()
        assert current["profile"]["avatar_hash"] == profile["avatar_hash"]
        assert current["profile"]["image_512"] == profile["image_512"]

        served = await client.get(profile["image_512"])
        assert served.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(served.content)) as rendition:
            assert rendition.size == (512, 512)
            # The crop (400, 0, 300) lies inside the blue quarter: the photo is all blue.
            assert rendition.convert("RGB").getpixel((256, 256)) == (20, 40, 220)
        original = await client.get(profile["image_original"])
        assert original.content == path.read_bytes()

        deleted = (
            await client.post(f"{emulator.base_url}/users.deletePhoto", headers=headers)
        ).json()
        assert deleted == {"ok": True}
        after = (await client.get(f"{emulator.base_url}/users.profile.get", headers=headers)).json()
        assert after["profile"]["avatar_hash"] != profile["avatar_hash"]
        assert (await client.get(profile["image_512"])).status_code == 404


async def test_the_emulators_refusals_reach_the_tool_as_slack_errors() -> None:
    async with run_emulator(EmulatorConfig()) as emulator:
        emulator.state.revoke(TOKEN)
        async with UsersSetPhoto(TOKEN, base_url=emulator.base_url, environ={}) as tool:
            result = await tool.run({"image": make_image()})
        assert result["error"] == "token_revoked"
        assert "create a new user token" in result["message"]
