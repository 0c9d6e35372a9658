"""What someone who installed the wheel (no clone: no docs/, no tests/) meets.

Each test failed when written.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ocp_users_photo.cli import main
from ocp_users_photo.emulator.oauth_apps import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

ROOT = Path(__file__).resolve().parents[1]


def test_the_emulators_help_gives_the_oauth_defaults_without_a_repository_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The OAuth group said "docs/emulator.md has the defaults": the wheel has no docs/, so
    # an installed emulator's client secret (which a Bolt app against it needs) was nowhere
    # on the machine.
    monkeypatch.setenv("COLUMNS", "80")  # a terminal's width: argparse wraps at hyphens
    with pytest.raises(SystemExit) as exited:
        main(["emulator", "--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    assert "docs/" not in shown
    # Whole on a line, to be copied as it stands.
    assert DEFAULT_CLIENT_ID in shown
    assert DEFAULT_CLIENT_SECRET in shown


@pytest.mark.parametrize(
    ("blocked", "module"),
    [
        (("slack_bolt",), "ocp_users_photo.examples.bolt_revocation"),
        (("slack_sdk",), "ocp_users_photo.examples.signed_oauth_state"),
    ],
)
def test_the_bolt_examples_parts_without_the_extra_name_it(
    blocked: tuple[str, ...], module: str
) -> None:
    # The README points at these modules as parts to reuse; imported without the bolt extra
    # they raised a bare "No module named 'slack_bolt'" where bolt_photo_app names the extra.
    stubs = "".join(f"sys.modules[{name!r}] = None\n" for name in blocked)
    done = subprocess.run(
        [sys.executable, "-c", f"import sys\n{stubs}import {module}\n"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode != 0
    assert "'.[bolt]'" in done.stderr
