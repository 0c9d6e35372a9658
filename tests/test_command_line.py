"""The programs' argument parsing: options spelled out, and a token never printed back.

A person pastes a token where it does not belong (``--token``, ``--token-env``, the image,
a stray word); argparse would read ``--token`` as ``--token-env`` and quote what it did not
understand. Run as a user runs it: a subprocess, whose output is searched for the token.
"""

from __future__ import annotations

import argparse
import json
import socket
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from ocp_users_photo.command_line import CommandLineParser, variable_name
from ocp_users_photo.safe_text import without_tokens
from tests.conftest import CANARY_TOKEN, make_image
from tests.programs import run_module

CANARY_SECRET = CANARY_TOKEN.split("-", 1)[1]


def run(
    *args: str, cwd: Path | None = None, module: str = "ocp_users_photo.cli"
) -> tuple[int, str]:
    """Exit status and stdout+stderr of the program, with no Slack variable set."""
    finished = run_module(module, *args, cwd=cwd)
    return finished.returncode, finished.stdout + finished.stderr


@pytest.mark.parametrize(
    "command",
    [["set", "me.png"], ["whoami"], ["history"], ["undo"], ["mcp"], ["demo"], ["emulator"], []],
    ids=["set", "whoami", "history", "undo", "mcp", "demo", "emulator", "before-the-command"],
)
@pytest.mark.parametrize("spelling", ["separate", "joined"])
def test_a_token_flag_is_refused_with_advice_and_not_repeated(
    command: list[str], spelling: str
) -> None:
    words = ["--token", CANARY_TOKEN] if spelling == "separate" else [f"--token={CANARY_TOKEN}"]
    status, output = run(*command, *words) if command else run(*words, "set", "me.png")
    assert status == 2, output
    assert CANARY_SECRET not in output
    if command in (["demo"], ["emulator"]):
        # They read no Slack token: the variable would be advice for another program.
        assert f"--token: 'ocp-users-photo {command[0]}' uses no Slack token" in output
        return
    assert "--token: the token is never given on the command line" in output
    assert "export SLACK_USER_TOKEN" in output


def test_a_token_given_as_the_variable_name_is_refused_and_not_repeated() -> None:
    status, output = run("set", "me.png", "--token-env", CANARY_TOKEN)
    assert status == 2, output
    assert CANARY_SECRET not in output
    assert "give the NAME of an environment variable" in output


def test_options_are_never_guessed_from_a_prefix() -> None:
    # argparse would take --token-e for --token-env (and --token for it too, before).
    status, output = run("set", "me.png", "--token-e", "MY_TOKEN")
    assert status == 2, output
    assert "unrecognized arguments: --token-e MY_TOKEN" in output


@pytest.mark.parametrize(
    "words",
    [
        [CANARY_TOKEN],  # in place of the command
        ["set", "me.png", CANARY_TOKEN],  # a stray word
        ["whoami", "--json", CANARY_TOKEN],
        ["emulator", "--port", CANARY_TOKEN],  # a value argparse would quote as invalid
        # Joined to its option (the review of 2026-12-05: the MCP server's
        # --allow-url-host=TOKEN went on into its instructions to the model).
        ["whoami", f"--json={CANARY_TOKEN}"],
        ["emulator", f"--port={CANARY_TOKEN}"],
        ["mcp", f"--allow-url-host={CANARY_TOKEN}"],
    ],
)
def test_a_token_pasted_as_a_word_is_refused_with_where_it_goes(words: list[str]) -> None:
    status, output = run(*words)
    assert status == 2, output
    assert CANARY_SECRET not in output
    assert "a Slack token was given as an argument" in output


@pytest.mark.parametrize(
    "words",
    [
        ["set", "me.png", f"stray={CANARY_TOKEN}"],  # in a stray word
        ["whoami", f"--json=x{CANARY_TOKEN}"],  # an explicit value argparse quotes
        ["emulator", f"--port=x{CANARY_TOKEN}"],  # a value argparse quotes as invalid
    ],
)
def test_a_token_in_a_usage_error_is_masked(words: list[str]) -> None:
    status, output = run(*words)
    assert status == 2, output
    assert CANARY_SECRET not in output
    assert "[redacted]" in output


def test_the_mcp_server_parser_masks_and_does_not_guess() -> None:
    # A token joined to an option is refused as pasted (as one given as a word of its own:
    # tests/test_cli_token_as_argument_first_try.py); another value is masked.
    status, output = run(f"--image-roo={CANARY_TOKEN}", module="ocp_users_photo.mcp_server")
    assert status == 2, output
    assert "a Slack token was given as an argument" in output
    assert CANARY_SECRET not in output
    status, output = run(f"--image-roo=x{CANARY_TOKEN}", module="ocp_users_photo.mcp_server")
    assert status == 2, output
    assert "unrecognized arguments: --image-roo=x[redacted]" in output
    assert CANARY_SECRET not in output
    status, output = run(f"--allow-url-host={CANARY_TOKEN}", module="ocp_users_photo.mcp_server")
    assert status == 2, output
    assert "a Slack token was given as an argument" in output
    assert CANARY_SECRET not in output


