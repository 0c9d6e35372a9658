"""Retries, timeouts and bounded reads, over real HTTP on loopback."""

from __future__ import annotations

import email.utils
import hashlib
import time
from pathlib import Path

import httpx
import pytest

from ocp_users_photo import RateLimited, SlackApiError, TransportError, UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.slack.retry import MAX_RETRY_AFTER, RetryPolicy, retry_after_seconds
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests

IMAGE = make_image((600, 600))


def quick_tool(emulator: RunningEmulator, **options: object) -> UsersSetPhoto:
    settings: dict[str, object] = {"retry_backoff": 0.01, "environ": {}, **options}
    return UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, **settings)  # type: ignore[arg-type]


async def test_429_waits_retry_after_then_succeeds(emulator: RunningEmulator) -> None:
    inject(
        emulator,
        Fault.json(
            {"ok": False, "error": "ratelimited"}, status_code=429, headers={"Retry-After": "1"}
        ),
    )
    async with quick_tool(emulator) as tool:
        started = time.monotonic()
        assert (await tool.call({"image": IMAGE}))["ok"] is True
        waited = time.monotonic() - started
    assert len(photo_requests(emulator)) == 2
    assert 1.0 <= waited < 5.0


async def test_a_retry_after_over_max_retry_wait_raises_at_once(emulator: RunningEmulator) -> None:
    inject(
        emulator,
        Fault.json(
            {"ok": False, "error": "ratelimited"}, status_code=429, headers={"Retry-After": "120"}
        ),
    )
    async with quick_tool(emulator, max_retry_wait=30) as tool:
        started = time.monotonic()
        with pytest.raises(RateLimited) as caught:
            await tool.call({"image": IMAGE})
        assert time.monotonic() - started < 2.0
    assert caught.value.retry_after == 120
    assert len(photo_requests(emulator)) == 1


async def test_429_until_retries_run_out(emulator: RunningEmulator) -> None:
    limited = Fault.json(
        {"ok": False, "error": "ratelimited"}, status_code=429, headers={"Retry-After": "0"}
    )
    inject(emulator, limited, limited, limited, limited)
    async with quick_tool(emulator, max_retries=2) as tool:
        with pytest.raises(RateLimited) as caught:
            await tool.call({"image": IMAGE})
    assert len(photo_requests(emulator)) == 3
    assert caught.value.retry_after == 0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_5xx_once_then_success(emulator: RunningEmulator, status: int) -> None:
    inject(emulator, Fault.status(status, body=b"upstream trouble"))
    async with quick_tool(emulator) as tool:
        assert (await tool.call({"image": IMAGE}))["ok"] is True
    assert len(photo_requests(emulator)) == 2


async def test_a_5xx_every_time_is_a_transport_error_after_the_retries(
    emulator: RunningEmulator,
) -> None:
    inject(emulator, *[Fault.status(503, body=b"down")] * 5)
    async with quick_tool(emulator, max_retries=3) as tool:
        with pytest.raises(TransportError) as caught:
            await tool.call({"image": IMAGE})
    assert len(photo_requests(emulator)) == 4
    assert caught.value.status_code == 503
    assert "after 4 attempts" in str(caught.value)


async def test_no_retries_when_max_retries_is_zero(emulator: RunningEmulator) -> None:
    inject(emulator, Fault.status(500, body=b"x"))
    async with quick_tool(emulator, max_retries=0) as tool:
        with pytest.raises(TransportError):
            await tool.call({"image": IMAGE})
    assert len(photo_requests(emulator)) == 1


async def test_a_dropped_connection_is_retried(emulator: RunningEmulator) -> None:
    inject(emulator, Fault.drop())
    async with quick_tool(emulator) as tool:
        assert (await tool.call({"image": IMAGE}))["ok"] is True
    assert len(photo_requests(emulator)) == 2


async def test_dropped_every_time_is_a_transport_error(emulator: RunningEmulator) -> None:
    inject(emulator, *[Fault.drop()] * 3)
    async with quick_tool(emulator) as tool:
        with pytest.raises(TransportError) as caught:
            await tool.call({"image": IMAGE})
    assert "after 3 attempts" in str(caught.value)
    assert len(photo_requests(emulator)) == 3


async def test_a_photo_slack_is_slow_to_answer_is_not_uploaded_again(
    emulator: RunningEmulator,
) -> None:
    """Slack had the whole upload: another would be a second change to a slow Slack."""
    inject(emulator, Fault.delay(2.0), Fault.delay(2.0))
    async with quick_tool(emulator, timeout=0.3, max_retries=1) as tool:
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            await tool.call({"image": IMAGE})
        elapsed = time.monotonic() - started
    assert "no complete answer within the 0.3 s an attempt may take" in str(caught.value)
    assert "on the only attempt" in str(caught.value)
    assert "may have taken effect" in str(caught.value)
    assert caught.value.reached is True
    assert len(photo_requests(emulator)) == 1
    assert 0.3 <= elapsed < 1.3


async def test_a_read_slack_is_slow_to_answer_is_asked_again(emulator: RunningEmulator) -> None:
    """auth.test changes nothing: asking again after a timeout is always safe."""
    inject(emulator, Fault.delay(2.0), method="auth.test")
    async with quick_tool(emulator, timeout=0.3, max_retries=1) as tool:
        identity = await tool.whoami()
    assert identity.user_id
    assert len(emulator.requests.for_path("auth.test")) == 2


