"""Tests that kill the mutants a fourth hand mutation round let live (the MCP server and its
command, the framework adapters, the installation source's background save, the PostgreSQL
refresh lock, the undo's entries and turns).

Each test names the rule it holds; the mutant it was written against is in the commit
message of the round.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo.frameworks._calls import is_correctable, run_json_arguments
from ocp_users_photo.mcp_server import _build_server, _SendingNoted, call_tool, load_sdk
from ocp_users_photo.observers import CallInfo
from ocp_users_photo.tool import UsersSetPhoto
from ocp_users_photo.undo import turns
from ocp_users_photo.undo.entries import is_default_avatar

MCP_LOGGER = "ocp_users_photo.mcp_server"


class _Answering:
    """A model tool whose run answers ``result`` and records the arguments it was given."""

    name = "usersSetPhoto"
    description = "sets a photo"

    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result
        self.arguments: list[Mapping[str, Any]] = []

    @property
    def input_schema(self) -> dict[str, Any]:
        return {"type": "object", "properties": {}}

    async def run(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        self.arguments.append(arguments)
        return self.result


def _refusal(code: str, message: str = "refused") -> dict[str, Any]:
    return {"ok": False, "error": code, "message": message, "problems": []}


def _levels(caplog: pytest.LogCaptureFixture) -> list[int]:
    return [record.levelno for record in caplog.records if record.name == MCP_LOGGER]


@pytest.mark.parametrize("code", ["invalid_arguments", "image_url_refused", "nothing_to_undo"])
async def test_a_models_own_mistake_is_logged_at_info_not_warning(
    code: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=MCP_LOGGER)
    answer = await call_tool(_Answering(_refusal(code)), "usersSetPhoto", {})
    assert answer["isError"] is True
    assert _levels(caplog) == [logging.INFO]


@pytest.mark.parametrize("code", ["token_not_usable", "slack_error", "unexpected_error"])
async def test_a_failure_the_operator_mends_is_logged_at_warning(
    code: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=MCP_LOGGER)
    await call_tool(_Answering(_refusal(code)), "usersSetPhoto", {})
    assert _levels(caplog) == [logging.WARNING]


async def test_a_success_is_logged_at_info_only(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=MCP_LOGGER)
    answer = await call_tool(_Answering({"ok": True}), "usersSetPhoto", {})
    assert answer["isError"] is False
    assert _levels(caplog) == [logging.INFO]


async def test_a_refusals_logged_message_and_code_are_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=MCP_LOGGER)
    result = _refusal("x" * 5000, "m" * 5000)
    await call_tool(_Answering(result), "usersSetPhoto", {})
    (logged,) = [r.getMessage() for r in caplog.records if r.name == MCP_LOGGER]
    assert "x" * 65 not in logged
    # Bounded, yet long enough for the tool's longest advice whole (d5a3210: 1000).
    assert "m" * 900 in logged
    assert "m" * 1001 not in logged
    assert len(logged) < 1300


async def test_no_arguments_reach_the_tool_as_an_empty_object() -> None:
    tool = _Answering({"ok": True})
    await call_tool(tool, "usersSetPhoto", None)
    assert tool.arguments == [{}]


class _Cancelled(_Answering):
    sending = False

    async def run(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        if self.sending:  # as the tool tells its observers when the change goes out
            call = CallInfo("usersSetPhoto", "users.setPhoto", "http://127.0.0.1:9/api", {})
            _SendingNoted().change_sending(call)
        raise asyncio.CancelledError


@pytest.mark.parametrize(("sending", "level"), [(True, logging.WARNING), (False, logging.INFO)])
async def test_a_call_the_host_cancels_is_logged_as_what_it_is_and_stays_cancelled(
    caplog: pytest.LogCaptureFixture, sending: bool, level: int
) -> None:
    caplog.set_level(logging.DEBUG, logger=MCP_LOGGER)
    cancelled = _Cancelled({"ok": True})
    cancelled.sending = sending
    with pytest.raises(asyncio.CancelledError):
        await call_tool(cancelled, "usersSetPhoto", {})
    (record,) = [r for r in caplog.records if r.name == MCP_LOGGER]
    assert record.levelno == level
    assert ("look at the Slack profile" in record.getMessage()) is sending


def _server(tmp_path: Path, **options: Any) -> Iterator[Any]:
    tool = UsersSetPhoto(
        "xoxp-1-unused",
        image_roots=[tmp_path],
        photo_history=tmp_path / "history.sqlite3",
        **options,
    )
    yield _build_server(load_sdk(), tool)


@pytest.fixture
def keeping_server(tmp_path: Path) -> Iterator[Any]:
    yield from _server(tmp_path, url_hosts=["images.example.com"])


@pytest.fixture
def plain_server(tmp_path: Path) -> Iterator[Any]:
    yield from _server(tmp_path, keep_previous=False)


async def _request(server: Any, method: str, params: Mapping[str, Any]) -> Any:
    entry = server.get_request_handler(method)
    return await entry.handler(None, entry.params_type.model_validate(params))


def test_the_instructions_name_the_folders_the_url_hosts_and_the_undo(
    keeping_server: Any, tmp_path: Path
) -> None:
    told = keeping_server.instructions
    assert str(tmp_path) in told
    assert "images.example.com" in told
    assert "usersRestorePhoto" in told


def test_without_keeping_neither_the_undo_nor_url_hosts_are_told(plain_server: Any) -> None:
    told = plain_server.instructions
    assert "usersRestorePhoto" not in told
    assert "https URL" not in told


async def test_the_listing_offers_the_undo_only_while_photos_are_kept(
    keeping_server: Any, plain_server: Any
) -> None:
    keeping = await _request(keeping_server, "tools/list", {})
    plain = await _request(plain_server, "tools/list", {})
    assert [t.name for t in keeping.tools] == ["usersSetPhoto", "usersRestorePhoto"]
    assert [t.name for t in plain.tools] == ["usersSetPhoto"]


async def test_a_cursor_is_invalid_params(keeping_server: Any) -> None:
    from mcp.shared.exceptions import MCPError

    sdk = load_sdk()
    with pytest.raises(sdk.protocol_error) as refused:
        await _request(keeping_server, "tools/list", {"cursor": "page-2"})
    assert isinstance(refused.value, MCPError)
    assert refused.value.code == sdk.types.INVALID_PARAMS


async def test_an_unknown_tool_name_is_quoted_bounded_and_the_offered_ones_named(
    keeping_server: Any,
) -> None:
    from mcp.shared.exceptions import MCPError

    sdk = load_sdk()
    name = "evil\nname" + "z" * 300
    with pytest.raises(sdk.protocol_error) as refused:
        await _request(keeping_server, "tools/call", {"name": name, "arguments": {}})
    assert isinstance(refused.value, MCPError)
    said = refused.value.error.message
    assert refused.value.code == sdk.types.INVALID_PARAMS
    assert "z" * 100 not in said
    assert "\n" not in said
    assert said.endswith("usersSetPhoto and usersRestorePhoto")


@pytest.mark.parametrize(
    ("result", "correctable"),
    [
        ({"ok": False, "error": "invalid_arguments", "problems": [{"path": "$"}]}, True),
        # Slack's own invalid_arguments lists no problems: its answer, not the model's to fix.
        ({"ok": False, "error": "invalid_arguments", "problems": []}, False),
        ({"ok": False, "error": "slack_error", "problems": [{"path": "$"}]}, False),
        ({"ok": True, "error": "invalid_arguments", "problems": [{"path": "$"}]}, False),
    ],
)
def test_only_the_tools_own_refusal_listing_problems_is_correctable(
    result: dict[str, Any], correctable: bool
) -> None:
    assert is_correctable(result) is correctable


@pytest.mark.parametrize("text", ["", "   ", "\n"])
async def test_empty_json_arguments_reach_the_tool_as_an_empty_object(text: str) -> None:
    tool = _Answering({"ok": True})
    assert await run_json_arguments(tool, text) == {"ok": True}
    assert tool.arguments == [{}]


async def test_arguments_of_a_large_inline_image_reach_the_tool() -> None:
    tool = _Answering({"ok": True})
    image = "A" * 2_000_000  # base64 of a 1.5 MB image: far below the 32 MiB image cap
    assert await run_json_arguments(tool, '{"image": "' + image + '"}') == {"ok": True}
    assert tool.arguments == [{"image": image}]


@pytest.mark.parametrize("text", ["[]", '"image.png"', "3", "null"])
async def test_json_arguments_that_are_no_object_never_reach_the_tool(text: str) -> None:
    tool = _Answering({"ok": True})
    result = await run_json_arguments(tool, text)
    assert is_correctable(result)
    assert tool.arguments == []


@pytest.mark.parametrize(
    ("avatar_hash", "is_custom", "default"),
    [
        ("g5a1b2c3", True, True),  # a "g" hash is the default, whatever else is said
        ("ge3b51ca72de", None, True),  # Slack's example: no is_custom_image, a "g" hash
        ("0a1b2c3d", False, True),  # Slack's is_custom_image: false
        ("0a1b2c3d", True, False),
        # Neither said: not the default (its undo would delete the person's own photo).
        ("0a1b2c3d", None, False),
    ],
)
def test_the_default_avatar_rule(avatar_hash: str, is_custom: object, default: bool) -> None:
    assert is_default_avatar(avatar_hash, is_custom=is_custom) is default


def test_this_machine_never_holds_the_holders_separator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "box|4242|forged")
    assert "|" not in turns._this_machine()


@pytest.mark.skipif(not os.path.exists("/proc/self/ns/pid"), reason="no PID namespaces here")
def test_this_machine_names_its_pid_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "box")
    namespace = os.stat("/proc/self/ns/pid").st_ino
    assert turns._this_machine() == f"box/pidns:{namespace}"


async def test_a_postgres_lock_released_in_order_keeps_its_connection_pooled(
    postgres_url: str,
) -> None:
    """Only a lock perhaps still held discards its connection: one released goes back to
    the pool, so each refresh does not open a new connection to the server."""
    import sqlalchemy

    from ocp_users_photo.installations.postgres_lock import PostgresRefreshLock

    engine = sqlalchemy.create_engine(postgres_url)
    opened: list[object] = []
    sqlalchemy.event.listen(engine, "connect", lambda dbapi, record: opened.append(dbapi))
    try:
        lock = PostgresRefreshLock(engine, wait_seconds=1)
        for _ in range(3):
            async with lock.hold("app|T1|U1"):
                pass
        assert len(opened) == 1
    finally:
        engine.dispose()


async def test_a_released_postgres_lock_is_free_for_another_process(postgres_url: str) -> None:
    """The unlock itself frees the key: another engine (another process's sessions) takes it
    at once, while this engine's pooled connection is still open."""
    import sqlalchemy

    from ocp_users_photo.installations.postgres_lock import PostgresRefreshLock

    here, elsewhere = sqlalchemy.create_engine(postgres_url), sqlalchemy.create_engine(postgres_url)
    try:
        async with PostgresRefreshLock(here, wait_seconds=1).hold("app|T1|U1"):
            pass
        async with PostgresRefreshLock(elsewhere, wait_seconds=0.3).hold("app|T1|U1"):
            pass
    finally:
        here.dispose()
        elsewhere.dispose()


def _never_saving_source(tmp_path: Path) -> tuple[Any, str, Any, Any]:
    from slack_sdk.oauth.installation_store import Installation

    from ocp_users_photo.installations import InstallationTokenSource, SingleProcessRefreshLock
    from ocp_users_photo.tokens import ActingPerson
    from tests.installation_helpers import CLIENT_ID, sqlite_store
    from tests.test_installations_hostile import SaveFails

    class Failing(SaveFails):
        def find_bot(self, **query: Any) -> Any:
            return self.inner.find_bot(**query)

    store = Failing(sqlite_store(tmp_path / "i.db"), failures=1_000_000)
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret="mutation-round-4-secret",
        environ={},
        refresh_lock=SingleProcessRefreshLock(),
    )
    person = ActingPerson(team_id="T1", user_id="U1")
    key = source._lock_key(person)
    source._unsaved[key] = Installation(
        app_id="A1", user_id="U1", team_id="T1", user_token="xoxp-1-unsaved"
    )
    return source, key, person, store


