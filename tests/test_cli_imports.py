"""A one-shot command imports its own command's module, not every command's.

Each command's module pulls in what only it uses (set: Pillow; undo: the restore path;
manifest: the exports' schemas). Wiring them all cost ``--version`` 51 ms of CPU of its
179 and ``whoami`` 25 of its 238 (benchmarks/README.md).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_PROBE = (
    "import json, sys\n"
    "from ocp_users_photo.cli import main\n"
    "try:\n"
    "    main(json.loads(sys.argv[1]))\n"
    "except SystemExit:\n"
    "    pass\n"
    "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
)
_COMMAND_MODULES = {
    "set": "ocp_users_photo.set_command",
    "whoami": "ocp_users_photo.whoami_command",
    "history": "ocp_users_photo.history_command",
    "undo": "ocp_users_photo.undo_command",
    "manifest": "ocp_users_photo.exports",
}


def _modules_after(words: list[str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(words)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("command", sorted(_COMMAND_MODULES))
def test_a_command_imports_its_own_module_and_no_other_commands(command: str) -> None:
    loaded = _modules_after([command, "--help"])
    assert _COMMAND_MODULES[command] in loaded
    others = {module for name, module in _COMMAND_MODULES.items() if name != command}
    assert not others & loaded, others & loaded  # undo too: its options are cli_options'


@pytest.mark.parametrize("words", [["--version"], ["--help"], []])
def test_no_command_named_imports_no_commands_module(words: list[str]) -> None:
    loaded = _modules_after(words)
    assert not set(_COMMAND_MODULES.values()) & loaded
    assert "PIL.Image" not in loaded


def test_whoami_does_not_import_pillow_or_the_undo_path() -> None:
    loaded = _modules_after(["whoami", "--help"])
    assert not {"PIL.Image", "ocp_users_photo.undo.restore", "ocp_users_photo.undo.keeper"} & loaded


def test_the_parser_without_a_command_still_wires_every_command() -> None:
    from ocp_users_photo.cli import build_parser

    parser = build_parser()
    for words in (["whoami", "--timeout", "5"], ["history", "--json"], ["manifest"]):
        assert callable(parser.parse_args(words).handler)
