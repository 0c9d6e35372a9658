"""``ocp-users-photo set``, ``history`` and ``undo`` as a user runs them: subprocesses, the
token in the environment, the emulator over HTTP, the history in a file of the test's own.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator, user_id_for_token
from ocp_users_photo.settings import missing_token_advice
from tests.conftest import CANARY_TOKEN, make_image, photo_requests, shown_avatar_hash
from tests.test_cli import cli
from tests.undo_fixtures import NO_READ_TOKEN, no_read_token, picture


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


@pytest.fixture
def env(slack_emulator: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    return {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "history.sqlite3"),
    }


@pytest.fixture
def images(tmp_path: Path) -> tuple[Path, Path]:
    red, green = tmp_path / "red.png", tmp_path / "green.png"
    red.write_bytes(picture((200, 30, 30)))
    green.write_bytes(picture((30, 160, 60)))
    return red, green


def test_set_keeps_history_lists_undo_puts_back(
    slack_emulator: RunningEmulator, env: dict[str, str], images: tuple[Path, Path]
) -> None:
    red, green = images
    default_hash = shown_avatar_hash(slack_emulator)
    assert (
        cli(
            "set", str(red), "--crop-x", "0", "--crop-y", "0", "--crop-w", "512", env=env
        ).returncode
        == 0
    )
    red_hash = shown_avatar_hash(slack_emulator)
    assert cli("set", str(green), env=env).returncode == 0
    green_hash = shown_avatar_hash(slack_emulator)

    listed = cli("history", env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("Kept photos, newest first (")
    assert lines[1].strip().startswith("#2")
    assert f"avatar_hash {red_hash}" in lines[1]
    assert "crop x=0 y=0 w=512" in lines[1]
    assert lines[2].strip().startswith("#1")
    assert "default avatar" in lines[2]
    assert "(the original)" in lines[2]

    undone = cli("undo", env=env)
    assert undone.returncode == 0, undone.stderr
    assert undone.stdout.startswith("Put back #2")
    assert undone.stdout.splitlines()[-1] == (
        f"The photo it replaced (avatar_hash {green_hash}) was kept as #3: "
        "'ocp-users-photo undo' again goes back."
    )
    assert undone.stderr == ""
    assert shown_avatar_hash(slack_emulator) == red_hash

    back = cli("undo", "--entry", "1", "--json", env=env)
    assert back.returncode == 0, back.stderr
    answer = json.loads(back.stdout)
    assert answer["reply"] == {"ok": True}
    assert answer["restored"]["kind"] == "default"
    # The photo this undo replaced (red, put back by the first undo), by its entry: what
    # the text's last line names, for a program.
    assert answer["replaced"]["entry"] == 4
    assert answer["replaced"]["avatar_hash"] == red_hash
    assert shown_avatar_hash(slack_emulator) == default_hash

    as_json = json.loads(cli("history", "--json", env=env).stdout)
    assert [entry["entry"] for entry in as_json["entries"]] == [4, 3, 2, 1]
    # The entry as it stands once the undo is done, as the listing shows it: the change
    # was made (it said "pending: may not have happened", as when it was kept).
    assert answer["replaced"]["status"] == "changed"
    assert answer["replaced"] == as_json["entries"][0]
    assert as_json["history"] == env["OCP_USERS_PHOTO_HISTORY"]


def test_undo_with_nothing_kept_exits_2_and_sends_nothing(
    slack_emulator: RunningEmulator, env: dict[str, str]
) -> None:
    done = cli("undo", env=env)
    assert done.returncode == 2
    assert "no kept photo" in done.stderr
    missing = cli("undo", "--entry", "7", env=env)
    assert missing.returncode == 2
    assert "no kept photo #7" in missing.stderr
    # The terminal's way to list them, not the model's or the Python caller's.
    assert "list them with 'ocp-users-photo history'" in missing.stderr
    assert "usersRestorePhoto" not in missing.stderr
    assert "tool.history()" not in missing.stderr
    assert photo_requests(slack_emulator) == []


def test_history_and_undo_without_a_token_say_how_to_set_one_at_a_terminal(
    slack_emulator: RunningEmulator, env: dict[str, str]
) -> None:
    tokenless = {key: value for key, value in env.items() if key != "SLACK_USER_TOKEN"}
    for command in ("history", "undo"):
        done = cli(command, env=tokenless)
        assert done.returncode == 2, done.stderr
        # The terminal's advice (a variable, --token-env), not the Python caller's (token=).
        assert missing_token_advice("cli") in done.stderr
        assert "token=" not in done.stderr
    named = cli("history", "--token-env", "MY_PHOTO_TOKEN", env=tokenless)
    assert named.returncode == 2
    assert "--token-env MY_PHOTO_TOKEN: that environment variable is not set" in named.stderr
    assert slack_emulator.requests.all() == []


def test_set_without_the_read_scope_sets_and_warns_how_to_fix_it(
    slack_emulator: RunningEmulator, env: dict[str, str], images: tuple[Path, Path]
) -> None:
    token = no_read_token(slack_emulator)
    done = cli("set", str(images[0]), env={**env, "SLACK_USER_TOKEN": token})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Photo set")
    (warning,) = done.stderr.splitlines()
    assert warning.startswith("ocp-users-photo: warning: the photo shown now was not kept")
    assert "users.profile:read" in warning
    assert "reinstall" in warning
    assert len(photo_requests(slack_emulator)) == 1


def test_undo_without_the_read_scope_puts_back_warns_and_says_it_kept_nothing(
    slack_emulator: RunningEmulator, env: dict[str, str], images: tuple[Path, Path]
) -> None:
    default_hash = shown_avatar_hash(slack_emulator)
    assert cli("set", str(images[0]), env=env).returncode == 0
    # The same person's token, granted users.profile:write alone.
    slack_emulator.state.add_token(
        NO_READ_TOKEN, user_id=user_id_for_token(CANARY_TOKEN), scopes="users.profile:write"
    )
    done = cli("undo", env={**env, "SLACK_USER_TOKEN": NO_READ_TOKEN})
    assert done.returncode == 0, done.stderr
    assert shown_avatar_hash(slack_emulator) == default_hash
    (warning,) = done.stderr.splitlines()
    assert warning.startswith("ocp-users-photo: warning: the photo shown now was not kept")
    assert "users.profile:read" in warning
    assert done.stdout.splitlines()[-1] == (
        "The photo it replaced was not kept (see the warning): this cannot be undone."
    )
    assert "again goes back" not in done.stdout
    listed = json.loads(cli("history", "--json", env=env).stdout)
    assert [entry["entry"] for entry in listed["entries"]] == [1]  # nothing new was kept


def test_undo_of_the_photo_shown_says_nothing_changed_not_that_it_cannot_be_undone(
    slack_emulator: RunningEmulator, env: dict[str, str], images: tuple[Path, Path]
) -> None:
    """`undo --entry 2` twice: the second puts back the photo Slack shows already. It used to
    say "The photo it replaced was not kept: this cannot be undone" (the review of
    2026-12-05), when nothing had changed and undo still went back as before."""
    red, green = images
    assert cli("set", str(red), env=env).returncode == 0
    assert cli("set", str(green), env=env).returncode == 0
    first = cli("undo", "--entry", "2", env=env)
    assert first.returncode == 0, first.stderr
    red_hash = shown_avatar_hash(slack_emulator)
    again = cli("undo", "--entry", "2", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""
    assert again.stdout.splitlines()[-1] == (
        "Slack showed this photo already: nothing changed, and nothing more was kept."
    )
    assert "cannot be undone" not in again.stdout
    assert shown_avatar_hash(slack_emulator) == red_hash
    listed = json.loads(cli("history", "--json", env=env).stdout)
    assert [entry["entry"] for entry in listed["entries"]] == [3, 2, 1]


def test_set_with_no_keep_previous_reads_nothing(
    slack_emulator: RunningEmulator, env: dict[str, str], images: tuple[Path, Path]
) -> None:
    done = cli("set", str(images[0]), "--no-keep-previous", env=env)
    assert done.returncode == 0, done.stderr
    assert not slack_emulator.requests.for_path("/api/users.profile.get")
    assert not Path(env["OCP_USERS_PHOTO_HISTORY"]).exists()


def test_a_damaged_history_stops_set_before_anything_is_sent(
    slack_emulator: RunningEmulator, env: dict[str, str], images: tuple[Path, Path]
) -> None:
    # SQLite's header, then nothing SQLite reads: a history, damaged (other files: test_cli14).
    Path(env["OCP_USERS_PHOTO_HISTORY"]).write_bytes(b"SQLite format 3\x00" + b"not a db" * 100)
    done = cli("set", str(images[0]), env=env)
    assert done.returncode == 2
    assert "is damaged" in done.stderr
    assert "nothing was changed in Slack" in done.stderr
    assert photo_requests(slack_emulator) == []


def test_manifest_prints_the_undo_tool_and_both(env: dict[str, str]) -> None:
    restore = json.loads(cli("manifest", "--format", "mcp", "--tool", "usersRestorePhoto").stdout)
    assert restore["name"] == "usersRestorePhoto"
    assert "outputSchema" in restore
    both = json.loads(cli("manifest", "--format", "openai", "--tool", "all").stdout)
    assert [tool["function"]["name"] for tool in both] == ["usersSetPhoto", "usersRestorePhoto"]


def test_each_undo_hint_names_the_history_the_command_was_given(
    slack_emulator: RunningEmulator, env: dict[str, str], images: tuple[Path, Path], tmp_path: Path
) -> None:
    # A --history of its own: a plain 'ocp-users-photo undo' reads the other history and
    # finds nothing there, so the photo kept was lost to whoever followed the hint.
    red, green = images
    own = tmp_path / "my photos" / "kept.sqlite3"
    own.parent.mkdir()
    undo_words = f"\"ocp-users-photo undo --history '{own}'\""
    first = cli("set", str(red), "--history", str(own), env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == (
        f"The photo it replaced is kept as #1: {undo_words} puts it back."
    ), first.stdout
    assert cli("set", str(green), "--history", str(own), env=env).returncode == 0
    listed = cli("history", "--history", str(own), env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[-1] == (
        f"Put one back with \"ocp-users-photo undo --entry N --history '{own}'\" "
        f"({undo_words} puts back #2, the photo before the last change)."
    ), listed.stdout
    undone = cli("undo", "--history", str(own), env=env)
    assert undone.returncode == 0, undone.stderr
    assert undone.stdout.splitlines()[-1].endswith(f"was kept as #3: {undo_words} again goes back.")
    # The history given by the environment needs no flag: undo finds it there too.
    plain = cli("set", str(green), env=env)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.splitlines()[-1] == (
        "The photo it replaced is kept as #1: 'ocp-users-photo undo' puts it back."
    ), plain.stdout


def test_set_without_keeping_says_nothing_of_undo(
    slack_emulator: RunningEmulator, env: dict[str, str], images: tuple[Path, Path]
) -> None:
    done = cli("set", str(images[0]), "--no-keep-previous", env=env)
    assert done.returncode == 0, done.stderr
    assert "undo" not in done.stdout, done.stdout


def test_history_after_a_set_that_kept_nothing_does_not_call_undo_its_undo(
    slack_emulator: RunningEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    """set a, set b, set c --no-keep-previous: history said "'ocp-users-photo undo' puts
    back #2, the photo before the last change", and undo put back a: b, the photo the last
    change replaced, was never kept, and nothing said so."""
    paths = [tmp_path / f"{name}.png" for name in "abc"]
    for path, color in zip(paths, [(200, 30, 30), (30, 160, 60), (30, 60, 160)], strict=True):
        path.write_bytes(picture(color))
    assert cli("set", str(paths[0]), env=env).returncode == 0
    a_hash = shown_avatar_hash(slack_emulator)
    assert cli("set", str(paths[1]), env=env).returncode == 0
    assert cli("set", str(paths[2]), "--no-keep-previous", env=env).returncode == 0
    listed = cli("history", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "the photo before the last change kept here" in listed.stdout, listed.stdout
    assert "set since by a change that kept nothing" in listed.stdout, listed.stdout
    assert cli("undo", env=env).returncode == 0
    assert shown_avatar_hash(slack_emulator) == a_hash  # what the listing now says it does
    listed = cli("history", env=env)  # the undo kept what it replaced: no note now
    assert "kept nothing" not in listed.stdout, listed.stdout


def test_history_json_says_what_its_read_of_the_photo_shown_found(
    slack_emulator: RunningEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    """history --json asked Slack for the photo shown (users.profile.get) after a set that
    kept nothing, then left what it found out: a script saw "undo_entry": 2 alone, as
    after a set that kept, and the request was made for nothing."""
    paths = [tmp_path / f"{name}.png" for name in "abc"]
    for path, color in zip(paths, [(200, 30, 30), (30, 160, 60), (30, 60, 160)], strict=True):
        path.write_bytes(picture(color))
    assert cli("set", str(paths[0]), env=env).returncode == 0
    assert cli("set", str(paths[1]), env=env).returncode == 0
    assert json.loads(cli("history", "--json", env=env).stdout)["shown_unkept"] is False
    assert cli("set", str(paths[2]), "--no-keep-previous", env=env).returncode == 0
    listed = json.loads(cli("history", "--json", env=env).stdout)
    assert listed["undo_entry"] == listed["entries"][0]["entry"]
    assert listed["shown_unkept"] is True


def test_history_after_an_undo_to_the_default_avatar_then_a_set_that_kept_nothing(
    slack_emulator: RunningEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    """set a, undo (Slack's default avatar back: users.deletePhoto names no photo made), set
    b --no-keep-previous: history said undo "puts back #2, the photo before the last
    change", which is a, not the default avatar b replaced, and said nothing of b."""
    paths = [tmp_path / f"{name}.png" for name in "ab"]
    for path, color in zip(paths, [(200, 30, 30), (30, 160, 60)], strict=True):
        path.write_bytes(picture(color))
    assert cli("set", str(paths[0]), env=env).returncode == 0
    a_hash = shown_avatar_hash(slack_emulator)
    assert cli("undo", env=env).returncode == 0
    assert shown_avatar_hash(slack_emulator).startswith("g")
    listed = cli("history", env=env)  # the undo's change is the last: no note
    assert "kept nothing" not in listed.stdout, listed.stdout
    assert cli("set", str(paths[1]), "--no-keep-previous", env=env).returncode == 0
    listed = cli("history", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "set since by a change that kept nothing" in listed.stdout, listed.stdout
    assert cli("undo", env=env).returncode == 0
    assert shown_avatar_hash(slack_emulator) == a_hash  # what the listing says it puts back


def test_set_names_no_entry_when_it_kept_none_whatever_the_history_holds(
    slack_emulator: RunningEmulator, env: dict[str, str], images: tuple[Path, Path]
) -> None:
    # The history's newest entry written "after" this change (a clock set back since, or
    # another process): the line was taken from it, and named an entry this change never
    # kept, beside the warning that it kept nothing.
    assert cli("set", str(images[0]), env=env).returncode == 0
    history = Path(env["OCP_USERS_PHOTO_HISTORY"])
    with sqlite3.connect(history) as database:
        database.execute("UPDATE entries SET kept_at = kept_at + 3600")
    database.close()
    # The same person's token, granted users.profile:write alone: nothing can be kept.
    slack_emulator.state.add_token(
        NO_READ_TOKEN, user_id=user_id_for_token(CANARY_TOKEN), scopes="users.profile:write"
    )
    done = cli("set", str(images[1]), env={**env, "SLACK_USER_TOKEN": NO_READ_TOKEN})
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("ocp-users-photo: warning: the photo shown now was not kept")
    assert "kept as #" not in done.stdout, done.stdout
    assert "undo" not in done.stdout, done.stdout


@pytest.mark.parametrize("entry", ["0", "-1", "99999999999999999999", "abc", "\u0661"])
def test_every_entry_that_is_no_number_history_lists_gets_one_message(
    env: dict[str, str], entry: str
) -> None:
    done = cli("undo", "--entry", entry, env=env)
    assert done.returncode == 2, done.stderr
    assert (
        "is not an entry number: give one that 'ocp-users-photo history' lists (1 or more), "
        "in at most 16 digits 0-9"
    ) in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("entry", "quoted"),
    [
        ("1" * 21, "'" + "1" * 21 + "'"),  # whole: it was cut at 20, and read as typed
        ("1" * 30, "'" + "1" * 21 + "...'"),  # longer: said to be cut
    ],
)
def test_an_entry_number_too_long_is_quoted_whole_or_said_cut(
    env: dict[str, str], entry: str, quoted: str
) -> None:
    done = cli("undo", "--entry", entry, env=env)
    assert done.returncode == 2, done.stderr
    assert f"argument --entry: {quoted} is not an entry number" in done.stderr


def test_set_json_names_the_kept_entry_on_stderr(
    slack_emulator: RunningEmulator, env: dict[str, str], images: tuple[Path, Path]
) -> None:
    """stdout holds Slack's reply alone, as --json promises; the entry keeping the photo
    it replaced, and the undo that puts it back, go to stderr, as the text output says."""
    red, green = images
    first = cli("set", str(red), "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["ok"] is True
    assert first.stderr == (
        "The photo it replaced is kept as #1: 'ocp-users-photo undo' puts it back.\n"
    )
    second = cli("set", str(green), "--json", "--no-keep-previous", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stderr == ""  # nothing kept, nothing said
    assert cli("set", str(red), "--json", env=env).returncode == 0  # green kept, as #2
    again = cli("set", str(red), "--json", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stderr.startswith("Slack showed this very photo already")
    wide = red.with_name("wide.png")
    wide.write_bytes(make_image((800, 600)))
    letterboxed = cli("set", str(wide), "--json", "--no-keep-previous", env=env)
    assert letterboxed.returncode == 0, letterboxed.stderr
    assert json.loads(letterboxed.stdout)["ok"] is True
    assert "not square" in letterboxed.stderr.lower(), letterboxed.stderr


def test_history_undo_and_forget_told_of_no_user_say_what_was_not_done(
    slack_emulator: RunningEmulator, env: dict[str, str]
) -> None:
    """An auth.test reply naming no user (a server that is not Slack's) was said, at
    `history`, `undo` and `--forget`, as a change not made for a photo that could not be
    kept, with --no-keep-previous as a way out: none of them takes it, nor would it help."""
    for args, refused in (
        (("history",), "the kept photos were not listed: "),
        (("undo",), "nothing was put back: "),
        (("history", "--forget", "--yes"), "nothing was forgotten: "),
    ):
        slack_emulator.faults.inject(Fault.json({"ok": True, "team": "T1"}), path="auth.test")
        done = cli(*args, env=env)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(f"ocp-users-photo: {refused}"), done.stderr
        assert "named no user for the token" in done.stderr, done.stderr
        assert "the photo was not changed" not in done.stderr, done.stderr
        assert "--no-keep-previous" not in done.stderr, done.stderr
    assert photo_requests(slack_emulator) == []
