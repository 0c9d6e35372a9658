"""``ocp-users-photo set -``: the image piped in, as most commands that read a file take it.

``set -`` looked for a file named "-" in the current folder. A person at a terminal pipes
images (``curl ... | ocp-users-photo set -``, ``convert ... png:- | ...``); the bytes are
read to their end, bounded by the tool's size cap, and checked as any image is. A
terminal, or no stdin at all, is refused before anything is read: the command would wait
for bytes no one types.
"""

from __future__ import annotations

import base64
import hashlib
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.exit_codes import ExitCode
from ocp_users_photo.images.limits import DEFAULT_LIMITS
from tests.conftest import CANARY_TOKEN
from tests.programs import emulator_cli_environment
from tests.undo_fixtures import picture

RED = picture((200, 30, 30), size=640)


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def _env(emulator: RunningEmulator, home: Path) -> dict[str, str]:
    return emulator_cli_environment(emulator.base_url, home, CANARY_TOKEN)


def _set(
    emulator: RunningEmulator, home: Path, *args: str, stdin: bytes | int | None
) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "ocp_users_photo.cli", "set", "-", *args]
    if isinstance(stdin, bytes):
        return subprocess.run(
            command, input=stdin, capture_output=True, env=_env(emulator, home), timeout=60
        )
    return subprocess.run(
        command, stdin=stdin, capture_output=True, env=_env(emulator, home), timeout=60
    )


def _uploads(emulator: RunningEmulator) -> int:
    return len(emulator.requests.for_path("/api/users.setPhoto"))


