"""Cancellation review: a caller's cancellation or deadline landing at one await point.

Each test lands the cancellation deterministically with a hook on the step it names, and
states what a host cancelling a call may rely on: the CancelledError (or the host's
TimeoutError) comes out, and nothing is sent to Slack after it.
"""

from __future__ import annotations

import asyncio
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersPhotoError, UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.undo import PhotoHistory
from ocp_users_photo.web_image import fetch as web_fetch
from tests.conftest import CANARY_TOKEN, inject, photo_requests, shown_avatar_hash
from tests.loopback import LoopbackServer, silent
from tests.programs import environment_without_slack, run_cli
from tests.test_url_images import SIGNED, allowing, images  # noqa: F401 (fixture)
from tests.undo_fixtures import picture


def _after_each_download(monkeypatch: pytest.MonkeyPatch, then: Callable[[], object]) -> list[int]:
    """Run ``then`` on the loop's next turn after a web download (its redirect chain and
    whole body) is done: the moment its ``wait_for`` has the result but has not resumed."""
    real = web_fetch._Hops.follow
    done: list[int] = []

    async def follow(self: Any, url: Any) -> Any:
        fetched = await real(self, url)
        done.append(1)
        asyncio.get_running_loop().call_soon(then)
        return fetched

    monkeypatch.setattr(web_fetch._Hops, "follow", follow)
    return done


async def test_a_cancel_as_the_kept_photo_finishes_downloading_stops_the_change(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """web_image/fetch.py:114 awaits asyncio.wait_for, which on Python 3.11 (the oldest the
    package supports) returns the inner result when the cancellation lands as the inner
    task finishes: the keeper's download of the photo shown swallows the host's cancel, and
    the change goes on to Slack. Expected: CancelledError, nothing more sent."""
    history = PhotoHistory(tmp_path / "history.sqlite3")
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        photo_history=history,
        keep_previous=True,
    ) as tool:
        await tool.call({"image": picture((200, 0, 0))})
        red = shown_avatar_hash(emulator)
        sent_before = len(photo_requests(emulator))

        call: asyncio.Task[dict[str, Any]] | None = None
        downloads = _after_each_download(monkeypatch, lambda: call.cancel())  # type: ignore[union-attr]
        call = asyncio.create_task(tool.call({"image": picture((0, 200, 0))}))
        outcome: object
        try:
            outcome = await call
        except asyncio.CancelledError:
            outcome = "cancelled"
    history.close()
    assert downloads, "the keeper downloaded the photo shown"
    assert len(photo_requests(emulator)) == sent_before, "a cancelled change was sent"
    assert shown_avatar_hash(emulator) == red
    assert outcome == "cancelled", "the call swallowed its cancellation and returned a reply"


async def test_a_hosts_deadline_ending_as_the_kept_photo_downloads_is_kept_to(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same point under the host's own ``asyncio.timeout``: its deadline ends there,
    and no TimeoutError comes; the change is sent after the deadline and returns as if on
    time. Expected: TimeoutError, nothing sent after the deadline."""
    history = PhotoHistory(tmp_path / "history.sqlite3")
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        photo_history=history,
        keep_previous=True,
    ) as tool:
        await tool.call({"image": picture((200, 0, 0))})
        red = shown_avatar_hash(emulator)
        sent_before = len(photo_requests(emulator))
        loop = asyncio.get_running_loop()
        deadline = asyncio.timeout(30)
        _after_each_download(monkeypatch, lambda: deadline.reschedule(loop.time()))
        timed_out = False
        try:
            async with deadline:
                await tool.call({"image": picture((0, 200, 0))})
        except TimeoutError:
            timed_out = True
    history.close()
    assert deadline.expired()
    assert len(photo_requests(emulator)) == sent_before, "sent after the host's deadline"
    assert shown_avatar_hash(emulator) == red
    assert timed_out, "the host's deadline ended and no TimeoutError came"


async def test_a_cancel_as_a_web_image_finishes_downloading_stops_the_call(
    emulator: RunningEmulator,
    images: LoopbackServer,  # noqa: F811
    client_tls: ssl.SSLContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The image given as an allowed URL (url_hosts): a cancel landing as its download
    finishes is swallowed by the same wait_for, and the photo is set. Expected:
    CancelledError, nothing sent to Slack."""
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, **allowing(client_tls)
    ) as tool:
        call: asyncio.Task[dict[str, Any]] | None = None
        _after_each_download(monkeypatch, lambda: call.cancel())  # type: ignore[union-attr]
        call = asyncio.create_task(tool.call({"image": images.url(SIGNED)}))
        outcome: object
        try:
            outcome = await call
        except asyncio.CancelledError:
            outcome = "cancelled"
    assert len(images.requests) == 1
    assert photo_requests(emulator) == [], "the cancelled call set the photo"
    assert outcome == "cancelled"


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def _red_then_green(slack_emulator: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    """The command line's environment, after 'set' red then green (undo puts red back)."""
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "h.sqlite3"),
    }
    for color in ((200, 0, 0), (0, 200, 0)):
        image = tmp_path / f"{color[0]}.png"
        image.write_bytes(picture(color))
        assert run_cli("set", str(image), env=env).returncode == 0
    return env


