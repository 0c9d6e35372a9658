"""``file_kinds.loops``: only a path whose links never end is said to loop."""

from __future__ import annotations

import os
from pathlib import Path

from ocp_users_photo.file_kinds import loops


def test_only_a_loop_of_links_loops(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"x")
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    assert loops(tmp_path / "a")
    assert loops(str(tmp_path / "a" / "below"))
    assert not loops(tmp_path / "file")
    assert not loops(tmp_path)
    assert not loops(tmp_path / "dangling")  # a link to nothing: missing, no loop
    assert not loops(tmp_path / "missing")
