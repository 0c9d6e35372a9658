"""The plugin's ``prepare`` on camera-like photos against the least Pillow work for the same result.

For each photo (photos.py) and its crop box, the plugin must rotate (EXIF), cut the
box's square (the photo is over 1024 pixels on a side: the box is what is sent), scale
it to fit 1024 pixels and re-encode. The least work with Pillow for that:

- JPEG: ``draft()`` (the decoder scales by 1/2, 1/4 or 1/8 while decoding, where the
  box still keeps enough pixels), resize the box's pixels (``resize(box=)``) to the
  target with the plugin's filter (LANCZOS), rotate after resizing (fewer pixels to
  move), save with the plugin's encoder options;
- PNG: decode (no shortcut exists), resize the box, save.

Several ``reducing_gap`` settings are tried; the fastest that is *equivalent* is the
reference. Equivalent means: the same crop box within half a pixel of the exact
scaled box, and scaled pixels with a PSNR of at least 35 dB against a full decode
(no draft) rotated and resized with the same filter. The plugin's output can only be
seen encoded, so it is checked against the reference's encoded output (the same
encoder options): its box within half a pixel, its size, and a PSNR no more than
0.5 dB below the reference's.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plugin_adapter
from photos import Photo
from PIL import Image
from spread import Spread, ratios

MAX_SIDE = 1024
FILTER = Image.Resampling.LANCZOS
MIN_PSNR_DB = 35.0
# The plugin's encoder options (ocp_users_photo/images/reencode.py, _save): the reference file is
# the same kind of file, so what differs is decoding and scaling. A JPEG is written with its
# original's quantization tables (least_pillow_scaling reads them), as the plugin writes it.
ENCODER_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"optimize": True},
    "PNG": {},
}
REDUCING_GAPS: tuple[float | None, ...] = (None, 3.0, 2.0, 1.5)
# The plugin's output is encoded (lossy for JPEG), so it is set beside the reference's
# encoded output: equivalent when it loses at most this much more.
PSNR_SLACK_DB = 0.5


@dataclass(frozen=True)
class Target:
    """The output size, the exact crop box on it (floats: what rounding is judged against),
    and the square cut from the displayed photo (x, y, side): the crop box's own, every
    photo's box being over Slack's 512 least side."""

    size: tuple[int, int]
    scale: float
    exact_box: tuple[float, float, float]
    region: tuple[int, int, int]


def target_for(photo: Photo) -> Target:
    x, y, w = photo.spec.crop
    if w < 512:
        raise ValueError("photos.py's boxes are over 512 pixels: the box is the square sent")
    scale = min(1.0, MAX_SIDE / w)
    side = max(1, round(w * scale))
    return Target((side, side), scale, (0.0, 0.0, w * scale), (x, y, w))


def stored_box(photo: Photo, target: Target) -> tuple[int, int, int, int]:
    """The region on the pixels as stored (before the EXIF turn): orientations 1 and 6."""
    x, y, side = target.region
    if photo.spec.orientation == 6:  # shown turned 90 degrees clockwise
        display_width = photo.spec.display_size[0]
        x, y = y, display_width - x - side
    elif photo.spec.orientation != 1:
        raise ValueError("only EXIF orientations 1 and 6 are synthesised")
    return (x, y, x + side, y + side)


def least_pillow_scaling(photo: Photo, target: Target, reducing_gap: float | None) -> Image.Image:
    """The photo's box upright and scaled to the target, with as little decoding as Pillow
    allows; a JPEG's quantization tables in its ``info["qtables"]``, to be written with."""
    swapped = photo.spec.orientation in (5, 6, 7, 8)
    stored_size = (target.size[1], target.size[0]) if swapped else target.size
    left, top, right, bottom = stored_box(photo, target)
    with Image.open(photo.path) as picture:
        whole = picture.size
        if picture.format == "JPEG":
            wanted = (round(whole[0] * target.scale), round(whole[1] * target.scale))
            picture.draft("RGB", wanted)
        across, down = picture.size[0] / whole[0], picture.size[1] / whole[1]
        box = (left * across, top * down, right * across, bottom * down)
        small: Image.Image = picture.resize(stored_size, FILTER, box=box, reducing_gap=reducing_gap)
        tables = getattr(picture, "quantization", None)
    if photo.spec.orientation == 6:
        small = small.transpose(Image.Transpose.ROTATE_270)  # shown turned 90° CW
    elif photo.spec.orientation != 1:
        raise ValueError("only EXIF orientations 1 and 6 are synthesised")
    if tables:
        small.info["qtables"] = [list(tables[key]) for key in sorted(tables)[:2]]
    return small


