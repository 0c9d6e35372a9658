"""Tests that kill the mutants a fourth hand mutation round let live (the MCP server and its
command, the framework adapters, the installation source's background save, the PostgreSQL
refresh lock, the undo's entries and turns).

Each test names the rule it holds; the mutant it was written against is in the commit
message of the round.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo.frameworks._calls import is_correctable, run_json_arguments
from ocp_users_photo.mcp_server import _build_server, call_tool, load_sdk
from ocp_users_photo.tool import UsersSetPhoto
from ocp_users_photo.undo import turns
from ocp_users_photo.undo.entries import is_default_avatar

MCP_LOGGER = "ocp_users_photo.mcp_server"


class _Answering:
    """A model tool whose run answers ``result`` and records the arguments it was given."""

    name = "usersSetPhoto"
    description = "sets a photo"
    input_schema: Mapping[str, Any] = {"type": "object", "properties": {}}

    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result
        self.arguments: list[Mapping[str, Any]] = []

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
    assert "m" * 401 not in logged
    assert len(logged) < 700


async def test_no_arguments_reach_the_tool_as_an_empty_object() -> None:
    tool = _Answering({"ok": True})
    await call_tool(tool, "usersSetPhoto", None)
    assert tool.arguments == [{}]


class _Cancelled(_Answering):
    async def run(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        raise asyncio.CancelledError


async def test_a_call_the_host_cancels_is_a_warning_and_stays_cancelled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=MCP_LOGGER)
    with pytest.raises(asyncio.CancelledError):
        await call_tool(_Cancelled({"ok": True}), "usersSetPhoto", {})
    (record,) = [r for r in caplog.records if r.name == MCP_LOGGER]
    assert record.levelno == logging.WARNING
    assert "look at the Slack profile" in record.getMessage()


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
    sdk = load_sdk()
    with pytest.raises(sdk.protocol_error) as refused:
        await _request(keeping_server, "tools/list", {"cursor": "page-2"})
    assert refused.value.code == sdk.types.INVALID_PARAMS


async def test_an_unknown_tool_name_is_quoted_bounded_and_the_offered_ones_named(
    keeping_server: Any,
) -> None:
    sdk = load_sdk()
    name = "evil\nname" + "z" * 300
    with pytest.raises(sdk.protocol_error) as refused:
        await _request(keeping_server, "tools/call", {"name": name, "arguments": {}})
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
    ("avatar_hash", "is_custom", "has_original", "default"),
    [
        ("g5a1b2c3", True, True, True),  # a "g" hash is the default, whatever else is said
        ("0a1b2c3d", False, True, True),  # Slack's is_custom_image: false
        ("0a1b2c3d", True, False, False),  # a custom photo whose original is not given
        ("0a1b2c3d", None, False, True),  # Slack's example: no is_custom_image, no original
        ("0a1b2c3d", None, True, False),
    ],
)
def test_the_default_avatar_rule(
    avatar_hash: str, is_custom: object, has_original: bool, default: bool
) -> None:
    assert is_default_avatar(avatar_hash, is_custom=is_custom, has_original=has_original) is default


def test_this_machine_never_holds_the_holders_separator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "box|4242|forged")
    assert "|" not in turns._this_machine()


@pytest.mark.skipif(not os.path.exists("/proc/self/ns/pid"), reason="no PID namespaces here")
def test_this_machine_names_its_pid_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "box")
    namespace = os.stat("/proc/self/ns/pid").st_ino
    assert turns._this_machine() == f"box/pidns:{namespace}"
