"""``~name/...`` for a user this machine does not have: one line and exit 2, not a traceback.

A shell leaves ``~bbo/x`` as typed when no user ``bbo`` exists (a typo), and
``Path.expanduser`` raised RuntimeError for it: ``history``, ``undo``, ``set --history``,
``set --preview``, ``--image-root`` and ``mcp --history`` ended in a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo.home_paths import home_expanded
from ocp_users_photo.undo import PhotoHistory
from tests.conftest import make_image
from tests.programs import run_cli

NO_SUCH_USER = "~no-such-user-here-7c1e"


def test_home_expanded_names_the_user_that_is_not_there() -> None:
    with pytest.raises(ValueError, match="names no user of this machine") as refused:
        home_expanded(f"{NO_SUCH_USER}/history.sqlite3")
    assert NO_SUCH_USER in str(refused.value)
    assert home_expanded("~/x") == Path.home() / "x"
    assert home_expanded("plain/x") == Path("plain/x")
    with pytest.raises(ValueError, match="names no user"):
        PhotoHistory(f"{NO_SUCH_USER}/h.sqlite3")


@pytest.mark.parametrize(
    "arguments",
    [
        ("history", "--history", f"{NO_SUCH_USER}/h.sqlite3"),
        ("undo", "--history", f"{NO_SUCH_USER}/h.sqlite3"),
        ("set", "IMAGE", "--history", f"{NO_SUCH_USER}/h.sqlite3"),
        ("set", "IMAGE", "--dry-run", "--preview", f"{NO_SUCH_USER}/p.png"),
        ("set", "IMAGE", "--image-root", NO_SUCH_USER),
        ("mcp", "--history", f"{NO_SUCH_USER}/h.sqlite3"),
    ],
)
def test_each_door_says_it_in_one_line(tmp_path: Path, arguments: tuple[str, ...]) -> None:
    image = tmp_path / "me.png"
    image.write_bytes(make_image((600, 600)))
    given = [str(image) if part == "IMAGE" else part for part in arguments]
    env = {"SLACK_USER_TOKEN": "xoxp-1-2-3-4", "SLACK_API_URL": "http://127.0.0.1:9/api"}
    done = run_cli(*given, env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "names no user of this machine: write the folder out in full" in done.stderr
    assert not (tmp_path / NO_SUCH_USER).exists()


def test_no_home_folder_at_all_is_said_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HOME and no password entry (a container's bare uid): "~/" itself cannot be
    expanded, and the advice was to write "~/"."""
    monkeypatch.delenv("HOME", raising=False)

    def no_entry(uid: int) -> object:
        raise KeyError(uid)

    monkeypatch.setattr("pwd.getpwuid", no_entry)
    with pytest.raises(ValueError, match="has no home folder") as refused:
        home_expanded("~/h.sqlite3")
    assert "~/ for your own" not in str(refused.value)


def test_the_history_variable_of_no_users_home_is_refused_and_makes_no_folder(
    tmp_path: Path,
) -> None:
    """$OCP_USERS_PHOTO_HISTORY went through os.path.expanduser, which leaves ~name as it
    is: a folder named "~no-such-user..." was made in the working folder, silently."""
    image = tmp_path / "me.png"
    image.write_bytes(make_image((600, 600)))
    env = {
        "SLACK_USER_TOKEN": "xoxp-1-2-3-4",
        "SLACK_API_URL": "http://127.0.0.1:9/api",
        "OCP_USERS_PHOTO_HISTORY": f"{NO_SUCH_USER}/h.sqlite3",
    }
    done = run_cli("undo", env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "names no user of this machine" in done.stderr
    assert not (tmp_path / NO_SUCH_USER).exists()
