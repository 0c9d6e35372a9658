"""Runs one README section's blocks as a newcomer would, in one fresh folder and one shell.

    python -m tests.readme_session < plan.json > results.json

The plan lists the blocks (``readme_blocks.Block`` as JSON); the results give each
block's output, exit status and how many users.setPhoto requests reached the Slack
stand-in meanwhile. tests/test_readme_blocks.py starts this in a network namespace of
its own when it can, so a README command that listens on a fixed port (8765) finds it
free whatever else runs on the machine.

What the folder holds, as the README says it should: me.png (800x800), me.jpg
(800x600), portrait.png and them.png, installations.db with two people's
installations (the Bolt app's store, as "Tokens per person" assumes), and a home
folder with Pictures/. The environment: SLACK_API_URL pointing at a local emulator,
a user token in SLACK_USER_TOKEN, the app's client id and secret, and OpenAI's
client pointed at tests/fake_openai.py. A ``sh`` block runs under ``bash -e`` with
the variables earlier blocks exported; one that reads a token (``read``) is given
it on stdin. A python block is saved to a file and run as the main program, as
written, in this process (the section's snippets share its imports).
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import queue
import runpy
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from PIL import Image, ImageDraw

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator, start_emulator_in_thread
from ocp_users_photo.emulator.config import TokenGrant
from ocp_users_photo.emulator.oauth_apps import OAuthApp
from tests.fake_openai import running_fake_openai

RUNNER_TOKEN: Final = "xoxp-1111111111-2222222222222-readme0runner0token0000000000"
# The people of "Tokens per person" (team T0123: U0456 and U0789), with user tokens
# the emulator takes as theirs.
PEOPLE: Final = (("T0123", "U0456"), ("T0123", "U0789"))
BLOCK_SECONDS: Final = 180.0
BACKGROUND_SECONDS: Final = 30.0


@dataclass
class Outcome:
    line: int
    stdout: str
    stderr: str
    returncode: int | None
    photo_sets: int

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def make_pictures(folder: Path) -> None:
    """The images the README's commands name, each a face-like picture, not a blank."""
    for name, size, fmt in (
        ("me.png", (800, 800), "PNG"),
        ("me.jpg", (800, 600), "JPEG"),
        ("portrait.png", (600, 600), "PNG"),
        ("them.png", (640, 640), "PNG"),
    ):
        picture = Image.new("RGB", size, (40, 110, 190))
        pen = ImageDraw.Draw(picture)
        width, height = size
        side = min(size) * 3 // 4
        left, top = (width - side) // 2, (height - side) // 2
        pen.ellipse((left, top, left + side, top + side), fill=(240, 200, 160))
        picture.save(folder / name, format=fmt)


def installation_token(user_id: str) -> str:
    """The user token of the person's installation: the emulator knows it as theirs."""
    return f"xoxp-1111111111-{user_id}-readme0installation000000"


def save_installations(database: Path, client_id: str) -> None:
    """installations.db as Bolt's OAuth flow would have left it for the two people."""
    from slack_sdk.oauth.installation_store import Installation
    from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

    store = SQLite3InstallationStore(database=str(database), client_id=client_id)
    for team_id, user_id in PEOPLE:
        store.save(
            Installation(
                app_id="A0README",
                team_id=team_id,
                user_id=user_id,
                user_token=installation_token(user_id),
                user_scopes=["users.profile:write", "users.profile:read"],
            )
        )


def environment(
    emulator: RunningEmulator, openai_url: str, home: Path, app: OAuthApp
) -> dict[str, str]:
    """The newcomer's environment: theirs, minus any Slack or OpenAI settings, plus ours."""
    kept = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "OPENAI_", "PYTEST_", "COV_"))
    }
    venv_bin = str(Path(sys.executable).parent)
    kept.update(
        {
            "PATH": venv_bin + os.pathsep + kept.get("PATH", ""),
            "HOME": str(home),
            "SLACK_API_URL": emulator.base_url,
            "SLACK_USER_TOKEN": RUNNER_TOKEN,
            "SLACK_CLIENT_ID": app.client_id,
            "SLACK_CLIENT_SECRET": app.client_secret,
            "OPENAI_BASE_URL": openai_url,
            "OPENAI_API_KEY": "sk-readme-stand-in",
            # The OpenAI Agents SDK would send traces to OpenAI itself.
            "OPENAI_AGENTS_DISABLE_TRACING": "1",
        }
    )
    return kept


