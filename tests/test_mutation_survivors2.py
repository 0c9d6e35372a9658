"""Tests that kill mutants the suite let live (hand mutation testing, second round).

Each test names the mutation it kills: a small change to the package that broke a promise
of the README or a docstring while every existing test still passed.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from ocp_users_photo import (
    InvalidArguments,
    RateLimited,
    TransportError,
    UsersPhotoError,
    UsersSetPhoto,
)
from ocp_users_photo.agents.headers import held_authorization
from ocp_users_photo.agents.route import SlackPhotoRoute
from ocp_users_photo.crop import CropBox
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.images.byte_budget import ByteBudget
from ocp_users_photo.images.limits import DEFAULT_LIMITS
from ocp_users_photo.images.policy import region_around
from ocp_users_photo.observers import CallInfo, CallObserver, ChangeInfo
from ocp_users_photo.slack.retry import may_send_again
from ocp_users_photo.undo import PhotoHistory
from ocp_users_photo.undo.errors import KeepingImpossible
from ocp_users_photo.undo.keeper import PhotoKeeper
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests, success_reply
from tests.undo_fixtures import GREEN, RED, history_tool, no_read_token, picture, shown

IMAGE = make_image((600, 600))


# --- slack/retry.py may_send_again: a request none of which went out ---------------------------
# Mutant: `if not body_started or method in READ_ONLY_METHODS:` -> `if method in READ_ONLY_METHODS:`
# (a connect timeout of users.setPhoto, or any failure of oauth.v2.access before a byte of it
# went out, ended the call at once instead of being sent again).


class _StallsOnceThenAnswers(httpx.AsyncBaseTransport):
    """The first connect times out before any of the request is taken (httpx's MockTransport
    reads the body before its handler runs, so it cannot say this); then Slack answers."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.attempts:
            self.attempts.append("connect timed out")
            raise httpx.ConnectTimeout("the connect stalled", request=request)
        await request.aread()
        self.attempts.append("answered")
        return httpx.Response(200, json=success_reply())


async def test_a_photo_change_whose_connection_timed_out_before_sending_is_sent_again() -> None:
    transport = _StallsOnceThenAnswers()
    async with (
        httpx.AsyncClient(transport=transport) as client,
        UsersSetPhoto(CANARY_TOKEN, client=client, environ={}, max_retries=1) as tool,
    ):
        reply = await tool.call({"image": IMAGE})
    assert reply["ok"] is True
    assert transport.attempts == ["connect timed out", "answered"]


@pytest.mark.parametrize("dropped", [True, False], ids=["refused", "timed out"])
def test_a_refresh_grant_none_of_which_went_out_may_be_sent_again(dropped: bool) -> None:
    # oauth.v2.access is never sent twice once Slack may have it (it spends the refresh
    # token); a request that never left cannot have been spent.
    assert may_send_again(
        "oauth.v2.access", body_started=False, answer_began=False, dropped=dropped
    )
    assert not may_send_again(
        "oauth.v2.access", body_started=True, answer_began=False, dropped=dropped
    )


# --- slack/client.py: a back-off that would end past the call's deadline ------------------------
# Mutant: `out_of_time = time.monotonic() + delay >= ends_at` -> `out_of_time = False` (the
# call slept its back-off past its deadline, then said "no time was left").


class _NeverConnects(httpx.AsyncBaseTransport):
    """Every connect is refused before any of the request is taken: always worth retrying."""

    def __init__(self) -> None:
        self.attempts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        raise httpx.ConnectError("connection refused", request=request)


async def test_a_back_off_past_the_deadline_is_not_slept_the_call_ends_within_it() -> None:
    transport = _NeverConnects()
    async with (
        httpx.AsyncClient(transport=transport) as client,
        UsersSetPhoto(
            CANARY_TOKEN,
            client=client,
            environ={},
            max_retries=2,
            retry_backoff=6.0,  # the first back-off is 3 to 6 s
            deadline=1.0,
        ) as tool,
    ):
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            await tool.call({"image": IMAGE})
        took = time.monotonic() - started
    assert took < 1.0, f"the call took {took:.1f} s of its 1 s deadline"
    assert transport.attempts == 1
    assert caught.value.reached is False
    assert "connection refused" in str(caught.value)


# --- slack/client.py _no_answer_in_time: which clock ended the attempt -------------------------
# Mutant: `if left <= self.timeout:` -> `if left < 0:` (an attempt cut by the call's 1 s
# deadline was said to have had "the 30 s an attempt may take", which sends a person to
# raise the wrong setting).


