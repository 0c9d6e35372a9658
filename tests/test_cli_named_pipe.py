"""``ocp-users-photo set <(convert ...)``: a pipe named as IMAGE is read as ``set -`` reads stdin.

A shell's process substitution names a pipe (``/dev/fd/63``), as does ``/dev/stdin`` with
a pipe on it and a FIFO made with mkfifo. The tool refuses anything but a regular file
(a model naming a FIFO would hold a call until a writer came); a person typing the
command means the pipe, and got "not a regular file: give an image file". Read bounded,
checked as any image; with ``--image-root`` refused, saying what to do instead.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
import threading
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


def _in_bash(
    emulator: RunningEmulator, home: Path, image_words: str, *args: str
) -> subprocess.CompletedProcess[bytes]:
    """``set IMAGE`` run by bash, IMAGE written in its words (``<(...)``)."""
    command = " ".join(
        [shlex.quote(sys.executable), "-m", "ocp_users_photo.cli", "set", image_words]
        + [shlex.quote(arg) for arg in args]
    )
    return subprocess.run(
        ["bash", "-c", command], capture_output=True, env=_env(emulator, home), timeout=60
    )


def _sent(emulator: RunningEmulator) -> list[str]:
    """The SHA-256 of each image uploaded."""
    return [
        part.sha256
        for request in emulator.requests.for_path("/api/users.setPhoto")
        for part in request.files
    ]


def test_a_process_substitution_is_read_and_set(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    (tmp_path / "red.png").write_bytes(RED)
    image = f"<(cat {shlex.quote(str(tmp_path / 'red.png'))})"
    done = _in_bash(slack_emulator, tmp_path, image, "--no-keep-previous")
    assert done.returncode == ExitCode.OK, done.stderr
    assert done.stdout.decode().startswith("Photo set (PNG 640x640")
    assert _sent(slack_emulator) == [hashlib.sha256(RED).hexdigest()]


def test_a_fifo_is_read_once_its_writer_comes(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    fifo = tmp_path / "photo.fifo"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as writer:  # waits for the command to open it
            writer.write(RED)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    done = subprocess.run(
        [sys.executable, "-m", "ocp_users_photo.cli", "set", str(fifo), "--dry-run"],
        capture_output=True,
        env=_env(slack_emulator, tmp_path),
        timeout=60,
    )
    writer.join(10)
    assert done.returncode == ExitCode.OK, done.stderr
    assert b"would send PNG 640x640" in done.stdout
    assert _sent(slack_emulator) == []  # a dry run


@pytest.mark.parametrize(
    ("piped", "said"),
    [
        ("base64", b"held base64 text, and IMAGE takes the image's own bytes: pipe it through"),
        ("echo", b"held text, and IMAGE takes the image's own bytes: pipe the image file"),
    ],
)
def test_text_in_a_pipe_is_told_in_a_terminals_words(
    slack_emulator: RunningEmulator, tmp_path: Path, piped: str, said: bytes
) -> None:
    (tmp_path / "red.png").write_bytes(RED)
    words = (
        f"<(base64 {shlex.quote(str(tmp_path / 'red.png'))})"
        if piped == "base64"
        else ("<(echo hello)")
    )
    done = _in_bash(slack_emulator, tmp_path, words)
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert b"the pipe '/dev/fd/" in done.stderr
    assert said in done.stderr
    assert b"nothing was sent to Slack" in done.stderr
    assert b".decode()" not in done.stderr  # the Python API's words, not a terminal's
    assert _sent(slack_emulator) == []


def test_an_endless_pipe_is_read_only_to_the_cap(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    endless = "<(python3 -c 'import sys\nwhile True: sys.stdout.buffer.write(bytes(1 << 20))')"
    done = _in_bash(slack_emulator, tmp_path, endless)
    assert done.returncode == ExitCode.INVALID, done.stderr
    cap = DEFAULT_LIMITS.max_bytes
    said = f"is over the 32 MiB limit (more than {cap:,} bytes came, and the rest was not read"
    assert b"the image in the pipe '/dev/fd/" in done.stderr
    assert said.encode() in done.stderr
    assert _sent(slack_emulator) == []


def test_a_pipe_with_an_image_root_is_refused_unread_saying_what_to_do(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """No writer ever comes: the refusal must not wait for one."""
    fifo = tmp_path / "photo.fifo"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "ocp_users_photo.cli", "set", str(fifo), "--image-root", "."],
        cwd=tmp_path,
        capture_output=True,
        env=_env(slack_emulator, tmp_path),
        timeout=60,
    )
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert b"image path" in done.stderr
    assert b"is not a regular file: give an image file" in done.stderr  # as every door says
    said = b"(it is a pipe: this command reads one without --image-root, or as 'set -' from stdin)"
    assert said in done.stderr
    assert _sent(slack_emulator) == []