class Shell:
    """One shell session: each block under bash -e, the variables it exported kept."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.state = folder.parent / "shell-state.sh"
        self.state.write_text("")
        self.background: list[subprocess.Popen[str]] = []

    def run(self, code: str) -> tuple[str, str, int | None]:
        state = shlex.quote(str(self.state))
        script = f". {state}\n{code}\nexport -p > {state}\n"
        reads_a_token = any(line.lstrip().startswith("read ") for line in code.splitlines())
        try:
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
                cwd=self.folder,
                env=self.env,
                input=f"{RUNNER_TOKEN}\n" if reads_a_token else "",
                capture_output=True,
                text=True,
                timeout=BLOCK_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as late:
            return _text(late.stdout), _text(late.stderr) + "\n(timed out)", None
        return done.stdout, done.stderr, done.returncode

    def start(self, code: str, lines_wanted: int) -> tuple[str, str, int | None]:
        """Start ``code`` in the background; its first ``lines_wanted`` lines of output."""
        script = f". {shlex.quote(str(self.state))}\n{code}"
        process = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-e", "-c", script],
            cwd=self.folder,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.background.append(process)
        assert process.stdout is not None
        lines = _first_lines(process.stdout, lines_wanted, BACKGROUND_SECONDS)
        return "".join(lines), "", None if process.poll() is None else process.returncode

    def stop_background(self) -> str:
        """Ctrl-C to everything started in the background; what they said on stderr."""
        said = []
        for process in self.background:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
            try:
                _, stderr = process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                _, stderr = process.communicate()
            said.append(stderr)
        return "".join(said)


def _first_lines(stream: IO[str], wanted: int, seconds: float) -> list[str]:
    found: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            found.put(line)

    threading.Thread(target=pump, daemon=True).start()
    lines: list[str] = []
    with contextlib.suppress(queue.Empty):
        while len(lines) < wanted:
            lines.append(found.get(timeout=seconds))
    return lines


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else value.decode(errors="replace")


@contextlib.contextmanager
def session_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ocp-users-photo-readme-") as top:
        yield Path(top)


def run_plan(plan: dict[str, Any]) -> dict[str, Any]:
    app = OAuthApp()
    with session_folder() as top:
        work, home = top / "work", top / "home"
        work.mkdir()
        (home / "Pictures").mkdir(parents=True)
        make_pictures(work)
        save_installations(work / "installations.db", app.client_id)
        grants = tuple(
            TokenGrant(installation_token(user_id), user_id=user_id) for _, user_id in PEOPLE
        )
        # The workspace is the snippets' placeholder team: a person bound there whose token
        # auth.test placed in another team would be refused (undo/owner.py).
        config = EmulatorConfig(
            rate_limit_per_minute=None,
            oauth_apps=(app,),
            tokens=grants,
            team_id=PEOPLE[0][0],
        )
        with start_emulator_in_thread(config) as emulator, running_fake_openai() as openai:
            shell = Shell(work, environment(emulator, openai.base_url, home, app))
            # The Python blocks run in this process (_run_python), as the shell's would.
            os.environ.clear()
            os.environ.update(shell.env)
            os.chdir(work)
            outcomes: list[Outcome] = []
            try:
                for block in plan["blocks"]:
                    before = len(emulator.requests.for_path("/api/users.setPhoto"))
                    if block["kind"] == "python":
                        stdout, stderr, code = _run_python(work, block)
                    elif block["background"]:
                        stdout, stderr, code = shell.start(block["code"], block["output_lines"])
                    else:
                        stdout, stderr, code = shell.run(block["code"])
                    sets = len(emulator.requests.for_path("/api/users.setPhoto")) - before
                    outcomes.append(Outcome(block["line"], stdout, stderr, code, sets))
            finally:
                background_stderr = shell.stop_background()
            return {
                "base_url": emulator.base_url,
                "outcomes": [outcome.as_json() for outcome in outcomes],
                "background_stderr": background_stderr,
                "background_exit": [process.returncode for process in shell.background],
            }


@contextlib.contextmanager
def _resource_warnings_told() -> Iterator[None]:
    """What the snippet left to the collector (a connection, a file), written to its stderr
    as ``python -W always::ResourceWarning FILE`` would show it: Python hides these by
    default, and a snippet a reader copies must close what it opens."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        try:
            yield
        finally:
            gc.collect()
            for warning in caught:
                if issubclass(warning.category, ResourceWarning):
                    sys.stderr.write(f"ResourceWarning: {warning.message}\n")


def _run_python(folder: Path, block: dict[str, Any]) -> tuple[str, str, int | None]:
    """Save the block as a file and run it as the main program, in this process.

    As ``python FILE`` would, from its first line to its last, but the snippets of one
    section share this interpreter's imports: the agent frameworks load once, not once
    a snippet (whole seconds each). The environment is the session's already.
    """
    script = folder / f"readme_line_{block['line']}.py"
    script.write_text(block["code"])
    out, err = io.StringIO(), io.StringIO()
    code: int | None = 0
    saved_argv = sys.argv
    sys.argv = [script.name]
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            _resource_warnings_told(),
        ):
            runpy.run_path(script.name, run_name="__main__")
    except SystemExit as ended:
        code = ended.code if isinstance(ended.code, int) else (0 if ended.code is None else 1)
    except BaseException:  # a snippet's failure is its result, as python's exit status 1 is
        err.write(traceback.format_exc())
        code = 1
    finally:
        sys.argv = saved_argv
    return out.getvalue(), err.getvalue(), code


def main() -> int:
    plan = json.load(sys.stdin)
    json.dump(run_plan(plan), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