class _TakesTheBodyThenStalls(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        await asyncio.sleep(30)
        raise AssertionError("the attempt should have been cut")


async def test_an_attempt_cut_by_the_calls_deadline_names_the_deadline() -> None:
    async with (
        httpx.AsyncClient(transport=_TakesTheBodyThenStalls()) as client,
        UsersSetPhoto(CANARY_TOKEN, client=client, environ={}, timeout=30.0, deadline=1.0) as tool,
    ):
        with pytest.raises(TransportError) as caught:
            await tool.call({"image": IMAGE})
    message = str(caught.value)
    assert "1 s deadline" in message, message
    assert "30 s an attempt may take" not in message, message
    assert caught.value.reached is True


# --- slack/client.py: a 429 that says no Retry-After ---------------------------------------------
# Mutant: `wait = UNSAID_RETRY_AFTER if wait is None else wait` -> `0.0 if wait is None ...`
# (a rate limit without Retry-After was sent again half a second later, and again: Slack's
# limits reset within the minute, so the tool hammered a limit it had just been told of).


async def test_a_rate_limit_without_retry_after_is_taken_as_a_minute_not_retried_at_once() -> None:
    requests: list[str] = []

    async def slack(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.path)
        if len(requests) == 1:
            return httpx.Response(429, json={"ok": False, "error": "ratelimited"})
        return httpx.Response(200, json=success_reply())

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(slack)) as client,
        UsersSetPhoto(CANARY_TOKEN, client=client, environ={}, max_retries=2) as tool,
    ):
        with pytest.raises(RateLimited) as caught:
            await tool.call({"image": IMAGE})
    assert len(requests) == 1, "sent again within the minute Slack's limit lasts"
    assert caught.value.retry_after == 60.0


# --- undo/keeper.py stale_entry: only an entry whose change may not have happened --------------
# Mutant: `return kept.status != "changed" and kept.avatar_hash == shown_avatar_hash` ->
# `return kept.avatar_hash == shown_avatar_hash` (an entry of a change Slack made was dropped
# as "stale" when the person had since put that photo back by hand: undo then skipped it and
# put back the photo of the change before, one step further back than asked).


async def test_an_undo_keeps_to_a_made_change_whose_photo_was_put_back_by_hand(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history = tmp_path / "history"
    async with history_tool(emulator, history, keep_previous=True) as keeping:
        await keeping.call({"image": RED})  # #1 keeps the default avatar
        red = (await shown(emulator, CANARY_TOKEN)).avatar_hash
        await keeping.call({"image": GREEN})  # #2 keeps RED, changed
    # The person puts RED back by hand (another app): Slack shows what #2 kept.
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, keep_previous=False
    ) as by_hand:
        await by_hand.call({"image": RED})
    assert (await shown(emulator, CANARY_TOKEN)).avatar_hash == red
    async with history_tool(emulator, history, keep_previous=True) as keeping:
        await keeping.undo()
    after = await shown(emulator, CANARY_TOKEN)
    assert after.is_custom, "undo went past #2, a change that happened, to the default avatar"
    assert after.avatar_hash == red


# --- undo/keeper.py KeptChange.end: a change that changed nothing keeps nothing ----------------
# Mutant: `if status == "changed" and self._changed_nothing(outcome):` -> `if False:` (a host
# repeating one call, the same image and crop box, wrote an entry each time: history() listed
# one "change" per repeat, undo put back the very photo shown, and the repeats pushed the
# person's real earlier photos out of the bounded history).


