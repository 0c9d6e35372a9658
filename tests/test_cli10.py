"""The command line as a person at a terminal meets it: a first hour's mistakes and a
hostile server. Each test runs the program as a subprocess against a server on
127.0.0.1 that the test starts (the shipped emulator, its faults scripting the answers).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.cli_fixtures import image_fixture, slack_emulator_config_fixture  # noqa: F401 (fixtures)
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests
from tests.programs import environment_without_slack, run_cli
from tests.test_terminal_and_log_echoes import env_for


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault.huge_body(2 * 1024 * 1024), id="declared-length-over-the-cap"),
        pytest.param(
            Fault.status(
                200, body=b"\x1f\x8b" + b"\x00" * 64, headers={"content-encoding": "gzip"}
            ),
            id="unreadable-encoding",
        ),
    ],
)
def test_an_unreadable_answer_to_the_upload_says_the_photo_may_be_set(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path, fault: Fault
) -> None:
    """The upload went out and a server answered it with a reply too large (or in a coding)
    to read: Slack may have set the photo. The README promises 'what to do next where the
    line leaves it open (whether a request that got no answer reached Slack, and so may
    have set the photo)'; 'try again in a few minutes' alone would have a person send it
    twice (and an undo run twice goes back)."""
    inject(slack_emulator, fault)
    done = run_cli(
        "set",
        str(image),
        "--no-keep-previous",
        "--max-retries",
        "0",
        env=env_for(slack_emulator, tmp_path),
    )
    assert photo_requests(slack_emulator), "the upload never reached the emulator"
    assert done.returncode == 5, done.stderr
    assert "may be set" in done.stderr or "may have taken effect" in done.stderr, done.stderr


@pytest.mark.parametrize("preview_name", ["me.png", "./me.png", "alias.png"])
def test_a_preview_named_as_the_image_is_refused_and_the_photo_is_left_whole(
    image: Path, tmp_path: Path, preview_name: str
) -> None:
    """``--dry-run --preview`` is the way to look before anything is sent; given the
    image's own name (or a link to it), it wrote the square over the person's photo: an
    800x600 photo, or a cropped one, lost for good by a dry run. Refused, exit 2."""
    image.write_bytes(make_image((800, 600)))
    (tmp_path / "alias.png").symlink_to(image)
    before = image.read_bytes()
    done = run_cli(
        "set",
        "me.png",
        "--dry-run",
        "--preview",
        preview_name,
        "--crop-x",
        "0",
        "--crop-y",
        "0",
        "--crop-w",
        "600",
        cwd=tmp_path,
    )
    assert image.read_bytes() == before, "the photo was overwritten by its preview"
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--preview" in done.stderr, done.stderr
    assert "Nothing was sent" not in done.stdout


@pytest.mark.parametrize("command", ["set", "whoami"])
def test_an_expired_token_says_where_the_new_one_goes(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path, command: str
) -> None:
    """A rotating token (xoxe.xoxp-) expires after 12 hours and the command line cannot
    refresh it: 'install the app again' left open where the new token goes, which the
    other refused tokens (invalid_auth, token_revoked) are told: the variable it came from."""
    slack_emulator.state.add_token(CANARY_TOKEN)
    slack_emulator.state.expire(CANARY_TOKEN)
    env = {**env_for(slack_emulator, tmp_path), "MY_SLACK": CANARY_TOKEN}
    del env["SLACK_USER_TOKEN"]
    arguments = [str(image), "--no-keep-previous"] if command == "set" else []
    done = run_cli(command, *arguments, "--token-env", "MY_SLACK", env=env)
    assert done.returncode == 3, done.stderr
    assert "token_expired" in done.stderr, done.stderr
    assert "MY_SLACK" in done.stderr, done.stderr
    assert CANARY_TOKEN not in done.stderr + done.stdout


@pytest.mark.parametrize("command", ["set", "undo"])
def test_an_interrupt_before_the_upload_says_the_photo_is_unchanged(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path, command: str
) -> None:
    """Ctrl-C while the command still reads (auth.test held by the server): once the upload
    began it says the photo may be set; before, 'interrupted' alone left open whether it
    was. Nothing reached users.setPhoto, so it says the photo was not changed."""
    env = env_for(slack_emulator, tmp_path)
    if command == "undo":  # something to undo: one change kept
        assert run_cli("set", str(image), env=env).returncode == 0
    inject(slack_emulator, Fault.delay(30), method="auth.test")
    changes_before = len(photo_requests(slack_emulator))
    reads_before = len(slack_emulator.requests.for_path("/api/auth.test"))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ocp_users_photo.cli",
            command,
            *([str(image)] * (command == "set")),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment_without_slack(env),
    )
    deadline = time.monotonic() + 30

    def reads() -> int:
        return len(slack_emulator.requests.for_path("/api/auth.test"))

    while reads() == reads_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reads() > reads_before, "auth.test never reached the emulator"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert len(photo_requests(slack_emulator)) == changes_before
    assert "not changed" in stderr, stderr


@pytest.mark.parametrize("history_name", ["me.png", "./me.png"])
def test_a_history_named_as_the_image_is_refused_before_anything_is_read(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path, history_name: str
) -> None:
    """``--history`` given the image's own name: the history's database was opened in the
    photo, which it then called a damaged history, advising the person to move it away.
    Refused at once as what it is, nothing sent, the photo untouched."""
    before = image.read_bytes()
    done = run_cli(
        "set",
        "me.png",
        "--history",
        history_name,
        env=env_for(slack_emulator, tmp_path),
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--history" in done.stderr, done.stderr
    assert "is the image itself" in done.stderr, done.stderr
    assert "damaged" not in done.stderr, done.stderr
    assert not photo_requests(slack_emulator)
    assert image.read_bytes() == before
