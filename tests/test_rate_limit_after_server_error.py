"""A change's rate limit after an earlier attempt reached Slack (a 5xx): the line the
terminal shows says the photo may be set, as the error's own text does."""

from __future__ import annotations

from pathlib import Path

from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.cli_fixtures import image_fixture, slack_emulator_config_fixture  # noqa: F401 (fixtures)
from tests.conftest import inject, photo_requests
from tests.programs import run_cli
from tests.test_terminal_and_log_echoes import env_for


def test_a_rate_limit_after_a_server_error_says_at_the_terminal_the_photo_may_be_set(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path
) -> None:
    """A 503 to the upload (Slack may have set the photo), then a 429 asking for longer
    than the retries wait: the error's text says the change may have taken effect, and
    so must the line the terminal shows, not only "wait 60 s, then try again"."""
    inject(slack_emulator, Fault.status(503), Fault.rate_limited(60))
    done = run_cli(
        "set",
        str(image),
        "--no-keep-previous",
        "--max-retries",
        "1",
        env=env_for(slack_emulator, tmp_path),
    )
    assert len(photo_requests(slack_emulator)) == 2
    assert done.returncode == 4, done.stderr
    first_line = done.stderr.splitlines()[0]
    assert "may have taken effect" in first_line, done.stderr
