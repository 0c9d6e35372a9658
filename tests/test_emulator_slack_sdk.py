"""slack_sdk, Slack's own Python client, driving the emulator: it must take it for Slack."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import httpx
import pytest
from PIL import Image
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from ocp_users_photo.emulator import (
    EmulatorConfig,
    Fault,
    RunningEmulator,
    start_emulator_in_thread,
)
from ocp_users_photo.spec import response_validator

TOKEN = "xoxp-slack-sdk-test"
RED, BLUE = (255, 0, 0), (0, 0, 255)


@pytest.fixture
def two_colour_png(tmp_path: Path) -> Path:
    """800x600: red left half, blue right half."""
    image = Image.new("RGB", (800, 600), RED)
    image.paste(BLUE, (400, 0, 800, 600))
    path = tmp_path / "two-colour.png"
    image.save(path, format="PNG")
    return path


@pytest.fixture
def two_colour_bytes(two_colour_png: Path) -> bytes:
    return two_colour_png.read_bytes()


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """The emulator as it starts by default (its rate limit on): what slack_sdk meets."""
    return EmulatorConfig()


def pixel(image_bytes: bytes, point: tuple[int, int]) -> tuple[int, ...]:
    rgb = Image.open(io.BytesIO(image_bytes)).convert("RGB")
    value = rgb.getpixel(point)
    assert isinstance(value, tuple)
    return value


async def test_async_web_client_round_trip(
    emulator: RunningEmulator, two_colour_png: Path, two_colour_bytes: bytes
) -> None:
    client = AsyncWebClient(token=TOKEN, base_url=emulator.base_url + "/")
    try:
        before = await client.users_profile_get()
        assert before["profile"]["avatar_hash"].startswith("g")

        # The blue half, as a square. Text, not ints: slack_sdk's async client hands
        # ints to aiohttp's FormData, which (aiohttp 3.14) refuses to serialise them.
        reply = await client.users_setPhoto(
            image=str(two_colour_png), crop_x="450", crop_y="50", crop_w="300"
        )
        assert response_validator().is_valid(reply.data)
        new_hash = reply["profile"]["avatar_hash"]

        after = await client.users_profile_get()
        assert after["profile"]["avatar_hash"] == new_hash
        assert after["profile"]["image_512"] == reply["profile"]["image_512"]
        async with httpx.AsyncClient() as http:
            image = (await http.get(after["profile"]["image_72"])).content
        assert pixel(image, (36, 36)) == BLUE

        deleted = await client.users_deletePhoto()
        assert deleted.data == {"ok": True}
        again = await client.users_profile_get()
        assert again["profile"]["avatar_hash"] == before["profile"]["avatar_hash"]
        assert again["profile"]["is_custom_image"] is False
    finally:
        if client.session is not None:
            await client.session.close()

    # What reached the server: the token in the header only, the crop as text fields.
    [upload] = emulator.requests.for_path("users.setPhoto")
    assert upload.header("authorization") == f"Bearer {TOKEN}"
    assert upload.body is not None
    assert TOKEN.encode() not in upload.body
    assert (upload.field("crop_x"), upload.field("crop_y"), upload.field("crop_w")) == (
        "450",
        "50",
        "300",
    )
    part = upload.file("image")
    assert part is not None
    # slack_sdk's async client names the part "image", not after the file.
    assert part.filename
    assert part.sha256 == hashlib.sha256(two_colour_bytes).hexdigest()


async def test_async_client_sees_slack_errors(emulator: RunningEmulator, tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    client = AsyncWebClient(token=TOKEN, base_url=emulator.base_url + "/")
    bot = AsyncWebClient(token="xoxb-bot", base_url=emulator.base_url + "/")
    try:
        with pytest.raises(SlackApiError) as bad_image:
            await client.users_setPhoto(image=str(broken))
        assert bad_image.value.response["error"] == "bad_image"
        with pytest.raises(SlackApiError) as wrong_type:
            await bot.users_deletePhoto()
        assert wrong_type.value.response["error"] == "not_allowed_token_type"
    finally:
        for each in (client, bot):
            if each.session is not None:
                await each.session.close()


async def test_async_client_retries_a_dropped_connection(emulator: RunningEmulator) -> None:
    # slack_sdk retries connection errors once by default: the drop must look like one.
    emulator.faults.inject(Fault.drop(), path="users.profile.get")
    client = AsyncWebClient(token=TOKEN, base_url=emulator.base_url + "/")
    try:
        reply = await client.users_profile_get()
    finally:
        if client.session is not None:
            await client.session.close()
    assert reply["ok"] is True
    faults = [record.fault for record in emulator.requests.for_path("users.profile.get")]
    assert faults == ["drop", None]


def test_sync_web_client_round_trip(two_colour_png: Path) -> None:
    with start_emulator_in_thread(EmulatorConfig(rate_limit_per_minute=1)) as emulator:
        client = WebClient(token=TOKEN, base_url=emulator.base_url + "/")
        # The red half.
        reply = client.users_setPhoto(image=str(two_colour_png), crop_x=0, crop_y=0, crop_w=400)
        assert response_validator().is_valid(reply.data)
        profile = client.users_profile_get()["profile"]
        assert profile["avatar_hash"] == reply["profile"]["avatar_hash"]
        image = httpx.get(profile["image_192"]).content
        assert pixel(image, (96, 96)) == RED
        assert client.users_deletePhoto().data == {"ok": True}
        assert client.users_profile_get()["profile"]["avatar_hash"].startswith("g")
        # A second deletePhoto in a minute is over the configured limit of 1.
        with pytest.raises(SlackApiError) as limited:
            client.users_deletePhoto()
        assert limited.value.response.status_code == 429
        assert limited.value.response["error"] == "ratelimited"
        assert int(limited.value.response.headers["retry-after"]) >= 1