async def test_the_same_photo_set_again_adds_no_entry(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with history_tool(emulator, tmp_path / "history", keep_previous=True) as keeping:
        await keeping.call({"image": RED})
        await keeping.call({"image": RED})
        await keeping.call({"image": RED})
        listed = await keeping.history()
    assert [entry.kind for entry in listed] == ["default"], listed


# --- undo/keeper.py _settle_time: within the history's lease ------------------------------------
# Mutant: `return min(self.settle_seconds, self.history.lease_seconds / 2)` ->
# `return self.settle_seconds` (a cancelled change held the person's turn for the whole
# settle time however short the history's lease: past the lease, other processes take the
# turn anyway, and this one's next change waited out a hold that protects nothing).


async def test_a_cancelled_change_holds_the_turn_for_half_the_lease_at_most(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history = PhotoHistory(tmp_path / "history.sqlite3", lease_seconds=1.0)
    keeper = PhotoKeeper(history, settle_seconds=30.0)
    try:
        async with UsersSetPhoto(
            CANARY_TOKEN, base_url=emulator.base_url, environ={}, observers=[keeper]
        ) as tool:
            inject(emulator, Fault.delay(10.0))
            cancelled = asyncio.create_task(tool.call({"image": RED}))
            while not photo_requests(emulator):  # noqa: ASYNC110 (the emulator's record)
                await asyncio.sleep(0.02)
            cancelled.cancel()
            with pytest.raises(asyncio.CancelledError):
                await cancelled
            started = time.monotonic()
            await asyncio.wait_for(tool.call({"image": GREEN}), 20)
            waited = time.monotonic() - started
    finally:
        history.close()
    assert waited < 5.0, f"the next change waited {waited:.1f} s (the lease is 1 s)"


# --- agents/route.py _override: a call's Authorization header beside a bound person ---------------
# Mutant: `if call_authorization is None: return None` -> `if True: return None` (an agent
# bound to one person, given another token in call_tool(headers=...), went ahead silently
# with the bound person's token: the caller who meant to act as the header's owner was never
# told the header was not used; the route's docstring says it is refused).


async def test_a_calls_authorization_header_is_refused_when_the_agent_acts_for_a_person(
    emulator: RunningEmulator,
) -> None:
    tool = UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}, keep_previous=False)
    route = SlackPhotoRoute(tool.acting_as(team_id="T0123ABCDE", user_id="U0123ABCDEF"))
    try:
        with pytest.raises(InvalidArguments) as caught:
            await route.call(
                None,
                {"image": IMAGE},
                authorization=held_authorization(
                    {"Authorization": "Bearer xoxp-9999999999-8888888888-someoneelse"}
                ),
            )
    finally:
        await tool.aclose()
    assert "leave it out" in str(caught.value)
    assert not photo_requests(emulator), "sent with the bound person's token all the same"


# --- undo/keeper.py keep: a change that would be refused asks about the read scope each time ----
# Mutant: `recheck = _READ_SCOPE_RECHECK if self.mode == "if_readable" else 0.0` ->
# `recheck = _READ_SCOPE_RECHECK` (a model door refused a change for want of
# users.profile:read; the person added the scope and reinstalled, and every change was still
# refused for five minutes on the remembered answer).