async def test_a_save_failing_again_does_not_start_a_second_background_save(
    tmp_path: Path,
) -> None:
    """One background save per person, which the source's close stops: a second would be
    left out of ``_resaving`` (the close would wait for it, up to an hour)."""
    source, key, person, _ = _never_saving_source(tmp_path)
    source._resave_in_background(key, person)
    first = source._resaving[key]
    source._resave_in_background(key, person)
    second = source._resaving[key]
    if second is not first:
        first.cancel()  # else the close below waits for the orphan
    await asyncio.wait_for(source.aclose(), 60)  # a hang guard only
    assert second is first
    assert first.done()  # the close ended it


async def test_an_ended_background_save_forgets_only_itself(tmp_path: Path) -> None:
    """A background save that ends after a newer one for the person was started (its done
    callback runs late, in the refresh thread) must not drop the newer one from
    ``_resaving``: the source's close would no longer stop it."""
    source, key, _, _ = _never_saving_source(tmp_path)
    ended: concurrent.futures.Future[None] = concurrent.futures.Future()
    ended.set_result(None)
    newer: concurrent.futures.Future[None] = concurrent.futures.Future()
    source._resaving[key] = newer
    source._forget_resave(key, ended)
    assert source._resaving[key] is newer
    await source.aclose()


async def test_a_background_save_tries_again_until_the_store_takes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocp_users_photo.installations import source as source_module

    monkeypatch.setattr(source_module, "RESAVE_FIRST_WAIT", 0.01)
    source, key, person, store = _never_saving_source(tmp_path)
    store.failures = 2  # the store's own: two more failures, then saved
    source._resave_in_background(key, person)
    await asyncio.wait_for(asyncio.wrap_future(source._resaving[key]), 60)  # a hang guard
    try:
        assert key not in source._unsaved
        assert store.inner.find_installation(enterprise_id=None, team_id="T1", user_id="U1")
    finally:
        await source.aclose()


