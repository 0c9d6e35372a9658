"""The example app's bot rotation when Slack is not reached (examples/bot_rotation.py).

Review: a rotation that met no connection or a timeout escaped the rotator as aiohttp's or
asyncio's error; Bolt logged it as "Failed to call find_bot method" at info and went on
with the stored token, even one past its end. Failed when written.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.web.async_client import AsyncWebClient

from ocp_users_photo.examples.bot_rotation import BotRotationKeepingAWorkingToken


@pytest.fixture(params=["refused", "silent"])
def unreachable_slack(request: pytest.FixtureRequest) -> Iterator[str]:
    """A local Slack that refuses connections, or accepts them and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    if request.param == "silent":
        listener.listen(8)
    else:
        listener.close()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        listener.close()


def bot_ending_in(seconds: int) -> Bot:
    return Bot(
        app_id="A0APP00001",
        enterprise_id=None,
        team_id="T0TEAM0001",
        bot_token="xoxe.xoxb-1-stored",
        bot_id="B0BOT00001",
        bot_user_id="U0BOT00001",
        bot_scopes=["chat:write"],
        bot_refresh_token="xoxe-1-refresh",
        bot_token_expires_at=int(time.time()) + seconds,
        installed_at=time.time(),
    )


async def test_slack_not_reached_keeps_a_working_token_and_says_so(
    unreachable_slack: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = AsyncWebClient(base_url=unreachable_slack, timeout=1)
    rotator = BotRotationKeepingAWorkingToken(client_id="c", client_secret="s", client=client)
    with caplog.at_level(logging.WARNING, logger="ocp_users_photo.examples.bolt_photo_app"):
        assert await rotator.perform_bot_token_rotation(bot=bot_ending_in(3000)) is None
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1, warned
    assert "T0TEAM0001" in warned[0]
    assert "xoxe" not in warned[0]
    # Past its end, Bolt's answer stands, as for a refusal.
    with pytest.raises(SlackTokenRotationError):
        await rotator.perform_bot_token_rotation(bot=bot_ending_in(30))
