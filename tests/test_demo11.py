"""Review of the Quick start's demo and the local emulator as a local server (demo11)."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any, TextIO

import httpx
import pytest

from ocp_users_photo import demo
from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None, max_body_bytes=4096)


_CONTROL_BODIES = [
    ("/_emulator/faults", {"kind": "drop"}),
    ("/_emulator/tokens", {"token": "team-big", "user_id": "UBIG000002"}),
    ("/_emulator/users", {"user_id": "UBIG000001"}),
    ("/_emulator/clock", {"advance_seconds": 3600}),
]


def _changed(emulator: RunningEmulator) -> list[str]:
    """What the control bodies above would have changed."""
    changes = []
    if emulator.faults.pending():
        changes.append("a fault")
    if emulator.state.person("UBIG000001") is not None:
        changes.append("a person")
    if emulator.state.tokens.lookup("team-big").grant is not None:
        changes.append("a token")
    if emulator.state.clock.offset_seconds:
        changes.append("the clock")
    return changes


@pytest.mark.parametrize(("path", "document"), _CONTROL_BODIES)
async def test_a_control_body_over_the_size_limit_is_refused_unread(
    emulator: RunningEmulator, client: httpx.AsyncClient, path: str, document: dict[str, object]
) -> None:
    # Valid JSON padded with whitespace, so only its size can refuse it: the control API
    # buffered any body whole (a 200 MB one took the emulator to 630 MB) while /api/
    # answers request_too_large past the same limit.
    body = json.dumps(document) + " " * 8192
    response = await client.post(emulator.root_url + path, content=body)
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"
    assert _changed(emulator) == []


@pytest.mark.parametrize(("path", "document"), _CONTROL_BODIES)
async def test_a_control_body_within_the_size_limit_still_works(
    emulator: RunningEmulator, client: httpx.AsyncClient, path: str, document: dict[str, object]
) -> None:
    body = json.dumps(document) + " " * 1024
    response = await client.post(emulator.root_url + path, content=body)
    assert response.status_code == 200, response.text
    assert len(_changed(emulator)) == 1


def _interrupted_demo(
    monkeypatch: pytest.MonkeyPatch,
    temp_root: Path,
    *,
    out: Path | None,
    serve: bool,
    serving: bool = False,
    named: bool = False,
) -> None:
    """demo.run() whose demo is Ctrl-C'd once the portrait is drawn (as at step 2; ``named``:
    after the line naming it), or, ``serving``, once --serve's wait began."""

    async def interrupted(out_dir: Path, *, serve: bool, out: TextIO, progress: Any = None) -> int:
        demo.draw_portrait(out_dir / "portrait.png")
        progress.named = named or serving  # as the demo does: its folder named by a line first
        progress.serving = serving
        raise KeyboardInterrupt

    monkeypatch.setattr(tempfile, "tempdir", str(temp_root))
    monkeypatch.setattr(demo, "demo", interrupted)
    arguments = argparse.Namespace(out=out, serve=serve)
    if serving:
        assert demo.run(arguments) == 0
    else:
        with pytest.raises(KeyboardInterrupt):
            demo.run(arguments)


def test_a_demo_ctrl_c_d_midway_leaves_no_temporary_folder_behind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The folder was the demo's own, named by nothing but a line half-way up: Ctrl-C
    # left it and its portrait in the temporary folder for good.
    _interrupted_demo(monkeypatch, tmp_path, out=None, serve=False)
    assert list(tmp_path.iterdir()) == []


