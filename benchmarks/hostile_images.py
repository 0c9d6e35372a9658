"""What hostile images cost ``prepare``: the refusals the structure checks make before
Pillow parses anything, and the costliest images the caps still allow.

    .venv/bin/python benchmarks/hostile_images.py [--reps 5]

The test suite proves the structure of these outcomes without timing them
(tests/test_image_structure_bombs.py: Pillow never opens a refused file;
tests/test_image_conversion.py: a noisy animation gets the octree's palettes); this
measures their time, in one process, the cases taking turns and their order rotating
every repetition. Printed as median (min-max) milliseconds over the repetitions. The
images are the tests' own builders, so the two cannot drift apart.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from spread import Spread

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ocp_users_photo import InvalidArguments, UsersSetPhoto  # noqa: E402
from tests import test_image_structure_bombs as bombs  # noqa: E402
from tests.test_image_conversion import _noisy_webp  # noqa: E402

TOKEN = "xoxp-1111111111-2222222222-3333333333-benchmarkbenchmarkbenchmark0000"


CASES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "JPEG, 1 million empty APP segments (4 MB)": ("refused", bombs.million_app_segments_jpeg),
    "PNG, 700,000 chunks before its pixels (8 MB)": ("refused", bombs.endless_chunks_png),
    "progressive JPEG, 8,000 extra scans (100 KB)": (
        "refused",
        lambda: bombs.progressive_with_extra_scans(1100, 8000),
    ),
    "TIFF, 400,000 strips (3.2 MB)": ("refused", lambda: bombs.tiff_with_strip_offsets(400_000)),
    "APNG, 500,000 chunks between frames (6 MB)": (
        "refused",
        lambda: bombs.apng_with_chunks_between_frames(1100, 500_000),
    ),
    "RLE BMP, the costliest within the caps (512 KiB)": ("converted", bombs.costliest_rle_bmp),
    "TIFF, 400,000 strips on its second page (3.6 MB)": (
        "converted",
        lambda: bombs.tiff_with_strips_on_its_second_page(400_000),
    ),
    "WEBP, 10 frames of 707x707 noise, to GIF": ("converted", lambda: _noisy_webp(10, 707)),
}


async def prepare_once(tool: UsersSetPhoto, image: bytes) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        upload = await tool.prepare({"image": image})
    except InvalidArguments:
        return time.perf_counter() - started, "refused"
    upload.close()
    return time.perf_counter() - started, "converted"


async def measure(reps: int) -> dict[str, list[float]]:
    images = {name: make() for name, (_, make) in CASES.items()}
    names = list(images)
    timings: dict[str, list[float]] = {name: [] for name in names}
    async with UsersSetPhoto(TOKEN, environ={}) as tool:
        for name in names:  # one warm-up each: imports, Pillow's plugins
            await prepare_once(tool, images[name])
        for repetition in range(reps):
            shift = repetition % len(names)
            for name in names[shift:] + names[:shift]:
                seconds, outcome = await prepare_once(tool, images[name])
                expected = CASES[name][0]
                if outcome != expected:
                    raise SystemExit(f"{name}: {outcome}, expected {expected}")
                timings[name].append(seconds * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    arguments = parser.parse_args()
    started = time.monotonic()
    timings = asyncio.run(measure(arguments.reps))
    print(f"| image | outcome | prepare ms, median (min-max) of {arguments.reps} |")
    print("|---|---|---:|")
    for name, values in timings.items():
        print(f"| {name} | {CASES[name][0]} | {Spread.of(values).text(1)} |")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n{time.monotonic() - started:.0f} s in all; load average {load:.2f} at the end")


if __name__ == "__main__":
    main()
