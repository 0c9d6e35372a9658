"""The MCP server, driven over stdio by the mcp SDK's own client against a scripted Slack.

Each session starts ``python -m ocp_users_photo.mcp_server`` as a subprocess with
the canary token in its environment, records every message the client receives
and everything the server writes to stderr, and checks the canary is in none of them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from ocp_users_photo import UsersSetPhoto, cli, mcp_command, mcp_server
from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator, run_emulator
from ocp_users_photo.exports import export_tool, export_tools, mcp_input_schema
from ocp_users_photo.spec import load_manifest
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests
from tests.program_forks import program_command
from tests.programs import run_module, run_python
from tests.undo_fixtures import rows

TOOL = "usersSetPhoto"


@dataclass
class Session:
    """A running server: the client, the emulated Slack, and what the client received."""

    client: ClientSession
    slack: RunningEmulator
    root: Path
    outside: Path
    instructions: str | None
    received: list[str] = field(default_factory=list)

    async def call(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Call the tool; the result as its wire JSON (camelCase keys, whatever the SDK)."""
        result = await self.client.call_tool(TOOL, arguments)
        dumped: dict[str, Any] = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        return dumped


def _message_text(item: object) -> str:
    message = getattr(item, "message", item)  # a SessionMessage, or a bare message
    if hasattr(message, "model_dump_json"):
        return str(message.model_dump_json(by_alias=True))
    return repr(message)


@asynccontextmanager
async def mcp_session(
    tmp_path: Path,
    *,
    token: str | None = CANARY_TOKEN,
    log_level: str = "debug",
    flags: Sequence[str] = (),
) -> AsyncIterator[Session]:
    """Start the server on an emulated Slack; on exit, check the canary leaked nowhere.

    ``flags``: more of the server's options. Its history is in the test's own data folder.
    """
    root = tmp_path / "images"
    root.mkdir()
    (root / "photo.png").write_bytes(make_image())
    outside = tmp_path / "outside.png"
    outside.write_bytes(make_image())
    stderr_path = tmp_path / "server-stderr.txt"
    received: list[str] = []
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as slack:
        # The client passes on only HOME, PATH, SHELL and TERM: without XDG_DATA_HOME (the
        # test's own, conftest's private_data_folder) the history would go to the real home.
        # PYTHONPATH: the server imports the package under test (a worktree's), not the one
        # the virtual environment has installed.
        env = {
            "SLACK_API_URL": slack.base_url,
            "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"],
            "PYTHONPATH": os.pathsep.join(sys.path),
        }
        if token is not None:
            env["SLACK_USER_TOKEN"] = token
        arguments = ["--image-root", str(root), "--log-level", log_level, *flags]
        words = await asyncio.to_thread(
            program_command, "ocp_users_photo.mcp_server", arguments, env
        )
        parameters = StdioServerParameters(
            command=words[0],
            args=words[1:],
            env=env,
            cwd=str(tmp_path),
        )
        with stderr_path.open("w") as errlog:
            async with stdio_client(parameters, errlog=errlog) as (read_stream, write_stream):
                forward, recorded = anyio.create_memory_object_stream[Any](0)

                async def record() -> None:
                    async with forward:
                        async for item in read_stream:
                            received.append(_message_text(item))
                            await forward.send(item)

                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(record)
                    async with ClientSession(recorded, write_stream) as client:
                        initialized = await client.initialize()
                        yield Session(
                            client, slack, root, outside, initialized.instructions, received
                        )
                    tasks.cancel_scope.cancel()
    assert received, "the client received messages"
    for text in received:
        assert CANARY_TOKEN not in text
    stderr = stderr_path.read_text()
    assert CANARY_TOKEN not in stderr
    assert "Traceback" not in stderr, stderr


def output_validator() -> Draft202012Validator:
    return Draft202012Validator(export_tool("mcp")["outputSchema"], format_checker=FormatChecker())


