"""Mutation testing of session 23's product changes (git diff c89bded..0ca4f27): each test
here kills a mutant the existing tests let live (seen failing with it, passing without).

As in tests/test_debug_secrets_setup.py, a call that fails with a secret is made inside a
helper referencing module constants only: a test's own frame is in the traceback, and a
local of it holding the secret would be rendered too.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto, register
from ocp_users_photo.credentials import ClientCredentials
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.exit_codes import ExitCode
from ocp_users_photo.installations import InstallationTokenSource
from ocp_users_photo.settings import DEFAULT_BASE_URL, Settings, door_token_source
from ocp_users_photo.slack.stacks import HTTP_STACK_VARIABLE
from ocp_users_photo.tokens import ActingPerson
from tests.conftest import CANARY_TOKEN, make_image
from tests.installation_helpers import CLIENT_ID, CLIENT_SECRET, sqlite_store
from tests.programs import run_cli
from tests.test_debug_secrets import CANARY_SECRET, rendered_with_locals
from tests.test_debug_secrets_setup import assert_no_secret_rendered

PROXY = "http://proxy.invalid:3128"
# The app's secret as a host may paste it, a line break after it: refused, and still the secret.
SECRET_WITH_A_LINE_BREAK = CLIENT_SECRET + "\n"
EMULATED_CLI_ENV = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": "http://127.0.0.1:9/api"}


# environment.py Environment.__contains__ ---------------------------------------------------
# Mutant: `return name in self._variables` -> `return self._variables.get(name) is not None`
# (a set but empty https_proxy no longer decided: the tool went through HTTPS_PROXY where
# urllib, curl and httpx go direct; test_company_network tests proxy_for with a dict only).


def test_an_empty_lower_case_proxy_variable_means_no_proxy_for_the_tools_settings() -> None:
    settings = Settings.from_environment({"HTTPS_PROXY": PROXY, "https_proxy": ""})
    assert settings.proxy is None
    assert Settings.from_environment({"HTTPS_PROXY": PROXY}).proxy == PROXY


# settings.py base_url_from -----------------------------------------------------------------
# Mutant: `elif given := environ.get(BASE_URL_VARIABLE):` -> `... is not None:` (an
# SLACK_API_URL set empty, as `SLACK_API_URL= cmd` or a blank line of a .env file gives,
# was refused instead of meaning Slack's own address).


def test_an_empty_slack_api_url_means_slacks_own_address() -> None:
    assert Settings.from_environment({"SLACK_API_URL": ""}).base_url == DEFAULT_BASE_URL


# settings.py door_token_source / Settings.from_environment: `del environ` ------------------
# Mutants: each `del environ` dropped. The package's own callers pass None or an
# Environment (nothing to show), so these guard the functions as called directly with a
# mapping, which their signatures take: the mapping, token included, was in the locals.


def _door_source_reading_an_unset_variable() -> Any:
    return door_token_source("cli", {"SLACK_USER_TOKEN": CANARY_TOKEN}, variable="MY_SLACK_TOKEN")


def _settings_with_a_bad_url() -> Any:
    return Settings.from_environment(
        {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": "ftp://slack.invalid/api"}
    )


def test_the_settings_functions_given_a_mapping_show_no_token_when_they_refuse() -> None:
    with pytest.raises(ValueError, match="--token-env MY_SLACK_TOKEN") as refused:
        _door_source_reading_an_unset_variable()
    assert_no_secret_rendered(refused.value)
    with pytest.raises(ValueError, match="SLACK_API_URL must be an http") as refused:
        _settings_with_a_bad_url()
    assert_no_secret_rendered(refused.value)


# tokens.py ids_refusal -----------------------------------------------------------------------
# Mutant: user_id's `required` True -> False (an ActingPerson with no user id was made: the
# host's person, whose ids key their token, lock and history, was nobody).


def test_an_acting_person_needs_a_user_id() -> None:
    with pytest.raises(ValueError, match="user_id must be a Slack id such as U0123ABCD"):
        ActingPerson(team_id="T0123ABCD", user_id=None)  # type: ignore[arg-type]


# credentials.py ClientCredentials ----------------------------------------------------------
# Mutant: the secret checked before it is held (`_credential_refusal("client_secret",
# client_secret)` raised at the top of __init__): a secret pasted with a line break is
# refused, and is still the secret, in the frame's locals an error reporter sends.
# Mutant: `_credential_refusal("client_secret", ...)` -> `("client_id", ...)` (an empty
# secret was reported as the client id).


def _credentials_with_a_line_break_after_the_secret() -> Any:
    return ClientCredentials(CLIENT_ID, SECRET_WITH_A_LINE_BREAK)


def test_a_refused_client_secret_is_in_no_frame_and_named_as_the_secret() -> None:
    with pytest.raises(ValueError, match=r"^client_secret holds characters") as refused:
        _credentials_with_a_line_break_after_the_secret()
    assert_no_secret_rendered(refused.value)
    with pytest.raises(ValueError, match=r"^client_secret must be the app's client_secret"):
        ClientCredentials(CLIENT_ID, "")


# tool.py UsersSetPhoto.__repr__ ----------------------------------------------------------
# Mutant: the half-built guard `"fit" not in vars(self)` -> `"token_source" not in vars(self)`
# (refused by _check_same_slack, after token_source and before fit, the tool's repr failed
# on reply_check, and the frame showed an AttributeError for the tool).


def _tool_at_another_slack(source: InstallationTokenSource) -> Any:
    return UsersSetPhoto(source, base_url="https://slack-gov.com/api", environ={})


async def test_a_tool_refused_for_its_sources_slack_renders_as_not_built(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path / "installations.db")
    async with InstallationTokenSource(
        store, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, environ={}
    ) as source:
        with pytest.raises(ValueError, match="renews tokens at") as refused:
            _tool_at_another_slack(source)
    rendered = rendered_with_locals(refused.value)
    assert "self = UsersSetPhoto(<not built>)" in rendered, rendered
    assert_no_secret_rendered(refused.value)


# agents/register.py call_tool: the headers given as call_tool's fourth argument -------------
# Mutant: `kwargs.get("headers", args[0] if args else None)` -> `kwargs.get("headers")` (an
# agent called as call_tool(name, parameters, api_name, headers) lost its Authorization).


async def test_a_header_given_positionally_to_call_tool_is_the_calls_token(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.standin_agent import AsyncStandInAgent

    monkeypatch.chdir(tmp_path)
    (tmp_path / "me.png").write_bytes(make_image((640, 640)))
    agent: Any = AsyncStandInAgent()
    register(agent, base_url=emulator.base_url, environ={}, keep_previous=False)
    reply = await agent.call_tool(
        "usersSetPhoto", {"image": "me.png"}, None, {"Authorization": f"Bearer {CANARY_TOKEN}"}
    )
    assert reply["ok"] is True, reply
    assert emulator.requests.last().header("authorization") == f"Bearer {CANARY_TOKEN}"


# agents/route.py base_url_refusal ----------------------------------------------------------
# Mutant: `if base_url is None or base_url == "":` -> `if base_url is None:` (an empty
# base_url, which says nothing, was refused as another Slack's address).


def test_register_api_slack_with_an_empty_base_url_is_taken() -> None:
    from tests.standin_agent import StandInAgent

    agent: Any = StandInAgent()
    register(agent, environ={}, keep_previous=False)
    agent.register_api("slack", base_url="")
    assert agent.get_tool("usersSetPhoto") is not None


# slack/stacks.py stack_proxy_refusal / slack/proxies.py _proxy_url_refusal -----------------
# Mutant: `proxy.strip().lower().startswith(("http://", "https://"))` -> without `.lower()`
# (HTTP://proxy, an http proxy, was refused for aiohttp as a SOCKS one).
# Mutant: httpx.Proxy's refusal -> `return None` (a proxy URL httpx cannot use, such as one
# over its length limit, was taken, and every call then failed inside httpx).
# Mutant: check_proxy_url's `raw.strip()` -> `raw` (a proxy URL with a line break after it,
# as a .env file or `export HTTPS_PROXY="$(cat proxy.txt)"` leaves, was refused).


def test_an_upper_case_http_proxy_goes_with_aiohttp() -> None:
    tool = UsersSetPhoto(
        environ={HTTP_STACK_VARIABLE: "aiohttp", "HTTPS_PROXY": "HTTP://proxy.invalid:3128"},
        keep_previous=False,
    )
    assert repr(tool).startswith("UsersSetPhoto(base_url='https://slack.com/api'")


def test_a_proxy_url_with_spaces_around_it_is_taken_without_them() -> None:
    assert Settings.from_environment({"HTTPS_PROXY": f" {PROXY}\n"}).proxy == PROXY


def test_a_proxy_url_httpx_cannot_use_is_refused_with_the_settings() -> None:
    too_long = PROXY + "/" + "p" * 70_000  # httpx: "URL too long"
    with pytest.raises(ValueError, match=r"^HTTPS_PROXY is not a valid URL"):
        Settings.from_environment({"HTTPS_PROXY": too_long})


# cli.py _refuse_a_pasted_token / safe_text.py is_token ---------------------------------------
# Mutant: `not os.path.lexists(word)` -> `not os.path.exists(word)` (a dangling link named
# like a token, a file's name as any other, was taken for a pasted token).
# Mutant: is_token without `.strip("'\"")` (a token pasted with its quotes, as copied from a
# config file, was not recognised: "no file at '[redacted]'").
# Mutant: is_token without `.strip()` (a token pasted with a space in its quotes, "xoxp-... ",
# was not recognised).
# Mutant: _WHOLE_TOKEN without re.IGNORECASE (XOXP-..., masked as a token everywhere, was not
# refused as one: "no file at '[redacted]'").


def test_a_dangling_link_named_like_a_token_is_a_file_name(tmp_path: Path) -> None:
    (tmp_path / "xoxb-2024-11-30").symlink_to(tmp_path / "moved-away.png")
    done = run_cli("set", "xoxb-2024-11-30", "--dry-run", env={}, cwd=tmp_path)
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert "a Slack token was given" not in done.stderr, done.stderr
    assert "no file at" in done.stderr, done.stderr


@pytest.mark.parametrize(
    "pasted",
    [f"'{CANARY_TOKEN}'", f'"{CANARY_TOKEN}"', f" {CANARY_TOKEN} ", CANARY_TOKEN.upper()],
    ids=["single-quoted", "double-quoted", "spaces-around", "upper-case"],
)
def test_a_token_pasted_quoted_or_in_capitals_says_how_to_give_it(
    tmp_path: Path, pasted: str
) -> None:
    done = run_cli("set", pasted, env=EMULATED_CLI_ENV, cwd=tmp_path)
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert "a Slack token was given as an argument" in done.stderr, done.stderr
    assert CANARY_SECRET not in (done.stderr + done.stdout).lower()


# mcp_command.py run: the log handler reads the process's environment ------------------------
# Mutant: `_stderr_log_handler(Environment())` -> `_stderr_log_handler(Environment({}))` (the
# server's stderr log no longer knew the token: a library's record quoting it went out whole).


def test_the_mcp_servers_log_removes_the_token_of_its_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from ocp_users_photo import mcp_command

    async def serve_logging_the_token(tool: UsersSetPhoto) -> None:
        logging.getLogger("some.library").error("sent %s", os.environ["SLACK_USER_TOKEN"])

    monkeypatch.setenv("SLACK_USER_TOKEN", CANARY_TOKEN)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(mcp_command, "_serve_until_interrupted", serve_logging_the_token)
    parser = argparse.ArgumentParser()
    mcp_command.configure_parser(parser)
    args = parser.parse_args(["--image-root", str(tmp_path), "--no-keep-previous"])
    assert mcp_command.run(args) == ExitCode.OK
    written = capsys.readouterr().err
    assert "sent [redacted]" in written, written
    assert CANARY_SECRET not in written
