"""Doors a user without the repository meets: an older slack_sdk, python -m, run from
another folder (the built wheel's own checks are in test_packaging.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python(code_or_args: list[str], *, cwd: Path, blocked: tuple[str, ...] = ()) -> str:
    """Run this interpreter with the repository importable but not the working folder."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    if blocked:
        # A sitecustomize-free way to make modules "not installed": a -c prelude only works
        # for -c, so a tiny shim module is put first on the path.
        shim = cwd / "_shim"
        shim.mkdir(exist_ok=True)
        for name in blocked:
            (shim / f"{name}.py").write_text(
                f"raise ModuleNotFoundError({'No module named ' + repr(name)!r}, name={name!r})\n"
            )
        environment["PYTHONPATH"] = os.pathsep.join([str(shim), str(ROOT)])
    done = subprocess.run(
        [sys.executable, *code_or_args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env=environment,
    )
    return done.stdout + done.stderr


_OLD_SLACK_SDK = """
import importlib.metadata as md
real_version = md.version
def version(name):
    if name.replace("-", "_").lower() == "slack_sdk":
        return "3.39.0"
    return real_version(name)
md.version = version
import slack_sdk.version
slack_sdk.version.__version__ = "3.39.0"
try:
    from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
    from ocp_users_photo.installations import InstallationTokenSource
    store = SQLite3InstallationStore(database="installations.db", client_id="111.222")
    InstallationTokenSource(store, client_id="111.222", client_secret="s")
except Exception as error:
    print("REFUSED:", error)
else:
    print("ACCEPTED")
"""


def test_an_older_slack_sdk_is_refused_naming_the_extra(tmp_path: Path) -> None:
    # The installations extra needs slack_sdk 3.44 (pyproject: "the first whose SQLite store
    # saves and finds a user-only installation"). Installed without the extra in an
    # environment that already has an older slack_sdk (a Bolt app's), the token source is
    # built and used: with slack_sdk 3.39.0 a person who did install the app gets
    # NotInstalled, "ask them to install it", for ever. aiohttp below 3.13.4 and mcp 1 are
    # refused with the extra to install; slack_sdk below its floor is not.
    output = _python(["-c", _OLD_SLACK_SDK], cwd=tmp_path)
    assert "REFUSED" in output, output
    assert "[installations]" in output, output


def test_the_bolt_example_without_its_extra_says_so_without_a_traceback(tmp_path: Path) -> None:
    # README: run the example app with `python -m ocp_users_photo.examples.bolt_photo_app`.
    # Without [bolt] that prints two chained tracebacks (ModuleNotFoundError, then the
    # ImportError holding the advice) and exits 1; the CLI's doors print one line.
    output = _python(
        ["-m", "ocp_users_photo.examples.bolt_photo_app"], cwd=tmp_path, blocked=("slack_bolt",)
    )
    assert "'.[bolt]'" in output, output
    assert "Traceback" not in output, output


def test_python_dash_m_runs_the_command_line(tmp_path: Path) -> None:
    # `python -m ocp_users_photo` (what a host without the console script on its PATH, or
    # `python -m` habit, tries) says "'ocp_users_photo' is a package and cannot be
    # directly executed": there is no __main__.py.
    from ocp_users_photo import __version__

    output = _python(["-m", "ocp_users_photo", "--version"], cwd=tmp_path)
    assert f"ocp-users-photo {__version__}" in output, output