async def test_a_400_with_a_slack_error_is_not_retried(emulator: RunningEmulator) -> None:
    inject(emulator, Fault.json({"ok": False, "error": "invalid_form_data"}, status_code=400))
    async with quick_tool(emulator) as tool:
        with pytest.raises(SlackApiError) as caught:
            await tool.call({"image": IMAGE})
    assert caught.value.error == "invalid_form_data"
    assert len(photo_requests(emulator)) == 1


async def test_a_slack_error_is_never_retried(emulator: RunningEmulator) -> None:
    inject(emulator, Fault.json({"ok": False, "error": "invalid_auth"}))
    async with quick_tool(emulator) as tool:
        with pytest.raises(SlackApiError):
            await tool.call({"image": IMAGE})
    assert len(photo_requests(emulator)) == 1


async def test_a_huge_reply_is_not_read_whole(emulator: RunningEmulator) -> None:
    inject(emulator, Fault.status(200, body=b"x" * (3 * 1024 * 1024)))
    async with quick_tool(emulator) as tool:
        with pytest.raises(TransportError) as caught:
            await tool.call({"image": IMAGE})
    assert "more than the 1048576 a reply to users.setPhoto can need; not read" in str(caught.value)
    assert len(photo_requests(emulator)) == 1


async def test_nothing_listening_is_a_transport_error() -> None:
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url="http://127.0.0.1:9/api", retry_backoff=0.01, environ={}
    ) as tool:
        with pytest.raises(TransportError) as caught:
            await tool.call({"image": IMAGE})
    assert "could not reach Slack" in str(caught.value)
    assert "ConnectError" in str(caught.value)
    assert "Nothing was sent" in str(caught.value)
    assert caught.value.reached is False


async def test_a_file_is_sent_whole_on_every_retry(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "me.png"
    path.write_bytes(IMAGE)
    inject(emulator, Fault.status(502), Fault.drop())
    async with quick_tool(emulator) as tool:
        await tool.call({"image": path})
    digest = hashlib.sha256(IMAGE).hexdigest()
    sent = [request.file("image") for request in photo_requests(emulator)]
    assert [(part.sha256, part.size) if part else None for part in sent] == [
        (digest, len(IMAGE))
    ] * 3


def test_retry_after_as_seconds_or_an_http_date() -> None:
    assert retry_after_seconds(httpx.Headers({"Retry-After": "7"})) == 7
    assert retry_after_seconds(httpx.Headers({"Retry-After": " 1.5 "})) == 1.5
    # No delay is negative: told as none given ("about 60 s"), not as "wait 0 s, as Slack
    # asks", which invites a call at once. A date gone by is a wait that is over: 0.
    assert retry_after_seconds(httpx.Headers({"Retry-After": "-3"})) is None
    gone = email.utils.formatdate(time.time() - 60, usegmt=True)
    assert retry_after_seconds(httpx.Headers({"Retry-After": gone})) == 0
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert 55 <= (retry_after_seconds(httpx.Headers({"Retry-After": in_a_minute})) or 0) <= 61
    assert retry_after_seconds(httpx.Headers({"Retry-After": "soon"})) is None
    assert retry_after_seconds(httpx.Headers({"Retry-After": "nan"})) is None
    assert retry_after_seconds(httpx.Headers({})) is None


def test_a_huge_retry_after_is_read_as_a_day() -> None:
    # It goes on to a model and a terminal: 1e308 or the year 9999 says no more than a day.
    assert retry_after_seconds(httpx.Headers({"Retry-After": "1e308"})) == MAX_RETRY_AFTER
    far = "Fri, 31 Dec 9999 23:59:59 GMT"
    assert retry_after_seconds(httpx.Headers({"Retry-After": far})) == MAX_RETRY_AFTER
    assert retry_after_seconds(httpx.Headers({"Retry-After": "86399"})) == 86399


def test_backoff_doubles_is_capped_and_jittered() -> None:
    import random

    policy = RetryPolicy(backoff=0.5, backoff_cap=4.0)
    jitter = random.Random(7)
    delays = [policy.backoff_delay(attempt, jitter) for attempt in range(1, 7)]
    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)


async def test_ratelimited_in_a_200_with_retry_after_is_retried_like_a_429(
    emulator: RunningEmulator,
) -> None:
    inject(
        emulator,
        Fault.json(
            {"ok": False, "error": "ratelimited"}, status_code=200, headers={"Retry-After": "0"}
        ),
    )
    async with quick_tool(emulator) as tool:
        assert (await tool.call({"image": IMAGE}))["ok"] is True
    assert len(photo_requests(emulator)) == 2


async def test_other_slack_errors_with_retry_after_are_not_retried(
    emulator: RunningEmulator,
) -> None:
    inject(
        emulator,
        Fault.json(
            {"ok": False, "error": "invalid_auth"}, status_code=200, headers={"Retry-After": "0"}
        ),
    )
    async with quick_tool(emulator) as tool:
        with pytest.raises(SlackApiError):
            await tool.call({"image": IMAGE})
    assert len(photo_requests(emulator)) == 1
