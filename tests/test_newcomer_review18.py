"""Newcomer review, round 18: what a first-timer meets following the README."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ocp_users_photo.images.paths import open_confined
from ocp_users_photo.undo import HistoryOwner, PhotoHistory


def test_an_empty_history_file_made_beforehand_becomes_owner_only(tmp_path: Path) -> None:
    """``touch photo-history.sqlite3`` (or an editor's empty save) before the first ``set``:
    the tool makes the history in that file, so it is made owner-only as a new one is; it
    was left readable by everyone (the umask's 644) while it came to hold people's photos."""
    path = tmp_path / "photo-history.sqlite3"
    path.touch()
    os.chmod(path, 0o644)

    async def made() -> None:
        history = PhotoHistory(path)
        await asyncio.to_thread(history.check_usable)
        assert await history.entries(HistoryOwner("T1", "U1")) == []
        await history.aclose()

    asyncio.run(made())
    assert path.stat().st_size > 0  # the history's tables are in it now
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_history_file_with_content_keeps_its_owner_s_mode(tmp_path: Path) -> None:
    """A history that exists is its owner's: its mode is left as it is."""
    path = tmp_path / "photo-history.sqlite3"

    async def made() -> None:
        history = PhotoHistory(path)
        await asyncio.to_thread(history.check_usable)
        await history.aclose()

    asyncio.run(made())
    os.chmod(path, 0o640)
    asyncio.run(made())
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_missing_relative_path_says_which_folder_it_was_looked_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ocp-users-photo set me.png`` run from the home folder or ``/`` (a new terminal's
    folder, not the one holding the photo): the refusal names the folder it looked in, so
    the person sees why; it said only "no file at 'me.png'"."""
    monkeypatch.chdir(tmp_path)
    source, problems = open_confined("me.png", None, 1_000_000)
    assert source is None
    (problem,) = problems
    assert problem.message.startswith(
        f"no file at 'me.png' (looked in the current folder, {str(tmp_path)!r}): give the path"
    )


def test_the_terminal_names_the_current_folder_of_a_missing_image(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ocp_users_photo", "set", "me.png", "--dry-run"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert f"no file at 'me.png' (looked in the current folder, {str(tmp_path)!r})" in (done.stderr)
    assert "Traceback" not in done.stderr


def _catalog_entry_section() -> str:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("### The catalog entry")
    return " ".join(readme[start : readme.index("\n## ", start)].split())


def test_the_readme_says_how_the_whole_manifest_meets_ocp_s_schema() -> None:
    """A catalog validating tool_manifest.json as it is against OCP's tool schema gets the
    formData locations and, since that schema allows no other top-level field, the six
    extensions: the README said formData was the one deviation."""
    from jsonschema import Draft7Validator

    data = Path(__file__).parent / "data" / "ocp-tool.schema.json"
    schema = json.loads(data.read_text(encoding="utf-8"))
    manifest = json.loads(
        (Path(__file__).parents[1] / "tool_manifest.json").read_text(encoding="utf-8")
    )
    found = {error.validator for error in Draft7Validator(schema).iter_errors(manifest)}
    assert found == {"enum", "additionalProperties"}
    said = _catalog_entry_section()
    assert "Its OCP fields validate" in said
    assert "allows no other top-level field, so the six extensions are refused too" in said
