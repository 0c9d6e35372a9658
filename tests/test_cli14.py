"""The command line and its undo history, reviewed once more (the fourteenth look): what
a damaged or hostile history file can make the commands print."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.history_command import _history
from tests.conftest import CANARY_TOKEN, inject, photo_requests, success_reply
from tests.emulator_fixtures import solid_png
from tests.programs import environment_without_slack, run_cli
from tests.test_undo_hostile_history import history_args, tamper, two_changes


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def _strict_json(text: str) -> object:
    """JSON as RFC 8259 has it: NaN and Infinity are Python's, which no other parser reads."""

    def refused(constant: str) -> object:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refused)


@pytest.mark.parametrize(
    "replaced_by",
    [
        '{"change": "set", "image": {"bytes": NaN, "width": 512}}',
        '{"change": "set", "image": {"bytes": 1e999, "width": -Infinity}}',
        json.dumps({"change": "set", "image": {"note": f"was {CANARY_TOKEN}"}}),
    ],
    ids=["nan", "overflow", "token"],
)
async def test_history_json_stays_json_and_tokenless_whatever_the_file_describes(
    emulator: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    replaced_by: str,
) -> None:
    # store.py _kept read an entry's description of its change with json.loads, which takes
    # NaN, Infinity and 1e999 (inf): 'history --json' then printed NaN / Infinity, which no
    # JSON parser but Python's reads (jq, JavaScript's JSON.parse), and a token a hostile hand
    # or another program wrote there went to the terminal, and to a model, as it was.
    monkeypatch.setenv("SLACK_USER_TOKEN", CANARY_TOKEN)
    history_file = tmp_path / "history.sqlite3"
    await two_changes(emulator, history_file)
    tamper(history_file, "UPDATE entries SET replaced_by = ?", replaced_by)
    args = await history_args(emulator, history_file)
    args.json = True
    out = io.StringIO()
    await _history(args, out)
    listed = _strict_json(out.getvalue())
    assert isinstance(listed, dict)
    assert len(listed["entries"]) == 2
    assert "xoxp-" not in out.getvalue()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_warning_stderr_cannot_take_leaves_the_change_and_its_record_standing(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    # cli_options.UndoWarnings wrote Slack's warning (an ok reply's "warning", which Slack
    # adds often: superfluous_charset) to stderr unguarded: on a full disk (2>>log) the
    # OSError left the reply check, after Slack had set the photo. The command printed
    # nothing on stdout and exited 1, and the history kept the change as "pending: the
    # change may not have happened".
    image = tmp_path / "me.png"
    image.write_bytes(solid_png())
    env = {
        **environment_without_slack(),
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "history.sqlite3"),
    }
    inject(slack_emulator, Fault.json({**success_reply(), "warning": "superfluous_charset"}))
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "ocp_users_photo.cli", "set", str(image)],
            stdout=subprocess.PIPE,
            stderr=full,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0
    assert done.stdout.startswith("Photo set ("), done.stdout
    listed = run_cli("history", "--json", env=env)
    assert [entry["status"] for entry in json.loads(listed.stdout)["entries"]] == ["changed"]


def test_an_error_stderr_cannot_take_keeps_its_exit_code(tmp_path: Path) -> None:
    """Confirmed by the review, mended after it: the error's line to a stderr that cannot
    take it (2>/dev/full) raised, and the command ended with 1, "what the command did
    stands", for a path that does not exist, where nothing was sent (2)."""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "ocp_users_photo.cli", "set", str(tmp_path / "none.png")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=full,
            text=True,
            env=environment_without_slack({"SLACK_USER_TOKEN": CANARY_TOKEN}),
            timeout=60,
        )
    assert done.returncode == 2, done.stdout
    assert done.stdout == ""


def test_an_interrupt_stderr_cannot_take_still_ends_as_interrupted(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Ctrl-C while the keeper reads, stderr full: the "interrupted before the upload
    began" line raised OSError in place of the interrupt, and main's own line for that
    error raised again: the command ended with 1, not 130."""
    from tests.test_cancel_review import interrupted_during_the_keepers_read

    env = {
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": slack_emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(tmp_path / "h.sqlite3"),
    }
    first = tmp_path / "first.png"
    first.write_bytes(solid_png((200, 0, 0)))
    assert run_cli("set", str(first), env=env).returncode == 0
    second = tmp_path / "second.png"
    second.write_bytes(solid_png((0, 200, 0)))
    with open("/dev/full", "w") as full:

        def started() -> subprocess.Popen[str]:
            return subprocess.Popen(
                [sys.executable, "-m", "ocp_users_photo.cli", "set", str(second)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=full,
                text=True,
                env=environment_without_slack(env),
            )

        interrupted_during_the_keepers_read(slack_emulator, started)  # asserts 130


@pytest.mark.parametrize(
    ("content", "is_said"),
    [
        (solid_png((9, 9, 9)), "is a PNG image, not the SQLite file a history is"),
        (b"notes of mine\n", "is a file of another kind, not the SQLite file a history is"),
    ],
    ids=["a photo", "a text"],
)
def test_a_history_path_naming_another_file_is_not_called_a_damaged_history(
    slack_emulator: RunningEmulator, tmp_path: Path, content: bytes, is_said: str
) -> None:
    """Seen by the review, mended after it: ``--history me.png`` was "damaged (SQLite: file
    is not a database)", with the advice to move the file (the person's photo) away and
    recover its kept photos with sqlite3's .recover. A file that does not begin as every
    SQLite database does is named for what it is; the photo is left as it was."""
    other = tmp_path / "given"
    other.write_bytes(content)
    photo = tmp_path / "me.png"
    photo.write_bytes(solid_png((0, 0, 200)))
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    done = run_cli("set", str(photo), "--history", str(other), env=env)
    assert done.returncode == 2, done.stderr
    assert is_said in done.stderr
    assert "move the file away" not in done.stderr
    assert ".recover" not in done.stderr
    assert other.read_bytes() == content
    assert photo_requests(slack_emulator) == []


def test_a_history_that_begins_as_sqlite_but_breaks_is_still_damaged(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The other side of the test above: a history cut short keeps SQLite's header and is
    told as damaged, with the way to recover its kept photos."""
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    history = tmp_path / "h.sqlite3"
    photo = tmp_path / "me.png"
    photo.write_bytes(solid_png((0, 0, 200)))
    assert run_cli("set", str(photo), "--history", str(history), env=env).returncode == 0
    history.write_bytes(history.read_bytes()[:100])
    done = run_cli("history", "--history", str(history), env=env)
    assert done.returncode == 2, done.stderr
    assert "is damaged" in done.stderr
    assert ".recover" in done.stderr
