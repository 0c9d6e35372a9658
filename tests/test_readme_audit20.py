"""What a first-timer met following the README, round 20 (an audit of its claims, each
checked by running it): each test here failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

from ocp_users_photo import InvalidArguments, TransportError, UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.undo import HistoryUnavailable, PhotoHistory
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests
from tests.programs import environment_without_slack, run_cli

TOKEN = "xoxp-1111-2222-3333-abcdefabcdef"
# No TLS connection is ever made: the CA setting is refused before anything is sent.
UNREACHABLE_TLS = "https://127.0.0.1:1/api"


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "me.png"
    path.write_bytes(make_image((600, 600)))
    return path


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SSL_CERT_FILE", "missing.pem", "which is not a file"),
        ("SSL_CERT_FILE", "empty.pem", "could not be read as CA certificates"),
        ("SSL_CERT_DIR", "missing-folder", "which is not a folder"),
    ],
)
def test_an_unusable_ca_setting_is_a_configuration_error_naming_it(
    tmp_path: Path, image: Path, variable: str, value: str, says: str
) -> None:
    """README: "a missing or empty SSL_CERT_FILE is refused, naming it, before anything is
    sent". It was, but as exit 5 ("no usable answer: network...") with the next step "check
    the network and SLACK_API_URL", which points away from the setting to mend."""
    (tmp_path / "empty.pem").write_bytes(b"")
    # Only the variable under test is set (an empty one counts as unset): the machine's
    # own SSL_CERT_FILE would win over an SSL_CERT_DIR.
    settings = {"SSL_CERT_FILE": "", "SSL_CERT_DIR": "", variable: str(tmp_path / value)}
    for command in (["whoami"], ["set", str(image), "--no-keep-previous"]):
        done = run_cli(
            *command,
            "--base-url",
            UNREACHABLE_TLS,
            env={"SLACK_USER_TOKEN": TOKEN, **settings},
        )
        assert done.returncode == 2, done.stderr
        first, advice = done.stderr.strip().splitlines()
        assert f"{variable} names" in first, first
        assert says in first, first
        assert "Nothing was sent" in first
        assert advice == (
            f"ocp-users-photo: next: nothing reached Slack, so nothing changed: check "
            f"{variable}, then run the same command again"
        ), advice


async def test_an_unusable_ca_setting_names_itself_as_what_to_check(tmp_path: Path) -> None:
    """From Python the same refusal is a TransportError whose ``to_check`` names the
    variable (README: ``.to_check`` names a setting to check)."""
    tool = UsersSetPhoto(
        TOKEN, base_url=UNREACHABLE_TLS, environ={"SSL_CERT_FILE": str(tmp_path / "no.pem")}
    )
    try:
        with pytest.raises(TransportError) as refused:
            await tool.call({"image": make_image((600, 600))})
    finally:
        await tool.aclose()
    assert refused.value.reached is False
    assert refused.value.to_check == "SSL_CERT_FILE"


def test_a_dry_run_refuses_a_history_file_the_real_run_refuses(tmp_path: Path, image: Path) -> None:
    """README: "--dry-run ... checks everything". A dry run with --history naming a file
    that is no history (the photo's PNG beside it) said "Checked: would send", and the same
    command without --dry-run then failed: the history is a local check, made now too."""
    not_a_history = tmp_path / "other.png"
    not_a_history.write_bytes(make_image((600, 600)))
    done = run_cli("set", str(image), "--history", str(not_a_history), "--dry-run")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Checked" not in done.stdout
    assert "is a PNG image, not the SQLite file a history is" in done.stderr
    assert not_a_history.read_bytes() == make_image((600, 600)), "the file is left as it was"