def assert_refused(
    result: dict[str, Any], *paths: str, code: str = "invalid_arguments"
) -> dict[str, Any]:
    """An isError result whose text is the run() error object naming each of ``paths``."""
    assert result["isError"] is True
    error: dict[str, Any] = result["structuredContent"]
    assert json.loads(result["content"][0]["text"]) == error
    assert result["content"][0]["type"] == "text"
    assert error["ok"] is False
    assert error["error"] == code
    named = {problem["path"] for problem in error["problems"]}
    for path in paths:
        assert path in named, (path, error["problems"])
    assert output_validator().is_valid(error)
    return error


def assert_success(result: dict[str, Any]) -> None:
    assert result.get("isError", False) is False
    reply = result["structuredContent"]
    assert json.loads(result["content"][0]["text"]) == reply
    assert reply["ok"] is True
    assert reply["profile"]["avatar_hash"]
    assert output_validator().is_valid(reply)


async def test_lists_the_tool_with_the_exported_schemas(tmp_path: Path) -> None:
    async with mcp_session(tmp_path) as session:
        listed = await session.client.list_tools()
        tools = [tool.model_dump(by_alias=True, mode="json") for tool in listed.tools]
        assert [tool["name"] for tool in tools] == [TOOL, "usersRestorePhoto"]
        tool, undo = tools
        restore = export_tools("mcp")[1]
        assert {key: undo[key] for key in restore} == restore
        assert tool["description"] == load_manifest()["description"]
        # The manifest's, its image's text naming the folder a path is read in: a model given
        # none guessed, and met a refusal first (the instructions alone are not always shown).
        expected = mcp_input_schema(load_manifest()["input_schema"])
        image = expected["properties"]["image"]
        a_path = "a path to a PNG, JPEG or GIF file"
        image["description"] = image["description"].replace(
            a_path, f"{a_path} inside {session.root} (a relative path is taken from there)"
        )
        assert tool["inputSchema"] == expected
        assert tool["outputSchema"] == export_tool("mcp")["outputSchema"]
        assert tool["title"] == "Set Slack profile photo"
        assert tool["annotations"] == export_tool("mcp")["annotations"]
        assert tool["annotations"]["destructiveHint"] is True
        assert "token" not in tool["inputSchema"]["properties"]
        assert session.instructions is not None
        assert str(session.root) in session.instructions


async def test_the_instructions_name_an_odd_image_folder_printably(tmp_path: Path) -> None:
    """A folder whose name holds a terminal escape, a bidi override and a line end was named
    raw in the instructions (a host puts them in the model's context), though the image's
    description beside them named it printably."""
    odd = tmp_path / "photos\x1b[31m\u202eq\nz"
    odd.mkdir()
    async with mcp_session(odd) as session:
        assert session.instructions is not None
        assert "/images, or as base64" in session.instructions
        for character in ("\x1b", "\u202e", "\n"):
            assert character not in session.instructions, session.instructions


