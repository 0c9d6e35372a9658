"""Review of the MCP door as a desktop host's user meets it (session 17).

Each test shows a defect found by running the server and its command as a person does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError

from ocp_users_photo.credentials import check_token
from ocp_users_photo.exports import export_tools
from ocp_users_photo.spec import load_manifest
from tests.conftest import CANARY_TOKEN
from tests.programs import run_module
from tests.test_mcp_server import mcp_session

CANARY_SECRET = CANARY_TOKEN.split("-", 1)[1]
DOCS_MCP = Path(__file__).resolve().parent.parent / "docs" / "mcp.md"


@pytest.mark.parametrize(
    ("module", "words"),
    [("ocp_users_photo.cli", ["mcp"]), ("ocp_users_photo.mcp_server", [])],
    ids=["ocp-users-photo-mcp", "python-m-mcp_server"],
)
def test_a_token_flag_on_the_mcp_command_is_not_told_to_use_token_env(
    module: str, words: list[str]
) -> None:
    """``mcp`` has no ``--token-env``: advice naming it sent the person to a second usage
    error. A host's ``args`` holding ``--token`` are mended by its ``env`` block."""
    finished = run_module(module, *words, "--token", CANARY_TOKEN, stdin_closed=True)
    output = finished.stdout + finished.stderr
    assert finished.returncode == 2, output
    assert CANARY_SECRET not in output
    assert "--token: the token is never given on the command line" in output
    assert "--token-env" not in output
    assert "env block" in output


def test_a_token_flag_on_set_still_names_token_env() -> None:
    """The commands that take ``--token-env`` keep saying so."""
    finished = run_module("ocp_users_photo.cli", "set", "me.png", "--token", CANARY_TOKEN)
    output = finished.stdout + finished.stderr
    assert finished.returncode == 2, output
    assert "--token-env NAME" in output


async def test_the_undo_on_a_server_that_keeps_nothing_says_why_it_is_not_offered(
    tmp_path: Path,
) -> None:
    """With --no-keep-previous, usersRestorePhoto (in the manifest and every catalog) was
    "unknown tool": a model, or the person reading the host's error, took the server for
    broken. The refusal says the undo is off on this server, and nothing reaches Slack."""
    async with mcp_session(tmp_path, flags=("--no-keep-previous",)) as session:
        with pytest.raises(MCPError, match="usersRestorePhoto is not offered") as caught:
            await session.client.call_tool("usersRestorePhoto", {})
        said = str(caught.value)
        assert "unknown tool" not in said
        assert "--no-keep-previous" in said
        assert session.slack.requests.all() == []
        # Sent with white space and an invisible character, it is the same undo, said so,
        # and the name is said as it reads, not with what it hid.
        with pytest.raises(MCPError, match="usersRestorePhoto is not offered") as caught:
            await session.client.call_tool(" usersRestorePhoto\u200b", {})
        said = str(caught.value)
        assert "--no-keep-previous" in said
        assert "\u200b" not in said, said
        assert " usersRestorePhoto" not in said, said
        assert session.slack.requests.all() == []
        # The server still answers, and a name no catalog has stays an unknown tool.
        with pytest.raises(MCPError, match="unknown tool 'setPhoto'"):
            await session.client.call_tool("setPhoto", {})


def test_docs_mcp_says_what_tools_list_gives_as_input_schema() -> None:
    """docs/mcp.md said tools/list gives "the manifest's input_schema as inputSchema"; a
    catalog comparing the two finds they differ by ``additionalProperties: false`` (left out
    for google-genai, as the README says). The page now says so."""
    manifest_schema = dict(load_manifest()["input_schema"])
    listed = export_tools("mcp")[0]["inputSchema"]
    assert manifest_schema.pop("additionalProperties") is False
    assert listed == manifest_schema
    page = " ".join(DOCS_MCP.read_text().split())
    assert "the manifest's `input_schema` as `inputSchema` (" not in page
    assert "without its `additionalProperties: false`" in page


async def test_the_hosts_log_keeps_the_whole_advice_of_a_refused_change(tmp_path: Path) -> None:
    """docs/mcp.md: a failure the operator mends is "one WARNING line with its code and what
    to do". The line was cut at 400 characters, and the refusal of a change whose photo
    cannot be kept (a token without users.profile:read) lost its second remedy, the
    server's own --no-keep-previous, to "whoever runs the tool turns ..."."""
    async with mcp_session(tmp_path, log_level="warning") as session:
        session.slack.state.add_token(CANARY_TOKEN, scopes=["users.profile:write"])
        result = await session.call({"image": "photo.png"})
        assert result["structuredContent"]["error"] == "previous_photo_not_kept"
        assert "--no-keep-previous" in result["structuredContent"]["message"]
    logged = (tmp_path / "server-stderr.txt").read_text()
    (line,) = [line for line in logged.splitlines() if "previous_photo_not_kept" in line]
    assert "--no-keep-previous" in line, line
    assert not line.endswith("...")


