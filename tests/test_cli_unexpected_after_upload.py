"""An error of no expected kind once the upload had begun is not told as "nothing sent".

The command line answers a ValueError or an OSError with its text and exit 2, which
means nothing was sent: true of a bad argument or an unreadable file, untrue of a bug met
after Slack had the photo (a reply header that broke the redaction did this).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo.cli import main
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.errors import Problem, TokenNotUsable
from ocp_users_photo.exit_codes import ExitCode
from ocp_users_photo.slack import client as slack_client
from ocp_users_photo.slack.replies import decode_reply
from tests.conftest import CANARY_TOKEN, make_image, photo_requests


@pytest.fixture
def image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A photo to set, and the token the command line reads."""
    monkeypatch.setenv("SLACK_USER_TOKEN", CANARY_TOKEN)
    path = tmp_path / "me.png"
    path.write_bytes(make_image((600, 600)))
    return path


def breaking(broken: str, error: Exception) -> Any:
    """decode_reply, raising ``error`` for the methods named in ``broken``."""
    decode = decode_reply

    def decode_or_break(reply: Any, *, method: str, redact: Any) -> Any:
        if method in broken.split():
            raise error
        return decode(reply, method=method, redact=redact)

    return decode_or_break


@pytest.mark.parametrize("error", [ValueError("a bug"), OSError(5, "I/O error")])
def test_after_the_upload_it_says_the_photo_may_be_set(
    slack_emulator: RunningEmulator,
    tmp_path: Path,
    image: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
) -> None:
    monkeypatch.setattr(slack_client, "decode_reply", breaking("users.setPhoto", error))
    code = main(["set", str(image), "--base-url", slack_emulator.base_url, "--no-keep-previous"])
    said = capsys.readouterr().err
    assert len(photo_requests(slack_emulator)) == 1
    assert code == ExitCode.INTERNAL, said
    assert "the upload had begun when an unexpected error came" in said
    assert "the photo may be set already" in said
    assert "nothing was sent" not in said


def test_after_the_upload_it_names_the_listing_of_the_history_given(
    slack_emulator: RunningEmulator,
    tmp_path: Path,
    image: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # With --history, a plain 'ocp-users-photo history' lists the default file instead, and
    # says nothing is kept there: the advice names the same file.
    monkeypatch.setattr(slack_client, "decode_reply", breaking("users.setPhoto", ValueError("x")))
    history = tmp_path / "mine.sqlite3"
    code = main(
        ["set", str(image), "--base-url", slack_emulator.base_url, "--history", str(history)]
    )
    said = capsys.readouterr().err
    assert code == ExitCode.INTERNAL, said
    assert f"(or 'ocp-users-photo history --history {history}')" in said, said


def test_before_the_upload_it_still_says_what_the_error_says(
    slack_emulator: RunningEmulator,
    tmp_path: Path,
    image: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(slack_client, "decode_reply", breaking("auth.test", ValueError("a bug")))
    code = main(["set", str(image), "--base-url", slack_emulator.base_url])
    said = capsys.readouterr().err
    assert photo_requests(slack_emulator) == []
    assert code == ExitCode.INVALID, said
    assert "a bug" in said
    assert "upload had begun" not in said


def test_an_undo_after_its_upload_says_the_photo_may_be_put_back(
    slack_emulator: RunningEmulator,
    tmp_path: Path,
    image: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    common = ["--base-url", slack_emulator.base_url, "--history", str(tmp_path / "h.sqlite3")]
    assert main(["set", str(image), *common]) == ExitCode.OK
    broken = breaking("users.deletePhoto users.setPhoto", ValueError("a bug"))
    monkeypatch.setattr(slack_client, "decode_reply", broken)
    capsys.readouterr()
    code = main(["undo", *common])
    said = capsys.readouterr().err
    assert code == ExitCode.INTERNAL, said
    assert "the undo's upload had begun when an unexpected error came" in said
    assert "nothing was put back" not in said


@pytest.mark.parametrize("command", ["set", "undo"])
def test_the_tools_own_errors_that_are_value_errors_are_said_as_they_are(
    slack_emulator: RunningEmulator,
    tmp_path: Path,
    image: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    """TokenNotUsable is a ValueError (an InvalidArguments): met after the upload (an
    expired token not renewed), it is the tool's own answer, not an unexpected error."""
    common = ["--base-url", slack_emulator.base_url, "--history", str(tmp_path / "h.sqlite3")]
    if command == "undo":
        assert main(["set", str(image), *common]) == ExitCode.OK
    refusal = TokenNotUsable(
        [Problem("$.token", "the token expired")], refused="the expired token was not renewed"
    )
    broken = breaking("users.deletePhoto users.setPhoto", refusal)
    monkeypatch.setattr(slack_client, "decode_reply", broken)
    capsys.readouterr()
    words = [str(image)] if command == "set" else []
    code = main([command, *words, *common])
    said = capsys.readouterr().err
    assert code == ExitCode.INVALID, said
    assert "the expired token was not renewed" in said
    assert "unexpected error" not in said


def test_a_reader_gone_after_the_upload_is_said_as_the_command_line_says_it(
    slack_emulator: RunningEmulator,
    tmp_path: Path,
    image: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A BrokenPipeError is an OSError: it keeps the command line's own words (stdout was
    closed, what the command did stands), not the unexpected error's."""
    monkeypatch.setattr(slack_client, "decode_reply", breaking("users.setPhoto", BrokenPipeError()))
    code = main(["set", str(image), "--base-url", slack_emulator.base_url, "--no-keep-previous"])
    said = capsys.readouterr().err
    assert code == ExitCode.INTERNAL, said
    assert "what the command did stands" in said
    assert "unexpected error" not in said
