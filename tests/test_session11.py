"""Loose ends of the eleventh sitting, each shown failing before its fix.

A kept photo that no longer passes the image checks is refused as its entry (the
argument a restore has), with another entry as the way on; Python's restore() says
"nothing was put back", not that a model tool was not called.

A relative ``--image-root`` that the MCP host's working directory turns into the home
folder or ``/`` is refused, as the default root is there: ``"--image-root", "."`` in a
host's configuration opened every image under the home folder to the model.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.undo.errors import EntryRefused
from tests.conftest import CANARY_TOKEN, make_image, photo_requests
from tests.programs import environment_without_slack, run_cli, run_module
from tests.test_cli11 import kept_red_then_green, replace_kept_bytes
from tests.undo_fixtures import history_tool


def mcp_server_started_in(home: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The MCP server as a host starts it in ``home`` (the person's home folder), its stdin
    closed at once: it checks its options, then ends."""
    return run_module(
        "ocp_users_photo.mcp_server",
        *arguments,
        env={"SLACK_USER_TOKEN": CANARY_TOKEN, "HOME": str(home)},
        cwd=home,
        stdin_closed=True,
    )


@pytest.mark.parametrize("root", [".", "Pictures/..", "~/Pictures/.."])
def test_a_relative_image_root_the_host_makes_the_home_folder_is_refused(
    tmp_path: Path, root: str
) -> None:
    (tmp_path / "Pictures").mkdir()
    done = mcp_server_started_in(tmp_path, "--image-root", root)  # the home folder
    if root.startswith("~"):  # written from the home folder: the person's own choice
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2, done.stderr
    assert "is relative" in done.stderr, done.stderr
    assert str(tmp_path) in done.stderr, done.stderr
    assert "full path" in done.stderr, done.stderr
    assert CANARY_TOKEN not in done.stderr


def test_a_relative_image_root_below_the_home_folder_is_taken(tmp_path: Path) -> None:
    (tmp_path / "Pictures").mkdir()
    done = mcp_server_started_in(tmp_path, "--image-root", "Pictures")
    assert done.returncode == 0, done.stderr
    assert "is relative" not in done.stderr


@pytest.mark.parametrize(
    "written", ["١٢", "\uff11\uff12", "1_2", " 12", "12 ", "+12", "inf", "1e999"]
)
def test_timeout_is_a_number_in_the_digits_0_9(written: str) -> None:
    """float() took other scripts' digits, '_' and spaces: '--timeout ١٢' was 12 seconds."""
    done = run_cli("whoami", "--timeout", written, env={"SLACK_USER_TOKEN": CANARY_TOKEN})
    assert done.returncode == 2, done.stderr
    assert "is not a number of seconds over 0, such as 30 or 2.5" in done.stderr
    assert CANARY_TOKEN not in done.stderr


@pytest.mark.parametrize(("written", "seconds"), [("30", 30.0), ("2.5", 2.5), (".5", 0.5)])
def test_timeout_written_as_numbers_are_is_taken(written: str, seconds: float) -> None:
    from ocp_users_photo.cli import build_parser

    args = build_parser().parse_args(["whoami", "--timeout", written])
    assert args.timeout == seconds


