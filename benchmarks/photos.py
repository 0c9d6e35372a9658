"""Camera-like photos, synthesised deterministically: what the plugin must really scale down.

A phone or camera JPEG is large (12 to 48 MP), smooth in places and textured in
others, carries sensor noise, and is encoded with 4:2:0 chroma subsampling; many are
stored sideways with an EXIF orientation. A flat or padded image compresses nothing
like that, so each photo here is built from a seeded generator as:

- a scene: a few colour fields at very low resolution, scaled up smoothly (sky,
  walls, skin: the smooth parts);
- texture: random detail at 1/8 and 1/2 of full resolution, scaled up (foliage,
  fabric, hair), stronger in some regions than others;
- sensor noise: per-pixel luminance noise plus coarser chroma noise.

JPEGs are saved at quality 92 with 4:2:0 subsampling and camera EXIF (make, model,
and orientation 6 for the "rotated" variants, stored landscape, shown portrait);
the PNG is a 4000x3000 render of the same kind (a PNG from an editor or a
screenshot tool). Each photo's crop box is given on the image as displayed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops

JPEG_QUALITY = 92
ORIENTATION_TAG = 0x0112
MAKE_TAG = 0x010F
MODEL_TAG = 0x0110


@dataclass(frozen=True)
class PhotoSpec:
    """One photo to synthesise: its stored size, format, orientation and crop box."""

    label: str
    width: int  # as stored
    height: int
    fmt: str  # "JPEG" or "PNG"
    orientation: int  # EXIF orientation; 6 = shown rotated 90 degrees clockwise
    seed: int

    @property
    def display_size(self) -> tuple[int, int]:
        if self.orientation in (5, 6, 7, 8):
            return self.height, self.width
        return self.width, self.height

    @property
    def crop(self) -> tuple[int, int, int]:
        """(x, y, w) on the displayed image: a square of 3/5 of the short side, off-centre.

        Offsets are not multiples of the scaling factor, so rounding shows.
        """
        width, height = self.display_size
        side = min(width, height) * 3 // 5
        return (width - side) * 2 // 5 + 7, (height - side) // 3 + 3, side


@dataclass(frozen=True)
class Photo:
    spec: PhotoSpec
    path: Path
    file_bytes: int

    @property
    def arguments(self) -> dict[str, object]:
        x, y, w = self.spec.crop
        return {"image": str(self.path), "crop_x": x, "crop_y": y, "crop_w": w}


PHOTOS: tuple[PhotoSpec, ...] = (
    PhotoSpec("12 MP JPEG", 4000, 3000, "JPEG", 1, seed=12),
    PhotoSpec("12 MP JPEG, EXIF 6", 4000, 3000, "JPEG", 6, seed=13),
    PhotoSpec("24 MP JPEG", 6000, 4000, "JPEG", 1, seed=24),
    PhotoSpec("24 MP JPEG, EXIF 6", 6000, 4000, "JPEG", 6, seed=25),
    PhotoSpec("4000x3000 PNG", 4000, 3000, "PNG", 1, seed=43),
)


def _grid(rng: np.random.Generator, cells: tuple[int, int], mode: str) -> Image.Image:
    bands = 3 if mode == "RGB" else 1
    values = rng.integers(0, 256, (cells[1], cells[0], bands), dtype=np.uint8)
    return Image.fromarray(values if bands == 3 else values[..., 0], mode)


def render(spec: PhotoSpec) -> Image.Image:
    """The photo's pixels, as stored (before any EXIF rotation).

    Mostly Pillow's C operations, so a 24 MP photo is made in about a second.
    """
    rng = np.random.default_rng(spec.seed)
    size = (spec.width, spec.height)
    smooth = Image.Resampling.BILINEAR
    scene = _grid(rng, (7, 5), "RGB").resize(size, Image.Resampling.BICUBIC)
    # Luminance texture at two scales, strong in some regions (foliage), faint in others (sky).
    coarse = np.asarray(_grid(rng, (spec.width // 8, spec.height // 8), "L").resize(size, smooth))
    fine = np.asarray(_grid(rng, (spec.width // 2, spec.height // 2), "L").resize(size, smooth))
    strength = np.asarray(_grid(rng, (5, 4), "L").resize(size, smooth), dtype=np.int16)
    texture = (coarse.astype(np.int16) - 128) * strength >> 8
    texture += (fine.astype(np.int16) - 128) * strength >> 9
    texture += rng.integers(-5, 6, (spec.height, spec.width), dtype=np.int16)  # sensor noise
    luminance = Image.fromarray(np.clip(texture + 128, 0, 255).astype(np.uint8), "L")
    pixels = ImageChops.add(scene, Image.merge("RGB", [luminance] * 3), offset=-128)
    # Chroma noise: coarser than luminance noise, as a camera's demosaicing leaves it.
    chroma = rng.integers(125, 132, (spec.height // 2, spec.width // 2, 3), dtype=np.uint8)
    chroma_layer = Image.fromarray(chroma, "RGB").resize(size, Image.Resampling.NEAREST)
    return ImageChops.add(pixels, chroma_layer, offset=-128)


def synthesise(spec: PhotoSpec, folder: Path) -> Photo:
    picture = render(spec)
    name = spec.label.replace(" ", "").replace(",", "-")
    if spec.fmt == "JPEG":
        exif = Image.Exif()
        exif[MAKE_TAG] = "BenchCam"
        exif[MODEL_TAG] = f"Synthetic {spec.width * spec.height // 1_000_000} MP"
        if spec.orientation != 1:
            exif[ORIENTATION_TAG] = spec.orientation
        path = folder / f"{name}.jpg"
        picture.save(path, "JPEG", quality=JPEG_QUALITY, subsampling="4:2:0", exif=exif)
    else:
        path = folder / f"{name}.png"
        picture.save(path, "PNG", compress_level=1)  # fast to make; decoding costs the same
    return Photo(spec, path, path.stat().st_size)


def make_photos(folder: Path, specs: tuple[PhotoSpec, ...] = PHOTOS) -> list[Photo]:
    return [synthesise(spec, folder) for spec in specs]