async def test_a_session_refuses_bad_calls_and_stays_alive(
    tmp_path: Path, private_data_folder: Path
) -> None:
    async with mcp_session(tmp_path) as session:
        assert_success(await session.call({"image": "photo.png"}))
        # The photo replaced was kept in the default history, in the test's data folder.
        history = private_data_folder / "ocp-users-photo" / "photo-history.sqlite3"
        assert rows(history, "SELECT kind FROM entries") == [("default",)]
        (request,) = photo_requests(session.slack)
        assert request.path == "/api/users.setPhoto"
        assert (request.header("content-type") or "").startswith("multipart/form-data")
        image = request.file("image")
        assert image is not None
        assert image.sha256 == hashlib.sha256(make_image()).hexdigest()
        # The token travels in the Authorization header and nowhere else.
        assert request.header("authorization") == f"Bearer {CANARY_TOKEN}"
        assert request.field("token") is None
        assert request.body is not None, "the emulator records bodies: the search is real"
        assert CANARY_TOKEN.encode() not in request.body
        others = {key: value for key, value in request.headers if key != "authorization"}
        assert CANARY_TOKEN not in json.dumps(others)

        photo = str(session.root / "photo.png")
        assert_refused(await session.call({"image": photo, "crop_x": 0}), "$.crop_y", "$.crop_w")
        unknown = assert_refused(await session.call({"image": photo, "colour": "red"}), "$.colour")
        assert "unknown argument" in unknown["message"]
        assert_refused(await session.call({"image": str(session.outside)}), "$.image")
        assert_refused(await session.call({"image": "../outside.png"}), "$.image")
        assert_refused(await session.call({"image": "https://example.com/me.png"}), "$.image")
        assert_refused(await session.call({}), "$.image")
        # A token argument is refused, even a valid one, and never echoed.
        token = assert_refused(
            await session.call({"image": photo, "token": CANARY_TOKEN, "crop_w": 9}),
            "$.token",
            "$.crop_x",
            "$.crop_y",
        )
        assert "comes from the tool's own configuration: leave it out" in token["message"]
        assert CANARY_TOKEN not in token["message"]
        assert len(photo_requests(session.slack)) == 1, "no refused call reached Slack"

        assert_success(
            await session.call({"image": photo, "crop_x": 0, "crop_y": "0", "crop_w": 512})
        )
        sent = photo_requests(session.slack)
        assert len(sent) == 2
        assert dict(sent[1].form) == {"crop_x": "0", "crop_y": "0", "crop_w": "512"}


async def test_slack_failures_come_back_as_error_results(tmp_path: Path) -> None:
    async with mcp_session(tmp_path) as session:
        inject(
            session.slack,
            Fault.json({"ok": False, "error": "invalid_auth"}),
            Fault.json(
                {"ok": False, "error": "ratelimited"},
                status_code=429,
                headers={"retry-after": "120"},
            ),
        )
        for code in ("invalid_auth", "ratelimited"):
            result = await session.call({"image": "photo.png"})
            assert result["isError"] is True
            error = result["structuredContent"]
            assert json.loads(result["content"][0]["text"]) == error
            assert error["error"] == code
            assert error["message"]
            assert output_validator().is_valid(error)
        assert error["retry_after"] == 120
        assert_success(await session.call({"image": "photo.png"}))


async def test_an_unknown_tool_is_a_protocol_error(tmp_path: Path) -> None:
    async with mcp_session(tmp_path) as session:
        with pytest.raises(Exception, match="unknown tool 'setPhoto'"):
            await session.client.call_tool("setPhoto", {"image": "photo.png"})
        # A token given as the tool's name is not repeated, not even its first characters.
        with pytest.raises(Exception, match=r"unknown tool '\[redacted\]'") as caught:
            await session.client.call_tool(CANARY_TOKEN, {})
        assert CANARY_TOKEN[:12] not in str(caught.value)
        restore = await session.client.call_tool("usersRestorePhoto", {CANARY_TOKEN: 1})
        assert CANARY_TOKEN[:12] not in json.dumps(restore.model_dump(mode="json"))
        assert restore.is_error
        # The server's own token in shapes not known as a token's: its secret alone, and
        # behind a look-alike hyphen, as a tool's name and as an image's file name.
        secret = CANARY_TOKEN.rsplit("-", 1)[1]
        for shape in (secret, "xoxp\u2011" + CANARY_TOKEN[5:]):
            with pytest.raises(Exception, match="unknown tool") as unknown:
                await session.client.call_tool(shape, {})
            assert secret[:12] not in str(unknown.value)
            named = await session.call({"image": f"{shape}.png"})
            assert named["isError"] is True
            assert "no file at" in named["structuredContent"]["message"]
            assert secret[:12] not in json.dumps(named)
        assert_success(await session.call({"image": "photo.png"}))