def encoded(picture: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    options = dict(ENCODER_OPTIONS[fmt])
    if fmt == "JPEG":
        options["qtables"] = picture.info["qtables"]
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


def least_pillow_work(photo: Photo, target: Target, reducing_gap: float | None) -> bytes:
    """Rotated, scaled and encoded with as little work as Pillow allows: the reference."""
    return encoded(least_pillow_scaling(photo, target, reducing_gap), photo.spec.fmt)


def full_decode_reference(photo: Photo, target: Target) -> np.ndarray:
    """Every pixel decoded, rotated, then resized with the same filter: what 'equivalent' means."""
    from PIL import ImageOps

    x, y, side = target.region
    with Image.open(photo.path) as picture:
        upright = ImageOps.exif_transpose(picture.convert("RGB"))
    cut = upright.crop((x, y, x + side, y + side))
    return np.asarray(cut.resize(target.size, FILTER), dtype=np.float64)


def psnr(picture: Image.Image | bytes, reference: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of an image (or an encoded one) against the reference."""
    if isinstance(picture, bytes):
        with Image.open(io.BytesIO(picture)) as opened:
            pixels = np.asarray(opened.convert("RGB"), dtype=np.float64)
    else:
        pixels = np.asarray(picture.convert("RGB"), dtype=np.float64)
    if pixels.shape != reference.shape:
        return float("-inf")
    mse = float(np.mean((pixels - reference) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def box_error(sent: tuple[int, int, int] | None, target: Target) -> float:
    """The largest distance, in output pixels, between the box sent and the exact box."""
    if sent is None:
        return math.inf
    return max(abs(a - b) for a, b in zip(sent, target.exact_box, strict=True))


@dataclass
class PhotoResult:
    """One photo: times (seconds per repetition), equivalence checks, memory growth."""

    photo: Photo
    target: Target
    reference_gap: float | None = None
    # CPU seconds per run (all threads: the plugin re-encodes in a worker thread). prepare is
    # CPU work, and on a shared machine its CPU time is the steady measure of its cost; wall
    # time is kept beside it (on an idle machine the two agree within the thread hand-off).
    plugin_s: list[float] = field(default_factory=list)
    pillow_s: list[float] = field(default_factory=list)
    plugin_wall_s: list[float] = field(default_factory=list)
    pillow_wall_s: list[float] = field(default_factory=list)
    plugin_psnr: float = 0.0  # the plugin's encoded output against the full-decode reference
    pillow_psnr: float = 0.0  # the reference's scaled pixels (before encoding): the equivalence
    pillow_encoded_psnr: float = 0.0  # the reference's encoded output, to set beside the plugin's
    plugin_box: tuple[int, int, int] | None = None
    plugin_box_error: float = math.inf
    plugin_format: str = ""
    plugin_size: tuple[int, int] = (0, 0)
    candidates: dict[str, dict[str, float]] = field(default_factory=dict)
    memory: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ratio(self) -> Spread:
        return ratios(self.plugin_s, self.pillow_s)

    @property
    def plugin_equivalent(self) -> bool:
        """The same box within half a pixel, the same size, and no more loss than the reference."""
        return (
            self.plugin_box_error <= 0.5
            and self.plugin_size == self.target.size
            and self.plugin_psnr >= self.pillow_encoded_psnr - PSNR_SLACK_DB
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "file_bytes": self.photo.file_bytes,
            "stored": f"{self.photo.spec.width}x{self.photo.spec.height}",
            "orientation": self.photo.spec.orientation,
            "crop": list(self.photo.spec.crop),
            "output": f"{self.target.size[0]}x{self.target.size[1]}",
            "plugin_cpu_ms": Spread.of([s * 1000 for s in self.plugin_s]).as_json(2),
            "least_pillow_cpu_ms": Spread.of([s * 1000 for s in self.pillow_s]).as_json(2),
            "plugin_wall_ms": Spread.of([s * 1000 for s in self.plugin_wall_s]).as_json(2),
            "least_pillow_wall_ms": Spread.of([s * 1000 for s in self.pillow_wall_s]).as_json(2),
            "ratio": self.ratio.as_json(),
            "least_pillow_reducing_gap": self.reference_gap,
            "candidates": self.candidates,
            "least_pillow_scaled_psnr_db": round(self.pillow_psnr, 2),
            "least_pillow_encoded_psnr_db": round(self.pillow_encoded_psnr, 2),
            "plugin_encoded_psnr_db": round(self.plugin_psnr, 2),
            "plugin_box": list(self.plugin_box) if self.plugin_box else None,
            "exact_box": [round(v, 2) for v in self.target.exact_box],
            "plugin_box_error_px": round(self.plugin_box_error, 3),
            "plugin_equivalent": self.plugin_equivalent,
            "memory": self.memory,
        }


def _timed(action: Callable[[], object]) -> float:
    """CPU seconds of one run."""
    started = time.process_time()
    action()
    return time.process_time() - started


async def _timed_async(action: Callable[[], Any]) -> tuple[float, float]:
    """CPU and wall seconds of one run."""
    started, wall = time.process_time(), time.perf_counter()
    await action()
    return time.process_time() - started, time.perf_counter() - wall


async def measure_photo(photo: Photo, repetitions: int, candidate_runs: int) -> PhotoResult:
    """Equivalence first (plugin and candidates), then plugin vs reference, interleaved."""
    target = target_for(photo)
    result = PhotoResult(photo, target)
    tool = plugin_adapter.make_tool("xoxp-1-2-3-abc", "http://127.0.0.1:9/api")
    try:
        reference = full_decode_reference(photo, target)
        prepared = await plugin_adapter.prepare_photo(tool, photo.arguments)
        result.plugin_psnr = psnr(prepared.data, reference)
        result.plugin_box = prepared.crop_box
        result.plugin_box_error = box_error(prepared.crop_box, target)
        result.plugin_format = prepared.format
        result.plugin_size = (prepared.width, prepared.height)

        # The least work: the fastest equivalent candidate (median of a few runs each).
        best: tuple[float, float | None, float] | None = None
        for gap in REDUCING_GAPS:
            quality = psnr(least_pillow_scaling(photo, target, gap), reference)

            def candidate(gap: float | None = gap) -> None:
                least_pillow_work(photo, target, gap)

            seconds = sorted(_timed(candidate) for _ in range(candidate_runs))[candidate_runs // 2]
            result.candidates[f"reducing_gap={gap}"] = {
                "ms": round(seconds * 1000, 2),
                "psnr_db": round(quality, 2),
            }
            if quality >= MIN_PSNR_DB and (best is None or seconds < best[0]):
                best = (seconds, gap, quality)
        if best is None:
            raise RuntimeError(f"no Pillow candidate is equivalent for {photo.spec.label}")
        _, gap, result.pillow_psnr = best
        result.reference_gap = gap
        result.pillow_encoded_psnr = psnr(least_pillow_work(photo, target, gap), reference)
        del reference

        async def plugin() -> None:
            await plugin_adapter.prepare_and_close(tool, photo.arguments)

        async def pillow() -> None:
            least_pillow_work(photo, target, gap)

        for turn in range(repetitions):
            order: Sequence[str] = ("plugin", "pillow") if turn % 2 == 0 else ("pillow", "plugin")
            for name in order:
                if name == "plugin":
                    cpu, wall = await _timed_async(plugin)
                    result.plugin_s.append(cpu)
                    result.plugin_wall_s.append(wall)
                else:
                    cpu, wall = await _timed_async(pillow)
                    result.pillow_s.append(cpu)
                    result.pillow_wall_s.append(wall)
    finally:
        await plugin_adapter.close(tool)
    return result