def test_a_demo_ctrl_c_d_after_naming_its_folder_says_where_it_stays(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Kept, as a line named its portrait, but only "interrupted" was said last: the
    # temporary folder was left with nothing at the end naming it.
    _interrupted_demo(monkeypatch, tmp_path, out=None, serve=False, named=True)
    [kept] = tmp_path.iterdir()
    assert (kept / "portrait.png").is_file()
    assert f"its files stay in {kept}: remove it when done" in capsys.readouterr().err


def test_a_demo_ctrl_c_d_midway_keeps_a_folder_the_person_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    named = tmp_path / "mine"
    _interrupted_demo(monkeypatch, tmp_path / "temp", out=named, serve=False)
    assert (named / "portrait.png").is_file()


def test_a_demo_serve_ended_with_ctrl_c_keeps_its_temporary_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # With --serve, Ctrl-C once serving is the normal end: what it saved stays where it said.
    _interrupted_demo(monkeypatch, tmp_path, out=None, serve=True, serving=True)
    [kept] = tmp_path.iterdir()
    assert (kept / "portrait.png").is_file()


def test_a_demo_serve_ctrl_c_d_before_serving_is_interrupted_and_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Ctrl-C before the wait began exited 0 ("its normal end") and kept a folder it had not
    # named yet: it is an interruption (130), and the folder goes.
    _interrupted_demo(monkeypatch, tmp_path, out=None, serve=True)
    assert list(tmp_path.iterdir()) == []


def test_the_demo_writes_no_file_through_a_link_in_its_folder(tmp_path: Path) -> None:
    """--out named a folder holding a link at portrait.png: the portrait was written
    through it, over the file it pointed at."""
    victim = tmp_path / "victim"
    victim.write_bytes(b"not yours to overwrite")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "portrait.png").symlink_to(victim)
    demo.draw_portrait(folder / "portrait.png")
    assert victim.read_bytes() == b"not yours to overwrite"
    assert not (folder / "portrait.png").is_symlink()
    assert (folder / "portrait.png").read_bytes().startswith(b"\x89PNG")
    assert [path.name for path in folder.iterdir()] == ["portrait.png"]  # no temporary left


def test_a_demo_folder_that_cannot_take_a_file_says_so(tmp_path: Path) -> None:
    (tmp_path / "portrait.png").mkdir()
    with pytest.raises(ValueError, match=r"cannot take portrait\.png") as refused:
        demo.draw_portrait(tmp_path / "portrait.png")
    assert "move portrait.png away, or give another folder" in str(refused.value)
    assert [path.name for path in tmp_path.iterdir()] == ["portrait.png"]


def test_the_demos_files_get_the_mode_a_file_made_here_gets(tmp_path: Path) -> None:
    """Written through a temporary file, they came out 0600 (the temporary's own mode)."""
    demo.draw_portrait(tmp_path / "portrait.png")
    mode = (tmp_path / "portrait.png").stat().st_mode & 0o777
    assert mode == 0o666 & ~demo._UMASK


def test_a_temporary_folder_that_cannot_take_a_file_is_not_called_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without --out, a full disk was told as "--out ... cannot take portrait.png ...,
    or leave --out out", what the person had done."""

    def full(path: Path, data: bytes) -> None:
        raise demo.OutFolderRefused(path, OSError(28, "No space left on device"))

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(demo, "write_in_out_folder", full)
    with pytest.raises(ValueError, match="temporary folder") as refused:
        demo.run(argparse.Namespace(out=None, serve=False))
    said = str(refused.value)
    assert "No space left on device" in said
    assert "TMPDIR" in said
    assert "--out" in said
    assert "leave --out out" not in said
    assert list(tmp_path.iterdir()) == []  # its own folder, named by no line yet: removed


def test_a_folder_the_demo_named_stays_when_it_ends_early(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """| head -5 showed the portrait's path, then the folder was removed under it."""

    async def named_then_failed(
        out_dir: Path, *, serve: bool, out: TextIO, progress: Any = None
    ) -> int:
        demo.draw_portrait(out_dir / "portrait.png")
        progress.named = True  # the line naming it was written
        return 1  # a check failed, or stdout closed early

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(demo, "demo", named_then_failed)
    assert demo.run(argparse.Namespace(out=None, serve=False)) == 1
    [kept] = tmp_path.iterdir()
    assert (kept / "portrait.png").is_file()
