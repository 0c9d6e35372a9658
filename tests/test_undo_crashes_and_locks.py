"""Undo as a person with two front ends sees it, after crashes and outside changes.

Each states what must hold (they failed on eb02478, before the fixes of 2026-12-01).
Real processes against the emulator over HTTP, one real SQLite history file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.undo import PhotoHistory
from tests.conftest import CANARY_TOKEN, shown_avatar_hash
from tests.test_undo_faults import ROOT, crash_after_keeping
from tests.undo_fixtures import GREEN, RED, history_tool, picture, shown

BLUE = picture((30, 60, 220))
YELLOW = picture((230, 210, 40))


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def _cli(emulator: RunningEmulator, history: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(history),
    }
    return subprocess.run(
        [sys.executable, "-m", "ocp_users_photo.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


async def cli_set_under_way(
    emulator: RunningEmulator, history: Path, image: Path, *, delay: float, stderr: int
) -> asyncio.subprocess.Process:
    """`ocp-users-photo set image` started once Slack takes ``delay`` seconds over an upload,
    returned when its upload has reached Slack (the emulator holds it, still to be set)."""
    emulator.faults.inject(Fault.delay(delay))
    before = len(emulator.requests.for_path("/api/users.setPhoto"))
    env = {
        **os.environ,
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(history),
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ocp_users_photo.cli", "set", str(image),
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr,
    )  # fmt: skip
    for _ in range(2000):
        if len(emulator.requests.for_path("/api/users.setPhoto")) > before:
            break
        await asyncio.sleep(0.01)
    return child


async def red_green_then_a_killed_set(
    emulator: RunningEmulator, tmp_path: Path
) -> tuple[Path, str]:
    """RED, then GREEN set with keeping on, then a set of BLUE killed once its photo (GREEN)
    is kept, before its upload: the history and RED's avatar hash."""
    history = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        red = shown_avatar_hash(emulator)
        await tool.call({"image": GREEN})
    blue = tmp_path / "blue.png"
    blue.write_bytes(BLUE)
    await crash_after_keeping(emulator, history, blue)
    return history, red


async def test_undo_after_a_set_killed_before_sending_undoes_the_last_change_made(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A set killed after keeping leaves a pending entry whose photo is still shown: no
    change at all. `undo` goes past it to the last change made (GREEN replacing RED), and
    the entry is dropped; a second undo undoes that undo. Before: every undo re-sent the
    photo shown and reported "put back"."""
    history = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        red = await shown(emulator, CANARY_TOKEN)
        await tool.call({"image": GREEN})
    green = shown_avatar_hash(emulator)
    blue = tmp_path / "blue.png"
    blue.write_bytes(BLUE)
    await crash_after_keeping(emulator, history, blue)
    assert shown_avatar_hash(emulator) == green  # the killed set sent nothing

    async with history_tool(emulator, history, keep_previous=True) as tool:
        (pending, *_) = await tool.history()
        assert pending.status == "pending"
        reply = await tool.undo()
        assert shown_avatar_hash(emulator) == reply["profile"]["avatar_hash"]
        after_undo = await shown(emulator, CANARY_TOKEN)
        assert after_undo.renditions == red.renditions, "the first undo put back RED"
        assert pending.entry not in [kept.entry for kept in await tool.history()]
        await tool.undo()
    assert shown_avatar_hash(emulator) == green, "the second undo undid the first"


async def test_cli_undo_after_a_killed_set_tells_the_truth_about_keeping(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """After a set killed before sending, `ocp-users-photo undo` says the photo it replaced
    was kept, as #N: entry N must then be in the history (the undo's own entry was
    discarded as "no change", and the next undo repeated the same no-op)."""
    history = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": GREEN})
    blue = tmp_path / "blue.png"
    blue.write_bytes(BLUE)
    await crash_after_keeping(emulator, history, blue)
    undone = await asyncio.to_thread(_cli, emulator, history, "undo")
    assert undone.returncode == 0, undone.stderr
    last = undone.stdout.splitlines()[-1]
    assert "was kept as #" in last, undone.stdout
    named = int(last.split("was kept as #", 1)[1].split(":", 1)[0])
    async with history_tool(emulator, history, keep_previous=True) as tool:
        assert named in [kept.entry for kept in await tool.history()]


async def test_cli_undo_over_a_photo_changed_outside_says_so(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Set A, set B here, then the person sets C in Slack itself. `undo` must not silently
    replace C: like UndoOvertaken for a change made here, it refuses, or it at least names
    the photo it replaced (C's avatar hash) rather than only the one it put back."""
    history = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": GREEN})
    async with history_tool(emulator, Path(os.devnull), keep_previous=False) as outside:
        await outside.call({"image": YELLOW})  # Slack's own UI, another app...
    outside_hash = shown_avatar_hash(emulator)
    undone = await asyncio.to_thread(_cli, emulator, history, "undo")
    assert undone.returncode == 0, undone.stderr
    assert outside_hash in undone.stdout, undone.stdout


