"""A reply header echoing the token, beside a header that is not ASCII.

The headers, redacted, were rebuilt from their decoded text, which httpx encodes back as
ASCII: "café" beside the echo raised UnicodeEncodeError after the upload had gone (a
raw exception from call() and run(), "nothing was sent" with exit 2 on the command
line), whatever Slack answered. Redacted, the headers keep their own encoding.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from ocp_users_photo import RateLimited, UsersSetPhoto
from tests import loopback
from tests.conftest import CANARY_TOKEN, make_image
from tests.http_stacks import stack_environ, stack_of
from tests.programs import run_cli

IMAGE = make_image((600, 600))
OK = json.dumps({"ok": True}).encode()
# Header text as it goes on the wire (loopback writes latin-1): UTF-8's bytes, and latin-1's.
IN_UTF8 = "caf\u00e9 \u202e".encode().decode("latin-1")
IN_LATIN1 = "caf\u00e9"


def echoing(other: str) -> list[tuple[str, str]]:
    return [
        ("Content-Type", "application/json"),
        ("X-Echo", CANARY_TOKEN),
        ("X-Name", other),
    ]


@pytest.mark.parametrize("other", [IN_UTF8, IN_LATIN1], ids=["utf-8", "latin-1"])
async def test_a_success_with_an_echo_beside_other_text_is_a_success(
    http_stack: str, other: str
) -> None:
    async with (
        loopback.serve() as slack,
        UsersSetPhoto(
            CANARY_TOKEN,
            base_url=slack.base_url(),
            environ=stack_environ(http_stack),
            keep_previous=False,  # run() would keep the photo shown first: users.setPhoto only
        ) as tool,
    ):
        assert stack_of(tool) == http_stack
        slack.on("/api/users.setPhoto", loopback.reply(200, OK, echoing(other)))
        assert await tool.call({"image": IMAGE}) == {"ok": True}
        slack.on("/api/users.setPhoto", loopback.reply(200, OK, echoing(other)))
        result = await tool.run({"image": IMAGE})
    assert result["ok"] is True, result
    assert CANARY_TOKEN not in json.dumps(result)


async def test_a_rate_limit_with_an_echo_beside_other_text_is_a_rate_limit(
    http_stack: str,
) -> None:
    limited = json.dumps({"ok": False, "error": "ratelimited"}).encode()
    headers = [*echoing(IN_UTF8), ("Retry-After", "120")]
    async with (
        loopback.serve() as slack,
        UsersSetPhoto(
            CANARY_TOKEN,
            base_url=slack.base_url(),
            environ=stack_environ(http_stack),
            max_retry_wait=1,
        ) as tool,
    ):
        slack.on("/api/users.setPhoto", loopback.reply(429, limited, headers))
        with pytest.raises(RateLimited) as raised:
            await tool.call({"image": IMAGE})
    assert raised.value.retry_after == 120
    assert CANARY_TOKEN not in repr(raised.value.__dict__)


async def test_the_command_line_sets_the_photo_and_says_so(tmp_path: Path) -> None:
    image = tmp_path / "me.png"
    image.write_bytes(IMAGE)
    async with loopback.serve() as slack:
        slack.on("/api/users.setPhoto", loopback.reply(200, OK, echoing(IN_UTF8)))
        done = await asyncio.to_thread(
            run_cli,
            "set",
            str(image),
            "--no-keep-previous",
            env={"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack.base_url()},
        )
    assert done.returncode == 0, done.stderr
    assert CANARY_TOKEN not in done.stdout + done.stderr
