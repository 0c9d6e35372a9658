"""Review of the late changes of sitting 21: the keeper's read after Slack's bare
``{"ok": true}`` (``keeper._hash_shown_now``).

That read comes after the change is made and answered: it only tells the history which
photo the change made. It must not hold the caller's reply (and the person's turn) for a
rate limit's Retry-After or a slow answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.emulator.faults import Fault
from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome
from tests.conftest import make_image, shown_avatar_hash
from tests.test_long_running_hygiene import keeping_tool


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None, set_photo_reply="bare")


class _AfterTheChange(CallObserver):
    """Told before the keeper (the tool's observers come first): once armed, the keeper's
    users.profile.get after the change meets ``fault``; the one before it does not."""

    def __init__(self, emulator: RunningEmulator, fault: Fault) -> None:
        self.emulator = emulator
        self.fault = fault
        self.armed = False

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        if self.armed and outcome.error is None:
            self.emulator.faults.inject(self.fault, path="users.profile.get")


SLOW: dict[str, Callable[[], Fault]] = {
    "rate-limited": lambda: Fault.rate_limited(retry_after=15),
    "slow": lambda: Fault.delay(15),
}


@pytest.mark.parametrize("answer", sorted(SLOW))
@pytest.mark.waits
async def test_the_read_after_a_bare_ok_does_not_hold_the_reply(
    slack_emulator: RunningEmulator, tmp_path: Path, answer: str
) -> None:
    observer = _AfterTheChange(slack_emulator, SLOW[answer]())
    async with keeping_tool(slack_emulator, tmp_path, observer, deadline=60) as tool:
        await tool.call({"image": make_image(color=(200, 30, 30))})
        observer.armed = True
        started = time.monotonic()
        reply = await tool.call({"image": make_image(color=(30, 160, 60))})
        took = time.monotonic() - started
        assert reply == {"ok": True}
        # The photo was set at once: the reply waits at most the read's own bound for it,
        # not 15 s of Retry-After or of a slow users.profile.get.
        assert took < 10, took
        newest = (await tool.history())[0]
        assert newest.status == "changed"  # recorded as before, its photo not known as made here
    assert shown_avatar_hash(slack_emulator) != newest.avatar_hash


async def test_a_read_still_showing_the_kept_photo_does_not_discard_it(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Slack answered the change ok; the read right after still shows the photo replaced (a
    read that lags the change, or a server that misbehaves). Taken as "the change made the
    same photo again", the entry was discarded: the photo kept was lost, and an undo went
    back past it. Unsure, the entry stays, its made photo unknown."""
    observer = _AfterTheChange(slack_emulator, Fault.json({"ok": True}))
    async with keeping_tool(slack_emulator, tmp_path, observer, deadline=60) as tool:
        await tool.call({"image": make_image(color=(200, 30, 30))})
        red = shown_avatar_hash(slack_emulator)
        observer.fault = Fault.json({"ok": True, "profile": {"avatar_hash": red}})
        observer.armed = True
        await tool.call({"image": make_image(color=(30, 160, 60))})
        kept = await tool.history()
    assert [entry.avatar_hash for entry in kept][:1] == [red], kept
    assert kept[0].status == "changed"
