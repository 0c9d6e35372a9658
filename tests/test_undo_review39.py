"""Undo's small square is read as the hostile download it may be (the review of
2026-12-06 14:30 UTC): Slack's ``image_192`` is compared with a square original to tell
whether Slack shows it uncut, and a small download may declare a huge image. It was
decoded whole (a 150 KB PNG of zeros declaring 12500x12500 pixels held 1.5 GiB), and one
past Pillow's own bound raised its DecompressionBombError through the change."""

from __future__ import annotations

import asyncio
import io
import threading
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.undo import shown_photo
from ocp_users_photo.undo.shown_whole import shown_whole
from ocp_users_photo.worker_threads import in_conversion_thread
from tests.conftest import CANARY_TOKEN
from tests.test_image import png_declaring
from tests.test_undo10 import path_of, photo_whose_original_is
from tests.undo_fixtures import GREEN, RED, history_tool


def small_square_served(emulator: RunningEmulator, profile: dict[str, Any], data: bytes) -> None:
    served = Fault.status(200, body=data, headers={"content-type": "image/png"})
    emulator.faults.inject(served, path=path_of(profile["image_192"]), times=10)


async def test_a_small_square_past_pillows_bound_is_passed_over_and_the_change_goes_on(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # RED, square, set outside the tool and shown uncut; its 192 square declares 400 MP.
    profile = await photo_whose_original_is(emulator, RED)
    small_square_served(emulator, profile, png_declaring(20000, 20000))
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        result = await tool.run({"image": GREEN})
        assert result["ok"] is True, result
        (kept,) = await tool.history()
    # Told uncut by image_72 instead: the original kept as it came.
    assert kept.byte_count == len(RED)


async def test_a_comparison_behind_a_long_conversion_ends_with_the_calls_deadline(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """RED, square, set outside the tool, so the keeper compares it with Slack's small
    square in the conversion thread; another call's conversion holds that thread. A call
    of 2 s waited until the thread was free (20 s here), then said only that no time was
    left to send; it ends at its deadline, saying why the photo was not kept."""
    await photo_whose_original_is(emulator, RED)
    sets = len(emulator.requests.for_path("/api/users.setPhoto"))
    converting = threading.Event()  # another call's long conversion, until set
    other = asyncio.ensure_future(in_conversion_thread(converting.wait, 20))
    try:
        async with history_tool(emulator, tmp_path / "history.sqlite3", deadline=2.0) as tool:
            result = await tool.run({"image": GREEN})
    finally:
        converting.set()
        await other
    assert result["error"] == "previous_photo_not_kept", result
    assert "deadline ended while it waited its turn to compare" in result["message"], result
    assert len(emulator.requests.for_path("/api/users.setPhoto")) == sets
    assert CANARY_TOKEN not in str(result)


# Pillow warns of the header as it is read (the check that refuses it reads it first).
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
async def test_a_small_square_declaring_more_than_slack_shows_is_never_decoded(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[int, int]] = []

    def recording(original: bytes, small: bytes) -> bool:
        with Image.open(io.BytesIO(small)) as opened:
            compared.append(opened.size)
        return shown_whole(original, small)

    monkeypatch.setattr(shown_photo, "shown_whole", recording)
    profile = await photo_whose_original_is(emulator, RED)
    # 156 million pixels: under Pillow's error bound, so it would be decoded whole.
    small_square_served(emulator, profile, png_declaring(12500, 12500))
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        result = await tool.run({"image": GREEN})
        assert result["ok"] is True, result
    assert compared, "no small square was compared"
    assert all(max(size) <= 1024 for size in compared), compared


def test_a_square_past_pillows_bound_is_not_alike() -> None:
    assert shown_whole(RED, png_declaring(20000, 20000)) is False


async def test_a_tool_with_the_largest_sides_limits_allow_still_reads_the_small_square(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """ImageLimits takes a max_side up to 2**53 - 1; the small square's limits, made from it
    here, squared it past that bound: ImageLimits' own ValueError ended the change."""
    limits = ImageLimits(max_side=10**8, max_declared_side=10**8)
    profile = await photo_whose_original_is(emulator, RED)
    small_square_served(emulator, profile, RED)
    async with history_tool(emulator, tmp_path / "history.sqlite3", limits=limits) as tool:
        result = await tool.run({"image": GREEN})
        assert result["ok"] is True, result
        (kept,) = await tool.history()
    assert kept.byte_count == len(RED)


@pytest.mark.parametrize(
    ("step", "threads_named", "least"),
    [
        # The comparison decodes the original whole (up to the 50 million pixels a
        # conversion may): on anyio's threads, a model's parallel calls each decoded one at
        # once, where the README says conversions take turns in one thread of their own.
        ("shown_whole", "ocp-users-photo-conversion", 1),
        # Pillow's header read runs in the package's own daemon threads (worker_threads.py):
        # the original's, and the small square's it is told by, went to anyio's instead.
        ("_checked_image", "ocp-users-photo-worker", 2),
    ],
    ids=["comparison-in-the-conversion-thread", "header-reads-in-the-worker-threads"],
)
async def test_the_keepers_image_work_runs_in_the_threads_the_readme_names(
    emulator: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    threads_named: str,
    least: int,
) -> None:
    """The README's Architecture names the thread each kind of image work runs in."""
    threads: list[str] = []
    done_by = getattr(shown_photo, step)

    def recording(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return done_by(*args)

    monkeypatch.setattr(shown_photo, step, recording)
    await photo_whose_original_is(emulator, RED)
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        result = await tool.run({"image": GREEN})
        assert result["ok"] is True, result
        (kept,) = await tool.history()
    assert kept.byte_count == len(RED)  # compared, and told uncut
    assert len(threads) >= least, threads
    assert all(name.startswith(threads_named) for name in threads), threads
