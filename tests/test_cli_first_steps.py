"""A newcomer's first steps at the terminal on the emulator: what the README and docs
promise when a pipe closes early, a token lacks the write scope, a path is a file.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator, TokenGrant
from ocp_users_photo.exit_codes import ExitCode
from tests.conftest import CANARY_TOKEN, make_image, photo_requests, shown_avatar_hash
from tests.programs import environment_without_slack, run_cli
from tests.test_readme_audit20 import _with_stdout

READ_ONLY_TOKEN = "xoxp-1111111111-2222222222222-readonlyreadonlyreadonlyread"


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(
        rate_limit_per_minute=None,
        tokens=(TokenGrant(READ_ONLY_TOKEN, "UREADER0001", ("users.profile:read",)),),
    )


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "me.png"
    path.write_bytes(make_image((800, 600)))
    return path


def slack_env(emulator: RunningEmulator, token: str = CANARY_TOKEN) -> dict[str, str]:
    return {"SLACK_USER_TOKEN": token, "SLACK_API_URL": emulator.base_url}


def run_with_stdout_closed(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``ocp-users-photo args | true``: stdout is a pipe nobody reads (its reader is gone)."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return subprocess.run(
            [sys.executable, "-m", "ocp_users_photo.cli", *args],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            env=environment_without_slack(env),
            timeout=60,
            check=False,
        )
    finally:
        os.close(writer)


def test_set_whose_reader_went_away_does_not_claim_nothing_was_sent(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    """README exit codes: 2 means "nothing was sent"; stdout closed early is 1. The photo
    was set before the summary's print met EPIPE: 2 would tell a script nothing changed."""
    before = shown_avatar_hash(slack_emulator)
    done = run_with_stdout_closed("set", str(image), env=slack_env(slack_emulator))
    assert len(photo_requests(slack_emulator)) == 1
    assert shown_avatar_hash(slack_emulator) != before  # the photo was set
    assert done.returncode == ExitCode.INTERNAL, done.stderr


def test_undo_whose_reader_went_away_does_not_say_nothing_to_undo(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path
) -> None:
    history = str(tmp_path / "h.sqlite3")
    env = slack_env(slack_emulator)
    assert run_cli("set", str(image), "--history", history, env=env).returncode == 0
    done = run_with_stdout_closed("undo", "--history", history, env=env)
    # The undo was made (Slack shows the default avatar again); 2 would say it was not.
    assert shown_avatar_hash(slack_emulator).startswith("g")
    assert done.returncode == ExitCode.INTERNAL, done.stderr


def test_history_piped_into_a_reader_that_stops_is_not_invalid(
    slack_emulator: RunningEmulator, image: Path, tmp_path: Path
) -> None:
    history = str(tmp_path / "h.sqlite3")
    env = slack_env(slack_emulator)
    assert run_cli("set", str(image), "--history", history, env=env).returncode == 0
    done = run_with_stdout_closed("history", "--history", history, env=env)
    # Not 2 ("nothing was sent"), nor 1 any more: a listing whose reader took what it
    # wanted (``| head``) lost nothing it did (test_cli_first_use.py).
    assert done.returncode == ExitCode.OK, done.stderr
    assert done.stderr == "", done.stderr