@pytest.mark.parametrize("depth", ["in-a-file", "below-a-file", "through-a-dangling-link"])
def test_a_dry_run_refuses_a_history_path_through_a_file_as_the_real_run_does(
    slack_emulator: RunningEmulator, tmp_path: Path, image: Path, depth: str
) -> None:
    """A history not made yet, whose folder cannot be made (a part of its path is a file):
    the dry run said "Checked: would send", exit 0, and the same command without
    --dry-run refused it, exit 2 (a newcomer's review, 2026-12-05)."""
    through_a_file = image / "history.sqlite3"
    if depth == "below-a-file":
        through_a_file = image / "more" / "history.sqlite3"
    if depth == "through-a-dangling-link":  # a link to a folder since removed
        (tmp_path / "link").symlink_to(tmp_path / "gone")
        through_a_file = tmp_path / "link" / "history.sqlite3"
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    dry = run_cli("set", str(image), "--history", str(through_a_file), "--dry-run", env=env)
    real = run_cli("set", str(image), "--history", str(through_a_file), env=env)
    assert real.returncode == 2, real.stdout + real.stderr
    assert photo_requests(slack_emulator) == []
    assert dry.returncode == 2, dry.stdout + dry.stderr
    assert "Checked" not in dry.stdout
    if depth != "through-a-dangling-link":
        assert "a part of the path is a file, not a folder" in dry.stderr
    assert dry.stderr.splitlines()[0] == real.stderr.splitlines()[0]
    assert image.is_file()


def test_a_dry_run_creates_no_history_and_skips_it_when_keeping_is_off(
    tmp_path: Path, image: Path
) -> None:
    """A guard of the check above (it held before it too): a history not made yet is made
    by the first change, not by a dry run; with --no-keep-previous none is looked at."""
    missing = tmp_path / "new" / "history.sqlite3"
    done = run_cli("set", str(image), "--history", str(missing), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Checked: would send PNG 600x600")
    assert not missing.exists()
    assert not missing.parent.exists()
    not_a_history = tmp_path / "other.png"
    not_a_history.write_bytes(b"not a database")
    done = run_cli(
        "set", str(image), "--history", str(not_a_history), "--no-keep-previous", "--dry-run"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Checked: would send PNG 600x600")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("cut", "the PNG file is cut short (no IEND end marker): send the complete file"),
        ("chunks", "save it again with an image editor"),
    ],
)
async def test_an_unreadable_image_whose_reason_says_what_to_do_is_not_told_twice(
    damage: str, reason: str
) -> None:
    """A PNG cut short read "the image cannot be read (the PNG file is cut short (no IEND
    end marker): send the complete file): send a PNG, JPEG or GIF file": the advice twice,
    nested, and the second one telling a PNG's sender to send a PNG."""
    png = make_image((600, 600))
    if damage == "cut":
        data = png[: len(png) - 20]
    else:  # more chunks before the pixels than any editor writes (after IHDR: 8 + 25 bytes)
        data = png[:33] + _chunk(b"tEXt", b"k\x00v") * 5000 + png[33:]
    tool = UsersSetPhoto(TOKEN, base_url="http://127.0.0.1:9/api", environ={})
    try:
        with pytest.raises(InvalidArguments) as refused:
            await tool.call({"image": data})
    finally:
        await tool.aclose()
    (problem,) = refused.value.problems
    assert problem.message.startswith("the image cannot be read: "), problem.message
    assert problem.message.endswith(reason), problem.message
    assert "send a PNG" not in problem.message


def _chunk(kind: bytes, data: bytes) -> bytes:
    import zlib

    crc = zlib.crc32(data, zlib.crc32(kind)) & 0xFFFFFFFF
    return len(data).to_bytes(4, "big") + kind + data + crc.to_bytes(4, "big")


@pytest.mark.parametrize("command", ["set", "whoami", "mcp"])
def test_a_refused_base_url_flag_is_named_as_the_flag(image: Path, command: str) -> None:
    """``--base-url http://example.com/api`` was refused as "base_url uses plain http",
    the Python parameter's name, where SLACK_API_URL's refusal names the variable."""
    arguments = [str(image)] if command == "set" else []
    done = run_cli(
        command,
        *arguments,
        "--base-url",
        "http://example.com/api",
        env={"SLACK_USER_TOKEN": TOKEN},
    )
    assert done.returncode == 2, done.stderr
    assert "argument --base-url: it uses plain http to example.com" in done.stderr
    assert "base_url" not in done.stderr.replace("--base-url", "")


