"""A redirect is never Slack's answer, whatever its body says.

Slack's Web API answers with 2xx (errors included), 429 or 5xx; a 3xx comes from whatever
the base URL points at (a moved address, a login portal, a proxy). Its body was read as
Slack's when it was JSON shaped like Slack's: ``{"ok": false, "error": "invalid_auth"}``
with a 302 told the person their token was wrong, and ``ratelimited`` with a Retry-After
was waited for and sent again.
"""

from __future__ import annotations

import httpx
import pytest

from ocp_users_photo import SlackApiError, TransportError, UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.slack.replies import HttpReply, decode_reply, is_rate_limited
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests

REDIRECTS = [301, 302, 303, 307, 308]


def _reply(status: int, body: bytes, **headers: str) -> HttpReply:
    return HttpReply(
        status_code=status,
        headers=httpx.Headers({"content-type": "application/json", **headers}),
        body=body,
        attempts=1,
    )


def _unchanged(value: object) -> object:
    return value


@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize(
    "body",
    [
        b'{"ok": false, "error": "invalid_auth"}',
        b'{"ok": false, "error": "ratelimited"}',
        b'{"ok": true, "profile": {}}',
    ],
    ids=["invalid_auth", "ratelimited", "ok"],
)
def test_a_redirect_with_slack_shaped_json_is_no_slack_reply(status: int, body: bytes) -> None:
    reply = _reply(status, body, **{"retry-after": "1"})
    with pytest.raises(TransportError) as failed:
        decode_reply(reply, method="users.setPhoto", redact=_unchanged)
    assert not isinstance(failed.value, SlackApiError)
    said = str(failed.value)
    assert f"HTTP {status}" in said
    assert "(a redirect, never followed: the token would go along)" in said
    assert "invalid_auth" not in said  # the body's words are not taken for Slack's


@pytest.mark.parametrize("status", REDIRECTS)
def test_a_redirect_saying_ratelimited_is_not_waited_for(status: int) -> None:
    reply = _reply(status, b'{"ok":false,"error":"ratelimited"}', **{"retry-after": "1"})
    assert not is_rate_limited(reply)
    assert is_rate_limited(_reply(200, reply.body, **{"retry-after": "1"}))  # Slack's own way


@pytest.mark.parametrize("error", ["invalid_auth", "ratelimited"])
async def test_a_redirect_saying_slacks_words_points_at_the_address_and_is_sent_once(
    emulator: RunningEmulator, error: str
) -> None:
    fault = Fault.json(
        {"ok": False, "error": error},
        status_code=302,
        headers={"Location": "https://login.example/", "Retry-After": "1"},
    )
    inject(emulator, fault, fault)
    tool = UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, max_retries=2)
    try:
        with pytest.raises(TransportError) as failed:
            await tool.call({"image": make_image((600, 600))})
    finally:
        await tool.aclose()
    assert not isinstance(failed.value, SlackApiError)
    assert failed.value.status_code == 302
    assert "(a redirect, never followed" in str(failed.value)
    assert "login.example" not in str(failed.value)
    assert len(photo_requests(emulator)) == 1  # answered once, not sent again