def test_set_with_a_token_lacking_the_write_scope_sends_no_upload(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    """The CLI asks auth.test first (x-oauth-scopes: users.profile:read only) and trusts
    that list to skip keeping for a token without users.profile:read, yet uploads the
    image (metadata and all) for a token without users.profile:write, which Slack can
    only refuse. whoami says "Can set a photo: no" for the same token."""
    done = run_cli("set", str(image), env=slack_env(slack_emulator, READ_ONLY_TOKEN))
    assert photo_requests(slack_emulator) == []
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert "users.profile:write" in done.stderr


def test_history_unusable_tells_a_cli_user_the_cli_way_out(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    """The CLI's next step names --no-keep-previous (as the MCP server's log does), and a
    path under a regular file says so (it said 'File exists')."""
    done = run_cli(
        "set", str(image), "--history", str(image / "h.sqlite3"), env=slack_env(slack_emulator)
    )
    assert done.returncode == ExitCode.INVALID
    assert photo_requests(slack_emulator) == []
    assert "--no-keep-previous" in done.stderr
    assert "a part of the path is a file, not a folder" in done.stderr
    assert "File exists" not in done.stderr


def test_emulator_port_in_use_exits_as_docs_say() -> None:
    """A port in use is configuration (2, as docs/emulator.md says; it said 1)."""
    docs = (Path(__file__).parent.parent / "docs" / "emulator.md").read_text()
    assert "or a port in use, ends the command with status 2" in " ".join(docs.split())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli("emulator", "--port", str(port), timeout=30)
    assert "cannot listen" in done.stderr
    assert done.returncode == ExitCode.INVALID


def test_demo_out_naming_a_file_says_what_to_do(tmp_path: Path) -> None:
    """`demo --out me.png` prints only "[Errno 17] File exists: '.../me.png'"."""
    target = tmp_path / "me.png"
    target.write_bytes(b"x")
    done = run_cli("demo", "--out", str(target), timeout=60)
    assert done.returncode == ExitCode.INVALID
    assert "[Errno" not in done.stderr
    assert "folder" in done.stderr


def test_a_mistyped_option_points_at_the_commands_own_help(image: Path) -> None:
    """argparse hands `set`'s unknown option to the top parser, whose usage shows none of
    `set`'s options: the error names `set --help`, and nothing is sent (no Slack set)."""
    done = run_cli("set", str(image), "--crop-with", "600", env={})
    assert done.returncode == ExitCode.INVALID
    assert "unrecognized arguments: --crop-with 600" in done.stderr
    assert "(see: ocp-users-photo set --help)" in done.stderr
    # Said by `set` itself: its usage line, and the option meant (argparse suggests none).
    assert "ocp-users-photo set: error:" in done.stderr
    assert "did you mean --crop-w?" in done.stderr
    dry = run_cli("set", str(image), "--dryrun", env={})
    assert "did you mean --dry-run?" in dry.stderr
    # In another case: --crop-y was as close to --crop-X letter by letter, and was named.
    upper = run_cli("set", str(image), "--crop-X", "1", env={})
    assert "did you mean --crop-x?" in upper.stderr
    unlike = run_cli("set", str(image), "--bogus", env={})
    assert "did you mean" not in unlike.stderr


def test_a_stray_dash_word_is_said_as_what_it_is_not_as_a_missing_word(tmp_path: Path) -> None:
    """argparse said only "the following arguments are required" when the one word given
    began with "-": '--versio' (the option meant is --version), 'set -x.png' (a file whose
    name begins with "-": './-x.png'). And after '--' an option is a word: 'did you mean
    --dry-run?' for '--dry-run' itself."""
    versio = run_cli("--versio", env={})
    assert versio.returncode == ExitCode.INVALID
    assert "unrecognized arguments: --versio; did you mean --version?" in versio.stderr
    assert "required" not in versio.stderr
    dashed = run_cli("set", "-x.png", env={})
    assert dashed.returncode == ExitCode.INVALID
    assert "'-x.png' is no option here, and IMAGE is missing" in dashed.stderr
    assert "is given as './-x.png' (or after '--')" in dashed.stderr
    dry = run_cli("set", "--dryrun", env={})
    assert "unrecognized arguments: --dryrun (see: ocp-users-photo set --help)" in dry.stderr
    assert "did you mean --dry-run?" in dry.stderr
    assert "./--dryrun" not in dry.stderr
    # Negative numbers are values, as argparse takes them: IMAGE is what is missing.
    negative = run_cli("set", "--crop-x", "-5", env={})
    assert "the following arguments are required: IMAGE" in negative.stderr
    # What the advice says works: the file is read (a dry run, no token needed).
    (tmp_path / "-x.png").write_bytes(make_image())
    after = run_cli("set", "--dry-run", "--", "-x.png", env={}, cwd=tmp_path)
    assert after.returncode == ExitCode.OK, after.stderr
    late = run_cli("set", "--", "-x.png", "--dry-run", env={}, cwd=tmp_path)
    assert late.returncode == ExitCode.INVALID
    assert "--dry-run comes before '--', after which every word is taken as given" in (late.stderr)
    assert "did you mean" not in late.stderr


def test_a_dash_word_argparse_takes_as_image_is_left_to_it(tmp_path: Path) -> None:
    """A word argparse reads as IMAGE (one with a space, '-.5') was refused as a stray
    option by the check for one, a command that worked broken."""
    (tmp_path / "-my photo.png").write_bytes(make_image())
    spaced = run_cli("set", "-my photo.png", "--dry-run", env={}, cwd=tmp_path)
    assert spaced.returncode == ExitCode.OK, spaced.stderr
    number = run_cli("set", "-.5", "--dry-run", env={}, cwd=tmp_path)
    assert number.returncode == ExitCode.INVALID
    assert "no file at '-.5'" in number.stderr  # read as IMAGE, as argparse does


@pytest.mark.parametrize(
    ("words", "said"),
    [
        (["--json", "history"], "--json is an option of history, which comes first"),
        (["--entry=3", "undo"], "--entry is an option of undo, which comes first"),
        (["--dry-run", "set", "me.png"], "--dry-run is an option of set, which comes first"),
        (["set", "\u2013dry-run", "me.png"], "'\u2013dry-run' begins with an en dash (U+2013)"),
        (["set", "me.png", "\u2014json"], "begins with an em dash (U+2014), not '-'"),
        (["undo", "\u2013\u2013entry", "3"], "type --entry"),
        (["whoami", "\u2212\u2212json"], "a minus sign (U+2212)"),
        # Where the command goes, so no file; whose option it is is not known here when no
        # command is named (only the command named is wired).
        (["\u2013dry-run"], "begins with an en dash (U+2013), not '-'"),
        (["\u2014json", "--"], "options are typed with '-', after their command"),
        (["\u2013x.png", "set"], "'\u2013x.png' begins with an en dash (U+2013), not '-'"),
        (["undo", "\t"], "unrecognized arguments: '\\t'"),
        (["set", "me.png", " "], "unrecognized arguments: ' '"),
    ],
)
def test_words_in_the_wrong_shape_are_said_as_what_they_are(words: list[str], said: str) -> None:
    """An option before its command got "did you mean --version?" (the top parser's only
    near name) or nothing; an option pasted with a look-alike dash was taken for IMAGE,
    and the real image blamed; a blank word was shown as nothing."""
    done = run_cli(*words, env={})
    assert done.returncode == ExitCode.INVALID
    assert said in done.stderr, done.stderr
    assert "did you mean --version" not in done.stderr


def test_the_programs_own_option_before_a_command_is_still_taken() -> None:
    """'-h history' printed the program's help; the check for a command's option before
    its command refused it as history's (every command has -h too). And '--help
    \u2013json': the look-alike dash where the command goes was refused, help not printed."""
    for words in (["-h", "history"], ["--help", "set"], ["--help", "\u2013json"]):
        done = run_cli(*words, env={})
        assert done.returncode == ExitCode.OK, done.stderr
        assert done.stdout.startswith("usage: ocp-users-photo [-h] [--version] COMMAND")


def test_no_hidden_option_is_suggested_and_mcp_says_where_its_token_comes_from() -> None:
    """--token is there only to be refused: 'did you mean --token?' pointed at a refusal;
    mcp takes no --token-env (its host's env block holds SLACK_USER_TOKEN)."""
    done = run_cli("mcp", "--token-env", "FOO", env={})
    assert done.returncode == ExitCode.INVALID
    assert "--token?" not in done.stderr
    assert "reads the token from SLACK_USER_TOKEN" in done.stderr
    near = run_cli("whoami", "--tokn", env={})
    assert near.returncode == ExitCode.INVALID
    assert "did you mean --token?" not in near.stderr  # --token-env may be meant


@pytest.mark.parametrize(("typed", "meant"), [("sett", "set"), ("histroy", "history")])
def test_a_mistyped_command_is_named(typed: str, meant: str) -> None:
    done = run_cli(typed, "me.png", env={})
    assert done.returncode == ExitCode.INVALID
    assert f"'{typed}' is no command; did you mean '{meant}'?" in done.stderr
    other = run_cli("me.png", env={})  # nothing like a command: the list, as argparse says
    assert "did you mean" not in other.stderr
    assert "invalid choice: 'me.png'" in other.stderr


def test_a_scaled_photos_summary_reads_as_one_sentence(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """'Photo set (PNG 1024x1024, 2.6 MB (scaled down ...)).' had parentheses inside."""
    large = tmp_path / "large.png"
    large.write_bytes(make_image((1400, 1400)))
    done = run_cli("set", str(large), env=slack_env(slack_emulator))
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("Photo set (PNG 1024x1024, ")
    assert first.count("(") == 1, first


def test_a_base_url_without_api_says_the_read_changed_nothing(
    slack_emulator: RunningEmulator, image: Path
) -> None:
    """SLACK_API_URL without /api: auth.test meets a 404 page first. It said "check ...
    whether the call took effect", though only a read had been sent."""
    root = slack_emulator.base_url.removesuffix("/api")
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": root}
    done = run_cli("set", str(image), env=env)
    assert done.returncode == ExitCode.TRANSPORT
    assert "auth.test only reads: nothing changed" in done.stderr
    assert "took effect" not in done.stderr
    assert "it ends in /api" in done.stderr
    assert photo_requests(slack_emulator) == []


def test_an_unanswered_plain_http_url_says_nothing_of_tls(image: Path) -> None:
    """aiohttp's connection error names its TLS setting ('ssl:default'), which read as TLS
    trouble to a person whose URL is plain http."""
    with socket.socket() as closed:  # a port nothing listens on: the connection is refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": f"http://127.0.0.1:{port}/api"}
    done = run_cli("set", str(image), env=env)
    assert done.returncode == ExitCode.TRANSPORT
    assert "Nothing was sent" in done.stderr
    assert "ssl:" not in done.stderr


def test_an_unknown_option_before_the_command_names_no_commands_help() -> None:
    """`--bogus whoami`: the option is the program's, not whoami's, so whoami's help is
    not what to read."""
    before = run_cli("--bogus", "whoami", env={})
    after = run_cli("whoami", "--bogus", env={})
    for done in (before, after):
        assert done.returncode == ExitCode.INVALID
        assert "unrecognized arguments: --bogus" in done.stderr
    assert "--help" not in before.stderr.splitlines()[-1]
    assert "(see: ocp-users-photo whoami --help)" in after.stderr


def test_the_emulator_with_a_full_stdout_says_so_not_that_it_cannot_listen() -> None:
    """Any OSError once serving was told "cannot listen on 127.0.0.1:0: ... check --host
    and --port", exit 2, for a stdout that could not take its first line."""
    done = _with_stdout("full", "ocp_users_photo.cli", "emulator")
    assert done.returncode == ExitCode.INTERNAL, done.stderr
    assert "stdout could not be written" in done.stderr
    assert "cannot listen" not in done.stderr
