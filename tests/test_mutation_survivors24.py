"""Tests for the mutants of mutation round 24 that no test noticed (the restart advice, the
MCP server's settings line at INFO, call_with_summary's path with nobody watching).

Each test failed with its mutant in place and passes without it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto, mcp_command, mcp_server
from ocp_users_photo.arguments import CREDENTIAL_ARGUMENT_ADVICE
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import SlackApiError
from ocp_users_photo.prepared import PreparedUpload
from ocp_users_photo.safe_text import shown
from ocp_users_photo.undo.errors import EntryRefused, HistoryUnavailable
from ocp_users_photo.undo.restore_tool import entry_argument
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests
from tests.test_mcp_server import TOOL, mcp_session
from tests.test_send_observers import Recorder
from tests.test_tool import expected_fingerprint

SERVER_LOG = "ocp_users_photo.mcp_server"

# --- the restart advice ---------------------------------------------------------------

MENDED_IN_THE_HOSTS_CONFIGURATION = [
    "token_not_usable",
    "invalid_auth",
    "token_revoked",
    "token_expired",
    "account_inactive",
    "missing_scope",
    "not_allowed_token_type",
    "user_is_bot",
    "previous_photo_not_kept",
    "history_unavailable",
]


async def _answered(
    tool: UsersSetPhoto, monkeypatch: pytest.MonkeyPatch, code: str, message: str
) -> dict[str, Any]:
    """The MCP server's result when the tool answers the error ``code`` with ``message``."""

    async def refused(arguments: Mapping[str, Any]) -> dict[str, Any]:
        return {"ok": False, "error": code, "message": message}

    monkeypatch.setattr(tool, "run", refused)
    result = await mcp_server.call_tool(tool, TOOL, {"image": "photo.png"})
    assert result["isError"] is True
    structured: dict[str, Any] = result["structuredContent"]
    return structured


@pytest.mark.parametrize("code", MENDED_IN_THE_HOSTS_CONFIGURATION)
async def test_each_refusal_mended_in_the_hosts_configuration_says_to_restart_it(
    tool: UsersSetPhoto, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    error = await _answered(tool, monkeypatch, code, "Slack refused the token.")
    assert error["message"] == f"Slack refused the token. {mcp_server.RESTART_ADVICE}"


@pytest.mark.parametrize("code", ["invalid_arguments", "rate_limited", "transport_error"])
async def test_other_refusals_get_no_restart_advice(
    tool: UsersSetPhoto, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    error = await _answered(tool, monkeypatch, code, "Try again.")
    assert error["message"] == "Try again."


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("the token was revoked", "the token was revoked. "),
        ("Was it revoked?", "Was it revoked? "),
        ("It was revoked!", "It was revoked! "),
        ("the token was revoked.  \n", "the token was revoked. "),
        ("", ""),
    ],
    ids=["no stop", "question", "exclamation", "trailing space", "empty"],
)
async def test_the_restart_advice_follows_the_message_as_one_sentence_more(
    tool: UsersSetPhoto, monkeypatch: pytest.MonkeyPatch, message: str, expected: str
) -> None:
    error = await _answered(tool, monkeypatch, "token_revoked", message)
    assert error["message"] == f"{expected}{mcp_server.RESTART_ADVICE}"


async def test_a_message_that_says_to_restart_already_is_not_told_twice(
    tool: UsersSetPhoto, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = "set SLACK_USER_TOKEN in the env block, then restart the host."
    error = await _answered(tool, monkeypatch, "token_not_usable", said)
    assert error["message"] == said


async def test_the_model_doors_missing_token_problem_says_to_restart_the_host() -> None:
    """The problem itself (not only the MCP result's message) names the restart: a host
    shows a model the problems, and a framework door has no MCP server to add it."""
    async with UsersSetPhoto(environ={}) as tool:
        result = await tool.run({"image": make_image((600, 600))})
    assert result["error"] == "token_not_usable"
    assert "then restart the host" in result["problems"][0]["message"]


async def test_the_no_image_folder_warning_says_to_restart_the_host(
    tool: UsersSetPhoto, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=SERVER_LOG):
        mcp_command._warn_about_configuration(tool, (), keeping=False)
    (line,) = [r.getMessage() for r in caplog.records if "no image folder" in r.getMessage()]
    assert line.endswith(f"then {mcp_command.RESTART_THE_HOST}"), line


# --- the settings line at INFO --------------------------------------------------------


def _resolved(path: Path) -> Path:
    return path.resolve()


def _settings_line(caplog: pytest.LogCaptureFixture) -> str:
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("serving ")]
    return line


