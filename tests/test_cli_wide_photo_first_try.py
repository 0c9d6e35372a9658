"""A photo wider than 2:1 on the command line (first try, 2026-12-04): the refusal says to
give a crop box as the Python argument names, `crop_x, crop_y, crop_w`, which the command
does not take; the crop box's own problems are said as its flags (--crop-x), this one not.

    $ ocp-users-photo set wide.png          # 2000x600
    ocp-users-photo: nothing was sent to Slack, 1 problem with the arguments: $.image:
    the image is 2000x600 pixels: ... give a crop box (crop_x, crop_y, crop_w: its square
    is sent), or cut it to at most 2:1 (for instance 1200x600) first
"""

from __future__ import annotations

from pathlib import Path

from ocp_users_photo.exit_codes import ExitCode
from tests.conftest import make_image
from tests.programs import run_cli


def test_a_too_wide_photo_names_the_commands_crop_flags(tmp_path: Path) -> None:
    (tmp_path / "wide.png").write_bytes(make_image((2000, 600)))
    done = run_cli("set", "wide.png", "--dry-run", cwd=tmp_path)
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert "2000x600" in done.stderr
    assert "--crop-x" in done.stderr, done.stderr
    assert "crop_x" not in done.stderr.replace("$.crop_x", ""), done.stderr