def test_a_piped_image_is_set_and_kept(slack_emulator: RunningEmulator, tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite3"
    done = _set(slack_emulator, tmp_path, "--history", str(history), stdin=RED)
    assert done.returncode == ExitCode.OK, done.stderr
    assert done.stdout.decode().startswith("Photo set (PNG 640x640")
    assert "kept as #1" in done.stdout.decode()
    sent = slack_emulator.requests.for_path("/api/users.setPhoto")
    assert len(sent) == 1
    (part,) = sent[0].files
    assert part.field_name == "image"
    assert part.sha256 == hashlib.sha256(RED).hexdigest()  # the piped bytes, as they came


def test_a_piped_image_is_checked_in_a_dry_run(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    done = _set(slack_emulator, tmp_path, "--dry-run", "--crop-w", "600", stdin=RED)
    assert done.returncode == ExitCode.INVALID, done.stderr  # a box needs all three
    assert b"--crop-x" in done.stderr
    done = _set(slack_emulator, tmp_path, "--dry-run", stdin=RED)
    assert done.returncode == ExitCode.OK, done.stderr
    assert b"Checked: would send PNG 640x640" in done.stdout
    assert _uploads(slack_emulator) == 0


@pytest.mark.parametrize(
    ("piped", "said"),
    [
        (b"", b"the image is empty (0 bytes)"),
        (b"me.png\n", b"stdin held text, and IMAGE - takes the image's own bytes"),
        (base64.b64encode(RED), b"stdin held base64 text, and IMAGE - takes the image's own"),
    ],
)
def test_what_is_no_image_on_stdin_is_told_for_a_pipe(
    slack_emulator: RunningEmulator, tmp_path: Path, piped: bytes, said: bytes
) -> None:
    done = _set(slack_emulator, tmp_path, stdin=piped)
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert said in done.stderr
    assert b"nothing was sent to Slack" in done.stderr
    assert b"pathlib" not in done.stderr  # the Python API's words, not a terminal's
    assert _uploads(slack_emulator) == 0


def test_an_endless_pipe_is_read_only_to_the_cap(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """More than the cap: refused without reading the rest, and said as over it, not as a
    file of exactly cap + 1 bytes."""
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys\nwhile True: sys.stdout.buffer.write(bytes(1 << 20))"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert writer.stdout is not None
        done = _set(slack_emulator, tmp_path, stdin=writer.stdout.fileno())
    finally:
        writer.kill()
        writer.wait()
    assert done.returncode == ExitCode.INVALID, done.stderr
    cap = DEFAULT_LIMITS.max_bytes
    assert f"over the 32 MiB limit (more than {cap:,} bytes came".encode() in done.stderr
    assert _uploads(slack_emulator) == 0


def test_a_terminal_or_no_stdin_is_refused_before_anything_is_read(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    main, terminal = pty.openpty()
    try:
        done = _set(slack_emulator, tmp_path, stdin=terminal)
    finally:
        os.close(main)
        os.close(terminal)
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert b"reads the image from stdin, which is the terminal here" in done.stderr
    assert b"reading the image" not in done.stderr  # no status line before the refusal

    command = [sys.executable, "-m", "ocp_users_photo.cli", "set", "-"]
    closed = subprocess.run(
        ["sh", "-c", 'exec "$@" <&-', "sh", *command],
        capture_output=True,
        env=_env(slack_emulator, tmp_path),
        timeout=60,
    )
    assert closed.returncode == ExitCode.INVALID, closed.stderr
    assert b"reads the image from stdin, which is closed here" in closed.stderr
    assert _uploads(slack_emulator) == 0


def test_a_file_named_dash_is_still_read_as_dot_slash_dash(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    (tmp_path / "-").write_bytes(RED)
    done = subprocess.run(
        [sys.executable, "-m", "ocp_users_photo.cli", "set", "./-", "--dry-run"],
        capture_output=True,
        env=_env(slack_emulator, tmp_path),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == ExitCode.OK, done.stderr
    assert b"Checked: would send PNG 640x640" in done.stdout


def test_an_interrupt_while_the_pipe_is_open_ends_the_command_at_once(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Ctrl-C while the writer has sent nothing yet: the command said "interrupted" and
    then waited, with the read blocked in a thread the interpreter joined at exit, until
    the writer ended (never, for 'tail -f' or a FIFO)."""
    command = [sys.executable, "-m", "ocp_users_photo.cli", "set", "-", "--no-keep-previous"]
    main, terminal = pty.openpty()  # stderr a terminal: the status line says when it reads
    try:
        running = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=terminal,
            env=_env(slack_emulator, tmp_path),
        )
        try:
            said = b""
            deadline = time.monotonic() + 30
            while b"reading the image" not in said and time.monotonic() < deadline:
                if select.select([main], [], [], 0.1)[0]:
                    said += os.read(main, 4096)
            assert b"reading the image" in said, said
            time.sleep(0.5)  # said just before the read is handed to its thread
            running.send_signal(signal.SIGINT)
            started = time.monotonic()
            exit_code = running.wait(timeout=30)
            waited = time.monotonic() - started
        finally:
            assert running.stdin is not None
            running.stdin.close()  # the writer ends only now
            running.kill()
            running.wait()
    finally:
        os.close(main)
        os.close(terminal)
    assert exit_code == ExitCode.INTERRUPTED
    assert waited < 10, waited
    assert _uploads(slack_emulator) == 0


def test_a_non_blocking_stdin_is_waited_on_not_taken_as_empty(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A stdin whose starter left it non-blocking gives no bytes yet, not an end: it was
    read as an empty image (or one cut short)."""
    reading, writing = os.pipe()
    os.set_blocking(reading, False)
    command = [sys.executable, "-m", "ocp_users_photo.cli", "set", "-", "--dry-run"]
    try:
        running = subprocess.Popen(
            command,
            stdin=reading,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(slack_emulator, tmp_path),
        )
    finally:
        os.close(reading)
    with os.fdopen(writing, "wb") as pipe:
        time.sleep(1.0)  # the command is waiting by now
        pipe.write(RED[:100])
        pipe.flush()
        time.sleep(0.3)
        pipe.write(RED[100:])
    out, err = running.communicate(timeout=60)
    assert running.returncode == ExitCode.OK, err
    assert b"Checked: would send PNG 640x640" in out


def test_a_stdin_open_for_writing_and_an_unwritable_preview_are_said_so(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Both were Python's bare "[Errno 9] Bad file descriptor" and "[Errno 13]
    Permission denied: '/sys/x.png'", naming neither stdin nor --preview."""
    with (tmp_path / "out").open("wb") as write_only:
        done = _set(slack_emulator, tmp_path, "--dry-run", stdin=write_only.fileno())
    assert done.returncode == ExitCode.INVALID
    assert b"reads the image from stdin, which cannot be read here (Bad file" in done.stderr
    folder = tmp_path / "no-folder"
    target = folder / "square.png"
    preview = _set(slack_emulator, tmp_path, "--dry-run", "--preview", str(target), stdin=RED)
    assert preview.returncode == ExitCode.INVALID
    assert b"does not exist" in preview.stderr or b"cannot be written" in preview.stderr
    (tmp_path / "plain").write_bytes(b"x")
    under_a_file = tmp_path / "plain" / "square.png"  # a file where a folder should be
    refused = _set(slack_emulator, tmp_path, "--dry-run", "--preview", str(under_a_file), stdin=RED)
    assert refused.returncode == ExitCode.INVALID
    assert b"Errno" not in refused.stderr
    assert b"--preview" in refused.stderr
    assert _uploads(slack_emulator) == 0
