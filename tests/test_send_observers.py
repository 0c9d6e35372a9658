"""prepare/send is a call like any other for the tool's observers (observers.py).

tool.send() told only the tool's own keeper: an audit observer heard nothing, an approval
observer (README: "approval before a change") could not refuse, and a host's PhotoKeeper
given as UsersSetPhoto(observers=[...]) kept nothing, although call() told all of them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ocp_users_photo import UsersPhotoError, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.observers import CallInfo, CallObserver, CallOutcome, ChangeInfo
from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.undo import PhotoHistory, PhotoKeeper
from tests.conftest import CANARY_TOKEN, photo_requests
from tests.programs import environment_without_slack, run_cli
from tests.test_cancel_review import interrupted_during_the_keepers_read
from tests.undo_fixtures import picture


class Recorder(CallObserver):
    """Each thing it is told, in order; refuses the change when ``refuse`` is set."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.told: list[str] = []
        self.calls: list[CallInfo] = []
        self.changes: list[ChangeInfo] = []
        self.refuse = refuse

    async def call_started(self, call: CallInfo) -> None:
        self.told.append("started")
        self.calls.append(call)

    async def before_change(self, call: CallInfo, change: ChangeInfo) -> None:
        self.told.append("before_change")
        self.changes.append(change)
        if self.refuse:
            raise UsersPhotoError("not approved: ask the workspace admin")

    def change_sending(self, call: CallInfo) -> None:
        self.told.append("change_sending")

    async def call_ended(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.told.append("ended ok" if outcome.error is None else "ended error")

    def call_abandoned(self, call: CallInfo) -> None:
        self.told.append("abandoned")


async def test_send_tells_the_tools_observers_as_call_does(emulator: RunningEmulator) -> None:
    audit = Recorder()
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, observers=[audit]
    ) as tool:
        await tool.call({"image": picture((1, 2, 3))})
        by_call = list(audit.told)
        audit.told.clear()
        async with tool.prepare(
            {"image": picture((4, 5, 6)), "crop_x": 0, "crop_y": 0, "crop_w": 500}
        ) as upload:
            await tool.send(upload)
    assert by_call == ["started", "before_change", "change_sending", "ended ok"]
    assert audit.told == by_call
    # The call as prepared: the arguments' safe view (no image bytes), the change's summary.
    prepared_call = audit.calls[-1]
    assert prepared_call.tool_name == "usersSetPhoto"
    assert prepared_call.arguments["crop_w"] == 500
    assert "bytes" in str(prepared_call.arguments["image"]), prepared_call.arguments
    assert audit.changes[-1].image["format"] == "PNG"


async def test_an_observer_refusing_stops_what_was_prepared(emulator: RunningEmulator) -> None:
    approval = Recorder(refuse=True)
    before = len(photo_requests(emulator))
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, observers=[approval]
    ) as tool:
        upload = await tool.prepare({"image": picture((7, 8, 9))})
        with pytest.raises(UsersPhotoError, match="not approved"):
            await tool.send(upload)
    assert len(photo_requests(emulator)) == before, "a refused change was sent"
    assert approval.told == ["started", "before_change", "ended error"]


async def test_send_takes_observers_for_this_call_after_the_tools(
    emulator: RunningEmulator,
) -> None:
    tools_own, this_call = Recorder(), Recorder()
    order: list[str] = []
    tools_own.change_sending = lambda call: order.append("tool's")  # type: ignore[method-assign]
    this_call.change_sending = lambda call: order.append("call's")  # type: ignore[method-assign]
    async with (
        UsersSetPhoto(
            CANARY_TOKEN, base_url=emulator.base_url, environ={}, observers=[tools_own]
        ) as tool,
        tool.prepare({"image": picture((9, 9, 9))}) as upload,
    ):
        await tool.send(upload, observers=[this_call])
    assert order == ["tool's", "call's"]
    assert this_call.told == ["started", "before_change", "ended ok"]


async def test_a_hosts_keeper_keeps_what_send_replaces(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """README: a host that assembles observers itself gives UsersSetPhoto(observers=
    [PhotoKeeper(history)]); it is then the tool's keeper. Through prepare/send (the Python
    door, where keep_previous is None) it was never told: nothing kept, undo had nothing."""
    history = PhotoHistory(tmp_path / "history.sqlite3")
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        observers=[PhotoKeeper(history)],
    ) as tool:
        async with tool.prepare({"image": picture((200, 0, 0))}) as upload:
            await tool.send(upload)
        async with tool.prepare({"image": picture((0, 200, 0))}) as upload:
            await tool.send(upload)
        kept = await tool.history()
    assert len(kept) == 2, kept


async def test_a_bound_persons_send_tells_observers_who_acted(emulator: RunningEmulator) -> None:
    audit = Recorder()
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, observers=[audit]
    ) as tool:
        # The token's own user: a fixed token bound to anyone else is refused before sending.
        owner = await tool.whoami()
        bound = tool.acting_as(team_id=owner.team_id, user_id=owner.user_id)
        async with bound.prepare({"image": picture((3, 3, 3))}) as upload:
            await bound.send(upload)
    assert audit.calls[-1].person == ActingPerson(team_id=owner.team_id, user_id=owner.user_id)


def _set_started(env: dict[str, str], image: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ocp_users_photo.cli", "set", str(image)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment_without_slack(env),
    )


def test_a_set_interrupted_while_keeping_does_not_say_the_upload_began(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """set marked the upload as begun when it showed "sending", before the keeper read the
    photo shown (users.profile.get): Ctrl-C there said "the upload had begun, so the photo
    may be set already" with nothing sent. It is marked when the change goes out."""
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "h.sqlite3"),
    }
    first = tmp_path / "red.png"
    first.write_bytes(picture((200, 0, 0)))
    assert run_cli("set", str(first), env=env).returncode == 0
    second = tmp_path / "green.png"
    second.write_bytes(picture((0, 200, 0)))
    stderr = interrupted_during_the_keepers_read(slack_emulator, lambda: _set_started(env, second))
    assert "upload had begun" not in stderr, stderr
    assert "interrupted" in stderr, stderr