@pytest.mark.parametrize("wrapped", ["{root} ", '"{root}"'], ids=["trailing-space", "quoted"])
def test_an_image_root_wrapped_in_space_or_quotes_says_so(tmp_path: Path, wrapped: str) -> None:
    """A host's JSON ``"args"`` keep a trailing space or an extra pair of quotes verbatim.
    The refusal quoted the folder with its white space collapsed ("image root '/x/pics' is
    not an existing folder (it does not exist)") while /x/pics existed: the person was
    told an existing folder was missing. It now says what to leave out."""
    root = tmp_path / "pics"
    root.mkdir()
    finished = run_module(
        "ocp_users_photo.mcp_server",
        "--image-root",
        wrapped.format(root=root),
        env={"SLACK_USER_TOKEN": CANARY_TOKEN},
        cwd=tmp_path,
        stdin_closed=True,
    )
    assert finished.returncode == 2, finished.stderr
    said = finished.stderr
    assert "is not an existing folder" in said
    assert "part of the name: leave" in said, said


def test_a_host_config_without_the_mcp_command_is_told_to_put_it_first(tmp_path: Path) -> None:
    """``"args": ["--image-root", DIR]`` (the command left out of a host's configuration)
    was refused as "argument COMMAND: invalid choice: DIR": the folder called a bad
    command. The refusal now says an option comes after its command, as "mcp"."""
    finished = run_module("ocp_users_photo.cli", "--image-root", str(tmp_path), stdin_closed=True)
    assert finished.returncode == 2, finished.stderr
    said = finished.stderr
    assert "invalid choice" not in said, said
    assert "--image-root" in said
    assert '["mcp", "--image-root"' in said, said


def test_a_blank_token_variable_is_called_blank() -> None:
    """A host's env block with "SLACK_USER_TOKEN": "  " (the placeholder cleared, the value
    not) was told the token "holds spaces, control or non-ASCII characters: copy the token
    again without surrounding text": there is no token to copy again."""
    token, problems = check_token(" \t ", origin="SLACK_USER_TOKEN")
    assert token is None
    (problem,) = problems
    assert "is blank" in problem.message, problem.message
    assert "surrounding text" not in problem.message


@pytest.mark.parametrize("typed", ["INFO", "Info", "info"])
def test_a_log_level_in_logging_s_own_capitals_is_taken(typed: str) -> None:
    """LOG_LEVEL=INFO is how Python's logging spells it: a host's args often do too."""
    from ocp_users_photo.cli import build_parser

    args = build_parser("mcp").parse_args(["mcp", "--log-level", typed])
    assert args.log_level == "info"


def test_a_log_level_that_is_none_still_lists_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ocp_users_photo.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser("mcp").parse_args(["mcp", "--log-level", "LOUD"])
    assert "choose from 'debug', 'info', 'warning', 'error'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["emulator", "demo", "manifest"])
def test_token_on_a_command_that_uses_none_says_to_leave_it_out(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The emulator, the demo and the manifest read no Slack token: sending the person to
    SLACK_USER_TOKEN ("for an MCP server, the env block...") was advice for another program."""
    from ocp_users_photo.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser(command).parse_args([command, "--token", "xoxp-9-9-9-given"])
    error = capsys.readouterr().err
    assert f"--token: 'ocp-users-photo {command}' uses no Slack token: leave it out" in error
    assert "SLACK_USER_TOKEN" not in error
    assert "xoxp-9-9-9-given" not in error


@pytest.mark.parametrize(
    ("command", "advice"),
    [
        ("mcp", "the env block of the host's configuration"),
        ("demo", "'ocp-users-photo demo' uses no Slack token"),
        ("set", "--token-env NAME"),
    ],
)
def test_token_before_the_command_gets_that_commands_advice(
    command: str, advice: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """'ocp-users-photo --token X mcp' was told to use --token-env, which mcp refuses."""
    from ocp_users_photo.cli import main

    with pytest.raises(SystemExit):
        main(["--token", "xoxp-9-9-9-given", command])
    error = capsys.readouterr().err
    assert advice in error, error
    assert "xoxp-9-9-9-given" not in error
    if command != "set":
        assert "--token-env" not in error, error
