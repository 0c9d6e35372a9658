"""users.profile.get and users.deletePhoto through SlackClient, the one HTTP stack, on the emulator.

Undo reads the photo shown with the first and puts the default avatar back with the
second; both go through the same client as users.setPhoto (deadlines, retries, the
token in the Authorization header only), and their replies hold to Slack's own
OpenAPI schemas.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ocp_users_photo.credentials import SlackToken
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import SlackApiError
from ocp_users_photo.slack.client import SlackClient
from ocp_users_photo.slack.form import FilePart
from ocp_users_photo.slack.retry import RetryPolicy
from tests.conftest import CANARY_TOKEN
from tests.test_emulator_profile import delete_photo_validator, valid_profile
from tests.undo_fixtures import picture

TOKEN = SlackToken(CANARY_TOKEN)


@pytest.fixture
async def slack(emulator: RunningEmulator) -> AsyncIterator[SlackClient]:
    client = SlackClient(
        base_url=emulator.base_url,
        user_agent="tests",
        retry=RetryPolicy(max_retries=1, backoff=0.01),
    )
    yield client
    await client.aclose()


async def test_profile_get_reads_the_photo_shown(
    emulator: RunningEmulator, slack: SlackClient
) -> None:
    reply = await slack.call("users.profile.get", token=TOKEN)
    profile = valid_profile(reply.body)
    assert profile["is_custom_image"] is False
    assert "image_original" not in profile
    image = picture((10, 200, 10))
    await slack.call(
        "users.setPhoto", token=TOKEN, files={"image": FilePart("a.png", "image/png", image)}
    )

    profile = valid_profile((await slack.call("users.profile.get", token=TOKEN)).body)

    assert profile["is_custom_image"] is True
    assert profile["image_original"].endswith("/original.png")
    (request,) = emulator.requests.for_path("/api/users.profile.get")[-1:]
    assert request.header("authorization") == f"Bearer {CANARY_TOKEN}"
    assert request.method == "POST"
    assert not request.form


async def test_profile_get_is_retried_like_every_method(
    emulator: RunningEmulator, slack: SlackClient
) -> None:
    emulator.faults.inject(Fault.status(503), path="/api/users.profile.get")
    reply = await slack.call("users.profile.get", token=TOKEN)
    assert reply.attempts == 2
    assert reply.body["ok"] is True


async def test_delete_photo_brings_the_default_avatar_back(
    emulator: RunningEmulator, slack: SlackClient
) -> None:
    default_hash = valid_profile((await slack.call("users.profile.get", token=TOKEN)).body)[
        "avatar_hash"
    ]
    await slack.call(
        "users.setPhoto",
        token=TOKEN,
        files={"image": FilePart("a.png", "image/png", picture((1, 2, 3)))},
    )

    reply = await slack.call("users.deletePhoto", token=TOKEN)

    assert list(delete_photo_validator().iter_errors(reply.body)) == []
    assert reply.body == {"ok": True}
    profile = valid_profile((await slack.call("users.profile.get", token=TOKEN)).body)
    assert profile["avatar_hash"] == default_hash
    assert profile["is_custom_image"] is False


async def test_delete_photo_without_the_write_scope_is_a_slack_error(
    emulator: RunningEmulator, slack: SlackClient
) -> None:
    reader = "xoxp-7-8-9-readeronlyreaderonly"
    emulator.state.add_token(reader, scopes="users.profile:read")
    with pytest.raises(SlackApiError) as refused:
        await slack.call("users.deletePhoto", token=SlackToken(reader))
    assert refused.value.error == "missing_scope"
    assert refused.value.method == "users.deletePhoto"
    assert refused.value.needed == "users.profile:write"
