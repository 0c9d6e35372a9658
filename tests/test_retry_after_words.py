"""A Retry-After said in words a person reads: not ``1e-06`` or ``12.3457`` (``:g``'s), and
never shorter than Slack asked (rounded up: "wait 0 s" would invite the retry at once).

The wait goes to a model's result and a terminal ("wait N s, as Slack asks"); the number
the result carries in ``retry_after`` stays the server's, capped at a day.
"""

from __future__ import annotations

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.errors import RateLimited
from tests import loopback
from tests.conftest import CANARY_TOKEN, make_image


@pytest.mark.parametrize(
    ("header", "said", "seconds"),
    [
        ("0.000001", "wait 0.1 s, as Slack asks", 0.000001),
        ("0.25", "wait 0.3 s, as Slack asks", 0.25),
        ("0.3", "wait 0.3 s, as Slack asks", 0.3),
        ("9.96", "wait 10 s, as Slack asks", 9.96),
        ("12.345678", "wait 13 s, as Slack asks", 12.345678),
        ("30", "wait 30 s, as Slack asks", 30.0),
        ("3600", "wait 3,600 s, as Slack asks", 3600.0),
        ("1e9", "wait 86,400 s (Slack asks for a day or more)", 86400.0),
    ],
)
async def test_the_wait_slack_asks_for_is_said_in_plain_seconds(
    header: str, said: str, seconds: float
) -> None:
    async with loopback.serve() as server:
        server.on(
            "/api/users.setPhoto",
            loopback.reply(
                429,
                b'{"ok": false, "error": "ratelimited"}',
                [("Content-Type", "application/json"), ("Retry-After", header)],
            ),
        )
        async with UsersSetPhoto(
            CANARY_TOKEN,
            base_url=server.base_url(),
            max_retries=0,
            keep_previous=False,
            environ={},
        ) as tool:
            with pytest.raises(RateLimited) as limited:
                await tool.call({"image": make_image()})
    assert said in str(limited.value)
    assert said in (limited.value.terminal_message or "")
    assert limited.value.retry_after == pytest.approx(seconds)
    assert "e-0" not in str(limited.value)
    assert "e+0" not in str(limited.value)