@pytest.mark.parametrize("written", ["9" * 5000, "9" * 16, "-1", "2.0", "\u0661"])
def test_max_retries_past_fifteen_digits_is_refused_in_the_tools_words(
    written: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """int() refuses past 4,300 digits: argparse said so in its own words ("invalid
    _retries value"), quoting 2,000 of them (a review)."""
    from ocp_users_photo.cli import build_parser

    with pytest.raises(SystemExit) as ended:
        build_parser().parse_args(["whoami", "--max-retries", written])
    said = capsys.readouterr().err
    assert ended.value.code == 2
    assert "is not a whole number of at most 15 digits, 0 or more, such as 2" in said, said
    assert "_retries" not in said
    assert len(said) < 600, len(said)


def test_max_retries_of_fifteen_digits_is_taken() -> None:
    from ocp_users_photo.cli import build_parser

    args = build_parser().parse_args(["whoami", "--max-retries", "9" * 15])
    assert args.max_retries == 10**15 - 1


# A kept photo that fails the image checks is refused as an entry, not as an image -------


async def test_a_kept_photo_that_is_no_image_now_is_refused_as_its_entry(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history_file = tmp_path / "history.sqlite3"
    await kept_red_then_green(emulator, history_file)
    replace_kept_bytes(history_file, 2, b"not an image at all" * 10)
    sets = len(photo_requests(emulator))
    async with history_tool(emulator, history_file) as tool:
        answer = await tool.restore_tool().run({"entry": 2})
    assert [problem["path"] for problem in answer["problems"]] == ["$.entry"]
    assert "not an image in a format this tool decodes" in answer["message"]
    assert "send a PNG" not in answer["message"]
    assert len(photo_requests(emulator)) == sets


async def test_a_missing_entry_in_python_says_nothing_was_put_back(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Python's restore() calls no tool: "usersRestorePhoto was not called" was wrong there."""
    history_file = tmp_path / "history.sqlite3"
    await kept_red_then_green(emulator, history_file)
    async with history_tool(emulator, history_file) as tool:
        with pytest.raises(EntryRefused) as refused:
            await tool.restore(99)
        answer = await tool.restore_tool().run({"entry": 99})
    assert str(refused.value).startswith("nothing was put back: there is no kept photo #99")
    assert answer["message"].startswith("usersRestorePhoto sent nothing to Slack: there is no kept")


@pytest.mark.parametrize("flag", ["--preview", "--history"])
def test_a_file_to_be_written_named_like_a_token_is_refused(tmp_path: Path, flag: str) -> None:
    """``--preview xoxp-....png`` (the token pasted one word too far) made a file whose
    name carried the token, on disk and in every listing, where the output masked it."""
    image = tmp_path / "me.png"
    image.write_bytes(make_image())
    named = f"{CANARY_TOKEN}.png"
    done = run_cli(
        "set", str(image), flag, named, "--dry-run", env=environment_without_slack(), cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert f"argument {flag}: the file name is shaped like a Slack token" in done.stderr
    assert CANARY_TOKEN not in done.stderr + done.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["me.png"]


def test_the_mcp_servers_history_named_like_a_token_is_refused(tmp_path: Path) -> None:
    history = f"{CANARY_TOKEN}.sqlite3"
    done = mcp_server_started_in(tmp_path, "--image-root", str(tmp_path), "--history", history)
    assert done.returncode == 2, done.stderr
    assert "the file name is shaped like a Slack token" in done.stderr
    assert CANARY_TOKEN not in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "ids",
    [
        {"team_id": "T1|B", "user_id": "C"},
        {"team_id": "T1", "user_id": "B|C"},
        {"team_id": "T1", "user_id": ""},
        {"team_id": "T1", "user_id": "U1\n"},
        {"team_id": None, "user_id": "U1", "enterprise_id": "E1 x"},
    ],
    ids=["bar-in-team", "bar-in-user", "empty-user", "newline", "space-in-enterprise"],
)
def test_an_acting_persons_ids_are_shaped_as_slacks(ids: dict[str, Any]) -> None:
    """Bound with a bare acting_as(ActingPerson(...)) (the frameworks' way), ids went
    unchecked: team "A|B" with user "C" and team "A" with user "B|C" made one key for the
    token lock, the lease and a refreshed installation kept in memory (tenants11)."""
    with pytest.raises(ValueError, match="must be a Slack id"):
        ActingPerson(**ids)


def test_slacks_own_ids_make_an_acting_person() -> None:
    person = ActingPerson(team_id="T0123ABCD", user_id="U0456EFGH", enterprise_id="E0789")
    assert str(person) == "U0456EFGH in T0123ABCD"


def test_the_install_page_follows_a_whole_sentence() -> None:
    """A token_not_usable refusal ends without a full stop: "...install the app again The
    app's install page: ..." ran the two together (tenants11)."""
    from ocp_users_photo.errors import Problem, TokenNotUsable
    from ocp_users_photo.model_result import error_result

    refused = TokenNotUsable(
        [Problem("$.token", "the token lacks users.profile:write: install the app again")],
        reinstall=True,
    )
    message = error_result(refused, install_url="https://example.com/install")["message"]
    assert message.endswith("again. The app's install page: https://example.com/install")


def test_a_token_with_only_its_closing_quote_says_to_remove_it() -> None:
    """Copied from a .env line up to its closing quote: it went to Slack, which answered
    invalid_auth, saying nothing of the quote (diffreview11)."""
    from ocp_users_photo.credentials import check_token_text

    for pasted, told in (
        (f'{CANARY_TOKEN}"', "a quote mark at its end: remove it"),
        (f"{CANARY_TOKEN}'", "a quote mark at its end: remove it"),
        (f'"{CANARY_TOKEN}"', "quote marks around it: remove them"),
    ):
        token, problems = check_token_text(pasted, origin="$SLACK_USER_TOKEN")
        assert token is None
        (problem,) = problems
        assert told in problem.message
        assert CANARY_TOKEN not in problem.message


def test_a_folder_named_like_a_token_may_hold_the_history(tmp_path: Path) -> None:
    """Only the written file's own name is refused (diffreview11): a folder of the person's
    own naming is theirs."""
    from ocp_users_photo.cli_options import file_to_write

    folder = tmp_path / "xoxc-notes"
    assert file_to_write(str(folder / "history.sqlite3")) == str(folder / "history.sqlite3")
    with pytest.raises(argparse.ArgumentTypeError, match="shaped like a Slack token"):
        file_to_write(str(tmp_path / f"{CANARY_TOKEN}.sqlite3"))


def test_only_a_missing_read_scope_sends_the_person_to_install_again() -> None:
    """Keeping that failed for another reason (the history unwritable, the original
    unreachable) is not mended by installing again: no install page then (mutation11)."""
    from ocp_users_photo.model_result import error_result
    from ocp_users_photo.undo.errors import KeepingImpossible

    page = "https://example.com/install"
    for needs_read_scope, expected in ((True, page), (False, None)):
        refused = KeepingImpossible("not kept", fix="ask", needs_read_scope=needs_read_scope)
        assert error_result(refused, install_url=page).get("install_url") == expected


@pytest.mark.parametrize("ending", ["?", "!", "."])
def test_a_message_ending_in_its_own_mark_gets_no_second_one(ending: str) -> None:
    from ocp_users_photo.errors import Problem, TokenNotUsable
    from ocp_users_photo.model_result import error_result

    refused = TokenNotUsable([Problem("$.token", f"is it installed{ending}")], reinstall=True)
    message = error_result(refused, install_url="https://example.com/install")["message"]
    assert message.endswith(
        f"is it installed{ending} The app's install page: https://example.com/install"
    )


async def test_a_base_url_without_api_is_told_so_not_blamed_on_a_proxy(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """UsersSetPhoto(base_url=the emulator's root, no /api): the 404 was said to be a proxy
    or a gateway refusing the request (newcomer11); it is the address."""
    from ocp_users_photo import TransportError, UsersSetPhoto

    image = tmp_path / "me.png"
    image.write_bytes(make_image())
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.root_url, image_roots=[tmp_path], environ={}
    ) as tool:
        with pytest.raises(TransportError) as refused:
            await tool.call({"image": str(image)})
    text = str(refused.value)
    assert "HTTP 404" in text
    assert "it ends in /api, as in https://slack.com/api" in text
    assert "proxy" not in text
    assert refused.value.reached is False
    assert CANARY_TOKEN not in text


async def test_a_history_path_that_is_a_folder_says_so(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """photo_history=a folder was "cannot be written (SQLite: unable to open database
    file)", which did not say the path was a folder (newcomer11)."""
    from ocp_users_photo import UsersSetPhoto
    from ocp_users_photo.undo import HistoryUnavailable

    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, photo_history=tmp_path, environ={}
    ) as tool:
        with pytest.raises(HistoryUnavailable) as refused:
            await tool.history()
    text = str(refused.value)
    assert "is a folder, and the history is a file" in text
    assert str(tmp_path / "photo-history.sqlite3") in text
    assert not os.listdir(tmp_path)  # nothing made in the folder


def test_a_tool_without_a_token_shows_none_in_its_repr() -> None:
    """It showed token='None', as if the token's text were None (newcomer11)."""
    from ocp_users_photo import UsersSetPhoto

    assert "token=None," in repr(UsersSetPhoto(environ={}))
    assert "token='given'," in repr(UsersSetPhoto(CANARY_TOKEN, environ={}))
    assert CANARY_TOKEN not in repr(UsersSetPhoto(CANARY_TOKEN, environ={}))


def test_a_history_named_like_a_token_with_a_trailing_slash_is_refused() -> None:
    """--history ~/xoxp-.../ had an empty last name, so it passed (secrets11)."""
    from ocp_users_photo.cli_options import file_to_write

    with pytest.raises(argparse.ArgumentTypeError, match="shaped like a Slack token"):
        file_to_write(f"/tmp/{CANARY_TOKEN}/")


def test_an_id_refusal_quotes_no_more_than_an_ids_length() -> None:
    """A token stripped of its xoxp- is no token shape: 40 of its characters were quoted
    (secrets11); 20 hold any Slack id whole."""
    stripped = CANARY_TOKEN.split("-", 1)[1]
    with pytest.raises(ValueError, match="must be a Slack id") as refused:
        ActingPerson(team_id=stripped, user_id="U1")
    assert stripped[:24] not in str(refused.value)
