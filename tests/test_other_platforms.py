"""macOS and Windows behaviour, shown on Linux.

Each test says how the other platform is simulated: a root reached through a symlink
(macOS's /tmp, /var and /etc are symlinks to /private/...), ntpath in place of posixpath
for the path checks (Windows), fcntl's F_GETPATH answering with the name the file system
keeps (macOS), and an event loop without signal handlers (asyncio's Windows loops raise
NotImplementedError from add_signal_handler).
"""

from __future__ import annotations

import ntpath
import os
import subprocess
import sys
import types
from pathlib import Path, PureWindowsPath

import pytest

from ocp_users_photo.images import input_kinds, paths
from ocp_users_photo.images.input_kinds import kind_of
from ocp_users_photo.images.paths import open_confined
from ocp_users_photo.settings import resolve_roots
from tests.conftest import CANARY_TOKEN, make_image
from tests.programs import environment_without_slack
from tests.test_mcp_door_review import ctrl_c_ends_an_initialized_server

PNG = make_image((600, 600))
_ROOT = Path(__file__).resolve().parents[1]

# Run as a program: asyncio's loops refuse signal handlers as Windows' do, then the CLI.
_WINDOWS_LIKE_LOOP = """
import asyncio.unix_events, sys
def refuse(self, sig, callback, *args):
    raise NotImplementedError  # asyncio's ProactorEventLoop and SelectorEventLoop on Windows
asyncio.unix_events._UnixSelectorEventLoop.add_signal_handler = refuse
from ocp_users_photo.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_root_given_through_a_symlink_accepts_paths_written_through_it(tmp_path: Path) -> None:
    """macOS: /tmp, /var (and so $TMPDIR, /var/folders/...) and /etc are symlinks to
    /private/...; Windows: a mapped network drive or a subst drive resolves to another
    spelling. The root is kept resolved (/private/tmp/photos) and a path is compared to it
    as written, so `/tmp/photos/me.png` under `--image-root /tmp/photos` is refused as
    outside the folder it names, told to copy the file "into" the folder it is in."""
    real = tmp_path / "private" / "photos"
    real.mkdir(parents=True)
    (real / "me.png").write_bytes(PNG)
    link = tmp_path / "photos"
    link.symlink_to(real)
    roots = resolve_roots([str(link)])
    assert roots is not None
    source, problems = open_confined(str(link / "me.png"), roots, 10_000_000)
    try:
        assert problems == [], [p.message for p in problems]
        assert source is not None
    finally:
        if source is not None:
            source.close()


class _WindowsOs(types.SimpleNamespace):
    """The os module as images/paths.py sees it on Windows: ntpath and a backslash."""


def _windows_os() -> _WindowsOs:
    fake = _WindowsOs(**{name: getattr(os, name) for name in dir(os) if not name.startswith("__")})
    fake.path = ntpath
    fake.sep = "\\"
    fake.altsep = "/"
    fake.name = "nt"
    return fake


@pytest.mark.parametrize(
    "written",
    [
        "c:\\Users\\alice\\Pictures\\me.png",  # a lower-case drive letter (VS Code, Node)
        "C:\\Users\\alice\\pictures\\me.png",
        "C:/USERS/alice/Pictures/me.png",
    ],
)
def test_windows_paths_are_compared_without_regard_to_case(
    written: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NTFS names the same file whatever the case; the root is kept as realpath spells it
    (GetFinalPathNameByHandle: the case on disk). The lexical check compares strings
    case-sensitively, so the same folder written in another case is "outside"."""
    monkeypatch.setattr(paths, "os", _windows_os())
    # Windows roots, which no Path here can be: lexically_inside is typed for Path roots.
    roots = (PureWindowsPath("C:\\Users\\alice\\Pictures"),)
    # The simulation: a file written as the root is, is inside.
    assert paths.lexically_inside("C:\\Users\\alice\\Pictures\\me.png", roots)  # type: ignore[arg-type]
    assert paths.lexically_inside(written, roots)  # type: ignore[arg-type]


def test_a_windows_file_url_names_a_file_in_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """file:///C:/Users/alice/Pictures/me.png is taken as the path /C:/Users/...: on Windows
    that is no path in any root (ntpath keeps the leading separator)."""
    monkeypatch.setattr(paths, "os", _windows_os())
    monkeypatch.setattr(input_kinds, "os", _windows_os())
    kind, value, problems = kind_of("file:///C:/Users/alice/Pictures/me.png")
    assert (kind, problems) == ("path", [])
    roots = (PureWindowsPath("C:\\Users\\alice\\Pictures"),)  # Windows roots: no Path here
    assert paths.lexically_inside(value, roots), value  # type: ignore[arg-type]


def test_the_emulator_command_starts_where_the_loop_has_no_signal_handlers(
    tmp_path: Path,
) -> None:
    """Windows: `ocp-users-photo emulator` (README: "Try steps 5 to 7 on the emulator
    first") calls loop.add_signal_handler unguarded (emulator/command.py:182), which
    asyncio's Windows loops refuse with NotImplementedError: the command dies at start."""
    server = subprocess.Popen(
        [sys.executable, "-c", _WINDOWS_LIKE_LOOP, "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**environment_without_slack({}), "PYTHONPATH": str(_ROOT)},
        cwd=tmp_path,
    )
    try:
        assert server.stdout is not None
        assert server.stderr is not None
        first = server.stdout.readline().decode()
        assert first.startswith("http://127.0.0.1:"), server.stderr.read().decode()[-400:]
    finally:
        if server.poll() is None:
            server.kill()
        server.communicate(timeout=10)


def test_ctrl_c_stops_an_idle_mcp_server_where_the_loop_has_no_signal_handlers(
    tmp_path: Path,
) -> None:
    """Windows: mcp_command.py:131-133 suppresses NotImplementedError from
    add_signal_handler, so `_exit_interrupted` is never installed; asyncio.run's own SIGINT
    handling cancels the main task, which then waits for the SDK's stdin reader thread:
    Ctrl-C (even twice) leaves the server running until the host closes stdin, and a
    change under way is never settled (README: "Ctrl-C at once, with exit status 130")."""
    server = subprocess.Popen(
        [sys.executable, "-c", _WINDOWS_LIKE_LOOP, "mcp", "--image-root", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={
            **environment_without_slack({"SLACK_USER_TOKEN": CANARY_TOKEN}),
            "PYTHONPATH": str(_ROOT),
        },
        cwd=tmp_path,
    )
    ctrl_c_ends_an_initialized_server(server)


def test_a_file_url_of_another_machine_is_refused_not_read_as_a_local_path() -> None:
    kind, value, problems = kind_of("file://server/share/me.png")
    assert (kind, value) == (None, None)
    assert [problem.message for problem in problems] == [
        "image is a file: URL of another machine: give the path of a file on this one, or "
        "its bytes as base64 or a data: URI"
    ]
    assert kind_of("file://localhost/tmp/me.png")[:2] == ("path", "/tmp/me.png")