def _server_pids() -> list[int]:
    """This process's children running the MCP server."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        ppid = next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:"))
        if int(ppid) == os.getpid() and b"ocp_users_photo.mcp_server" in command:
            found.append(int(entry))
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize(
    "stop", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["SIGTERM", "SIGINT", "SIGKILL"]
)
@pytest.mark.waits
async def test_a_change_after_the_mcp_server_stopped_mid_upload_is_not_overtaken(
    emulator: RunningEmulator, tmp_path: Path, stop: signal.Signals
) -> None:
    """The MCP server is stopped (the host's SIGTERM, or Ctrl-C) or killed outright (SIGKILL,
    the OOM killer: it writes nothing) while Slack has its upload and is still acting on it.
    The person's next change from the command line (same history file) must not be
    overtaken by that upload: as after the CLI's own Ctrl-C, it waits for the upload to land
    (the settle time), and Slack ends up showing the newer change."""
    history = tmp_path / "history.sqlite3"
    images = tmp_path / "images"
    images.mkdir()
    (images / "green.png").write_bytes(GREEN)
    (tmp_path / "blue.png").write_bytes(BLUE)
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
    parameters = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "ocp_users_photo.mcp_server",
            "--image-root",
            str(images),
            "--history",
            str(history),
        ],
        env={
            "SLACK_API_URL": emulator.base_url,
            "SLACK_USER_TOKEN": CANARY_TOKEN,
            "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"],
            "PYTHONPATH": str(ROOT),
        },
        cwd=str(tmp_path),
    )
    emulator.faults.inject(Fault.delay(4))
    later: subprocess.CompletedProcess[str] | None = None
    with contextlib.suppress(Exception), (tmp_path / "server-stderr.txt").open("w") as errlog:
        # The server is stopped inside: leaving the client may raise; what matters is after.
        async with (
            stdio_client(parameters, errlog=errlog) as (read, write),
            ClientSession(read, write) as client,
        ):
            await client.initialize()
            (server,) = _server_pids()
            call = asyncio.create_task(client.call_tool("usersSetPhoto", {"image": "green.png"}))
            for _ in range(1000):
                if emulator.requests.for_path("/api/users.setPhoto")[1:]:
                    break
                await asyncio.sleep(0.01)
            os.kill(server, stop)  # the upload is with Slack, which sets it in 4 s
            started = time.monotonic()
            later = await asyncio.to_thread(
                _cli, emulator, history, "set", str(tmp_path / "blue.png")
            )
            call.cancel()
            await asyncio.sleep(max(0.0, 5 - (time.monotonic() - started)))
    assert later is not None, "the server or the command line did not start"
    assert later.returncode == 0, later.stderr
    told = [line for line in later.stdout.splitlines() if "avatar_hash" in line]
    assert told, later.stdout
    assert shown_avatar_hash(emulator) == told[0].split()[-1], (
        "the command line's change was overtaken by the stopped server's upload"
    )


class LockedAtFinish(PhotoHistory):
    """A history another program holds locked (BEGIN EXCLUSIVE) while the change's end is
    recorded: the change was made, only its bookkeeping fails."""

    async def finish(self, *args: Any, **kwargs: Any) -> bool:
        other = await asyncio.to_thread(_locked, self.path)
        try:
            return await super().finish(*args, **kwargs)
        finally:
            await asyncio.to_thread(other.close)  # its transaction rolled back


def _locked(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    return other


async def test_a_change_made_is_never_reported_as_nothing_changed_in_slack(
    emulator: RunningEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """When the history cannot record how a change ended (disk full, locked by another
    program), the change was made: the warning must not say "nothing was changed in Slack"
    (the CLI prints it right above "Photo set")."""
    history = LockedAtFinish(tmp_path / "history.sqlite3", busy_timeout=0.2)
    caplog.set_level(logging.WARNING, logger="ocp_users_photo.undo")
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        reply = await tool.call({"image": GREEN})
    assert shown_avatar_hash(emulator) == reply["profile"]["avatar_hash"]  # it was made
    warned = [r.getMessage() for r in caplog.records if "could not record" in r.getMessage()]
    assert warned, "the failed bookkeeping was not told"
    for message in warned:
        assert "nothing was changed in Slack" not in message, message


class LockedWhileEnding(PhotoHistory):
    """Another program (a backup, a database browser) holds the file locked for a moment
    from just after a photo is kept, while the change ends; then lets go."""

    async def keep(self, *args: Any, **kwargs: Any) -> Any:
        kept = await super().keep(*args, **kwargs)
        if not getattr(self, "locked_once", False):
            self.locked_once = True
            other = await asyncio.to_thread(_locked, self.path)
            asyncio.get_running_loop().call_later(
                1.5, lambda: threading.Thread(target=other.close).start()
            )
        return kept


async def test_a_lock_met_while_a_change_ends_does_not_hold_up_the_next_change(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The history was locked by another program for 1.5 s while a change ended (its lease
    could not be given back then). Once the lock is gone, the person's next change, in the
    same long-running process (an MCP server) or another, goes ahead: it does not wait the
    lease's 180 s."""
    history = LockedWhileEnding(tmp_path / "history.sqlite3", busy_timeout=0.2)
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await asyncio.sleep(2)  # the other program has let go
        started = time.monotonic()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(tool.call({"image": GREEN}), 20)
        assert time.monotonic() - started < 20, "the next change waited for a stale lease"