async def test_a_tool_name_with_white_space_around_it_is_told_as_such(tmp_path: Path) -> None:
    """A model's tool name with a line end or a zero-width space after it was quoted back
    without them: "unknown tool 'usersSetPhoto': this server offers only usersSetPhoto" left
    the model no mistake to see."""
    async with mcp_session(tmp_path) as session:
        for sent in ("usersSetPhoto\n", " usersSetPhoto", "usersSetPhoto\u200b"):
            with pytest.raises(Exception, match="unknown tool") as unknown:
                await session.client.call_tool(sent, {"image": "photo.png"})
            said = str(unknown.value)
            assert "white space or invisible characters in or around it" in said, said
            assert "call usersSetPhoto by its exact name" in said
        assert not photo_requests(session.slack)
        assert_success(await session.call({"image": "photo.png"}))


@pytest.mark.waits
async def test_a_call_the_client_cancels_mid_flight_leaves_the_server_usable(
    tmp_path: Path,
) -> None:
    """The host gives up on a change while Slack has it (the client's request cancellation):
    the server stops that call, answers the next one (once the cancelled upload could have
    landed: the keeper's settle time), and the kept photo says what happened."""
    async with mcp_session(tmp_path) as session:
        (session.root / "other.png").write_bytes(make_image(color=(10, 10, 200)))
        inject(session.slack, Fault.delay(3))
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(session.call, {"image": "photo.png"})
            for _ in range(1000):  # until the change is on its way (10 s at most)
                if photo_requests(session.slack):
                    break
                await anyio.sleep(0.01)
            assert photo_requests(session.slack), "the change reached Slack"
            tasks.cancel_scope.cancel()

        assert_success(await session.call({"image": "other.png"}))
        listing = (await session.client.call_tool("usersRestorePhoto", {})).model_dump(
            by_alias=True, mode="json", exclude_none=True
        )
        assert listing.get("isError", False) is False
        restore_schema = export_tools("mcp")[1]["outputSchema"]
        assert Draft202012Validator(restore_schema, format_checker=FormatChecker()).is_valid(
            listing["structuredContent"]
        )
        newest, cancelled = listing["structuredContent"]["entries"]
        assert newest["status"] == "changed"
        # Stopped by the cancellation, so never told how it ended: it may not have happened.
        assert cancelled["status"] == "pending"
        assert "the call was cancelled" in cancelled["status_text"]


async def test_without_a_token_every_call_is_refused(tmp_path: Path) -> None:
    async with mcp_session(tmp_path, token=None, log_level="warning") as session:
        # Not the model's to correct: the host's configuration (token_not_usable).
        error = assert_refused(
            await session.call({"image": "photo.png"}), "$.token", code="token_not_usable"
        )
        assert "SLACK_USER_TOKEN" in error["message"]
        assert not photo_requests(session.slack)
    assert "no Slack token" in (tmp_path / "server-stderr.txt").read_text()


async def test_a_token_longer_than_any_slacks_is_refused_at_home(tmp_path: Path) -> None:
    """A paste gone wrong, 100 000 characters of it: sent as a header, Slack's front end (here
    the emulator's) answered 400 "Invalid HTTP request", and the model was told to check the
    Slack address, which was right all along."""
    async with mcp_session(tmp_path, token="xoxp-" + "1" * 100_000, log_level="warning") as s:
        error = assert_refused(
            await s.call({"image": "photo.png"}), "$.token", code="token_not_usable"
        )
        assert "longer than any Slack token" in error["message"]
        assert "copy the user token (xoxp-...) alone" in error["message"]
        assert "address" not in error["message"]
        assert not photo_requests(s.slack)


