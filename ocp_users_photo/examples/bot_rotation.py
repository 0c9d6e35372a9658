"""The bot token's rotation for the example app: a bot token that still works is used when
its rotation fails.

Bolt rotates the bot's token in the last two hours of its twelve, at a request, and a
refusal of that rotation (the app's own wrong client secret, Slack failing with a 5xx)
ends the request with Bolt's generic "no longer available, reinstall", though the token
it had still worked for an hour or more. Here such a failure is logged as a warning,
with Slack's error code, and the stored token is used until it is near its end; the
rotation is tried again at the next request. Past that, Bolt's answer stands. Slack not
reached (no connection, a timeout) is treated as a refusal: it escaped to Bolt, which
logged it as "Failed to call find_bot method" at info and went on with the stored token
even past its end.
"""

from __future__ import annotations

import logging
import time
from typing import Final

import aiohttp
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator

from ocp_users_photo.safe_text import shown

logger = logging.getLogger("ocp_users_photo.examples.bolt_photo_app")
# A token used with less left than this might end before the request it serves does.
_STILL_WORKING_SECONDS: Final = 60


class BotRotationKeepingAWorkingToken(AsyncTokenRotator):
    """``AsyncTokenRotator`` whose bot rotation, refused, leaves the bot's token as it is
    while it has a minute or more left (None: "no rotation for now", in Bolt's terms)."""

    async def perform_bot_token_rotation(
        self, *, bot: Bot, minutes_before_expiration: int = 120
    ) -> Bot | None:
        try:
            return await super().perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=minutes_before_expiration
            )
        except SlackTokenRotationError as refused:
            failure: SlackTokenRotationError = refused
            answer = _error_code(refused)
        except (aiohttp.ClientError, OSError) as unreached:  # OSError: TimeoutError too
            answer = f"nothing ({type(unreached).__name__})"
            failure = SlackTokenRotationError(
                SlackApiError("Slack was not reached to rotate the bot token", None)  # type: ignore[no-untyped-call]
            )
            failure.__cause__ = unreached
        ends = bot.bot_token_expires_at
        left = None if ends is None else ends - time.time()
        if left is None or left < _STILL_WORKING_SECONDS:
            raise failure
        logger.warning(
            "could not rotate the bot token of workspace %s (Slack answered %s): the "
            "current one, good for %d more minutes, is used, and the rotation tried "
            "again at the next request; if Slack says the client id or secret is wrong, "
            "check the app's SLACK_CLIENT_ID and SLACK_CLIENT_SECRET",
            shown(str(bot.team_id or bot.enterprise_id), 40),
            answer,
            left // 60,
        )
        return None


def _error_code(refused: SlackTokenRotationError) -> str:
    """Slack's error code (or the HTTP status), short and printable: never the whole reply,
    which may echo the client secret."""
    response = getattr(refused.api_error, "response", None)
    code = None
    try:
        code = response.get("error") if response is not None else None
    except Exception:  # a reply that is no JSON object
        code = None
    if isinstance(code, str) and code:
        return shown(code, 60)
    status = getattr(response, "status_code", None)
    return f"HTTP {status}" if isinstance(status, int) else "an error"