async def test_a_background_save_ends_once_nothing_is_left_unsaved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocp_users_photo.installations import source as source_module

    monkeypatch.setattr(source_module, "RESAVE_FIRST_WAIT", 0.01)
    source, key, person, _ = _never_saving_source(tmp_path)
    del source._unsaved[key]  # saved at the person's next call meanwhile
    source._resave_in_background(key, person)
    running = source._resaving[key]
    try:
        await asyncio.wait_for(asyncio.wrap_future(running), 60)  # it loops an hour if not
    finally:
        running.cancel()
        await source.aclose()


def test_the_mcp_server_logs_warnings_by_default() -> None:
    from ocp_users_photo.command_line import CommandLineParser
    from ocp_users_photo.mcp_command import configure_parser

    parser = CommandLineParser(prog="mcp")
    configure_parser(parser)
    assert parser.parse_args([]).log_level == "warning"


def test_the_mcp_command_leaves_the_root_loggers_level_and_skips_the_history_check_when_not_keeping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from ocp_users_photo import mcp_command

    async def serve_nothing(tool: UsersSetPhoto) -> None:
        await tool.aclose()

    monkeypatch.setattr(mcp_command, "_serve_until_interrupted", serve_nothing)
    monkeypatch.setenv("SLACK_USER_TOKEN", "xoxp-1-mutation-round-four")
    root = logging.getLogger()
    before = root.level
    caplog.set_level(logging.DEBUG, logger=MCP_LOGGER)
    root.setLevel(logging.CRITICAL)
    try:
        status = mcp_command.main(
            [
                "--image-root",
                str(tmp_path),
                "--history",
                str(tmp_path),  # a folder: unusable, but nothing is kept
                "--no-keep-previous",
                "--log-level",
                "debug",
            ]
        )
        assert root.level == logging.CRITICAL
    finally:
        root.setLevel(before)
    assert status == 0
    assert not [r for r in caplog.records if "every change will be refused" in r.getMessage()]