def test_a_token_given_as_the_image_is_not_repeated(tmp_path: Path) -> None:
    # The token itself is refused as a pasted token (the test above); in a name, the
    # image is looked for and not found, and its name is masked.
    for image in (f"{CANARY_TOKEN}.png", f"photos/{CANARY_TOKEN}.png"):
        status, output = run("set", image, "--dry-run", cwd=tmp_path)
        assert status == 2, output
        assert CANARY_SECRET not in output
        assert "nothing was sent to Slack" in output


def test_a_relative_image_is_taken_from_the_current_folder_with_image_root(
    tmp_path: Path,
) -> None:
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    (pictures / "me.png").write_bytes(make_image((600, 600)))
    status, output = run(
        "set", "pictures/me.png", "--image-root", "pictures", "--dry-run", cwd=tmp_path
    )
    assert status == 0, output
    assert "Checked: would send PNG 600x600" in output
    # From inside the folder, the same file by its bare name.
    status, output = run("set", "me.png", "--image-root", ".", "--dry-run", cwd=pictures)
    assert status == 0, output
    # Relative to the root but not to the current folder: refused, naming where it looked.
    status, output = run("set", "me.png", "--image-root", "pictures", "--dry-run", cwd=tmp_path)
    assert status == 2, output
    assert f"image path '{tmp_path / 'me.png'}' is outside the folders" in output


