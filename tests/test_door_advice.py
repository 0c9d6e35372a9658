"""Each error's advice names what the reader at that door can change.

A model (run(), the framework adapters) can change only its arguments: it is never told
to give token=, set an environment variable or pass a Python keyword. A person at the
terminal is told the command line's flags and variables, not UsersSetPhoto's keywords.
Each test here failed when written.
"""

from __future__ import annotations

import asyncio
import pickle
from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.errors import (
    TOKEN_PATH,
    InvalidArguments,
    Problem,
    TokenNotUsable,
)
from ocp_users_photo.hints import hint_for
from ocp_users_photo.model_result import error_result
from ocp_users_photo.settings import missing_token_advice
from tests.conftest import CANARY_TOKEN, inject, make_image
from tests.test_cli import cli


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def _model_tool(emulator: RunningEmulator, **options: object) -> UsersSetPhoto:
    return UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        retry_backoff=0.01,
        **options,  # type: ignore[arg-type]
    )


# --- the model door -------------------------------------------------------------------


async def test_run_without_a_token_gives_the_model_the_model_doors_advice() -> None:
    # settings.py: "a model can do neither, so its message names the host's configuration";
    # only the MCP command uses door "model": run() (and every framework adapter and agent
    # door built on it) tells the model "give token= to UsersSetPhoto".
    async with UsersSetPhoto(environ={}) as tool:
        result = await tool.run({"image": make_image((600, 600))})
    assert result["error"] == "token_not_usable"
    assert "token=" not in result["message"]
    assert result["problems"][0]["message"] == missing_token_advice("model")


async def test_the_missing_token_refusal_carries_each_doors_text_in_the_one_error() -> None:
    # The Python caller's exception keeps "give token="; a model door reads the same
    # error's model text (the problem's own), not a rewrite of the Python text.
    async with UsersSetPhoto(environ={}) as tool:
        with pytest.raises(TokenNotUsable) as raised:
            await tool.call({"image": make_image((600, 600))})
    error = raised.value
    assert missing_token_advice("python") in error.message
    assert error.model_message is not None
    assert missing_token_advice("model") in error.model_message
    assert "token=" not in error.model_message
    (problem,) = error.problems
    assert problem.as_dict()["message"] == missing_token_advice("python")
    assert problem.as_model_dict()["message"] == missing_token_advice("model")
    rebuilt = pickle.loads(pickle.dumps(error))
    assert rebuilt.model_message == error.model_message
    assert error_result(rebuilt)["message"] == error.model_message


def test_a_problem_with_a_model_text_is_said_so_among_others() -> None:
    # Argument problems beside the token's keep their place; only the token's text changes.
    problems = [
        Problem(TOKEN_PATH, "give token=", "ask whoever runs the tool"),
        Problem("$.crop_x", "must be a whole number"),
    ]
    plain = InvalidArguments(problems)
    assert plain.model_message == (
        "usersSetPhoto sent nothing to Slack, 2 problems with the arguments: "
        "$.token: ask whoever runs the tool; $.crop_x: must be a whole number"
    )
    refused = TokenNotUsable(problems)
    assert refused.message == (
        "usersSetPhoto sent nothing to Slack: the Slack token cannot be used: give token=; "
        "also 1 problem with the arguments: $.crop_x: must be a whole number"
    )
    assert refused.model_message == (
        "usersSetPhoto sent nothing to Slack: the Slack token cannot be used: ask whoever runs the "
        "tool; also 1 problem with the arguments: $.crop_x: must be a whole number"
    )
    assert InvalidArguments([problems[1]]).model_message is None


def test_langchain_tool_without_a_token_does_not_ask_the_model_for_token() -> None:
    from ocp_users_photo.frameworks.langchain import langchain_tools

    async def ask() -> object:
        async with UsersSetPhoto(environ={}) as tool:
            (set_photo, *_) = langchain_tools(tool)
            return await set_photo.ainvoke({"image": "me.png"})

    text = asyncio.run(ask())
    assert "give token=" not in str(text), text


@pytest.mark.parametrize("code", ["invalid_auth", "method_deprecated"])
async def test_slacks_refusal_tells_a_model_no_variable_or_keyword(
    emulator: RunningEmulator, code: str
) -> None:
    inject(emulator, Fault.slack_error(code))
    async with _model_tool(emulator, keep_previous=False) as tool:
        result = await tool.run({"image": make_image((600, 600))})
    assert result["error"] == code
    for knob in ("SLACK_USER_TOKEN", "base_url"):
        assert knob not in result["message"], f"a model is told {knob!r}: {result['message']}"