def _undo_started(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ocp_users_photo.cli", "undo"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment_without_slack(env),
    )


def test_an_interrupted_undo_whose_upload_went_out_says_the_photo_may_be_changed(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """README (Use it from the terminal): a failure is one line "plus what to do next where
    the line leaves it open (whether a request that got no answer reached Slack, and so may
    have set the photo)"; set says so when Ctrl-C comes after its upload went out
    (set_command.py:137-145). undo_command.py has no such handling: Ctrl-C once Slack has
    the undo's upload prints 'ocp-users-photo: interrupted' alone. The undo then lands, and
    the natural retry, 'undo' again, puts back the very photo the person was undoing (the
    interrupted undo is now the newest change)."""
    env = _red_then_green(slack_emulator, tmp_path)
    sent = len(photo_requests(slack_emulator))
    inject(slack_emulator, Fault.delay(20))
    process = _undo_started(env)
    deadline = time.monotonic() + 30
    while len(photo_requests(slack_emulator)) == sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(photo_requests(slack_emulator)) > sent, "the undo's upload never reached Slack"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "may" in stderr, stderr
    assert "profile" in stderr or "history" in stderr, stderr


def test_an_undo_interrupted_before_its_upload_does_not_say_the_upload_began(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """undo_command.py:62-76 (1509cf4): the _Sending observer is told before_change ahead of
    the tool's keeper (tool._watching: the call's observers, then the keeper), so 'begun'
    is set while the keeper still reads the photo Slack shows (users.profile.get, the
    original's download, the person's turn). Ctrl-C there, with nothing sent to
    users.setPhoto, prints "the undo's upload had begun, so the photo may be put back
    already ... before running undo again, which would undo this one": the person is
    told a change may have happened that cannot have."""
    env = _red_then_green(slack_emulator, tmp_path)
    stderr = interrupted_during_the_keepers_read(slack_emulator, lambda: _undo_started(env))
    assert "upload had begun" not in stderr, stderr


def interrupted_during_the_keepers_read(
    slack_emulator: RunningEmulator, started: Callable[[], subprocess.Popen[str]]
) -> str:
    """Ctrl-C for a command ``started`` once its keeper reads the photo shown (held by a
    delay there), nothing uploaded; the command's stderr."""
    uploads = len(photo_requests(slack_emulator))
    reads = len(slack_emulator.requests.for_path("/api/users.profile.get"))
    inject(slack_emulator, Fault.delay(20), method="users.profile.get")
    process = started()
    deadline = time.monotonic() + 30
    while (
        len(slack_emulator.requests.for_path("/api/users.profile.get")) == reads
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert len(photo_requests(slack_emulator)) == uploads, "nothing was uploaded"
    return stderr


async def test_the_calls_deadline_bounds_an_image_urls_download(
    emulator: RunningEmulator,
    images: LoopbackServer,  # noqa: F811
    client_tls: ssl.SSLContext,
) -> None:
    """slack/deadlines.py: the call's deadline= is "the end of a whole tool call ... which
    every Slack request and download made within it keeps to"; README's bounds: deadline=
    bounds "the whole call". The image URL's fetch keeps to its own 10 s read and 30 s
    total (UrlPolicy) instead: a silent image host holds a deadline=2 call for ~10 s."""
    images.on("/silent.png", silent())
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, deadline=2, **allowing(client_tls)
    ) as tool:
        started = time.monotonic()
        with pytest.raises(UsersPhotoError):
            await tool.call({"image": images.url("/silent.png")})
        took = time.monotonic() - started
    assert photo_requests(emulator) == []
    assert took < 2 + 1.5, f"a deadline=2 call took {took:.1f} s"