def test_the_package_does_not_import_mcp_until_the_server_starts() -> None:
    done = run_python(
        "import sys\n"
        "import ocp_users_photo, ocp_users_photo.cli, ocp_users_photo.exports\n"
        "import ocp_users_photo.mcp_server\n"
        "ocp_users_photo.exports.export_tool('mcp')\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'mcp'))\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_without_mcp_the_command_says_what_to_install() -> None:
    done = run_python(
        "import sys\n"
        "sys.modules['mcp'] = None  # as if the [mcp] extra were not installed\n"
        "from ocp_users_photo.cli import main\n"
        "sys.exit(main(['mcp']))\n"
    )
    assert done.returncode == 2
    assert "pip install 'ocp-users-photo[mcp]'" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    "entry",
    [mcp_server.main, lambda argv: cli.main(["mcp", *argv])],
    ids=["module", "cli"],
)
def test_a_missing_image_root_stops_the_server_before_it_starts(
    entry: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-folder"
    assert entry(["--image-root", str(missing)]) == 2
    captured = capsys.readouterr()
    assert "not an existing folder" in captured.err
    assert captured.out == ""


def test_a_plain_http_base_url_off_loopback_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A usage error of the flag (argparse's exit 2), as the CLI's own commands refuse it.
    with pytest.raises(SystemExit) as exited:
        mcp_server.main(["--image-root", str(tmp_path), "--base-url", "http://slack.example"])
    assert exited.value.code == 2
    said = capsys.readouterr().err
    assert "argument --base-url: it uses plain http to slack.example" in said
    assert "unencrypted" in said


async def test_an_unexpected_failure_is_an_error_result_not_a_crash(
    tool: UsersSetPhoto,
    monkeypatch: pytest.MonkeyPatch,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    async def broken(arguments: Any) -> dict[str, Any]:
        raise RuntimeError(f"bug near {CANARY_TOKEN}")

    monkeypatch.setattr(tool, "run", broken)
    result = await mcp_server.call_tool(tool, TOOL, {"image": "photo.png"})
    assert result["isError"] is True
    error = result["structuredContent"]
    assert error["error"] == "unexpected_error"
    assert "RuntimeError" in error["message"]
    assert json.loads(result["content"][0]["text"]) == error
    assert output_validator().is_valid(error)
    assert CANARY_TOKEN not in json.dumps(result)
    assert any(record.exc_info for record in debug_logs.records)


def test_the_servers_log_handler_removes_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    handler = mcp_command._stderr_log_handler({"SLACK_USER_TOKEN": CANARY_TOKEN})
    record = logging.LogRecord(
        "some.library", logging.ERROR, __file__, 1, "header was %s", (CANARY_TOKEN,), None
    )
    handler.handle(record)
    written = capsys.readouterr().err
    assert "header was [redacted]" in written
    assert CANARY_TOKEN not in written


@pytest.mark.parametrize(
    ("token", "says"),
    [
        (None, "no Slack token: set SLACK_USER_TOKEN or SLACK_TOKEN"),
        ("xoxb-1111-2222-canarybot0c4a7e9f", "the Slack token cannot set a photo: the token "),
        ("xoxp-11 22", "the Slack token cannot be used: the token from SLACK_USER_TOKEN holds"),
    ],
    ids=["no token", "bot token", "damaged token"],
)
def test_the_server_warns_at_start_of_what_would_refuse_every_call(
    tmp_path: Path, token: str | None, says: str
) -> None:
    """Started from the home folder (as desktop hosts do) with a token that cannot work: the
    host's log says so at once, before any model call; stdin closed, the server then ends."""
    environment = {"HOME": str(tmp_path)}
    if token is not None:
        environment["SLACK_USER_TOKEN"] = token
    done = run_module(
        "ocp_users_photo.mcp_server", env=environment, cwd=tmp_path, stdin_closed=True
    )
    assert done.returncode == 0, done.stderr
    assert says in done.stderr
    # The line that says it also says the mend reaches the server only with a restart.
    (told,) = [line for line in done.stderr.splitlines() if says in line]
    assert "restart the host (it passes its args and env on only when it starts" in told
    assert (
        "no image folder: the server was started in /, the home folder or a folder" in done.stderr
    )
    assert "add --image-root DIR to the server's args" in done.stderr
    if token is not None:
        assert token not in done.stderr
    assert "Traceback" not in done.stderr
