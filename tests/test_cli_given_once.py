"""An option whose value picks what a change acts on, given twice, is a usage error (found by
the review of 2026-12-06): argparse keeps the last one silently, so ``undo --entry 1 --entry
2`` put back #2 without a word, and ``set`` took one of two crop boxes. Settings
(``--timeout``) keep argparse's last-one-wins, which a shell alias's defaults rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo.cli import main as cli_main
from tests.conftest import make_image


@pytest.fixture
def picture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SLACK_USER_TOKEN", raising=False)
    path = tmp_path / "me.png"
    path.write_bytes(make_image((640, 640)))
    return path


@pytest.mark.parametrize("side", ["--crop-x", "--crop-y", "--crop-w"])
def test_a_crop_side_given_twice_is_refused_before_anything_is_read(
    picture: Path, side: str, capsys: pytest.CaptureFixture[str]
) -> None:
    box = {"--crop-x": "0", "--crop-y": "0", "--crop-w": "600"}
    words = [word for name, value in box.items() for word in (name, value)]
    with pytest.raises(SystemExit) as ended:
        cli_main(["set", str(picture), *words, side, "20", "--dry-run"])
    assert ended.value.code == 2
    assert f"{side} was given twice: give it once" in capsys.readouterr().err


def test_undo_with_two_entries_is_refused(
    picture: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ended:
        cli_main(["undo", "--entry", "1", "--entry", "2"])
    assert ended.value.code == 2
    assert "--entry was given twice: give it once" in capsys.readouterr().err


def test_a_setting_given_twice_still_takes_the_last(
    picture: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = ["--crop-x", "0", "--crop-y", "0", "--crop-w", "600"]
    code = cli_main(["set", str(picture), *box, "--timeout", "5", "--timeout", "9", "--dry-run"])
    assert code == 0
    assert "Checked: would send" in capsys.readouterr().out
