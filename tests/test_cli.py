"""The command line, run as a user runs it: a subprocess, the token in the environment."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
from pathlib import Path
from typing import Final

import pytest
from PIL import Image

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.exit_codes import MEANINGS, ExitCode
from tests.conftest import (
    CANARY_TOKEN,
    inject,
    make_image,
    photo_requests,
    pixel_at,
    shown_avatar_hash,
)
from tests.programs import run_cli

CANARY_SECRET = CANARY_TOKEN.split("-", 1)[1]


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    finished = run_cli(*args, env=env)
    assert CANARY_SECRET not in finished.stdout + finished.stderr
    assert "Traceback" not in finished.stderr
    return finished


# A Slack address nothing listens on: a dry run reaches no server.
OFFLINE_ENV: Final = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": "http://127.0.0.1:9/api"}


def dry_run_preview(
    image: Path, preview: Path, *words: str, env: dict[str, str] = OFFLINE_ENV
) -> subprocess.CompletedProcess[str]:
    """``set IMAGE --dry-run --preview PREVIEW WORDS``, which must succeed."""
    done = cli("set", str(image), "--dry-run", "--preview", str(preview), *words, env=env)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "me.png"
    path.write_bytes(make_image((800, 600)))
    return path


def slack_env(emulator: RunningEmulator) -> dict[str, str]:
    return {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": emulator.base_url}


def test_set_a_photo(slack_emulator: RunningEmulator, image: Path) -> None:
    done = cli(
        "set",
        str(image),
        "--crop-x",
        "100",
        "--crop-y",
        "0",
        "--crop-w",
        "600",
        env=slack_env(slack_emulator),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Photo set (PNG 800x600, ")
    assert "crop x=100 y=0 w=600" in done.stdout
    assert f"avatar_hash: {shown_avatar_hash(slack_emulator)}" in done.stdout
    (request,) = photo_requests(slack_emulator)
    assert request.header("authorization") == f"Bearer {CANARY_TOKEN}"
    assert dict(request.form) == {"crop_x": "100", "crop_y": "0", "crop_w": "600"}


def test_json_output_is_the_reply(slack_emulator: RunningEmulator, image: Path) -> None:
    done = cli("set", str(image), "--json", env=slack_env(slack_emulator))
    assert done.returncode == 0
    reply = json.loads(done.stdout)
    assert reply["ok"] is True
    assert reply["profile"]["avatar_hash"] == shown_avatar_hash(slack_emulator)


def test_token_env_names_another_variable(slack_emulator: RunningEmulator, image: Path) -> None:
    done = cli(
        "set",
        str(image),
        "--token-env",
        "MY_TOKEN",
        env={"MY_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url},
    )
    assert done.returncode == 0, done.stderr
    missing = cli(
        "set", str(image), "--token-env", "NOT_SET", env={"SLACK_API_URL": slack_emulator.base_url}
    )
    assert missing.returncode == 2
    assert "NOT_SET: that environment variable is not set" in missing.stderr
    # ... and what to do about it.
    assert "'read -rs NOT_SET && export NOT_SET'" in missing.stderr
    assert "leave --token-env out to read SLACK_USER_TOKEN" in missing.stderr
    assert photo_requests(slack_emulator)[0].header("authorization") == f"Bearer {CANARY_TOKEN}"
    assert len(photo_requests(slack_emulator)) == 1


def test_dry_run_checks_everything_and_sends_nothing(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path
) -> None:
    preview = tmp_path / "preview.png"
    words = ("--crop-x", "200", "--crop-y", "100", "--crop-w", "500")
    done = dry_run_preview(image, preview, *words, env=slack_env(slack_emulator))
    assert done.stdout.startswith("Checked: would send PNG 800x600")
    assert photo_requests(slack_emulator) == []
    with Image.open(preview) as square:
        assert square.size == (500, 500)
        # make_image paints the top-right quarter blue: the crop's top-right corner is in it.
        assert pixel_at(square, (490, 10))[:3] == (20, 40, 220)
        assert pixel_at(square, (10, 490))[:3] == (200, 40, 40)


def test_preview_letterboxes_without_a_crop_box(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path
) -> None:
    preview = tmp_path / "square.png"
    assert (
        cli(
            "set", str(image), "--dry-run", "--preview", str(preview), env=slack_env(slack_emulator)
        ).returncode
        == 0
    )
    with Image.open(preview) as square:
        assert square.size == (800, 800)
        assert pixel_at(square, (400, 20))[:3] == (255, 255, 255)
        assert pixel_at(square, (10, 400))[:3] == (200, 40, 40)


def test_dry_run_json(slack_emulator: RunningEmulator, image: Path) -> None:
    done = cli("set", str(image), "--dry-run", "--json", env=slack_env(slack_emulator))
    assert json.loads(done.stdout) == {
        "dry_run": True,
        "would_send": {"format": "PNG", "width": 800, "height": 600, "bytes": image.stat().st_size},
    }


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--crop-x", "5"], "--crop-y is missing"),
        (["--crop-x", "700", "--crop-y", "0", "--crop-w", "600"], "right edge"),
    ],
)
def test_invalid_arguments_exit_2_with_one_line(
    slack_emulator: RunningEmulator, image: Path, extra: list[str], says: str
) -> None:
    done = cli("set", str(image), *extra, env=slack_env(slack_emulator))
    assert done.returncode == 2
    assert says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert photo_requests(slack_emulator) == []


def test_a_missing_file(slack_emulator: RunningEmulator, tmp_path: Path) -> None:
    done = cli("set", str(tmp_path / "nope.png"), env=slack_env(slack_emulator))
    assert done.returncode == 2
    assert "no file at" in done.stderr


def test_a_token_that_cannot_be_used_is_named_as_the_hosts_not_an_argument(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    # The token is a setting (an environment variable), not one of the command's
    # arguments: the line says so first, then what is wrong with the arguments.
    done = cli("set", str(tmp_path / "nope.png"), env={"SLACK_API_URL": slack_emulator.base_url})
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(
        "ocp-users-photo: nothing was sent to Slack: the Slack token cannot be used: "
        "no Slack token: set SLACK_USER_TOKEN"
    )
    assert "; also 1 problem with the arguments: $.image: no file at" in line
    assert "$.token" not in line
    assert photo_requests(slack_emulator) == []


@pytest.mark.parametrize(
    ("answers", "code", "says"),
    [
        ([Fault.json({"ok": False, "error": "invalid_auth"})], 3, "invalid_auth"),
        (
            [
                Fault.json(
                    {"ok": False, "error": "ratelimited"},
                    status_code=429,
                    headers={"Retry-After": "300"},
                )
            ],
            4,
            "it rate-limited this app: wait 300 s, as Slack asks, then try again",
        ),
        ([Fault.status(503)] * 3, 5, "HTTP 503"),
        ([Fault.json({"ok": True, "profile": {}})], 6, "does not match"),
    ],
)
def test_each_kind_of_failure_has_its_exit_code(
    slack_emulator: RunningEmulator, image: Path, answers: list[Fault], code: int, says: str
) -> None:
    inject(slack_emulator, *answers)
    done = cli("set", str(image), "--max-retries", "2", env=slack_env(slack_emulator))
    assert done.returncode == code, done.stderr
    failure, *advice = done.stderr.strip().splitlines()
    assert says in failure
    # What to do next, in the terminal's terms, where the error's text, which every door
    # shares, leaves it open (test_cli_guidance.py): all but the rate limit's wait.
    assert len(advice) == (0 if code == 4 else 1)


def test_bad_configuration_exits_2(image: Path) -> None:
    done = cli(
        "set",
        str(image),
        "--base-url",
        "http://slack.example.com/api",
        env={"SLACK_USER_TOKEN": CANARY_TOKEN},
    )
    assert done.returncode == 2
    assert "unencrypted" in done.stderr


@pytest.mark.parametrize(
    "command",
    [[], ["set"], ["whoami"], ["history"], ["undo"], ["demo"], ["emulator"], ["mcp"], ["manifest"]],
)
def test_help_on_every_command(command: list[str]) -> None:
    done = cli(*command, "--help")
    assert done.returncode == 0
    assert done.stdout.startswith(" ".join(["usage: ocp-users-photo", *command]))


@pytest.mark.parametrize(
    ("command", "says"),
    [
        # Every family `manifest --format` exports is named in the summary.
        ([], ["OCP, OpenAI, Anthropic, Gemini or MCP"]),
        # What IMAGE may be, as the command takes it (converted formats, a data: URI).
        (
            ["set"],
            ["WEBP, BMP, TIFF and, where Pillow decodes it, AVIF are converted", "data: URI"],
        ),
        # Both tools it serves, and when the working directory is no root.
        (["mcp"], ["usersRestorePhoto", "unless that is /, the home folder or a folder"]),
    ],
)
def test_help_says_what_the_command_really_does(command: list[str], says: list[str]) -> None:
    listed = " ".join(cli(*command, "--help").stdout.split())  # argparse wraps lines
    for text in says:
        assert text in listed


def test_help_lists_every_exit_code() -> None:
    done = cli("--help")
    listed = " ".join(done.stdout.split())  # argparse wraps the epilog
    for code, (short, _) in MEANINGS.items():
        assert f"{int(code)} {short}" in listed


def test_exit_code_numbers_do_not_move() -> None:
    # The numbers are the interface scripts rely on: none may move.
    assert {code.name: int(code) for code in ExitCode} == {
        "OK": 0,
        "INTERNAL": 1,
        "INVALID": 2,
        "SLACK_ERROR": 3,
        "RATE_LIMITED": 4,
        "TRANSPORT": 5,
        "REPLY_SCHEMA": 6,
        "INTERRUPTED": 130,
    }


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_only(image: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from ocp_users_photo import set_command

    args = set_command_args(image)
    terminal, plain, out = _Terminal(), io.StringIO(), io.StringIO()
    monkeypatch.setenv("SLACK_USER_TOKEN", CANARY_TOKEN)
    assert asyncio.run(set_command._set_photo(args, out, terminal)) == 0
    assert asyncio.run(set_command._set_photo(args, out, plain)) == 0
    # A stream of unknown width is taken for 80 columns: the line is cut to fit them.
    shown_line = terminal.getvalue().split("\r\x1b[K")[1]
    assert shown_line.startswith("checking /")
    assert len(shown_line) <= 79
    assert str(image).startswith(shown_line.removeprefix("checking ").rstrip(".…"))
    assert terminal.getvalue().endswith("\r\x1b[K")
    assert plain.getvalue() == ""


def test_the_status_line_shows_a_hostile_file_name_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file name is anyone's text: one holding terminal escapes (clear the screen, set
    the window's title) reaches the live status line as visible escapes, never as the
    sequences themselves; the line's own erase-line codes are the only escapes written."""
    import asyncio

    from ocp_users_photo import set_command

    hostile = tmp_path / "me\x1b[2J\x1b]0;owned\x07.png"
    hostile.write_bytes(make_image((800, 600)))
    terminal, out = _Terminal(), io.StringIO()
    monkeypatch.setenv("SLACK_USER_TOKEN", CANARY_TOKEN)
    assert asyncio.run(set_command._set_photo(set_command_args(hostile), out, terminal)) == 0
    written = terminal.getvalue()
    assert "checking " in written
    assert written.replace("\r\x1b[K", "").count("\x1b") == 0, repr(written)
    assert "\x07" not in written