async def test_a_read_scope_added_after_a_refusal_is_seen_at_the_next_change(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    token = no_read_token(emulator)
    async with history_tool(
        emulator, tmp_path / "history", token=token, keep_previous=True
    ) as tool:
        with pytest.raises(KeepingImpossible):
            await tool.call({"image": RED})
        emulator.state.add_token(token, scopes="users.profile:write,users.profile:read")
        reply = await tool.call({"image": RED})
    assert reply["ok"] is True


# --- undo/keeper.py _changed_nothing: the default avatar put back while it is shown --------------
# Mutant: `return self.kept.kind == "default"` -> `return False` (an undo that put the default
# avatar back while Slack showed it already, the person having removed their photo by hand,
# kept an entry of that change that changed nothing: the next undo "restored" the default
# avatar shown, again a no-op, and the entry took a place in the bounded history).


async def test_putting_the_default_avatar_back_while_it_is_shown_adds_no_entry(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with history_tool(emulator, tmp_path / "history", keep_previous=True) as keeping:
        await keeping.call({"image": RED})  # #1 keeps the default avatar
        async with httpx.AsyncClient() as http:  # the person removes the photo by hand
            removed = await http.post(
                f"{emulator.base_url}/users.deletePhoto",
                headers={"Authorization": f"Bearer {CANARY_TOKEN}"},
            )
        assert removed.json()["ok"] is True
        await keeping.undo()
        listed = await keeping.history()
    assert [(entry.entry, entry.kind) for entry in listed] == [(1, "default")], listed


# --- undo/store.py _evict: the entry just kept is never evicted --------------------------------
# Mutant: `protected = {int(rows[0][0]), newest}` -> `protected = {int(rows[0][0])}` (a photo
# larger than max_bytes, kept for the change just made, was evicted as that change ended: the
# change could not be undone, and undo went back to the original instead).


async def test_the_photo_kept_for_the_change_just_made_survives_a_tight_byte_bound(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history = PhotoHistory(tmp_path / "history.sqlite3", max_bytes=1)
    try:
        async with history_tool(emulator, history, keep_previous=True) as keeping:
            await keeping.call({"image": RED})  # #1, the original (the default avatar)
            red = (await shown(emulator, CANARY_TOKEN)).avatar_hash
            await keeping.call({"image": GREEN})  # #2 keeps RED, over max_bytes on its own
            listed = await keeping.history()
            assert [entry.kind for entry in listed] == ["custom", "default"], listed
            await keeping.undo()
        assert (await shown(emulator, CANARY_TOKEN)).avatar_hash == red
    finally:
        history.close()


# --- undo/store.py _evict: a photo two entries keep counts once, and only once gone ---------------
# Mutant: `if uses[sha256] == 0: total -= sizes[sha256]` -> `total -= sizes[sha256]` (evicting
# one of two entries of the same photo counted its bytes as freed: eviction stopped early and
# the history held more than max_bytes beside the original and the photo just kept).


async def test_evicting_one_of_two_entries_of_a_photo_frees_nothing(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    blue = picture((20, 40, 200))
    bound = len(GREEN) + max(len(RED), len(blue))  # GREEN and BLUE fit; with RED, not
    history = PhotoHistory(tmp_path / "history.sqlite3", max_bytes=bound)
    try:
        async with history_tool(emulator, history, keep_previous=True) as keeping:
            # #1 keeps the default avatar (the original); #2 and #4 keep RED, #3 and #5
            # GREEN; #6 keeps BLUE, a third photo: RED + GREEN + BLUE is over max_bytes.
            for image in (RED, GREEN, RED, GREEN, blue, RED):
                await keeping.call({"image": image})
            listed = await keeping.history()
    finally:
        history.close()
    # Evicting #2 and #3 frees nothing (#4 and #5 keep the same photos); #4 frees RED,
    # and GREEN + BLUE fit. The original and the photo just kept are never evicted.
    assert [entry.entry for entry in listed] == [6, 5, 1], listed


# --- images/byte_budget.py hold: bytes granted as the wait is cancelled are given back ------------
# Mutant: `if granted: self._give_back(count)` -> `if granted: pass` (a call cancelled just as
# its bytes came free kept them for ever: the process's image budget shrank with each, until
# every image call waited out its deadline).


async def test_bytes_granted_to_a_cancelled_wait_are_given_back() -> None:
    budget = ByteBudget(100)
    first = await budget.hold(100)
    waiting = asyncio.create_task(budget.hold(60))
    await asyncio.sleep(0)  # it waits in line
    assert budget.waiting == 1
    first.release()  # grants the 60 bytes at once (the waiter is told on its next turn)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert budget.held == 0
    again = await asyncio.wait_for(budget.hold(100), 1)
    again.release()


# --- images/policy.py region_around: the square sent stays inside the image ---------------------
# Mutant: `x = min(max(0, centre_x - side // 2), width - side)` ->
# `x = max(0, centre_x - side // 2)`
# (a small crop box near the right edge of a large photo: the 512-pixel square around it ran
# past the edge, and the photo sent had a strip of nothing in it).


@pytest.mark.parametrize(
    ("box", "size"),
    [
        (CropBox(x=1900, y=100, width=100), (2000, 1200)),
        (CropBox(x=10, y=1100, width=90), (1300, 1200)),
    ],
    ids=["right edge", "bottom edge"],
)
def test_the_square_around_a_small_box_stays_inside_the_image(
    box: CropBox, size: tuple[int, int]
) -> None:
    width, height = size
    region = region_around(box, width, height, DEFAULT_LIMITS)
    assert region.width == DEFAULT_LIMITS.min_side
    assert region.x >= 0, region
    assert region.x + region.width <= width, region
    assert region.y >= 0, region
    assert region.y + region.width <= height, region
    # and it holds the box
    assert region.x <= box.x, region
    assert box.x + box.width <= region.x + region.width, region
    assert region.y <= box.y, region
    assert box.y + box.width <= region.y + region.width, region


# --- tool.py _watching: the tool's keeper hears of a change last --------------------------------
# Mutant: `return (*watching, keeper)` -> `return (keeper, *watching)` (the keeper took the
# person's turn, read the photo shown and downloaded its original before a host's approval
# observer refused the change: Slack was asked for what a refused change never needed, and
# an approval waiting on a person held everyone else's changes of that person).


class _Refuses(CallObserver):
    async def before_change(self, call: CallInfo, change: ChangeInfo) -> None:
        raise UsersPhotoError("not approved: ask the workspace admin")


async def test_a_host_observer_refusing_the_change_comes_before_the_keepers_reads(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with history_tool(
        emulator, tmp_path / "history", keep_previous=True, observers=[_Refuses()]
    ) as tool:
        with pytest.raises(UsersPhotoError, match="not approved"):
            await tool.call({"image": RED})
    assert not emulator.requests.for_path("/api/users.profile.get"), "the keeper read first"
    assert not photo_requests(emulator)
