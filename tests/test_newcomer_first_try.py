"""A newcomer's first runs of the command line: what they meet reads right and ends right."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import make_image
from tests.programs import run_cli


def test_dry_run_of_a_scaled_photo_reads_as_one_sentence(tmp_path: Path) -> None:
    """'Checked: would send PNG 1024x768, ...: scaled down from 1400x1050 to 1024x768 to
    https://slack.com/api/users.setPhoto' reads as if the photo were scaled to a URL."""
    large = tmp_path / "large.png"
    large.write_bytes(make_image((1400, 1050)))
    done = run_cli("set", str(large), "--dry-run")
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("Checked: would send PNG 1024x768"), first
    assert "to 1024x768 to " not in first, first


def test_demo_serve_stopped_by_sigterm_ends_as_ctrl_c_does(tmp_path: Path) -> None:
    """Ctrl-C ends 'demo --serve' with 0; SIGTERM (timeout, systemd, a closed terminal)
    killed it with 143, while the other commands take SIGTERM as Ctrl-C (command_runner)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ocp_users_photo.cli", "demo", "--serve", "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("Press Ctrl-C"):
                break
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
        process.communicate()