def test_a_header_over_pillows_warning_limit_is_refused_without_its_warning(
    tmp_path: Path,
) -> None:
    """12000x12000 declared: over Pillow's warning threshold (89 M pixels), under its error
    one; the tool's own limit refuses it, and Pillow's warning (a path) stays off stderr."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 12000, 12000, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
    (tmp_path / "huge.png").write_bytes(png)
    status, output = run("set", "huge.png", "--dry-run", cwd=tmp_path)
    assert status == 2, output
    assert "declares 12000x12000 pixels" in output
    assert "Warning" not in output
    assert "site-packages" not in output
    assert "PIL" not in output


@pytest.mark.parametrize(
    "token",
    [
        "xoxp-1234-5678-abcdef",
        "xoxb-1-2-3",
        "xoxe.xoxp-1-Mi0yLTEyMzQ",
        "xoxe-1-My0xLTEyMzQ",
        "xapp-1-A0B1C2-123-abc",
        "xoxc-123-456",
    ],
)
def test_without_tokens_masks_every_slack_token_shape(token: str) -> None:
    text = f"no file at 'photos/{token}.png' (see {token})"
    masked = without_tokens(text)
    assert token not in masked
    assert masked == "no file at 'photos/[redacted]' (see [redacted])"


@pytest.mark.parametrize(
    "text",
    [
        "no file at 'me.png': give a PNG (xox alone, xoxp without a dash, xapp.png)",
        "/home/ana/pics/xoxo-party.png",
        "C:/Users/maxoxa-1/me.png",
        "use a user token (xoxp-...) with scope users.profile:write, not xoxb-",
    ],
)
def test_without_tokens_leaves_other_text_alone(text: str) -> None:
    assert without_tokens(text) == text


def test_variable_name_accepts_names_only() -> None:
    assert variable_name("MY_SLACK_TOKEN") == "MY_SLACK_TOKEN"
    for bad in (CANARY_TOKEN, "1ABC", "MY-TOKEN", "A B"):
        with pytest.raises(argparse.ArgumentTypeError, match="give the NAME") as refused:
            variable_name(bad)
        assert bad not in str(refused.value)


def test_subcommand_parsers_are_the_same_class() -> None:
    parser = CommandLineParser(prog="x")
    commands = parser.add_subparsers(dest="command")
    child = commands.add_parser("child")
    assert isinstance(child, CommandLineParser)
    assert child.allow_abbrev is False


def test_the_emulator_on_a_busy_port_says_what_to_do() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status, output = run("emulator", "--port", str(port))
    assert status == 2, output
    assert f"cannot listen on 127.0.0.1:{port}: another program" in output
    assert "give another --port, or leave it out for a free one" in output
    assert "Errno" not in output
    assert "Traceback" not in output


def test_a_token_in_the_base_url_is_not_printed_back(tmp_path: Path) -> None:
    """Slack once took the token in the query string: a URL holding one is refused, and
    neither the CLI nor the MCP server repeats it (nor floods the host's log), nor the
    token's part after its prefix, which no mask of a token's shape finds."""
    for variable in (
        f"https://slack.com/api?token={CANARY_TOKEN}",
        f"https://slack.com/api?token={CANARY_SECRET}",
        f"https://slack.com/api#{'A' * 100_000}{CANARY_TOKEN}",
    ):
        finished = run_module(
            "ocp_users_photo.mcp_server",
            env={"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": variable},
            cwd=tmp_path,
            stdin_closed=True,
        )
        assert finished.returncode == 2, finished.stderr
        assert "must not have a query or fragment" in finished.stderr
        assert CANARY_SECRET not in finished.stderr
        assert len(finished.stderr) < 1500
    (tmp_path / "me.png").write_bytes(make_image((600, 600)))
    status, output = run(
        "set", "me.png", "--dry-run", "--base-url", f"https://{CANARY_TOKEN}/api", cwd=tmp_path
    )
    assert status == 2, output  # a host name shaped like a token: refused, as in the query
    assert CANARY_SECRET not in output
    assert "holds what looks like a Slack token" in output


def test_paths_a_person_typed_are_printed_masked_and_printable(tmp_path: Path) -> None:
    (tmp_path / "me.png").write_bytes(make_image((600, 600)))
    preview = "square\x1b]52;c;QUFB\x07.png"
    status, output = run("set", "me.png", "--dry-run", "--preview", preview, cwd=tmp_path)
    assert status == 0, output
    assert "Preview: square" in output
    assert "\x1b" not in output
    assert "\x07" not in output
    # A name shaped like a token is refused now (session 11), its echo masked all the same.
    token_named = f"{CANARY_TOKEN}\x1b]52;c;QUFB\x07.png"
    status, output = run("set", "me.png", "--dry-run", "--preview", token_named, cwd=tmp_path)
    assert status == 2, output
    assert CANARY_SECRET not in output
    assert "\x1b" not in output
    assert "\x07" not in output


def test_json_output_gives_the_preview_path_as_it_is(tmp_path: Path) -> None:
    """JSON escapes control characters itself: a path there is the file's real name."""
    (tmp_path / "me.png").write_bytes(make_image((600, 600)))
    finished = run_module(
        "ocp_users_photo.cli",
        *("set", "me.png", "--dry-run", "--json", "--preview", "my  square.png"),
        cwd=tmp_path,
    )
    assert finished.returncode == 0, finished.stderr
    answer = json.loads(finished.stdout)
    assert answer["preview"] == "my  square.png"
    assert (tmp_path / answer["preview"]).is_file()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda folder: folder / "missing.json", "does not exist"),
        (lambda folder: folder, "is a folder"),
        (lambda folder: _written(folder / "bad.json", b"{tokens: []}"), "is not JSON (line 1"),
        (lambda folder: _written(folder / "list.json", b"[]"), "must be a JSON object"),
        (lambda folder: _written(folder / "t3.json", b'{"tokens": 3}'), "must be a list of"),
        (lambda folder: _written(folder / "r.json", b'{"revoked": 5}'), "'revoked' must be"),
        (
            lambda folder: _written(folder / "r\x1b[2J.json", b'{"revoked": 5}'),
            "r?[2J.json",
        ),
        (
            lambda folder: _written(folder / "deep.json", b"[" * 100_000 + b"]" * 100_000),
            "nests lists or objects too deeply",
        ),
        (
            lambda folder: _written(folder / "s.json", b'{"tokens": [{"token": "\\ud800"}]}'),
            "holds text no UTF-8 can carry",
        ),
        (
            lambda folder: _written(
                folder / "u.json",
                b'{"tokens": [{"token": "xoxp-1-2-3-abcdef", "user_id": "U\\ud800X"}]}',
            ),
            "holds text no UTF-8 can carry",
        ),
        (
            lambda folder: _written(folder / "r2.json", b'{"revoked": ["\\ud800"]}'),
            "holds text no UTF-8 can carry",
        ),
    ],
    ids=[
        "missing",
        "folder",
        "not-json",
        "not-an-object",
        "tokens",
        "revoked",
        "hostile-name",
        "too-deep",
        "lone-surrogate",
        "lone-surrogate-user",
        "lone-surrogate-revoked",
    ],
)
def test_the_emulators_tokens_file_is_named_with_what_to_do(
    tmp_path: Path, make: Callable[[Path], Path], says: str
) -> None:
    status, output = run("emulator", "--tokens", str(make(tmp_path)))
    assert status == 2, output
    line = output.strip()
    assert line.startswith("ocp-users-photo emulator: the tokens file "), line
    assert says in line, line
    assert "docs/emulator.md" in line, line
    assert "Errno" not in line, line
    assert "\x1b" not in line, line
    assert "Traceback" not in output, output
    assert "codec" not in line, line  # Python's own text


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_the_emulators_host_is_printed_back_without_control_characters() -> None:
    status, output = run("emulator", "--host", "evil\x1b[31mhost", "--port", "1")
    assert status == 2, output
    assert "\x1b" not in output, output
    assert "cannot listen on evil?[31mhost:1" in output, output


def test_an_emulator_host_no_resolver_can_take_is_refused_in_a_line() -> None:
    # asyncio raised a bare TypeError ("encoding of hostname failed"): a traceback.
    status, output = run("emulator", "--host", "h\u202e.example", "--port", "1")
    assert status == 2, output
    assert "Traceback" not in output, output
    assert "it is no host name or address: give --host 127.0.0.1" in output, output
