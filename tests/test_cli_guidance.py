"""The command line says what it did and what to do next, in the terms of the door it speaks at."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path

import pytest
import trustme
from PIL import Image

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.set_command import crop_arguments_as_flags
from ocp_users_photo.settings import Door, door_token_source, missing_token_advice
from tests import loopback
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests
from tests.test_cli import cli, dry_run_preview, slack_env


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "me.jpg"
    path.write_bytes(make_image((800, 600), "JPEG"))
    return path


def test_a_dry_run_needs_no_token_and_says_how_to_set_one(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path
) -> None:
    preview = tmp_path / "square.png"
    done = dry_run_preview(image, preview, env={"SLACK_API_URL": slack_emulator.base_url})
    assert done.stdout.splitlines() == [
        f"Checked: would send JPEG 800x600, {image.stat().st_size / 1024:.1f} KiB to "
        f"{slack_emulator.base_url}/users.setPhoto",
        "Not square: Slack shows all of it, with bars above and below. --crop-x 100 --crop-y 0 "
        "--crop-w 600 cuts the middle square.",
        f"Preview: {preview} (800x800 PNG, the square Slack would show)",
        "Nothing was sent: run the same command without --dry-run to set the photo.",
        "No token is set, which sending needs: set SLACK_USER_TOKEN (or SLACK_TOKEN, or name "
        "your own variable with --token-env NAME) to a user token (xoxp-...) with scope "
        "users.profile:write; 'ocp-users-photo whoami' checks it.",
    ]
    with Image.open(preview) as square:
        assert square.size == (800, 800)
    assert slack_emulator.requests.all() == []


def test_a_dry_run_with_a_bot_token_still_refuses_it(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    done = cli(
        "set",
        str(image),
        "--dry-run",
        env={"SLACK_API_URL": slack_emulator.base_url, "SLACK_USER_TOKEN": "xoxb-1-2-bot"},
    )
    assert done.returncode == 2
    assert "bot token (xoxb-)" in done.stderr


def test_setting_with_a_preview_says_where_the_preview_went(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path
) -> None:
    preview = tmp_path / "square.png"
    done = cli(
        "set",
        str(image),
        "--crop-x",
        "100",
        "--crop-y",
        "0",
        "--crop-w",
        "600",
        "--preview",
        str(preview),
        env=slack_env(slack_emulator),
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Preview: {preview} (600x600 PNG, the square Slack would show)"
    assert lines[1].startswith("Photo set (JPEG 800x600, ")
    assert len(photo_requests(slack_emulator)) == 1


def test_without_a_token_the_cli_names_the_variables_not_a_python_argument(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    for command in (["set", str(image)], ["whoami"]):
        done = cli(*command, env={"SLACK_API_URL": slack_emulator.base_url})
        assert done.returncode == 2
        assert "set SLACK_USER_TOKEN (or SLACK_TOKEN, or name your own" in done.stderr
        assert "token=" not in done.stderr


def test_a_request_that_reached_slack_but_got_no_answer_in_time_says_it_may_be_set(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    inject(slack_emulator, Fault.delay(1.5))
    done = cli(
        "set",
        str(image),
        "--timeout",
        "0.5",
        "--max-retries",
        "0",
        env=slack_env(slack_emulator),
    )
    assert done.returncode == 5
    first, advice = done.stderr.strip().splitlines()
    assert "The request reached Slack" in first
    assert advice.startswith("ocp-users-photo: next: the request reached Slack but no usable")
    assert "the photo may be set already" in advice
    assert len(photo_requests(slack_emulator)) == 1


def test_a_request_that_never_reached_slack_says_nothing_changed(image: Path) -> None:
    done = cli(
        "set",
        str(image),
        "--max-retries",
        "0",
        env={"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": "http://127.0.0.1:9/api"},
    )
    assert done.returncode == 5
    first, advice = done.stderr.strip().splitlines()
    assert "could not reach Slack" in first
    # A loopback address where nothing listens: no network is involved, and the server
    # meant there (the emulator, most often) is what to start (test_newcomer_first_hour.py).
    assert advice == (
        "ocp-users-photo: next: nothing reached Slack, so nothing changed: check that a server "
        "listens at 127.0.0.1:9 on this machine (the local Slack emulator: 'ocp-users-photo "
        "emulator' in another shell) and the Slack address (base_url, SLACK_API_URL or "
        "--base-url), then run the same command again"
    )


def test_a_proxy_that_cannot_be_reached_is_what_the_next_step_checks(image: Path) -> None:
    # The first line named the proxy and HTTPS_PROXY; the next: line then said "check the
    # network and SLACK_API_URL (or --base-url)", neither of which was wrong.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    done = cli(
        "set",
        str(image),
        "--max-retries",
        "0",
        "--no-keep-previous",
        env={
            "SLACK_USER_TOKEN": CANARY_TOKEN,
            "SLACK_API_URL": "https://slack.invalid/api",
            "HTTPS_PROXY": f"http://127.0.0.1:{port}",
        },
    )
    assert done.returncode == 5, done.stderr
    first, advice = done.stderr.strip().splitlines()
    assert f"the connection through the proxy 127.0.0.1:{port} failed" in first
    assert advice == (
        "ocp-users-photo: next: nothing reached Slack, so nothing changed: check the proxy "
        "(HTTPS_PROXY or ALL_PROXY, NO_PROXY) and the Slack address (base_url, SLACK_API_URL "
        "or --base-url), then run the same command again"
    )


async def test_a_certificate_that_does_not_verify_is_what_the_next_step_checks(
    image: Path,
) -> None:
    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_tls)
    async with loopback.serve(server_tls) as slack:
        done = await asyncio.to_thread(
            cli,
            "set",
            str(image),
            "--no-keep-previous",
            env={"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack.base_url()},
        )
    assert done.returncode == 5, done.stderr
    first, advice = done.stderr.strip().splitlines()
    assert "could not be verified" in first
    assert "check the network" not in advice, advice
    assert advice.startswith(
        "ocp-users-photo: next: nothing reached Slack, so nothing changed: check SSL_CERT_FILE "
        "(or SSL_CERT_DIR) and the Slack address"
    ), advice
    assert slack.requests == []


def test_each_door_has_its_own_advice_when_no_token_is_set() -> None:
    async def refusal(door: Door) -> str:
        tool = UsersSetPhoto(door_token_source(door, {}), environ={})
        try:
            await tool.call({"image": make_image()})
        except InvalidArguments as refused:
            (problem,) = refused.problems
            return problem.message
        finally:
            await tool.aclose()
        raise AssertionError("a call without a token was not refused")

    doors: tuple[Door, ...] = ("python", "cli", "model")
    python, cli_door, model = (asyncio.run(refusal(door)) for door in doors)
    assert "give token= to UsersSetPhoto" in python
    assert python == missing_token_advice("python")
    assert "--token-env NAME" in cli_door
    assert "token=" not in cli_door
    assert "a model cannot give one" in model
    assert "env block of the host's configuration" in model
    assert "token=" not in model
    assert "--token-env" not in model


def test_the_python_door_is_the_default() -> None:
    async def refusal() -> str:
        async with UsersSetPhoto(environ={}) as tool:
            try:
                await tool.call({"image": make_image()})
            except InvalidArguments as refused:
                return refused.problems[0].message
        raise AssertionError("a call without a token was not refused")

    assert asyncio.run(refusal()) == missing_token_advice("python")


def test_token_env_names_a_variable_that_must_be_set() -> None:
    with pytest.raises(ValueError, match="--token-env MY_TOKEN: that environment variable"):
        door_token_source("cli", {}, variable="MY_TOKEN")


@pytest.mark.parametrize("command", ["whoami", "history", "undo"])
def test_every_slack_calling_command_takes_max_retries(
    slack_emulator: RunningEmulator, command: str, tmp_path: Path
) -> None:
    # A 503 on auth.test, which every one of them calls first: retried as often as told.
    inject(slack_emulator, Fault.status(503), Fault.status(503), method="auth.test")
    history = ["--history", str(tmp_path / "h.sqlite3")] if command != "whoami" else []
    once = cli(command, "--max-retries", "0", *history, env=slack_env(slack_emulator))
    assert once.returncode == 5, once.stderr
    retried = cli(command, "--max-retries", "1", *history, env=slack_env(slack_emulator))
    assert retried.returncode in (0, 2), retried.stderr  # 2: nothing kept to undo
    # Not in what was said, the history's path left out (pytest's folder may be pytest-503).
    assert "503" not in retried.stderr.replace(str(tmp_path), "")
    calls = slack_emulator.requests.for_path("/api/auth.test")
    assert len(calls) == 3  # one, then one and its retry


@pytest.mark.parametrize("command", ["set", "whoami", "history", "undo"])
def test_every_slack_calling_command_groups_its_slack_options(command: str) -> None:
    done = cli(command, "--help", env={})
    assert done.returncode == 0
    slack_group = done.stdout.split("\nSlack:\n", 1)[1]
    for option in ("--base-url URL", "--token-env NAME", "--timeout SECONDS", "--max-retries N"):
        assert option in slack_group


def test_only_the_undos_warnings_are_counted_as_the_undos() -> None:
    # undo says "(see the warning)" when the replaced photo was not kept: Slack's own
    # warning field, shown the same way, is not that warning.
    import io
    import logging

    from ocp_users_photo.cli_options import undo_warnings_to

    err = io.StringIO()
    with undo_warnings_to(err) as warnings:
        logging.getLogger("ocp_users_photo").warning("Slack warns about users.setPhoto: x")
        assert warnings.count == 0
        logging.getLogger("ocp_users_photo.undo.keeper").warning("the photo was not kept")
        assert warnings.count == 1
    assert err.getvalue().splitlines() == [
        "ocp-users-photo: warning: Slack warns about users.setPhoto: x",
        "ocp-users-photo: warning: the photo was not kept",
    ]


def test_a_warning_shown_at_the_terminal_is_one_line_with_no_token() -> None:
    import io
    import logging

    from ocp_users_photo.cli_options import undo_warnings_to

    err = io.StringIO()
    with undo_warnings_to(err):
        logging.getLogger("ocp_users_photo").warning(
            "Slack warns: %s\x1b[2J\nnext line", CANARY_TOKEN
        )
    (line,) = err.getvalue().splitlines()
    assert CANARY_TOKEN not in line
    assert "\x1b" not in line


@pytest.mark.parametrize(
    ("said", "at_the_terminal"),
    [
        ("give crop_x with crop_y", "give --crop-x with --crop-y"),
        ("$.crop_w: crop_w must be at least 1", "$.crop_w: --crop-w must be at least 1"),
        ("at /p/my_crop_w.png; crop_xy stays", "at /p/my_crop_w.png; crop_xy stays"),
        ("self.crop_x and $.crop_y", "self.crop_x and $.crop_y"),
    ],
)
def test_the_crop_arguments_are_said_as_flags_at_the_terminal(
    said: str, at_the_terminal: str
) -> None:
    # Only the words crop_x/crop_y/crop_w; set_command applies it to the crop box's own
    # problems, never to a path's (test_review_of_the_fixes keeps crop_w.png as it is).
    assert crop_arguments_as_flags(said) == at_the_terminal
