"""Ctrl-C (or SIGTERM) at ``history --forget``'s question says nothing was forgotten, as
"no" does."""

from __future__ import annotations

import io
import os
import pty
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, EmulatorThread
from ocp_users_photo.history_command import _confirmed
from tests.cli_fixtures import image_fixture  # noqa: F401 (fixtures)
from tests.conftest import CANARY_TOKEN
from tests.programs import emulator_cli_environment
from tests.undo_fixtures import rows


class _Interrupted:
    """A terminal whose person pressed Ctrl-C at the question."""

    def readline(self) -> str:
        raise KeyboardInterrupt


def test_an_interrupt_at_the_question_says_nothing_was_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", _Interrupted())
    err = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        _confirmed("Forget 3 kept photos of U1?", err)
    assert err.getvalue() == "Forget 3 kept photos of U1? [y/N] \nNothing was forgotten.\n"


def test_no_answer_is_no(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert not _confirmed("Forget?", io.StringIO())
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    assert _confirmed("Forget?", io.StringIO())


@pytest.mark.parametrize(
    ("typed", "encoding"), [(b"\xc3\xa9\n", "ascii"), (b"\xff\xfe\n", "utf-8")]
)
def test_an_answer_the_terminals_encoding_cannot_read_is_no(
    monkeypatch: pytest.MonkeyPatch, typed: bytes, encoding: str
) -> None:
    """A key the terminal's encoding does not read ended the program with Python's codec
    error, exit 2, and no word of what was forgotten (a review)."""
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(typed), encoding=encoding))
    err = io.StringIO()
    assert not _confirmed("Forget 3 kept photos of U1?", err)
    assert err.getvalue() == "Forget 3 kept photos of U1? [y/N] "


def test_sigterm_at_the_question_says_nothing_was_forgotten_and_exits_130(
    tmp_path: Path, image: Path
) -> None:
    """SIGTERM (``kill``, ``timeout``) at the terminal's question is taken as Ctrl-C, as a
    command's event loop takes it: it ended the process silently by the signal (143), the
    question left unanswered on screen, the exit code none of the table's."""
    history = tmp_path / "history.sqlite3"
    with EmulatorThread(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        env = emulator_cli_environment(emulator.base_url, tmp_path, CANARY_TOKEN)
        program = [sys.executable, "-m", "ocp_users_photo"]
        subprocess.run(
            [*program, "set", str(image), "--history", str(history)],
            env=env,
            capture_output=True,
            timeout=60,
            check=True,
        )
        kept = rows(history, "SELECT COUNT(*) FROM entries")
        terminal, slave = pty.openpty()  # the person's terminal, stdin: the question is asked
        try:
            process = subprocess.Popen(
                [*program, "history", "--forget", "--history", str(history)],
                stdin=slave,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
            os.close(slave)
            assert process.stderr is not None
            said = b""
            while not said.endswith(b"[y/N] "):
                chunk = os.read(process.stderr.fileno(), 4096)
                assert chunk, said
                said += chunk
            process.send_signal(signal.SIGTERM)
            out, rest = process.communicate(timeout=60)
        finally:
            os.close(terminal)
    said += rest
    assert process.returncode == 130, said
    assert said.endswith(b"[y/N] \nNothing was forgotten.\nocp-users-photo: interrupted\n")
    assert out == b""
    assert CANARY_TOKEN.encode() not in said
    assert rows(history, "SELECT COUNT(*) FROM entries") == kept == [(1,)]
