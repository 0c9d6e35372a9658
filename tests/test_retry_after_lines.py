"""A Retry-After given in more than one header line: each line a wait, the longest taken."""

from __future__ import annotations

import httpx
import pytest

from ocp_users_photo.errors import RateLimited
from ocp_users_photo.slack.retry import retry_after_seconds
from tests import loopback
from tests.http_stacks import stack_environ, stack_params
from tests.test_protocol_fidelity import photo_call_against


@pytest.mark.parametrize("stack", stack_params())
async def test_a_retry_after_given_twice_is_honoured_on_both_stacks(stack: str) -> None:
    """A 429 whose Retry-After came as two lines (a proxy on the way adding its own): each
    line is a wait, the longest honoured. Joined as "0.1, 0.1" it was read as no wait at
    all, the call was not tried again and the person was told to wait about 60 s."""
    limited = loopback.reply(
        429,
        b'{"ok":false,"error":"ratelimited"}',
        [("Retry-After", "0.1"), ("Retry-After", "0.1")],
    )
    refused, sent = await photo_call_against(limited, RateLimited, environ=stack_environ(stack))
    assert sent == 3, "the rate limit's short wait was not honoured"
    assert refused.retry_after == pytest.approx(0.1)
    assert "no usable Retry-After" not in str(refused)


def test_the_longest_of_several_retry_after_lines_is_taken() -> None:
    both = httpx.Headers([("Retry-After", "2"), ("Retry-After", "5")])
    assert retry_after_seconds(both) == 5.0
    assert retry_after_seconds(httpx.Headers([("Retry-After", "2"), ("Retry-After", "x")])) is None
    assert retry_after_seconds(httpx.Headers([("Retry-After", "3")])) == 3.0
    assert retry_after_seconds(httpx.Headers()) is None
