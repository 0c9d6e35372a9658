"""What the command line prints when stderr is a real terminal (a pty of a known width),
and in the corners a script meets: TERM=dumb, stdin closed, Slack's own warnings.

Each test runs the program as a person does, a subprocess, with stderr on a pseudo
terminal whose window size is set, and reads every byte written to it.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
import unicodedata
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests
from tests.programs import environment_without_slack

# An erase of the line (the status line's own), a newline, or the start of the output:
# what a line of its own begins after. Anything else means the text was appended to a
# status line still on screen.
_CLEAN_START = re.compile(rb"(?:^|\n|\r\x1b\[K)$")


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "me.png"
    path.write_bytes(make_image((800, 600)))
    return path


class _OnTerminal:
    """``ocp-users-photo args`` with stderr on a pty ``columns`` wide; stdout a pipe."""

    def __init__(
        self, *args: str, env: dict[str, str], columns: int = 80, term: str = "xterm"
    ) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ocp_users_photo.cli", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave,
            env=environment_without_slack({"TERM": term, **env}),
        )
        os.close(slave)
        self.terminal = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.terminal += chunk

    def finish(self, timeout: float = 60) -> tuple[int, bytes, bytes]:
        assert self.process.stdout is not None
        stdout = self.process.stdout.read()
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        os.close(self.master)
        return code, stdout, self.terminal


def _lines_start_clean(terminal: bytes, marker: bytes) -> None:
    for found in re.finditer(re.escape(marker), terminal):
        before = terminal[: found.start()]
        assert _CLEAN_START.search(before), (
            f"{marker!r} was written after a status line still on screen: "
            f"{terminal[max(0, found.start() - 90) : found.start() + 40]!r}"
        )


def _closed_port() -> int:
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


def test_a_refused_set_on_a_terminal_prints_its_error_on_a_line_of_its_own(
    tmp_path: Path,
) -> None:
    """A mistyped file name: 'checking ...' must be erased before the error, or the person
    reads 'checking mee.png...ocp-users-photo: nothing was sent to Slack ...'."""
    run = _OnTerminal("set", str(tmp_path / "mee.png"), env={"SLACK_USER_TOKEN": CANARY_TOKEN})
    code, _, terminal = run.finish()
    assert code == 2
    assert b"no file at" in terminal
    _lines_start_clean(terminal, b"ocp-users-photo: ")


def test_a_failed_send_on_a_terminal_prints_its_error_on_a_line_of_its_own(image: Path) -> None:
    """Nothing listens at the base URL: the 'sending ...' status must not stay in front of
    'ocp-users-photo: could not reach Slack ... Nothing was sent'."""
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": f"http://127.0.0.1:{_closed_port()}/api",
    }
    code, _, terminal = _OnTerminal("set", str(image), "--max-retries", "0", env=env).finish()
    assert code == 5
    _lines_start_clean(terminal, b"ocp-users-photo: ")


def test_an_interrupted_set_on_a_terminal_prints_interrupted_on_a_line_of_its_own(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path
) -> None:
    inject(slack_emulator, Fault.delay(20))
    env = _terminal_env(slack_emulator, tmp_path)
    run = _OnTerminal("set", str(image), env=env)
    deadline = time.monotonic() + 30
    while not photo_requests(slack_emulator) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert photo_requests(slack_emulator), "the upload never reached the emulator"
    run.process.send_signal(signal.SIGTERM)  # as timeout(1) or a closing session does
    code, _, terminal = run.finish()
    assert code == 130
    _lines_start_clean(terminal, b"ocp-users-photo: ")


def test_an_interrupt_after_the_upload_went_out_says_the_photo_may_be_set(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path
) -> None:
    """README: a failure is one line 'plus what to do next where the line leaves it open
    (whether a request that got no answer reached Slack, and so may have set the photo)'.
    Ctrl-C (or SIGTERM) once Slack has the upload says 'interrupted' and nothing more."""
    inject(slack_emulator, Fault.delay(20))
    env = _terminal_env(slack_emulator, tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "ocp_users_photo.cli", "set", str(image)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment_without_slack(env),
    )
    deadline = time.monotonic() + 30
    while not photo_requests(slack_emulator) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert photo_requests(slack_emulator), "the upload never reached the emulator"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "may" in stderr, stderr
    assert "profile" in stderr or "history" in stderr, stderr


def _status_lines(terminal: bytes) -> list[bytes]:
    """Each status line as the terminal got it: what follows each '\\r\\x1b[K' up to the
    next line end (a part starting with one is the answer, not a status)."""
    return [
        part.split(b"\r\n")[0]
        for part in terminal.split(b"\r\x1b[K")
        if part and not part.startswith(b"\r\n")
    ]


def test_the_status_line_fits_an_80_column_terminal(image: Path, tmp_path: Path) -> None:
    """A status line wider than the terminal wraps; '\\r\\x1b[K' then erases only its last
    row, and the rows above stay on screen above the answer (and above an error)."""
    long_name = tmp_path / ("portrait-of-me-at-the-company-offsite-" + "x" * 60 + ".png")
    long_name.write_bytes(image.read_bytes())
    run = _OnTerminal("set", str(long_name), "--dry-run", env={}, columns=80)
    code, _, terminal = run.finish()
    assert code == 0
    statuses = _status_lines(terminal)
    assert statuses, terminal
    for status in statuses:
        assert len(status.decode()) < 80, f"{len(status.decode())} columns: {status!r}"


def test_the_status_line_fits_a_10_column_terminal(image: Path) -> None:
    """The width was raised to at least 20 columns: on a 10-column terminal each status
    line wrapped, and 'checking me.p' stayed on screen above the answer."""
    run = _OnTerminal("set", str(image), "--dry-run", env={}, columns=10)
    code, _, terminal = run.finish()
    assert code == 0
    statuses = _status_lines(terminal)
    assert statuses, terminal
    assert any(status.startswith(b"c") for status in statuses), statuses
    for status in statuses:
        assert len(status.decode()) < 10, f"{len(status.decode())} columns: {status!r}"


@pytest.mark.parametrize(
    ("letter", "columns", "shown"),
    [("й", 20, 9), ("하", 22, 5)],
    ids=["russian", "korean"],
)
def test_the_status_line_keeps_each_letter_of_a_decomposed_name_whole(
    image: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    letter: str,
    columns: int,
    shown: int,
) -> None:
    """A name synced from macOS (NFD: "\u0438" and a combining breve for each "\u0439", a
    consonant and a vowel jamo for each "\ud558"): the cut fell between a letter and what
    is drawn on it, the line ending in a letter the name does not have, and each breve or
    vowel took a column of its own. 19 columns of whole letters now."""
    name = unicodedata.normalize("NFD", letter * 26 + ".png")
    (tmp_path / name).write_bytes(image.read_bytes())
    monkeypatch.chdir(tmp_path)
    run = _OnTerminal("set", name, "--dry-run", env={}, columns=columns)
    code, _, terminal = run.finish()
    assert code == 0
    statuses = [s.decode() for s in _status_lines(terminal) if s.startswith(b"checking ")]
    assert statuses, terminal
    for status in statuses:
        assert status.endswith("…"), status
        composed = unicodedata.normalize("NFC", status.removesuffix("…"))
        assert composed == "checking " + letter * shown, status


def _statuses(terminal: bytes) -> list[bytes]:
    return [
        part.split(b"\r\n")[0]
        for part in terminal.split(b"\r\x1b[K")
        if part and not part.startswith(b"\r\n")
    ]


def test_a_terminal_whose_size_was_never_set_gets_the_status_line(image: Path) -> None:
    """A pty whose size was never set says 0 columns: taken as its width, no status fit,
    and the person saw none; it is read as 80, as a terminal that tells none."""
    run = _OnTerminal("set", str(image), "--dry-run", env={}, columns=0)
    code, _, terminal = run.finish()
    assert code == 0
    statuses = _statuses(terminal)
    assert any(status.startswith(b"checking") for status in statuses), terminal


def test_a_terminal_with_no_room_for_a_letter_gets_no_status_line(image: Path) -> None:
    """Two columns leave one for the line: an ellipsis alone told nothing, and the answer
    comes all the same."""
    run = _OnTerminal("set", str(image), "--dry-run", env={}, columns=2)
    code, _, terminal = run.finish()
    assert code == 0
    assert _statuses(terminal) == [], terminal


@pytest.mark.parametrize(
    "encoding_env",
    [
        # The C locale as Python takes it when neither coercion nor UTF-8 mode applies.
        {"LC_ALL": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"},
        {"PYTHONIOENCODING": "latin-1"},  # a Latin-1 locale's terminal
    ],
    ids=["ascii", "latin-1"],
)
def test_the_status_line_fits_a_terminal_that_is_not_utf_8(
    image: Path, tmp_path: Path, encoding_env: dict[str, str]
) -> None:
    """Cut to fit, the status line ended in '…', which stderr writes as '\\u2026' where its
    encoding lacks it: five columns more, and the line wrapped, its first row left above
    the answer."""
    long_name = tmp_path / ("portrait-of-me-at-the-company-offsite-" + "x" * 60 + ".png")
    long_name.write_bytes(image.read_bytes())
    run = _OnTerminal("set", str(long_name), "--dry-run", env=encoding_env, columns=80)
    code, _, terminal = run.finish()
    assert code == 0
    statuses = [
        part.split(b"\r\n")[0]
        for part in terminal.split(b"\r\x1b[K")
        if part.startswith(b"checking ")
    ]
    assert statuses, terminal
    for status in statuses:
        assert len(status) < 80, f"{len(status)} columns: {status!r}"
        assert b"\\u" not in status, status


def test_the_sending_status_of_a_converted_photo_fits_an_80_column_terminal(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    from PIL import Image

    webp = tmp_path / "me.webp"
    Image.new("RGB", (2000, 1500), "purple").save(webp, format="WEBP")
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    run = _OnTerminal(
        "set", str(webp), "--crop-x", "0", "--crop-y", "0", "--crop-w", "1500",
        "--no-keep-previous", env=env, columns=80,
    )  # fmt: skip
    code, _, terminal = run.finish()
    assert code == 0
    sending = [part for part in terminal.split(b"\r\x1b[K") if part.startswith(b"sending ")]
    assert sending, f"no sending status was shown: {terminal[-400:]!r}"
    for part in sending:
        assert len(part.decode()) < 80, f"{len(part.decode())} columns: {part!r}"


def test_slacks_warning_does_not_share_the_status_line(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    """Slack's envelope 'warning' is logged at WARNING; with no handler set, Python's last
    resort writes it to stderr right after 'sending ...', on the same line, unprefixed."""
    inject(
        slack_emulator,
        Fault.json({"ok": True, "warning": "superfluous_charset"}),
    )
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    code, _, terminal = _OnTerminal("set", str(image), "--no-keep-previous", env=env).finish()
    assert code == 0
    assert b"superfluous_charset" in terminal
    _lines_start_clean(terminal, b"ocp-users-photo: warning: Slack warns")


def test_slacks_warning_is_an_ocp_users_photo_warning_line(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    """Every other warning of the command reads 'ocp-users-photo: warning: ...'."""
    inject(slack_emulator, Fault.json({"ok": True, "warning": "superfluous_charset"}))
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    process = subprocess.run(
        [sys.executable, "-m", "ocp_users_photo.cli", "set", str(image), "--no-keep-previous"],
        capture_output=True,
        text=True,
        env=environment_without_slack(env),
        timeout=60,
        check=False,
    )
    assert process.returncode == 0
    (line,) = [line for line in process.stderr.splitlines() if "superfluous_charset" in line]
    assert line.startswith("ocp-users-photo: warning: "), line


def test_a_dumb_terminal_gets_no_escape_sequences(image: Path) -> None:
    """TERM=dumb (Emacs shell buffers, some CI consoles) shows '\\x1b[K' as garbage."""
    run = _OnTerminal("set", str(image), "--dry-run", env={}, term="dumb")
    code, _, terminal = run.finish()
    assert code == 0
    assert b"\x1b" not in terminal, terminal


@pytest.mark.parametrize("closed", ["<&-", ">&-"])
def test_mcp_with_a_closed_standard_stream_is_one_line_not_a_traceback(
    closed: str, tmp_path: Path
) -> None:
    """cli.py: 'A failure is one line on stderr, never a traceback'."""
    process = subprocess.run(
        [
            "sh",
            "-c",
            f'exec "$0" -m ocp_users_photo.cli mcp --image-root . {closed}',
            sys.executable,
        ],
        capture_output=True,
        text=True,
        env=environment_without_slack(
            {"SLACK_USER_TOKEN": CANARY_TOKEN, "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "h.db")}
        ),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in process.stderr, process.stderr[-600:]


def test_a_rate_limited_call_tells_a_person_seconds_not_a_field_name(
    slack_emulator: RunningEmulator,
) -> None:
    """The terminal reads 'wait retry_after seconds, then try again' (a model's hint)."""
    inject(slack_emulator, Fault.rate_limited(120), method="auth.test")
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    process = subprocess.run(
        [sys.executable, "-m", "ocp_users_photo.cli", "whoami", "--max-retries", "0"],
        capture_output=True,
        text=True,
        env=environment_without_slack(env),
        timeout=60,
        check=False,
    )
    assert process.returncode == 4
    assert "retry_after" not in process.stderr, process.stderr


def test_the_status_says_sending_only_once_the_upload_goes(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path
) -> None:
    """The line said "sending" while the keeper still read the photo shown: interrupted
    then, the next line said the upload had not begun, and the two disagreed."""
    inject(slack_emulator, Fault.delay(20), method="users.profile.get")
    env = _terminal_env(slack_emulator, tmp_path)
    run = _OnTerminal("set", str(image), env=env)
    deadline = time.monotonic() + 30
    while (
        not slack_emulator.requests.for_path("/api/users.profile.get")
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    time.sleep(0.2)  # the status line is written before the read is sent
    run.process.send_signal(signal.SIGINT)
    code, _, terminal = run.finish()
    assert code == 130
    assert b"reading the photo Slack shows now, to keep it" in terminal, terminal[-400:]
    assert b"sending " not in terminal, terminal[-400:]
    assert b"interrupted before the upload began" in terminal
    assert photo_requests(slack_emulator) == []


def _terminal_env(emulator: RunningEmulator, folder: Path) -> dict[str, str]:
    """The environment of a `set` run on the emulator, its history in ``folder``."""
    return {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(folder / "h.sqlite3"),
    }