async def test_an_unwritable_history_tells_a_model_no_keyword_flag_or_variable(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    async with _model_tool(emulator, photo_history=blocker / "history.sqlite3") as tool:
        result = await tool.run({"image": make_image((600, 600))})
    assert result["error"] == "history_unavailable"
    for knob in ("photo_history=", "--history", "$OCP_USERS_PHOTO_HISTORY"):
        assert knob not in result["message"], f"a model is told {knob!r}: {result['message']}"


async def test_a_lost_answer_tells_a_model_what_it_can_do_as_a_bad_reply_does(
    emulator: RunningEmulator,
) -> None:
    # The same situation (the change may have been made) is told to a model as "do not call
    # again; tell the person to check" for a reply outside the schema (errors.py's
    # model_message), but "check before trying again" (which a model cannot) for a lost one.
    inject(emulator, Fault.drop(), Fault.drop(), Fault.drop())
    async with _model_tool(emulator, keep_previous=False) as tool:
        result = await tool.run({"image": make_image((600, 600))})
    assert result["error"] == "transport_error"
    assert "check before trying again" not in result["message"]
    assert "tell the person" in result["message"]


# --- advice no door can follow ----------------------------------------------------------


def test_no_permission_does_not_advise_another_users_token() -> None:
    # users.setPhoto sets the photo of the token's own user: another user's token would
    # change that other user's photo, not the one asked for.
    assert "another user's token" not in hint_for("no_permission")


# --- the command line --------------------------------------------------------------------


def _env(emulator: RunningEmulator) -> dict[str, str]:
    return {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": emulator.base_url}


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "me.png"
    path.write_bytes(make_image((600, 600)))
    return path


def test_cli_method_deprecated_names_the_command_lines_knob(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    inject(slack_emulator, Fault.slack_error("method_deprecated"))
    done = cli("set", str(image), "--no-keep-previous", env=_env(slack_emulator))
    assert done.returncode == 3
    assert "base_url" not in done.stderr, done.stderr
    assert "--base-url" in done.stderr or "SLACK_API_URL" in done.stderr


def test_cli_invalid_auth_names_the_variable_token_env_named(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    inject(slack_emulator, Fault.slack_error("invalid_auth"))
    env = {"MY_PHOTO_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    done = cli("set", str(image), "--no-keep-previous", "--token-env", "MY_PHOTO_TOKEN", env=env)
    assert done.returncode == 3
    assert "SLACK_USER_TOKEN" not in done.stderr, done.stderr
    assert "MY_PHOTO_TOKEN" in done.stderr


def test_cli_reply_outside_the_schema_gives_advice_the_command_line_can_follow(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    inject(slack_emulator, Fault.json({"ok": True, "profile": {"avatar_hash": 5}}))
    done = cli("set", str(image), "--no-keep-previous", env=_env(slack_emulator))
    assert done.returncode == 6
    # There is no --reply-check, and users.profile.get is no command of the CLI.
    assert "reply_check=" not in done.stderr, done.stderr


def test_cli_html_answer_to_set_does_not_say_just_try_again(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    # The first line says "check ... whether the call took effect before trying again" (a
    # 200 HTML answer came after the upload went out); the next: line says only "try
    # again in a few minutes", unlike the lost-answer case ("the photo may be set already").
    inject(slack_emulator, Fault.html_page(200))
    done = cli("set", str(image), "--no-keep-previous", env=_env(slack_emulator))
    assert done.returncode == 5
    next_line = next(line for line in done.stderr.splitlines() if "next:" in line)
    assert "may be set" in next_line, done.stderr


def test_cli_crop_problem_names_the_flags(slack_emulator: RunningEmulator, image: Path) -> None:
    done = cli("set", str(image), "--crop-x", "5", "--no-keep-previous", env=_env(slack_emulator))
    assert done.returncode == 2
    assert "--crop-y" in done.stderr, done.stderr
    assert "--crop-w" in done.stderr


async def test_slacks_own_invalid_arguments_is_told_as_slacks_not_the_tools(
    emulator: RunningEmulator,
) -> None:
    """The tool's refusal before sending has the same code: with no problem named, a model
    went on rewriting arguments the tool's checks had passed."""
    inject(emulator, Fault.slack_error("invalid_arguments"))
    async with _model_tool(emulator, keep_previous=False) as tool:
        result = await tool.run({"image": make_image((600, 600))})
    assert result["error"] == "invalid_arguments"
    assert result["problems"] == []
    assert (
        "after the tool's own checks passed them (rewriting them will not help)"
        in (result["message"])
    )