async def test_the_settings_line_without_keeping_or_folders_or_token(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    async with UsersSetPhoto(
        base_url=emulator.base_url, environ={}, image_roots=[], keep_previous=False
    ) as tool:
        with caplog.at_level(logging.INFO, logger=SERVER_LOG):
            mcp_command._log_settings(tool, keeping=False)
    assert _settings_line(caplog) == (
        f"serving usersSetPhoto over stdio; image folders: none; Slack: {emulator.base_url}; "
        "photo history: none (--no-keep-previous); token: none"
    )


async def test_the_settings_line_names_both_tools_and_the_history_when_keeping(
    emulator: RunningEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    history = tmp_path / "history.sqlite3"
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        image_roots=[tmp_path],
        photo_history=history,
    ) as tool:
        with caplog.at_level(logging.INFO, logger=SERVER_LOG):
            mcp_command._log_settings(tool, keeping=True)
    line = _settings_line(caplog)
    assert line.startswith(
        f"serving usersSetPhoto and usersRestorePhoto over stdio; image folders: "
        f"{_resolved(tmp_path)}; "
    ), line
    assert f"; photo history: {history}; token: from " in line, line
    assert CANARY_TOKEN.split("-", 1)[1] not in line


async def test_the_settings_line_says_when_no_history_can_be_used(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No home folder: the history is unusable (said at WARNING already); the INFO line says
    so instead of ending the server at start."""
    from ocp_users_photo.undo import store

    def no_home() -> Path:
        raise HistoryUnavailable("no home folder to keep photos in")

    monkeypatch.setattr(store, "default_history_path", no_home)
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        with caplog.at_level(logging.INFO, logger=SERVER_LOG):
            mcp_command._log_settings(tool, keeping=True)
    assert "; photo history: none usable; " in _settings_line(caplog)


async def test_the_servers_settings_line_with_no_keep_previous(tmp_path: Path) -> None:
    """``--no-keep-previous``: the server offers one tool and keeps nothing; its INFO line
    named the history file as if it kept photos there."""
    async with mcp_session(tmp_path, log_level="info", flags=["--no-keep-previous"]) as session:
        await session.client.list_tools()
    logged = (tmp_path / "server-stderr.txt").read_text()
    (line,) = [line for line in logged.splitlines() if " serving " in line]
    assert "serving usersSetPhoto over stdio;" in line, line
    assert "; photo history: none (--no-keep-previous);" in line, line


# --- call_with_summary with nobody watching, and with someone watching ----------------


def _tool(emulator: RunningEmulator, **options: Any) -> UsersSetPhoto:
    return UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, retry_backoff=0.01, **options
    )


@pytest.mark.parametrize("given_to", ["tool", "call"])
async def test_call_with_summary_tells_an_observer_given_to_the_tool_or_the_call(
    emulator: RunningEmulator, given_to: str
) -> None:
    audit = Recorder()
    tool_observers = [audit] if given_to == "tool" else []
    call_observers = [audit] if given_to == "call" else []
    async with _tool(emulator, keep_previous=False, observers=tool_observers) as tool:
        await tool.call_with_summary({"image": make_image()}, observers=call_observers)
    assert audit.told == ["started", "before_change", "change_sending", "ended ok"]


async def test_call_with_summary_keeps_the_photo_it_replaces_when_keeping_is_on(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with _tool(emulator, keep_previous=True, photo_history=tmp_path / "h.sqlite3") as tool:
        await tool.call_with_summary({"image": make_image()})
        await tool.undo()  # NothingToUndo unless the keeper kept the default avatar
    assert len(emulator.requests.for_path("/api/users.deletePhoto")) == 1


async def test_call_with_summary_closes_the_upload_and_says_what_was_sent(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make_image((600, 600))
    prepared: list[PreparedUpload] = []
    async with _tool(emulator, keep_previous=False) as tool:
        prepare = tool._prepare

        async def noted(*args: Any, **kwargs: Any) -> PreparedUpload:
            upload = await prepare(*args, **kwargs)
            prepared.append(upload)
            return upload

        monkeypatch.setattr(tool, "_prepare", noted)
        reply, summary = await tool.call_with_summary({"image": data}, digest=True)
    assert reply["ok"] is True
    (upload,) = prepared
    assert upload.closed
    assert summary == {
        "format": "PNG",
        "width": 600,
        "height": 600,
        "bytes": len(data),
        "fingerprint": expected_fingerprint(data),
    }


async def test_call_with_summary_raises_slacks_refusal_unchanged_with_nobody_watching(
    emulator: RunningEmulator,
) -> None:
    inject(emulator, Fault.json({"ok": False, "error": "invalid_auth"}))
    async with _tool(emulator, keep_previous=False) as tool:
        with pytest.raises(SlackApiError) as raised:
            await tool.call_with_summary({"image": make_image()})
    assert raised.value.code == "invalid_auth"
    assert len(photo_requests(emulator)) == 1


# --- usersRestorePhoto's unknown arguments ---------------------------------------------


def test_six_unknown_restore_arguments_are_named_five_at_most() -> None:
    names = [f"extra{number}" for number in range(6)]
    with pytest.raises(EntryRefused) as refused:
        entry_argument(dict.fromkeys(names, 1))
    (problem,) = refused.value.problems
    assert problem.path == "$"
    for name in names[:5]:
        assert name in problem.message, problem.message
    assert names[5] not in problem.message, problem.message


def _photo_outside_the_working_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A folder to work in, and a photo outside it."""
    working = tmp_path / "working"
    working.mkdir()
    outside = tmp_path / "outside.png"
    outside.write_bytes(make_image())
    return working, outside


async def test_run_with_keeping_off_reads_only_the_model_doors_folders(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody watching (keeping off, no observer) is still a model door: a path outside the
    working folder is refused, as when a keeper watches."""
    working, outside = _photo_outside_the_working_folder(tmp_path)
    monkeypatch.chdir(working)
    async with _tool(emulator, keep_previous=False) as tool:
        result = await tool.run({"image": str(outside)})
    assert result["ok"] is False, result
    assert result["error"] == "invalid_arguments", result
    assert not photo_requests(emulator)


# --- shown ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("line one\nline two", "line one line two"),
        ("tab\tand\r\nnewline", "tab and newline"),
        ("bell\x07 and\nnewline", "bell? and newline"),
        ("plain text", "plain text"),
    ],
)
def test_shown_makes_whitespace_a_space_and_other_unprintables_a_question_mark(
    text: str, expected: str
) -> None:
    assert shown(text) == expected


@pytest.mark.parametrize("before", [0, 5], ids=["alone", "sixth"])
def test_a_token_given_to_usersRestorePhoto_is_answered_with_the_credential_advice(
    before: int,
) -> None:
    """A token among the arguments, even past the five names listed, gets the advice."""
    arguments: dict[str, object] = {f"extra{number}": 1 for number in range(before)}
    arguments["token"] = "xoxp-9-9-9-from-a-model"
    with pytest.raises(EntryRefused) as refused:
        entry_argument(arguments)
    (problem,) = refused.value.problems
    assert problem.message.endswith(f"; {CREDENTIAL_ARGUMENT_ADVICE}"), problem.message
    assert "xoxp-9-9-9" not in problem.message
