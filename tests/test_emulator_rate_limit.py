"""The emulator's Tier 2 rate limit: the sliding window, 429 with Retry-After, switching it off."""

from __future__ import annotations

import httpx
import pytest

from ocp_users_photo.emulator import EmulatorConfig, run_emulator
from ocp_users_photo.emulator.ratelimit import SlidingWindowLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_admits_n_then_names_the_wait() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, clock=clock)
    for moment in (1000.0, 1010.0, 1020.0):
        clock.now = moment
        assert limiter.admit("t") is None
    clock.now = 1030.0
    assert limiter.admit("t") == 30  # the call at 1000 leaves the window at 1060
    assert limiter.admit("other") is None  # windows are per key
    clock.now = 1059.5
    assert limiter.admit("t") == 1  # rounded up, never 0
    clock.now = 1060.0
    assert limiter.admit("t") is None  # refused calls took no slot
    assert limiter.admit("t") == 10  # now 1010, 1020, 1060 are in: wait for 1010 + 60


def test_limit_can_be_changed_and_switched_off() -> None:
    limiter = SlidingWindowLimiter(1, clock=FakeClock())
    assert limiter.admit("t") is None
    assert limiter.admit("t") is not None
    limiter.set_limit(None)
    assert all(limiter.admit("t") is None for _ in range(100))
    limiter.set_limit(2)
    assert [limiter.admit("t") is None for _ in range(3)] == [True, True, False]
    with pytest.raises(ValueError, match="at least 1"):
        limiter.set_limit(0)


def test_default_is_tier_2() -> None:
    assert EmulatorConfig().rate_limit_per_minute == 20


async def test_over_the_limit_answers_429_with_retry_after() -> None:
    async with (
        run_emulator(EmulatorConfig(rate_limit_per_minute=3)) as emulator,
        httpx.AsyncClient(timeout=10) as client,
    ):

        async def call(token: str) -> httpx.Response:
            # No image: bad_image, which still counts as a call.
            return await client.post(
                emulator.base_url + "/users.setPhoto",
                headers={"Authorization": f"Bearer {token}"},
            )

        for _ in range(3):
            assert (await call("xoxp-a")).json()["error"] == "bad_image"
        limited = await call("xoxp-a")
        assert limited.status_code == 429
        assert limited.json() == {"ok": False, "error": "ratelimited"}
        retry_after = limited.headers["retry-after"]
        assert retry_after.isdigit()
        assert 1 <= int(retry_after) <= 60
        # Slack counts per app and workspace: another person of the same app shares the window.
        assert (await call("xoxp-b")).status_code == 429
        # users.profile.get is not limited.
        profile = await client.get(
            emulator.base_url + "/users.profile.get", headers={"Authorization": "Bearer xoxp-a"}
        )
        assert profile.json()["ok"] is True
        # Auth failures are answered before the limit, and not counted.
        assert (await call("xoxb-bot")).json()["error"] == "not_allowed_token_type"
        # Switched off at run time, the same token gets through.
        emulator.state.set_rate_limit(None)
        assert (await call("xoxp-a")).status_code == 200


async def test_no_limit_when_configured_off() -> None:
    async with (
        run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as emulator,
        httpx.AsyncClient(timeout=10) as client,
    ):
        for _ in range(25):
            response = await client.post(
                emulator.base_url + "/users.deletePhoto",
                headers={"Authorization": "Bearer xoxp-many"},
            )
            assert response.json() == {"ok": True}


async def test_delete_photo_has_its_own_window() -> None:
    async with (
        run_emulator(EmulatorConfig(rate_limit_per_minute=1)) as emulator,
        httpx.AsyncClient(timeout=10, headers={"Authorization": "Bearer xoxp-d"}) as client,
    ):
        assert (await client.post(emulator.base_url + "/users.deletePhoto")).status_code == 200
        assert (await client.post(emulator.base_url + "/users.deletePhoto")).status_code == 429
        assert (await client.post(emulator.base_url + "/users.setPhoto")).status_code == 200