def test_a_relative_image_root_that_is_missing_says_where_it_was_looked_for(
    tmp_path: Path, image: Path
) -> None:
    """The refusal's clause read "the working directory, which a host chooses" at the
    command line too, where the person chose it: it says now whose choice it may be."""
    done = run_cli(
        "set", str(image), "--image-root", "nope", env={"SLACK_USER_TOKEN": TOKEN}, cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert f"looked for '{tmp_path / 'nope'}'" in done.stderr
    assert "which a host chooses" not in done.stderr
    assert "(an MCP host starts its server in a folder of its own choosing)" in done.stderr


@pytest.mark.parametrize("command", ["history", "undo"])
def test_an_unusable_history_is_answered_for_the_command_that_reads_it(
    slack_emulator: RunningEmulator, tmp_path: Path, command: str
) -> None:
    """``history --history other.png`` was told of ``set --no-keep-previous``, which is no
    way to list or undo anything."""
    not_a_history = tmp_path / "other.png"
    not_a_history.write_bytes(make_image((600, 600)))
    done = run_cli(
        command,
        "--history",
        str(not_a_history),
        env={"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url},
    )
    assert done.returncode == 2, done.stderr
    assert "is a PNG image, not the SQLite file a history is" in done.stderr
    advice = done.stderr.strip().splitlines()[-1]
    assert advice == "ocp-users-photo: next: give another file with --history PATH", advice


def test_a_preview_naming_a_folder_is_told_it_is_a_folder(tmp_path: Path, image: Path) -> None:
    """``--preview pictures`` (a folder) was answered "give a name ending in .png (this one
    has no extension)"; the folder check came second."""
    (tmp_path / "pictures").mkdir()
    done = run_cli("set", str(image), "--preview", "pictures", "--dry-run", cwd=tmp_path, env={})
    assert done.returncode == 2, done.stderr
    assert "'pictures' is a folder: give a file name in it, such as 'pictures/square.png'" in (
        done.stderr
    )
    assert "no extension" not in done.stderr


async def test_a_crop_box_left_where_it_was_is_not_said_to_have_moved() -> None:
    """A 1500x1000 image with a 200 px box at x=100 y=100 is cut to the 512 square at x=0
    y=0: the box keeps its numbers, and the summary said "crop box moved to x=100 y=100"."""
    tool = UsersSetPhoto(TOKEN, base_url="http://127.0.0.1:9/api", environ={})
    try:
        arguments = {"image": make_image((1500, 1000)), "crop_x": 100, "crop_y": 100}
        async with tool.prepare({**arguments, "crop_w": 200}) as upload:
            unmoved = upload.summary()["changes"]
        async with tool.prepare({**arguments, "crop_x": 700, "crop_w": 200}) as upload:
            moved = upload.summary()["changes"]
    finally:
        await tool.aclose()
    assert unmoved == [
        "cut to the 512x512 square at x=0 y=0 of the 1500x1000 image, around the crop box"
    ]
    assert moved[-1].startswith("crop box moved to x="), moved


def test_history_yes_without_forget_is_refused_not_a_listing(tmp_path: Path) -> None:
    """``history --yes`` (``--forget`` left out) listed the kept photos as if nothing were
    amiss: a person asking to be forgotten was not told that nothing was."""
    done = run_cli("history", "--yes", "--history", str(tmp_path / "h.sqlite3"))
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "--forget was not given, so nothing was forgotten" in done.stderr
    assert not (tmp_path / "h.sqlite3").exists()


_UNWRITTEN: Final = {
    "full": "could not be written (No space left on device)",
    "closed": "was closed",
}


def _with_stdout(stdout: str, module: str, *words: str) -> subprocess.CompletedProcess[str]:
    """``python -m module words`` with its stdout closed (as '>&-' leaves it) or full."""
    if stdout == "full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open(os.devnull if stdout == "closed" else "/dev/full", "w") as target:
        return subprocess.run(
            [sys.executable, "-m", module, *words],
            stdout=target,
            stderr=subprocess.PIPE,
            text=True,
            env=environment_without_slack(),
            timeout=60,
            check=False,
            preexec_fn=(lambda: os.close(1)) if stdout == "closed" else None,
        )


@pytest.mark.parametrize("stdout", ["full", "closed"])
@pytest.mark.parametrize("words", [["--help"], ["set", "--help"], ["--version"]])
def test_help_to_an_unwritable_stdout_is_a_failure_that_says_so(
    words: list[str], stdout: str
) -> None:
    """``--help >/dev/full`` exited 0 having written nothing anywhere (argparse drops a
    failed write); ``--help >&-`` printed the help to stderr instead and exited 0. Every
    other command's unwritable stdout is exit 1 with a line saying so."""
    done = _with_stdout(stdout, "ocp_users_photo.cli", *words)
    assert done.returncode == 1, done.stderr
    assert done.stderr == f"ocp-users-photo: stdout {_UNWRITTEN[stdout]}\n"


def test_a_preview_name_too_long_is_not_taken_for_a_stdout_failure(
    tmp_path: Path, image: Path
) -> None:
    """Checking ``--preview`` with a 300-character name raised ENAMETOOLONG inside argparse,
    which was then reported as "stdout could not be written (File name too long)"."""
    done = run_cli("set", str(image), "--dry-run", "--preview", "a" * 300 + ".png", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "stdout" not in done.stderr
    assert "File name too long" in done.stderr


def _another_programs_database(path: Path) -> None:
    import sqlite3

    database = sqlite3.connect(path)
    with database:
        database.execute("CREATE TABLE notes (body TEXT)")
        database.execute("INSERT INTO notes VALUES ('kept')")
    database.close()


@pytest.mark.parametrize(
    "found", ["a history", "another program's database", "an empty file", "a lone -wal"]
)
def test_a_dry_run_changes_nothing_in_the_history_file_it_checks(
    tmp_path: Path, image: Path, found: str
) -> None:
    """The dry run's check opened the file as a change does: it switched another
    program's database to WAL and wrote the history's tables into it, turned a touched
    empty file into a history (and made it owner-only), and made a history beside a
    lone -wal file. It only reads now."""
    where = tmp_path / "history.sqlite3"
    if found == "a history":  # as a change leaves it: WAL mode, its tables
        history = PhotoHistory(where)
        history.check_usable()
        history.close()
    elif found == "another program's database":
        _another_programs_database(where)
    elif found == "an empty file":
        where.touch()
        where.chmod(0o644)
    else:
        (tmp_path / "history.sqlite3-wal").write_bytes(b"\0" * 100)
    before = {p.name: (p.read_bytes(), p.stat().st_mode) for p in tmp_path.iterdir()}
    done = run_cli("set", str(image), "--history", str(where), "--dry-run")
    if found == "another program's database":  # refused, as the change refuses it
        assert done.returncode == 2, done.stderr
        assert "is another program's SQLite database" in done.stderr
    else:
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Checked: would send PNG 600x600")
    after = {p.name: (p.read_bytes(), p.stat().st_mode) for p in tmp_path.iterdir()}
    assert after == before


def test_a_dry_run_reads_a_history_another_program_has_open(tmp_path: Path, image: Path) -> None:
    """With another connection holding the history open (its -wal file there, a row in it
    not yet written into the file), the check reads through that -wal and changes neither
    file; a history written by a newer version is refused as the change refuses it."""
    import sqlite3

    where = tmp_path / "history.sqlite3"
    history = PhotoHistory(where)
    history.check_usable()
    history.close()
    other = sqlite3.connect(where)
    try:
        other.execute("PRAGMA wal_autocheckpoint = 0")
        with other:
            other.execute("INSERT INTO leases VALUES ('T1', 'U1', 'another program', 0)")
        wal = tmp_path / "history.sqlite3-wal"
        before = (where.read_bytes(), wal.read_bytes())
        done = run_cli("set", str(image), "--history", str(where), "--dry-run")
        assert done.returncode == 0, done.stderr
        assert (where.read_bytes(), wal.read_bytes()) == before
        with other:
            other.execute("PRAGMA user_version = 99")
        done = run_cli("set", str(image), "--history", str(where), "--dry-run")
        assert done.returncode == 2, done.stderr
        assert "was written by a newer ocp-users-photo (schema 99" in done.stderr
    finally:
        other.close()


def test_another_programs_database_given_for_the_history_is_refused_untouched(
    slack_emulator: RunningEmulator, tmp_path: Path, image: Path
) -> None:
    """``--history notes.db`` (another program's SQLite file): the change wrote the
    history's tables, and then people's photos, into it. Refused now, the file as it was,
    nothing sent."""
    where = tmp_path / "notes.db"
    _another_programs_database(where)
    before = where.read_bytes()
    sent = len(photo_requests(slack_emulator))
    done = run_cli(
        "set",
        str(image),
        "--history",
        str(where),
        env={"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url},
    )
    assert done.returncode == 2, done.stderr
    assert "is another program's SQLite database" in done.stderr
    assert "give the history's own path" in done.stderr
    assert where.read_bytes() == before
    assert len(photo_requests(slack_emulator)) == sent


@pytest.mark.parametrize("status", [302, 307, 304])
async def test_a_redirect_from_slack_is_said_to_be_one(
    emulator: RunningEmulator, status: int
) -> None:
    """A 3xx read "Slack answered users.setPhoto with HTTP 307 and an empty body, not
    JSON": true, but the redirect never followed is what points at the base URL. A 304
    (Not Modified) is no redirect, and is not called one."""
    inject(emulator, Fault.status(status, headers={"Location": "https://elsewhere.example/"}))
    tool = UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, max_retries=0)
    try:
        with pytest.raises(TransportError) as failed:
            await tool.call({"image": make_image((600, 600))})
    finally:
        await tool.aclose()
    said = str(failed.value)
    assert f"HTTP {status} and " in said
    assert "elsewhere.example" not in said
    if status == 304:
        assert "redirect" not in said
    else:
        assert "(a redirect, never followed: the token would go along)" in said


def _database(path: Path, *statements: str) -> None:
    import sqlite3

    database = sqlite3.connect(path)
    with database:
        for statement in statements:
            database.execute(statement)
    database.close()


@pytest.mark.parametrize(
    "statements",
    [
        ("CREATE TABLE photos (id INTEGER, path TEXT)",),
        ("CREATE TABLE notes (body TEXT)", "PRAGMA user_version = 1"),
        ("CREATE TABLE notes (body TEXT)", "PRAGMA user_version = 7"),
    ],
    ids=["a table of a history's name", "its own version 1", "its own version 7"],
)
def test_another_programs_database_is_refused_before_anything_is_written_into_it(
    tmp_path: Path, statements: tuple[str, ...]
) -> None:
    """Such files passed the first check (it looked only at a version-0 file's table names):
    the change then switched them to WAL mode, and wrote the history's tables into the first."""
    where = tmp_path / "app.db"
    _database(where, *statements)
    before = where.read_bytes()
    with pytest.raises(HistoryUnavailable) as refused:
        PhotoHistory(where).check_usable()
    said = str(refused.value)
    assert "another program's SQLite database" in said or "written by a newer" in said, said
    assert where.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]


def test_a_genuine_history_after_analyze_is_still_a_history(tmp_path: Path) -> None:
    """SQLite's own tables (ANALYZE's statistics) are no other program's."""
    where = tmp_path / "history.sqlite3"
    history = PhotoHistory(where)
    history.check_usable()
    history.close()
    _database(where, "ANALYZE")
    PhotoHistory(where).check_usable()  # no refusal


@pytest.mark.parametrize("leftover", ["a -wal alone", "a link to it"])
def test_a_dry_run_makes_no_file_beside_the_history(
    tmp_path: Path, image: Path, leftover: str
) -> None:
    """Read-only mode on a WAL history made a -shm file (and a -wal one, or changed its
    mode) where a connection had left a -wal without its -shm; through a link, the -wal
    was looked for beside the link, not beside the file SQLite uses."""
    where = tmp_path / "history.sqlite3"
    history = PhotoHistory(where)
    history.check_usable()
    history.close()
    given = where
    if leftover == "a link to it":
        given = tmp_path / "link.sqlite3"
        given.symlink_to(where)
    else:
        (tmp_path / "history.sqlite3-wal").write_bytes(b"")
        (tmp_path / "history.sqlite3-wal").chmod(0o644)
    before = {p.name: (p.read_bytes(), p.lstat().st_mode) for p in tmp_path.iterdir()}
    done = run_cli("set", str(image), "--history", str(given), "--dry-run")
    assert done.returncode == 0, done.stderr
    after = {p.name: (p.read_bytes(), p.lstat().st_mode) for p in tmp_path.iterdir()}
    assert after == before  # (a connection open elsewhere: the test above)


@pytest.mark.parametrize("kind", ["a pipe", "a link to nothing"])
def test_a_dry_run_answers_as_the_change_does_for_what_is_no_file(
    tmp_path: Path, image: Path, kind: str
) -> None:
    """A pipe passed the dry run (0 bytes) and the change then failed on it; a link to no
    file was refused by the dry run, where the change makes the file it points to."""
    where = tmp_path / "history.sqlite3"
    if kind == "a pipe":
        os.mkfifo(where)
    else:
        where.symlink_to(tmp_path / "made-later.sqlite3")
    done = run_cli("set", str(image), "--history", str(where), "--dry-run")
    if kind == "a pipe":
        assert done.returncode == 2, done.stderr
        assert "is a named pipe (FIFO), not a file" in done.stderr
    else:
        assert done.returncode == 0, done.stderr
        assert not (tmp_path / "made-later.sqlite3").exists()


@pytest.mark.parametrize("stdout", ["closed", "full"])
def test_the_mcp_servers_own_entry_point_says_its_help_was_not_written(stdout: str) -> None:
    """``python -m ocp_users_photo.mcp_server --help`` with a closed or full stdout ended in
    a traceback (OutputFailed) once the parser raised it; it says so in one line now."""
    done = _with_stdout(stdout, "ocp_users_photo.mcp_server", "--help")
    assert done.returncode == 1, done.stderr
    assert done.stderr == f"python -m ocp_users_photo.mcp_server: stdout {_UNWRITTEN[stdout]}\n"


def test_help_to_a_stdout_closed_within_the_process_is_said_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A caller that closed sys.stdout before ``cli.main(["--help"])``: the write raised
    ValueError ("I/O operation on closed file") out of main."""
    import io

    from ocp_users_photo import cli

    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    assert cli.main(["--help"]) == 1
    assert capsys.readouterr().err == "ocp-users-photo: stdout was closed\n"


def test_whoami_answered_with_a_redirect_is_told_to_check_the_address(
    slack_emulator: RunningEmulator,
) -> None:
    """whoami (a read) answered with a 302 was told "try again in a few minutes": waiting
    does not move a redirect."""
    inject(slack_emulator, Fault.status(302, headers={"Location": "/"}), method="auth.test")
    done = run_cli(
        "whoami",
        env={"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url},
    )
    assert done.returncode == 5, done.stderr
    advice = done.stderr.strip().splitlines()[-1]
    assert advice == (
        "ocp-users-photo: next: check SLACK_API_URL (or --base-url) is Slack's Web API, "
        "https://slack.com/api: the address answered with a redirect, which is never followed"
    ), advice


def test_a_dry_run_refuses_a_link_into_a_missing_folder_as_the_change_does(
    tmp_path: Path, image: Path
) -> None:
    """A link to no file passes (the change makes the file), but a link into a folder that
    does not exist passed too, where the change fails: it makes the link's folder only."""
    where = tmp_path / "history.sqlite3"
    where.symlink_to(tmp_path / "no-such-folder" / "h.sqlite3")
    done = run_cli("set", str(image), "--history", str(where), "--dry-run")
    assert done.returncode == 2, done.stderr
    assert "cannot be created or written (No such file or directory)" in done.stderr
    with pytest.raises(HistoryUnavailable, match=r"No such file or directory"):
        PhotoHistory(where).check_usable()  # the change's own refusal, the same


def test_a_text_stdout_cannot_encode_is_not_taken_for_a_closed_stdout() -> None:
    """ValueError was read as "stdout is closed"; UnicodeEncodeError is one too."""
    import io

    from ocp_users_photo.output import answers_to

    ascii_only = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    with pytest.raises(UnicodeEncodeError):
        answers_to(ascii_only).write("café\n")


def test_history_through_a_link_to_nothing_says_it_cannot_be_used_as_a_change_does(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A history whose folder is a link to a folder since removed: `history` listed no
    kept photo (exit 0), and usersRestorePhoto's list said none was kept yet, while every
    change was refused history_unavailable (a newcomer review, 2026-12-05)."""
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    unusable = tmp_path / "link" / "history.sqlite3"
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": slack_emulator.base_url}
    listed = run_cli("history", "--history", str(unusable), env=env)
    assert listed.returncode == 2, listed.stdout + listed.stderr
    assert "cannot be created or written" in listed.stderr
    assert "No photo" not in listed.stdout
