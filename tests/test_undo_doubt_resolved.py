"""A change left in doubt (cancelled after its upload was sent: pending; sent and never
answered: unknown) against what a later change or listing finds Slack showing.

The review of 2026-12-07 (h8) found a listing after a change in doubt, then a change that
kept nothing, offering the entry as "the photo before the last change": which change set
the photo shown now is not known, and the listing says so (``shown_unkept`` None).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.errors import UsersPhotoError
from ocp_users_photo.undo.restore import kept_photos_for_undo
from tests.conftest import CANARY_TOKEN, shown_avatar_hash
from tests.test_cli import cli
from tests.undo_fixtures import GREEN, history_tool, own_photo, picture

BLUE = picture((30, 60, 160))
SET_PHOTO = "/api/users.setPhoto"
# A cancelled or unanswered change holds the person's turn this long (a person's is 10 s).
SETTLE_SECONDS = 2.0


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def _settling(emulator: RunningEmulator, history: Path, **options: Any) -> UsersSetPhoto:
    """A tool keeping in ``history`` whose changes in doubt hold the turn SETTLE_SECONDS."""
    tool = history_tool(emulator, history, keep_previous=True, **options)
    tool._keeper(model_facing=False).settle_seconds = SETTLE_SECONDS  # type: ignore[union-attr]
    return tool


async def _cancelled_once_sent(emulator: RunningEmulator, tool: UsersSetPhoto) -> None:
    """A set of GREEN cancelled once Slack has its upload, which Slack sets 1 s later
    (within the change's settle time, as a host's timeout leaves it)."""
    emulator.faults.inject(Fault.delay(1.0))
    sent = len(emulator.requests.for_path(SET_PHOTO))
    call = asyncio.create_task(tool.call({"image": GREEN}))
    for _ in range(500):
        if len(emulator.requests.for_path(SET_PHOTO)) > sent:
            break
        await asyncio.sleep(0.01)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call


async def test_an_unanswered_set_that_never_landed_stays_in_doubt_after_the_next_change(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Slack got GREEN and closed the connection without setting it: the next set keeps RED
    again, so nothing says the first change happened, and its entry says it may not have."""
    own = await own_photo(emulator)
    emulator.faults.inject(Fault.drop())
    history = tmp_path / "h.sqlite3"
    async with _settling(emulator, history, max_retries=0) as tool:
        with pytest.raises(UsersPhotoError):
            await tool.call({"image": GREEN})
        await tool.call({"image": BLUE})
        newer, unanswered = await tool.history()
        assert newer.avatar_hash == unanswered.avatar_hash == own
        assert unanswered.status == "unknown", unanswered.describe()


async def test_a_listing_after_a_cancelled_set_then_one_that_kept_nothing_says_what_is_not_known(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Cancelled GREEN (landed or not, no answer says), then BLUE set with keeping off:
    every listing offered the cancelled set's entry as "the last change" to undo, with
    nothing said of BLUE, which undo goes back past (shown_unkept false), where the same
    listing after an answered set says a change that kept nothing came since."""
    own = await own_photo(emulator)
    history = tmp_path / "h.sqlite3"
    async with _settling(emulator, history) as tool:
        await _cancelled_once_sent(emulator, tool)
        await asyncio.sleep(SETTLE_SECONDS)  # GREEN lands, the turn is free again
    async with history_tool(emulator, tmp_path / "unused.sqlite3", keep_previous=False) as plain:
        await plain.call({"image": BLUE})
    blue = shown_avatar_hash(emulator)
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(history),
    }

    async with history_tool(emulator, history, keep_previous=True) as tool:
        listing = await kept_photos_for_undo(tool)
        (cancelled,) = listing.entries
        assert (cancelled.status, listing.undo_entry) == ("pending", cancelled.entry)
        assert listing.shown_unkept is None, listing
        told = await tool.restore_tool().run({})
        assert "is not known; tell the person so" in told["message"], told["message"]
        assert "To undo the last change, call" not in told["message"], told["message"]

        listed = await asyncio.to_thread(cli, "history", env=env)
        assert listed.returncode == 0, listed.stderr
        assert "is not known, so undo keeps the one shown now first" in listed.stdout
        as_json = await asyncio.to_thread(cli, "history", "--json", env=env)
        assert json.loads(as_json.stdout)["shown_unkept"] is None, as_json.stdout

        await tool.undo()  # RED back, BLUE kept first: nothing lost, nothing wrong put back
        assert shown_avatar_hash(emulator) == own
        undone, _ = await tool.history()
        assert undone.avatar_hash == blue


async def test_a_listing_after_a_set_in_doubt_that_never_landed_says_nothing_unknown(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Slack got GREEN and never set it: RED, the photo its entry keeps, is shown, so the
    entry records no change and nothing is unsure (shown_unkept false, none to undo)."""
    await own_photo(emulator)
    emulator.faults.inject(Fault.drop())
    history = tmp_path / "h.sqlite3"
    async with _settling(emulator, history, max_retries=0) as tool:
        with pytest.raises(UsersPhotoError):
            await tool.call({"image": GREEN})
        listing = await kept_photos_for_undo(tool)
        assert (listing.undo_entry, listing.shown_unkept) == (None, False)
