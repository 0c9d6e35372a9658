"""$OCP_USERS_PHOTO_HISTORY as a host sets it: an MCP host's env block expands no variables,
so "$HOME/h.sqlite3" arrived as it was typed and made a folder named "$HOME" in whatever
folder the server started in; a relative path named another file from every folder. The
variable is refused while it holds a variable, and a relative one is made a full path where
it is read, and named so in every undo hint."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.settings import history_path_from
from ocp_users_photo.undo.errors import HistoryUnavailable
from tests.conftest import CANARY_TOKEN
from tests.programs import run_cli
from tests.undo_fixtures import picture


@pytest.mark.parametrize("value", ["$HOME/h.sqlite3", "${HOME}/h.sqlite3", "%APPDATA%\\h.sqlite3"])
def test_a_variable_left_unexpanded_is_refused_with_what_to_give(value: str) -> None:
    tool = UsersSetPhoto(CANARY_TOKEN, environ={"OCP_USERS_PHOTO_HISTORY": value})
    with pytest.raises(HistoryUnavailable, match="give the full path") as refused:
        _ = tool.photo_history
    assert "OCP_USERS_PHOTO_HISTORY" in str(refused.value)
    assert "expands" in str(refused.value)


async def test_a_model_door_returns_an_unexpanded_history_variable_as_its_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # run() promises a result, never an exception: the variable's refusal, met during the
    # call (where the history is first used), came out of it as a bare ValueError.
    monkeypatch.chdir(tmp_path)
    environ = {"OCP_USERS_PHOTO_HISTORY": "$HOME/h.sqlite3"}
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url="http://127.0.0.1:9/api", environ=environ, image_roots=[tmp_path]
    ) as tool:
        (tmp_path / "red.png").write_bytes(picture((200, 30, 30)))
        result = await tool.run({"image": "red.png"})
    assert result["ok"] is False, result
    assert result["error"] == "history_unavailable", result
    assert "nothing was changed in Slack" in result["message"], result
    assert "OCP_USERS_PHOTO_HISTORY" not in result["message"], result  # the person's words
    assert not (tmp_path / "$HOME").exists()


def test_a_folder_really_named_with_a_dollar_or_percent_is_taken(tmp_path: Path) -> None:
    for name in ("a$b", "%x%", "price$5"):
        value = str(tmp_path / name / "h.sqlite3")
        assert history_path_from(value) == value


async def test_a_bad_variable_is_never_met_by_whoever_names_their_own_history_or_keeps_none(
    slack_emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Checked where the history is first used: photo_history= (or --history) comes first,
    # and a call that keeps nothing, or only reads, never uses one.
    monkeypatch.chdir(tmp_path)  # where a folder named "$HOME" was made
    bad = {"OCP_USERS_PHOTO_HISTORY": "$HOME/h.sqlite3"}
    own = tmp_path / "own.sqlite3"
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=slack_emulator.base_url, environ=bad, photo_history=own
    ) as tool:
        assert tool.photo_history.path == own
        assert (await tool.call({"image": picture((200, 30, 30))}))["ok"] is True
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=slack_emulator.base_url, environ=bad, keep_previous=False
    ) as tool:
        assert (await tool.call({"image": picture((30, 160, 60))}))["ok"] is True
        assert (await tool.whoami()).user_id
    assert not (tmp_path / "$HOME").exists()


def test_a_relative_history_is_made_a_full_path_where_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    tool = UsersSetPhoto(CANARY_TOKEN, environ={"OCP_USERS_PHOTO_HISTORY": "kept/h.sqlite3"})
    monkeypatch.chdir(tmp_path.parent)  # a later working folder changes nothing
    assert tool.photo_history.path == tmp_path / "kept" / "h.sqlite3"
    home = UsersSetPhoto(CANARY_TOKEN, environ={"OCP_USERS_PHOTO_HISTORY": "~/h.sqlite3"})
    assert home.photo_history.path == Path(os.path.expanduser("~/h.sqlite3"))


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def test_set_names_a_relative_history_in_full_in_its_undo_hint(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    image = tmp_path / "red.png"
    image.write_bytes(picture((200, 30, 30)))
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": "relative.sqlite3",
    }
    done = run_cli("set", str(image), env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        f"The photo it replaced is kept as #1: "
        f"'ocp-users-photo undo --history {tmp_path / 'relative.sqlite3'}' puts it back."
    ), done.stdout


@pytest.mark.parametrize("command", ["set", "history", "undo", "mcp"])
@pytest.mark.parametrize("value", ["$HOME/h.sqlite3", "${HOME}/h.sqlite3", "%APPDATA%\\h.sqlite3"])
def test_history_given_with_a_variable_left_as_written_is_refused_before_anything(
    slack_emulator: RunningEmulator, tmp_path: Path, command: str, value: str
) -> None:
    """``--history '$HOME/h.sqlite3'``, as an MCP host's args pass it, made a folder named
    "$HOME" where the program started, and kept the photos there, where no undo looks."""
    image = tmp_path / "red.png"
    image.write_bytes(picture((200, 30, 30)))
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    words = [str(image)] if command == "set" else []
    done = run_cli(command, *words, "--history", value, env=env, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "a variable nothing expanded" in done.stderr, done.stderr
    assert "give the history's full path" in done.stderr, done.stderr
    assert slack_emulator.requests.all() == []
    assert sorted(path.name for path in tmp_path.iterdir()) == ["red.png"]


@pytest.mark.parametrize("command", ["set", "history", "undo", "mcp"])
def test_an_empty_history_is_refused_before_anything(
    slack_emulator: RunningEmulator, tmp_path: Path, command: str
) -> None:
    """``--history "$HIST"`` with the variable empty: the default file was read, and the
    undo hint then named the working folder as the history (a folder, refused)."""
    image = tmp_path / "red.png"
    image.write_bytes(picture((200, 30, 30)))
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    words = [str(image)] if command == "set" else []
    done = run_cli(command, *words, "--history", "", env=env, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "the path is empty" in done.stderr, done.stderr
    assert slack_emulator.requests.all() == []


@pytest.mark.parametrize("value", ["$HOME/Pictures", "${HOME}/Pictures", "%USERPROFILE%\\Pictures"])
def test_an_image_root_given_with_a_variable_left_as_written_names_the_variable(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--image-root $HOME/Pictures`` from a host's args was refused as a relative path
    taken from the working folder: true, but the variable is what to mend, as --history's
    refusal says. Every door reads its roots through the same check."""
    with pytest.raises(ValueError, match="a variable nothing expanded") as refused:
        UsersSetPhoto(CANARY_TOKEN, image_roots=[value], environ={})
    assert str(refused.value).endswith("give the folder's full path"), refused.value
    variable = value.split("/")[0].split("\\")[0]
    assert f"starts with '{variable}', a variable" in str(refused.value), refused.value
    done = run_cli(
        "mcp", "--image-root", value, env={"SLACK_USER_TOKEN": CANARY_TOKEN}, cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert "a variable nothing expanded" in done.stderr, done.stderr
    # A folder really named so, where the path is taken from, is a root as any other.
    (tmp_path / value).mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    UsersSetPhoto(CANARY_TOKEN, image_roots=[value], environ={})


@pytest.mark.parametrize("command", ["set", "history", "undo"])
@pytest.mark.parametrize("value", [" ", "\t", "  \n"])
def test_a_blank_history_variable_is_refused_before_anything(
    slack_emulator: RunningEmulator, tmp_path: Path, command: str, value: str
) -> None:
    """``OCP_USERS_PHOTO_HISTORY= `` (an env file's, a script's "$HIST " with HIST empty):
    taken as a path, the photos were kept in a file named " " in the working folder, which
    every message named as the folder itself, and an undo from another folder found none."""
    image = tmp_path / "red.png"
    image.write_bytes(picture((200, 30, 30)))
    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": value,
    }
    words = [str(image)] if command == "set" else []
    done = run_cli(command, *words, env=env, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "OCP_USERS_PHOTO_HISTORY is blank" in done.stderr, done.stderr
    assert "nothing was changed in Slack" in done.stderr, done.stderr
    assert slack_emulator.requests.all() == []
    assert sorted(path.name for path in tmp_path.iterdir()) == ["red.png"]
    with pytest.raises(HistoryUnavailable, match="is blank"):
        _ = UsersSetPhoto(CANARY_TOKEN, environ={"OCP_USERS_PHOTO_HISTORY": value}).photo_history