@pytest.mark.waits
async def test_a_change_after_a_set_terminated_mid_upload_is_not_overtaken(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """`ocp-users-photo set` stopped by SIGTERM (`timeout`, a closing terminal's session,
    systemd) while Slack has its upload: as after Ctrl-C, the next change waits for that
    upload to land, and is not overtaken by it."""
    history = tmp_path / "history.sqlite3"
    (tmp_path / "blue.png").write_bytes(BLUE)
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
    child = await cli_set_under_way(
        emulator, history, tmp_path / "blue.png", delay=4, stderr=subprocess.DEVNULL
    )
    child.terminate()
    await child.wait()
    started = time.monotonic()
    async with history_tool(emulator, history, keep_previous=True) as tool:
        reply = await asyncio.wait_for(tool.call({"image": GREEN}), 30)
    await asyncio.sleep(max(0.0, 5 - (time.monotonic() - started)))
    assert shown_avatar_hash(emulator) == reply["profile"]["avatar_hash"], (
        "the next change was overtaken by the terminated set's upload"
    )


@pytest.mark.waits
async def test_an_undo_after_a_set_killed_mid_upload_undoes_that_set_once_it_lands(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """`ocp-users-photo set` killed outright (SIGKILL: it writes nothing more) while Slack has
    its upload, then `undo` from another process. Before: the dead set's lease was taken at
    once, its pending entry still named the photo shown, so undo dropped it as a change
    that never happened, put back the photo before that, said done, and seconds later the
    killed upload landed over it. Now the dead holder's lease is held for the settle time,
    the upload lands meanwhile, and undo undoes that very set."""
    history = tmp_path / "history.sqlite3"
    (tmp_path / "blue.png").write_bytes(BLUE)
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": GREEN})
        green = shown_avatar_hash(emulator)
    child = await cli_set_under_way(
        emulator, history, tmp_path / "blue.png", delay=4, stderr=subprocess.DEVNULL
    )
    child.kill()
    await child.wait()
    started = time.monotonic()
    undone = await asyncio.to_thread(_cli, emulator, history, "undo")
    await asyncio.sleep(max(0.0, 5 - (time.monotonic() - started)))  # the upload has landed
    assert undone.returncode == 0, undone.stderr
    assert shown_avatar_hash(emulator) == green, (
        "the undo was overtaken by the killed set's upload, or undid the change before it"
    )


async def test_a_lease_not_given_back_under_a_lock_is_given_back_once_the_lock_goes(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Another process reads the lease table: the lease this living process could not give
    back while the file was locked must be gone soon after the lock is, or that process
    waits the lease's 180 s."""
    history = LockedWhileEnding(tmp_path / "history.sqlite3", busy_timeout=0.2)
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        leases: list[Any] = []
        for _ in range(100):
            await asyncio.sleep(0.1)
            with contextlib.closing(sqlite3.connect(history.path, timeout=1)) as database:
                leases = database.execute("SELECT holder FROM leases").fetchall()
            if not leases:
                break
        assert leases == [], "the lease was still held 10 s after the change ended"


def test_a_lease_holder_is_never_probed_with_a_signal_where_that_would_end_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On Windows os.kill(pid, 0) terminates the process (TerminateProcess): the command line
    checking the lease would end the MCP server holding it. There, a lease is held until it
    runs out."""
    from ocp_users_photo.undo import turns

    def kill(*_: object) -> None:
        pytest.fail("os.kill was called to probe a lease's holder")

    monkeypatch.setattr(turns, "_PROBES_PROCESSES", False)
    monkeypatch.setattr(os, "kill", kill)
    other_process = f"{socket.gethostname()[:100]}|{os.getppid()}|{'0' * 32}"
    assert turns._held(other_process) is True