def set_command_args(image: Path) -> argparse.Namespace:
    from ocp_users_photo import set_command

    parser = argparse.ArgumentParser()
    set_command.configure_parser(parser)
    return parser.parse_args([str(image), "--dry-run"])


def test_a_base_url_without_api_says_to_check_it(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    """The emulator's root answers 404 to /users.setPhoto: the next step names the URL, not
    'try again in a few minutes'."""
    env = {**slack_env(slack_emulator), "SLACK_API_URL": slack_emulator.base_url[: -len("/api")]}
    done = cli("set", str(image), env=env)
    assert done.returncode == 5, done.stderr
    assert "HTTP 404" in done.stderr
    assert "next: nothing answers as Slack's Web API at that address" in done.stderr
    assert "it ends in /api" in done.stderr
    assert "try again in a few minutes" not in done.stderr


@pytest.mark.parametrize(
    ("preview", "says"),
    [
        ("missing-folder/square.png", "the folder 'missing-folder' does not exist: create it"),
        ("square.jpg", "the preview is a PNG file: give a name ending in .png (not .jpg)"),
        ("square", "the preview is a PNG file: give a name ending in .png (this one has no"),
    ],
)
def test_a_preview_it_could_not_write_is_refused_before_anything_is_read(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path, preview: str, says: str
) -> None:
    done = run_cli(
        "set", str(image), "--preview", preview, env=slack_env(slack_emulator), cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert f"argument --preview: {says}" in done.stderr
    assert "Errno" not in done.stderr
    assert photo_requests(slack_emulator) == []
    assert not (tmp_path / "square.jpg").exists()


@pytest.mark.parametrize("preview", ["photo.png/square.png", "photo.png/sub/square.png"])
def test_a_preview_inside_a_file_says_the_file_is_in_the_way(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path, preview: str
) -> None:
    """``--preview photo.png/square.png`` (a file where a folder was meant): it said the
    folder 'photo.png' did not exist and to create it, which no mkdir can, the file there;
    a folder further down ("photo.png/sub") was still said to be one to create."""
    (tmp_path / "photo.png").write_bytes(b"not a folder")
    done = run_cli(
        "set",
        str(image),
        "--preview",
        preview,
        env=slack_env(slack_emulator),
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert "argument --preview: 'photo.png' is a file, not a folder: give" in done.stderr
    assert "does not exist" not in done.stderr
    assert photo_requests(slack_emulator) == []


def test_dry_run_of_a_scaled_photo_reads_as_one_sentence(tmp_path: Path) -> None:
    """'Checked: would send PNG 1024x768, ...: scaled down from 1400x1050 to 1024x768 to
    https://slack.com/api/users.setPhoto' reads as if the photo were scaled to a URL."""
    large = tmp_path / "large.png"
    large.write_bytes(make_image((1400, 1050)))
    done = run_cli("set", str(large), "--dry-run")
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("Checked: would send PNG 1024x768"), first
    assert "to 1024x768 to " not in first, first
