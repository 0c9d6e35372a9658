"""The command line and the DEBUG log against a hostile Slack (or anything between): a
piece of the token echoed cut short and without its prefix, whoami's scopes flooded, and
the advice after a failed read (which changes nothing)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from ocp_users_photo import UsersPhotoError, UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.cli_fixtures import image_fixture, slack_emulator_config_fixture  # noqa: F401 (fixtures)
from tests.conftest import CANARY_TOKEN, make_image, photo_requests
from tests.programs import run_cli
from tests.test_secrets import holds_part_of_the_token

# The token's random last segment, cut short: 24 of its 38 characters, no prefix. Neither an
# exact redaction form (the whole token, its body, its whole last segment) nor the token
# shape (xoxp-...) matches it.
CUT = CANARY_TOKEN.rsplit("-", 1)[1][:24]


def env_for(emulator: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    return {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "history.sqlite3"),
    }


def test_whoami_does_not_print_a_cut_short_part_of_the_token(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    slack_emulator.faults.inject(
        Fault.json(
            {"ok": True, "user": f"bob {CUT}", "user_id": "U1", "team": "t", "team_id": "T1"},
            headers={"x-oauth-scopes": f"users.profile:write,{CUT}"},
        ),
        path="auth.test",
    )
    done = run_cli("whoami", env=env_for(slack_emulator, tmp_path))
    assert done.returncode == 0, done.stderr
    assert not holds_part_of_the_token(done.stdout + done.stderr), done.stdout


@pytest.mark.parametrize("method", ["auth.test", "users.profile.get", "users.setPhoto"])
@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda: Fault.json({"ok": False, "error": f"x {CUT}"}), id="slack-error"),
        pytest.param(lambda: Fault.status(400, body=f"<html>{CUT}</html>"), id="not-json"),
    ],
)
def test_set_does_not_print_a_cut_short_part_of_the_token(
    slack_emulator: RunningEmulator, tmp_path: Path, image: Path, method: str, answer: object
) -> None:
    slack_emulator.faults.inject(answer(), path=method)  # type: ignore[operator]
    done = run_cli("set", str(image), env=env_for(slack_emulator, tmp_path))
    assert done.returncode != 0
    assert not holds_part_of_the_token(done.stdout + done.stderr), done.stderr


async def test_the_debug_log_holds_no_cut_short_part_of_the_token(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ocp_users_photo")
    # A header line the HTTP stack refuses, quoting it: the attempt's DEBUG record quotes that.
    bad = Fault.raw(f"HTTP/1.1 200 OK\r\n{CUT} no colon\r\n\r\n".encode())
    for _ in range(3):
        emulator.faults.inject(bad, path="/api/users.setPhoto")
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, retry_backoff=0.01, environ={}
    ) as tool:
        with pytest.raises(UsersPhotoError):
            await tool.call({"image": make_image((600, 600))})
    texts = [r.getMessage() for r in caplog.records if r.name.startswith("ocp_users_photo")]
    assert texts, "the attempts were logged"
    assert not any(holds_part_of_the_token(text) for text in texts), texts


def test_whoami_bounds_the_scopes_a_server_lists(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    # 75 made-up scopes of 99 characters: under the HTTP stacks' header limits.
    scopes = ",".join(["users.profile:write", *(["S" * 99] * 75)])
    for flag in ((), ("--json",)):
        slack_emulator.faults.inject(
            Fault.json(
                {"ok": True, "user": "bob", "user_id": "U1", "team": "t", "team_id": "T1"},
                headers={"x-oauth-scopes": scopes},
            ),
            path="auth.test",
        )
        done = run_cli("whoami", *flag, env=env_for(slack_emulator, tmp_path))
        assert done.returncode == 0, done.stderr
        if flag:
            assert len(json.dumps(json.loads(done.stdout)["scopes"])) < 2000
        else:
            assert max(len(line) for line in done.stdout.splitlines()) < 2000


def test_a_failed_read_before_the_change_does_not_say_the_photo_may_be_set(
    slack_emulator: RunningEmulator, tmp_path: Path, image: Path
) -> None:
    for _ in range(3):
        slack_emulator.faults.inject(Fault.drop(), path="users.profile.get")
    done = run_cli("set", str(image), env=env_for(slack_emulator, tmp_path))
    assert done.returncode == 5
    assert photo_requests(slack_emulator) == [], "users.setPhoto was never sent"
    assert "may be set already" not in done.stderr, done.stderr


def test_whoami_failing_does_not_say_the_photo_may_be_set(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    for _ in range(3):
        slack_emulator.faults.inject(Fault.drop(), path="auth.test")
    done = run_cli("whoami", env=env_for(slack_emulator, tmp_path))
    assert done.returncode == 5
    assert "photo may be set already" not in done.stderr, done.stderr
