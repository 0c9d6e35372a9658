"""The demo, run as a newcomer runs it: no token, no network, exit 0, pictures to look at."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from PIL import Image

from ocp_users_photo.demo import DEMO_TOKEN
from ocp_users_photo.emulator import user_id_for_token
from tests.conftest import pixel_at
from tests.programs import environment_without_slack, run_cli


def test_the_demo_sets_a_photo_and_saves_what_slack_would_show(tmp_path: Path) -> None:
    done = run_cli("demo", "--out", str(tmp_path), timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].startswith("1. Started the Slack emulator at http://127.0.0.1:")
    # Whose photo: the emulator's test user for the demo's token (it was named nowhere).
    user_id = user_id_for_token(DEMO_TOKEN)
    whose = f"its test user {user_id} in Emulated Workspace (T0EMULATOR)"
    assert lines[2] == f"   The demo's token acts for {whose}"
    assert f"/avatars/{user_id}/" in done.stdout
    assert "$.crop_x: the crop box reaches past the image's right edge" in done.stdout
    assert "Requests that reached Slack: 0" in done.stdout
    assert "ok: True, avatar_hash: " in done.stdout
    done_at = next(index for index, line in enumerate(lines) if line.startswith("Done:"))
    # What happened to what it made, and what to run next.
    assert (
        lines[done_at + 1]
        == "The emulator stopped with the demo, so the URLs above no longer answer;"
    )
    assert lines[done_at + 2] == f"the files saved in {tmp_path} stay. Next:"
    assert [line.split()[:2] for line in lines[done_at + 3 : done_at + 5]] == [
        ["ocp-users-photo", "demo"],
        ["ocp-users-photo", "emulator"],
    ]
    with Image.open(tmp_path / "portrait.png") as portrait:
        assert portrait.size == (900, 700)
    for size in (192, 512):
        with Image.open(tmp_path / f"photo_{size}.png") as rendition:
            assert rendition.size == (size, size)
            # The crop box (250, 50, 600) takes the white disc's middle: white-ish at the centre.
            assert min(pixel_at(rendition.convert("RGB"), (size // 2, size // 10 * 9))) > 200


def test_the_demo_reads_the_emulator_directly_whatever_proxy_the_environment_names(
    tmp_path: Path,
) -> None:
    # Its reads of the emulator went to the proxy (the demo token in plain http with them):
    # here a closed port, so step 4 ended in httpx's ConnectError traceback.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    proxies = {name: closed for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")}
    done = run_cli("demo", "--out", str(tmp_path), env=proxies, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "photo_512.png").is_file()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_demo_serve_keeps_the_urls_alive_until_ctrl_c(tmp_path: Path, stop: int) -> None:
    """Served until stopped, then a clean end (0) whether Ctrl-C or SIGTERM (timeout,
    systemd, a closed terminal) stops it: SIGTERM killed it with 143 before."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ocp_users_photo.cli", "demo", "--serve", "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = told = ""
        for line in process.stdout:
            if "image_512:" in line:
                url = line.split("image_512:")[1].strip()
            if "export SLACK_API_URL=" in line:
                told = line
            if line.startswith("Press Ctrl-C"):
                break
        answer = httpx.get(url, timeout=10)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "image/png"
        # How to point the command line at it, as said (it said only "open the URLs
        # above": no SLACK_API_URL, no token its emulator takes), works as written.
        settings = dict(
            word.split("=", 1) for word in told.split("export ", 1)[-1].split() if "=" in word
        )
        assert set(settings) == {"SLACK_API_URL", "SLACK_USER_TOKEN"}, told
        env = {**environment_without_slack(), **settings, "HOME": str(tmp_path)}
        done = run_cli("whoami", env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "Can set a photo: yes" in done.stdout, done.stdout
        process.send_signal(stop)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
        process.communicate()


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_out_folder_is_refused_not_taken_as_the_current_one(
    tmp_path: Path, empty: str
) -> None:
    """``--out "$UNSET"``: nothing is written into the folder the demo was run from."""
    done = run_cli("demo", "--out", empty, cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert "--out: an empty folder name: give a folder, or leave --out out" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_out_folder_holding_files_of_the_demos_names_is_refused_then_rerun_is_fine(
    tmp_path: Path,
) -> None:
    """``demo --out .`` in a folder with a person's own portrait.png replaced it, saying
    nothing. A folder an earlier demo wrote (its note is there) is written again."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "portrait.png").write_bytes(b"my own portrait")
    (mine / "photo_512.png").write_bytes(b"my own photo")
    refused = run_cli("demo", "--out", str(mine), timeout=60)
    assert refused.returncode == 2
    assert "already holds photo_512.png, portrait.png, which the demo would replace" in (
        refused.stderr
    )
    assert (mine / "portrait.png").read_bytes() == b"my own portrait"
    assert sorted(path.name for path in mine.iterdir()) == ["photo_512.png", "portrait.png"]
    # Names the demo never writes are no reason to refuse (photo_* was matched whole).
    album = tmp_path / "album"
    album.mkdir()
    (album / "photo_2019_wedding.jpg").write_bytes(b"a wedding")
    assert run_cli("demo", "--out", str(album), timeout=120).returncode == 0
    assert (album / "photo_2019_wedding.jpg").read_bytes() == b"a wedding"
    ours = tmp_path / "ours"
    for _ in range(2):
        done = run_cli("demo", "--out", str(ours), timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    assert (ours / "photo_512.png").is_file()


def test_the_demo_with_a_relative_out_folder_as_the_readme_gives_it(tmp_path: Path) -> None:
    """``demo --out demo``: the folder is the tool's image root as well as where the portrait
    is drawn, so it must not be taken twice (demo/demo/portrait.png)."""
    done = run_cli("demo", "--out", "demo", cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no file at" not in done.stdout
    assert "$.crop_x: the crop box reaches past the image's right edge" in done.stdout
    assert (tmp_path / "demo" / "photo_512.png").is_file()
