"""A caller's client whose response hook raises for a status: Slack's answer all the same."""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.errors import (
    RateLimited,
    SlackApiError,
    TransportError,
    UsersPhotoError,
    may_have_taken_effect,
)
from tests import loopback
from tests.installation_helpers import portrait


async def _raise_for_status(response: httpx.Response) -> None:
    response.raise_for_status()


async def _failed_through_hook(
    answer: loopback.Answer, hook: Any, raised: type[UsersPhotoError]
) -> tuple[UsersPhotoError, int]:
    """The error a call through a caller's client with response ``hook`` raises, Slack
    answering ``answer``, and how many requests reached it."""
    async with (
        loopback.serve(None) as server,
        httpx.AsyncClient(event_hooks={"response": [hook]}) as client,
    ):
        server.on("/api/users.setPhoto", answer)
        async with UsersSetPhoto(
            "xoxp-1-review", base_url=server.base_url(), client=client, retry_backoff=0.01
        ) as tool:
            with pytest.raises(raised) as failed:
                await tool.call({"image": portrait()})
        return failed.value, len(server.requests)


@pytest.mark.parametrize(
    ("answer", "raised", "sent", "reached"),
    [
        pytest.param(
            loopback.reply(429, b'{"ok":false,"error":"ratelimited"}', [("Retry-After", "0.05")]),
            RateLimited,
            3,
            None,
            id="429",
        ),
        pytest.param(loopback.reply(503, b'{"ok":false}'), TransportError, 3, True, id="503"),
        pytest.param(
            loopback.reply(400, b'{"ok":false,"error":"invalid_form_data"}'),
            TransportError,
            1,
            False,
            id="400",
        ),
    ],
)
async def test_a_callers_client_raising_for_status_in_its_hook_keeps_slacks_answer(
    answer: loopback.Answer, raised: type[UsersPhotoError], sent: int, reached: bool | None
) -> None:
    """A caller's client whose response hook raises for a status (httpx's documented
    pattern; its event hooks are used): the status is Slack's answer all the same. A 429
    was a "may have taken effect" TransportError, never tried again after its Retry-After,
    and a 400 (a refusal: nothing changed) said the photo may have been changed."""
    error, requests = await _failed_through_hook(answer, _raise_for_status, raised)
    assert requests == sent
    if reached is not None:
        assert isinstance(error, TransportError)
        assert error.reached is reached
        assert may_have_taken_effect(error) is reached
    else:
        assert not may_have_taken_effect(error)


async def _read_then_raise_for_status(response: httpx.Response) -> None:
    await response.aread()  # to log it, say: httpx's docs for a hook that needs the body
    response.raise_for_status()


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
async def test_a_hook_that_read_the_body_before_raising_keeps_slacks_body(gzipped: bool) -> None:
    """The body the hook read is Slack's answer: a 400's invalid_form_data was told as an
    empty body a proxy on the way sent, not Slack's refusal."""
    body = b'{"ok":false,"error":"invalid_form_data"}'
    if gzipped:
        answer = loopback.reply(400, gzip.compress(body), [("Content-Encoding", "gzip")])
    else:
        answer = loopback.reply(400, body)
    error, _ = await _failed_through_hook(answer, _read_then_raise_for_status, SlackApiError)
    assert error.code == "invalid_form_data"
    assert "empty body" not in str(error)
    assert not may_have_taken_effect(error)


@pytest.mark.parametrize(
    ("answer", "raised", "sent"),
    [
        pytest.param(
            loopback.reply(
                429,
                gzip.compress(b'{"ok":false,"error":"ratelimited"}'),
                [("Content-Encoding", "gzip"), ("Retry-After", "0.05")],
            ),
            RateLimited,
            3,
            id="429",
        ),
        pytest.param(
            loopback.reply(
                400,
                gzip.compress(b'{"ok":false,"error":"invalid_form_data"}'),
                [("Content-Encoding", "gzip")],
            ),
            TransportError,
            1,
            id="400",
        ),
    ],
)
async def test_a_gzipped_answer_the_hook_closed_unread_keeps_slacks_status(
    answer: loopback.Answer, raised: type[UsersPhotoError], sent: int
) -> None:
    """Slack gzips its answers: closed unread, the body is empty, and its Content-Encoding
    no longer says what it is. Kept, a 429 was "compressed data that ends early", never
    tried again, and it and a 400 said the photo may have been changed."""
    error, requests = await _failed_through_hook(answer, _raise_for_status, raised)
    assert requests == sent
    assert "cannot be read" not in str(error)
    assert not may_have_taken_effect(error)