def test_the_mcp_command_refuses_to_start_with_stdout_closed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ocp_users_photo import mcp_command
    from ocp_users_photo.exit_codes import ExitCode

    monkeypatch.setattr("sys.stdout", None)
    assert mcp_command.main([]) == ExitCode.INVALID
    assert "stdout closed" in capsys.readouterr().err


async def test_serve_closes_the_tool_when_the_host_hangs_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib
    import dataclasses
    from collections.abc import AsyncIterator

    from ocp_users_photo import mcp_server

    @contextlib.asynccontextmanager
    async def hung_up() -> AsyncIterator[Any]:
        raise BrokenPipeError("the host closed stdout")
        yield  # pragma: no cover

    sdk = dataclasses.replace(await asyncio.to_thread(load_sdk), stdio_server=hung_up)
    monkeypatch.setattr(mcp_server, "load_sdk", lambda: sdk)
    tool = await asyncio.to_thread(
        UsersSetPhoto, "xoxp-1-unused", image_roots=[tmp_path], keep_previous=False
    )
    closed: list[bool] = []
    real_aclose = tool.aclose

    async def recorded_aclose() -> None:
        closed.append(True)
        await real_aclose()

    monkeypatch.setattr(tool, "aclose", recorded_aclose)
    await mcp_server.serve(tool)
    assert closed == [True]


async def test_a_background_save_waits_for_the_persons_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Round 4's R04: a background save run beside a refresh of the same person (which
    holds the person's lock) could land after the newer installation that refresh saves,
    and the store's newest would hold the spent refresh token. While the lock is held here,
    no save is tried; once it is let go, the save goes through."""
    from ocp_users_photo.installations import source as source_module

    monkeypatch.setattr(source_module, "RESAVE_FIRST_WAIT", 0.01)
    source, key, person, store = _never_saving_source(tmp_path)
    store.failures = 0  # the store takes the next save
    try:
        async with source._locks.hold(key):
            source._resave_in_background(key, person)
            saving = asyncio.wrap_future(source._resaving[key])
            done, _ = await asyncio.wait({saving}, timeout=0.5)  # a save would take ~0.01 s
            assert not done, "saved while the person's lock was held"
            assert key in source._unsaved
        await asyncio.wait_for(saving, 60)  # a hang guard only
        assert key not in source._unsaved
        assert store.inner.find_installation(enterprise_id=None, team_id="T1", user_id="U1")
    finally:
        await source.aclose()
