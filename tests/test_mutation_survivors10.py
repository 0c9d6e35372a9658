"""Tests that kill mutants of this session's new code which the other tests let live."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.credentials import SlackToken
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import TransportError
from ocp_users_photo.frameworks import _calls
from ocp_users_photo.frameworks._calls import MAX_ARGUMENTS_CHARS, max_arguments_chars
from ocp_users_photo.images.limits import DEFAULT_LIMITS, ImageLimits
from ocp_users_photo.images.resolvers import max_text_chars
from ocp_users_photo.mcp_unread import AnsweringReadStream, _read_line, _top_level
from ocp_users_photo.safe_text import may_spell_otherwise, read_back
from ocp_users_photo.set_command import _refuse_writing_over_image
from ocp_users_photo.slack.client import SlackClient
from ocp_users_photo.slack.replies import is_http_status, is_server_error
from ocp_users_photo.slack.retry import RetryPolicy
from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.undo.store import _file_at
from ocp_users_photo.whoami import TokenIdentity, is_own_token_of
from tests.conftest import CANARY_TOKEN, inject
from tests.test_undo10 import photo_whose_original_is, png, serve_small_squares
from tests.undo_fixtures import GREEN, history_tool


class _Recorder:
    """Stands in for an AnsweringReadStream: records each error it would send."""

    def __init__(self) -> None:
        self.sent: list[tuple[int | str, int, str]] = []

    async def _send_error(self, request_id: int | str, code: int, message: str) -> None:
        self.sent.append((request_id, code, message))


async def test_a_batch_repeating_an_id_has_it_answered_once() -> None:
    recorder = _Recorder()
    batch: list[Any] = [
        {"jsonrpc": "2.0", "id": 7, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 7, "method": "ping"},
        {"jsonrpc": "2.0", "id": "7", "method": "ping"},
    ]
    await AnsweringReadStream._answer_batch(recorder, batch)  # type: ignore[arg-type]
    assert [request_id for request_id, _, _ in recorder.sent] == [7, "7"]


def test_a_batch_items_nested_object_does_not_start_another_item() -> None:
    # The walk (for nesting past what json.loads follows) keeps to each item's own members:
    # an object inside "params" is no item of the batch, and the "id" after it is the item's.
    line = '[{"jsonrpc": "2.0", "method": "m", "params": {"x": 1}, "id": 7}]'
    assert _top_level(line) == [{"jsonrpc": "2.0", "method": "m", "id": 7}]


def test_a_batch_item_that_is_an_array_gives_no_request() -> None:
    # Not JSON (json.loads refuses it), walked: an array holds no members, so no id is
    # read from it, whatever text looks like one inside it.
    line = '[["jsonrpc": "2.0", "id": 5, "method": "x"], {"id": 6, "method": "y"}]'
    assert _read_line(line) == [None, {"id": 6, "method": "y"}]


def test_the_last_code_point_is_read_back() -> None:
    # \U0010ffff is sys.maxunicode itself: a character, read back like any other.
    assert read_back("a\\U0010ffffb") == "a\U0010ffffb"
    assert read_back("\\U00110000") == "\\U00110000"


@pytest.mark.parametrize("digit", "01234567")
def test_a_backslash_before_any_octal_digit_may_spell_otherwise(digit: str) -> None:
    assert may_spell_otherwise(b'{"error": "x\\' + digit.encode() + b'"}')


def test_a_backslash_before_an_eight_spells_nothing() -> None:
    assert not may_spell_otherwise(b'{"error": "x\\8\\/"}')


def test_the_bounds_of_an_http_status() -> None:
    assert [is_http_status(status) for status in (99, 100, 599, 600)] == [
        False,
        True,
        True,
        False,
    ]
    assert [is_server_error(status) for status in (499, 500, 599, 600)] == [
        False,
        True,
        True,
        False,
    ]


class _EchoTool:
    """A model tool that answers with the arguments it was given."""

    name = "echo"
    description = "Answers with its arguments."
    input_schema: dict[str, Any] = {"type": "object", "properties": {}}  # noqa: RUF012

    async def run(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        return {"ok": True, "arguments": dict(arguments)}


async def test_arguments_exactly_as_long_as_the_bound_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arguments = json.dumps({"note": "x" * 50})
    monkeypatch.setattr(_calls, "MAX_ARGUMENTS_CHARS", len(arguments))
    answer = await _calls.run_json_arguments(_EchoTool(), arguments)
    assert answer == {"ok": True, "arguments": {"note": "x" * 50}}
    refused = await _calls.run_json_arguments(_EchoTool(), arguments + " ")
    assert refused["error"] == "invalid_arguments"
    assert "characters of JSON" in refused["message"]


async def test_a_photo_tools_argument_bound_is_the_image_text_and_the_room_beside_it() -> None:
    larger = ImageLimits(max_bytes=64 * 1024 * 1024)
    smaller = ImageLimits(max_bytes=1024 * 1024)
    beside = MAX_ARGUMENTS_CHARS - max_text_chars(DEFAULT_LIMITS)
    assert beside > 0
    async with (
        UsersSetPhoto(CANARY_TOKEN, environ={}, limits=larger) as large_tool,
        UsersSetPhoto(CANARY_TOKEN, environ={}, limits=smaller) as small_tool,
    ):
        assert max_arguments_chars(large_tool) == max_text_chars(larger) + beside
        # A tool that takes smaller images still reads the default's arguments (its own
        # check then says what is too large, by the image's own limit).
        assert max_arguments_chars(small_tool) == MAX_ARGUMENTS_CHARS


def test_a_preview_over_the_image_named_from_home_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "me.png").write_bytes(b"a photo")
    with pytest.raises(ValueError, match="--preview"):
        _refuse_writing_over_image("~/me.png", tmp_path / "me.png", None)
    with pytest.raises(ValueError, match="--history"):
        _refuse_writing_over_image("~/me.png", None, "~/me.png")
    _refuse_writing_over_image("~/me.png", tmp_path / "other.png", None)  # no file there: fine


@pytest.mark.parametrize(
    ("token_in", "person_in", "elsewhere"),
    [
        (("E1", "T1"), ("E2", "T1"), True),  # another organization
        (("E1", "T1"), ("E1", "T2"), False),  # one organization's user, another workspace
        (("E1", "T1"), (None, "T2"), False),  # told apart by one side's enterprise id alone
        ((None, "T1"), ("E1", "T2"), False),
        ((None, "T1"), (None, "T2"), True),  # outside any organization, another team
        ((None, "T1"), (None, "T1"), False),
        ((None, "T1"), (None, None), False),  # the person's team not known
    ],
)
def test_whether_a_token_is_another_workspaces(
    token_in: tuple[str | None, str], person_in: tuple[str | None, str | None], elsewhere: bool
) -> None:
    identity = TokenIdentity(
        user_id="U1",
        user="alice",
        team_id=token_in[1],
        team="Team",
        url="https://team.slack.com/",
        kind="user",
        scopes=None,
        enterprise_id=token_in[0],
    )
    person = ActingPerson(team_id=person_in[1], user_id="U1", enterprise_id=person_in[0])
    # The same user id: the token is the person's own unless it is of another place.
    assert is_own_token_of(identity, person) is not elsewhere


async def test_an_original_of_exactly_slacks_least_side_is_kept_as_it_is(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    original = png((512, 512))
    profile = await photo_whose_original_is(emulator, original)
    serve_small_squares(emulator, profile)  # squares that are no use: never asked for
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        result = await tool.run({"image": GREEN})
        assert result["ok"], result["message"]
        (kept,) = await tool.history()
    assert kept.byte_count == len(original)


async def test_a_narrow_original_under_slacks_least_side_with_no_square_refuses_the_change(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # Its longer side is past 512: its shorter one is what Slack refuses.
    profile = await photo_whose_original_is(emulator, png((300, 600)))
    serve_small_squares(emulator, profile)
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        result = await tool.run({"image": GREEN})
        assert await tool.history() == []
    assert result["error"] == "previous_photo_not_kept"
    assert "300x600" in result["message"]


def test_which_file_a_path_names_is_its_device_and_inode(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    assert _file_at(path) is None
    path.write_bytes(b"")
    found = os.stat(path)
    assert _file_at(path) == (found.st_dev, found.st_ino)


_BIG = b'{"ok":true,"pad":"' + b"x" * 4000 + b'"}'


@pytest.mark.parametrize(
    "fault",
    [
        Fault.raw(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
            + str(len(_BIG)).encode()
            + b"\r\nconnection: close\r\n\r\n"
            + _BIG
        ),
        Fault.raw(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n" + _BIG),
        Fault.raw(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: br\r\n"
            b"content-length: 4\r\nconnection: close\r\n\r\nabcd"
        ),
        Fault.status(403, body=b'{"ok": true}', headers={"content-type": "application/json"}),
    ],
    ids=["declared past the cap", "read past the cap", "unknown coding", "no slack code"],
)
async def test_an_unreadable_reply_names_its_method(
    emulator: RunningEmulator, fault: Fault
) -> None:
    inject(emulator, fault, method="users.profile.get")
    client = SlackClient(
        base_url=emulator.base_url,
        user_agent="tests",
        retry=RetryPolicy(max_retries=0, backoff=0.01),
        max_reply_bytes=1000,
    )
    try:
        with pytest.raises(TransportError) as caught:
            await client.call("users.profile.get", token=SlackToken(CANARY_TOKEN))
    finally:
        await client.aclose()
    assert caught.value.method == "users.profile.get", str(caught.value)
