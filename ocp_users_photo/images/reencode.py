"""Decodes, turns upright, scales and encodes an image as planned. CPU-bound: off the event loop.

Nothing of the original's metadata but its colour profile is written, and that only
when it describes the pixels written (pixel_modes.py): no EXIF or XMP orientation is
left for a viewer to apply a second time, and no camera data, comment or text goes out
(Pillow's writers copy what a frame's ``info`` holds, so every frame's is emptied).
GIF carries no profile here, so an animation written as GIF has its pixels converted to
sRGB first, which is what a viewer takes them to be. What the original says of playing
is kept: a GIF without a loop count plays once, an APNG's default image stays out of
its animation. A JPEG keeps its original's chroma subsampling (4:4:4 stays 4:4:4) and
its quantization tables, so its quality: a photo only turned upright lost detail to
quality 90 from 95, and one of quality 50 grew for nothing. Other JPEGs get quality 90.

What is written is refused past the plan's ``max_bytes`` as it is written, never held
whole. An animation written as GIF has each frame's palette chosen by Pillow's fast
octree: its default median cut took 1.6-1.9 s for a frame of 1024x1024 noise (91 s for
a 100-frame WebP), the octree 0.03 s, at 32.6 dB PSNR against 33.1 on a photo. A still
keeps the median cut (one frame: under 2 s).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ocp_users_photo.crop import CropBox
from ocp_users_photo.errors import IMAGE_PATH, Problem
from ocp_users_photo.images.frames import avif_loops_forever
from ocp_users_photo.images.header import SENT_AS_IS, not_an_image, short_reason
from ocp_users_photo.images.orientation import SWAPS_SIDES, stored_square, turned_upright
from ocp_users_photo.images.pillow_logs import pillow_records_bounded
from ocp_users_photo.images.pixel_modes import (
    eight_bit_grey,
    matching_profile,
    resampleable,
    to_srgb,
)
from ocp_users_photo.images.png_metadata import colour_chunks, png_colour_chunks
from ocp_users_photo.images.policy import ReencodePlan, scaled_side, upload_filename
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.images.structure import gif_loop
from ocp_users_photo.images.upload import PreparedImage

if TYPE_CHECKING:
    from PIL import Image


@pillow_records_bounded
def reencode(plan: ReencodePlan, source: ImageSource) -> tuple[PreparedImage | None, list[Problem]]:
    """Decode, rotate, scale and encode as planned; closes ``source`` once encoded."""
    facts = plan.facts
    region = plan.region
    display_width, display_height = facts.display_size
    if region is not None:
        display_width = display_height = region.width
    width = scaled_side(display_width, plan.scale)
    height = scaled_side(display_height, plan.scale)
    changes: list[str] = []
    if plan.output_format != facts.slack_format:
        changes.append(f"converted from {facts.stored_format} to {plan.output_format}")
    if facts.orientation != 1:
        changes.append(f"rotated upright (EXIF orientation {facts.orientation})")
    if region is not None:
        whole_width, whole_height = facts.display_size
        changes.append(
            f"cut to the {region.width}x{region.width} square at x={region.x} y={region.y} "
            f"of the {whole_width}x{whole_height} image, around the crop box"
        )
    if plan.scale != 1.0:
        changes.append(f"scaled down from {display_width}x{display_height} to {width}x{height}")
    try:
        with source.in_use():  # a cancelled caller's tool may close the file meanwhile
            # Walked before decoding: the file's position is then Pillow's alone.
            colour = colour_chunks(source) if facts.stored_format == "PNG" else {}
            if facts.stored_format == "AVIF" and facts.frames > 1 and avif_loops_forever(source):
                facts.picture.info.setdefault("loop", 0)  # plays forever, as a WebP says it
            if (
                facts.stored_format == "GIF"
                and facts.frames > 1
                and "loop" not in facts.picture.info
            ):
                loop = gif_loop(source)  # after the first picture, where Pillow reads none
                if loop is not None:
                    facts.picture.info["loop"] = loop
            encoded = _encode(plan, (width, height), colour)
    except OutputTooLarge:
        return None, [_too_large(plan, width, height)]
    except Exception as error:
        return None, [not_an_image(short_reason(error))]
    crop_box = plan.crop_box
    if crop_box is not None and region is not None:
        crop_box = CropBox(crop_box.x - region.x, crop_box.y - region.y, crop_box.width)
    if crop_box is not None and (plan.scale != 1.0 or region is not None):
        crop_box = crop_box.scaled(plan.scale, width, height)
        if crop_box != plan.crop_box:  # a square cut at x=0 y=0, unscaled, leaves it as given
            changes.append(f"crop box {'moved' if plan.scale == 1.0 else 'scaled'} to {crop_box}")
    source.close()
    prepared = PreparedImage(
        format=plan.output_format,
        width=width,
        height=height,
        frames=facts.frames,
        byte_count=len(encoded),
        filename=upload_filename(source.filename_stem, plan.output_format),
        crop_box=crop_box,
        changes=tuple(changes),
        source=ImageSource(
            label=source.label,
            filename_stem=source.filename_stem,
            byte_count=len(encoded),
            data=encoded,
        ),
        upright_size=facts.display_size,
    )
    return prepared, []


class OutputTooLarge(Exception):
    """The encoded image went past the plan's ``max_bytes``; what was written is dropped."""


class _CappedBuffer(io.BytesIO):
    """An in-memory file that refuses to grow past ``limit`` bytes: an encoder stops there."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._limit = limit

    def write(self, data: Any) -> int:
        if self.tell() + memoryview(data).nbytes > self._limit:
            raise OutputTooLarge
        return super().write(data)


def _too_large(plan: ReencodePlan, width: int, height: int) -> Problem:
    frames = plan.facts.frames
    what = f"{frames} frames of " if frames > 1 else ""
    fewer = "fewer or smaller frames, or " if frames > 1 else ""
    return Problem(
        IMAGE_PATH,
        f"the image converted to {plan.output_format} ({what}{width}x{height} pixels) is "
        f"over {plan.max_bytes} bytes, the most this tool sends: send {fewer}a PNG, JPEG or "
        "GIF of at most 1024x1024 pixels that is under that size",
    )


def _encode(plan: ReencodePlan, size: tuple[int, int], colour: Mapping[bytes, bytes]) -> bytes:
    facts = plan.facts
    picture = facts.picture
    if facts.frames > 1:
        return _encode_animation(plan, size, colour)
    turn = facts.pending_turn
    box = _stored_box(plan)
    if facts.stored_format == "TIFF":
        # Decoded first: Pillow turns a TIFF as it decodes it, its size then the upright
        # one the facts hold (before, unturned where only XMP gives the orientation).
        picture.load()
    if plan.scale < 0.5 and facts.slack_format == "JPEG":
        # JPEG can decode at 1/2, 1/4 or 1/8 scale: far less memory and time for big photos.
        whole = picture.size
        display_width, display_height = facts.display_size
        wanted = (scaled_side(display_width, plan.scale), scaled_side(display_height, plan.scale))
        picture.draft(picture.mode, _stored(wanted, turn))
        if box is not None:  # the box follows the decoder's scale (each side rounded up)
            across, down = picture.size[0] / whole[0], picture.size[1] / whole[1]
            box = (box[0] * across, box[1] * down, box[2] * across, box[3] * down)
    frame = _scaled_upright(resampleable(picture), size, turn, box)
    # Read before _writable empties the frame's info: the frame may be the picture itself.
    info = dict(picture.info)
    frame = _in_srgb_for(plan.output_format, info, frame, {})
    still = _writable(frame, plan.output_format, animated=False)
    return _save(
        [still],
        plan.output_format,
        info,
        colour=colour,
        subsampling=_jpeg_sampling(picture),
        qtables=_jpeg_tables(picture, still.mode) if plan.output_format == "JPEG" else None,
        max_bytes=plan.max_bytes,
    )


def _encode_animation(
    plan: ReencodePlan, size: tuple[int, int], colour: Mapping[bytes, bytes]
) -> bytes:
    from PIL import ImageSequence

    frames: list[Image.Image] = []
    durations: list[int] = []
    turn = plan.facts.pending_turn
    box = _stored_box(plan)
    # The first frame's: a GIF's seek moves what info holds on to each frame's own.
    info = dict(plan.facts.picture.info)
    if plan.output_format == "GIF" and plan.facts.stored_format != "GIF":
        info = _as_gif_loop(info)
    transforms: dict[str, object] = {}
    for frame in ImageSequence.Iterator(plan.facts.picture):
        # A copy: the iterator's frame is the picture itself, moved on by the next step.
        # Its duration read after: WebP's reader sets it only as the frame is decoded.
        still = frame.copy()
        duration = int(frame.info.get("duration", 100))
        durations.append(_gif_duration(duration) if plan.output_format == "GIF" else duration)
        still = resampleable(still)
        # Made writable at once: a GIF frame's palette picked now frees its RGB pixels.
        scaled = _scaled_upright(still, size, turn, box)
        scaled = _in_srgb_for(plan.output_format, info, scaled, transforms)
        frames.append(_writable(scaled, plan.output_format, animated=True))
    if plan.output_format == "GIF" and sum(durations) > _GIF_LONGEST_MS:
        frames, durations = _same_frames_joined(frames, durations)
    return _save(
        frames,
        plan.output_format,
        info,
        colour=colour,
        durations=durations,
        max_bytes=plan.max_bytes,
    )


def _as_gif_loop(info: Mapping[Any, Any]) -> dict[Any, Any]:
    """``info`` with a WebP's (or AVIF's) loop count, the times it plays (0: forever), said
    as GIF's, the times it plays again after the first (none: once): written as it was, a
    WebP that plays once became a GIF that browsers play twice, one that plays 3 times 4."""
    said = dict(info)
    plays = said.pop("loop", None)
    if isinstance(plays, int) and plays != 1:
        said["loop"] = max(plays - 1, 0)
    return said


# A GIF frame's longest time: 16 bits of hundredths of a second.
_GIF_LONGEST_MS: Final = 65535 * 10


def _gif_duration(duration: int) -> int:
    """A frame's ``duration`` (ms) as a GIF holds it, in hundredths of a second, rounded:
    Pillow's writer cuts 16 ms (a 60 fps WebP's) to 10, and browsers show a GIF frame of
    10 ms or less for 100 ms, so that animation played 6 times slower. One over 10 ms
    stays over it (20); one of 10 ms or less is as slow in the original. One longer than
    a GIF holds (65535 hundredths; a WebP's may be 16777 s) is its longest: Pillow's writer
    raised, and the animation was refused as an image that cannot be read."""
    if duration <= 10:
        return duration
    return min(max(20, round(duration / 10) * 10), _GIF_LONGEST_MS)


def _same_frames_joined(
    frames: list[Image.Image], durations: list[int]
) -> tuple[list[Image.Image], list[int]]:
    """Consecutive frames that look the same as one, its time theirs summed up to a GIF
    frame's longest: Pillow's GIF writer joins them itself, and two 400 s frames the
    scaling (or the cut of transparency) made alike became one of 800 s, which it raised
    for: the animation was refused as an image that cannot be read."""
    joined: list[Image.Image] = []
    times: list[int] = []
    last = b""
    for frame, duration in zip(frames, durations, strict=True):
        # Premultiplied: a wholly transparent pixel is one, whatever colour it hides.
        look = _as_gif_writes(frame).convert("RGBA").convert("RGBa").tobytes()
        if joined and look == last:
            times[-1] = min(times[-1] + duration, _GIF_LONGEST_MS)
            continue
        joined.append(frame)
        times.append(duration)
        last = look
    return joined, times


def _as_gif_writes(frame: Image.Image) -> Image.Image:
    """``frame`` as Pillow's GIF writer compares it with the one before (its
    ``_normalize_mode``): an RGBA frame (cut at half, ``_alpha_cut``) with 256 colours at
    most, an LA one grey. Compared as they were, two frames one pixel apart that the
    writer's palette made alike were kept apart, and it joined them past 655.35 s."""
    from PIL import Image

    if frame.mode in ("1", "L", "P"):
        return frame
    if Image.getmodebase(frame.mode) == "RGB":
        return frame.convert("P", palette=Image.Palette.ADAPTIVE)
    return frame.convert("L")


def _stored(size: tuple[int, int], turn: int) -> tuple[int, int]:
    """The size ``size`` (upright) has in the stored orientation, before ``turn``."""
    return (size[1], size[0]) if turn in SWAPS_SIDES else size


def _stored_box(plan: ReencodePlan) -> tuple[float, float, float, float] | None:
    """The plan's region as a box (left, top, right, bottom) on the pixels as decoded."""
    region = plan.region
    if region is None:
        return None
    x, y = stored_square(
        region.x, region.y, region.width, plan.facts.display_size, plan.facts.pending_turn
    )
    return (x, y, x + region.width, y + region.width)


def _scaled_upright(
    picture: Image.Image,
    size: tuple[int, int],
    turn: int,
    box: tuple[float, float, float, float] | None = None,
) -> Image.Image:
    """``picture`` (its ``box`` only, when given) scaled to ``size`` once turned upright;
    cut and scaled first, so far fewer pixels are turned (for a 12 MP photo's half-scale
    draft, a 9 MB copy is never made).

    A turn by quarter turns and mirrors commutes with scaling, up to rounding.
    ``reducing_gap=1.5``: a scale of 3 or more first averages whole blocks of pixels,
    then resamples with LANCZOS; measured on camera-like photos, 50.9 dB PSNR against
    LANCZOS alone (a difference no one sees) for 12% less time on a 4000x3000 PNG.
    """
    from PIL import Image

    stored = _stored(size, turn)
    whole = (0.0, 0.0, float(picture.size[0]), float(picture.size[1]))
    box = whole if box is None else box
    if (box[2] - box[0], box[3] - box[1]) == stored and all(float(v).is_integer() for v in box):
        if box != whole:  # a cut at the same scale: the pixels as they are
            picture = picture.crop(box)
    else:
        # Pillow's reduce() takes no 16-bit grey ("image has wrong mode": a valid 16-bit
        # PNG scaled by 3 or more was refused); LANCZOS alone resizes it.
        gap = None if picture.mode.startswith("I;16") else 1.5
        picture = picture.resize(stored, Image.Resampling.LANCZOS, box=box, reducing_gap=gap)
    return turned_upright(picture, turn)


def _save(
    frames: list[Image.Image],
    output_format: str,
    info: Mapping[Any, Any],
    *,
    colour: Mapping[bytes, bytes],
    durations: list[int] | None = None,
    subsampling: int | None = None,
    qtables: list[list[int]] | None = None,
    max_bytes: int,
) -> bytes:
    """``frames``, each made writable (``_writable``), written as ``output_format`` with no
    metadata but a matching profile or a PNG's ``colour`` chunks (png_metadata.colour_chunks);
    a JPEG with ``subsampling`` (None: Pillow's 4:2:0)
    and ``qtables`` as they are (None: quality 90)."""
    profile = info.get("icc_profile")
    first = frames[0]
    options: dict[str, Any] = {}
    if output_format == "JPEG":
        # Pillow scales given tables by the quality given: none given, they go as they are.
        options.update(optimize=True, **({"qtables": qtables} if qtables else {"quality": 90}))
        if subsampling is not None:
            options["subsampling"] = subsampling
    profile = matching_profile(profile, first.mode)
    if profile is not None and output_format in ("PNG", "JPEG"):
        options["icc_profile"] = profile
    elif output_format == "PNG":
        colour_chunks = png_colour_chunks(colour)
        if colour_chunks is not None:
            options["pnginfo"] = colour_chunks
    if len(frames) > 1:
        options.update(
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            # Each frame is a whole picture: GIF's 2 clears it to the background; APNG's
            # 2 would restore the frame before (OP_PREVIOUS), its 0 leaves it (OP_NONE).
            disposal=2 if output_format == "GIF" else 0,
        )
        if "loop" in info:  # none: a GIF that plays once (APNG and WebP always say)
            options["loop"] = int(info["loop"])
        if output_format == "PNG" and info.get("default_image"):
            # The first frame is the still a viewer without APNG shows, not played.
            options.update(default_image=True, duration=(durations or [])[1:])
    buffer = _CappedBuffer(max_bytes)
    first.save(buffer, format=output_format, **options)
    return buffer.getvalue()


def _jpeg_sampling(picture: Image.Image) -> int | None:
    """A JPEG's chroma subsampling as Pillow's writer takes it (0 for 4:4:4, 1 for 4:2:2,
    2 for 4:2:0), or None (another format, or one Pillow does not name: its default). An
    MPO (a phone's JPEG with more pictures after it) is a JPEG here, as it is sent."""
    if SENT_AS_IS.get(picture.format or "") != "JPEG":
        return None
    from PIL import JpegImagePlugin

    sampling = JpegImagePlugin.get_sampling(picture)
    return sampling if sampling in (0, 1, 2) else None


def _jpeg_tables(picture: Image.Image, written_mode: str) -> list[list[int]] | None:
    """The original JPEG's quantization tables, to write the new one with: the luminance
    table, and the chrominance one for colour; None where the pixels written are not the
    kind the tables were made for (a CMYK JPEG written as RGB), or a table is not one a
    baseline JPEG holds (a hostile file's zeros)."""
    if SENT_AS_IS.get(picture.format or "") != "JPEG" or picture.mode != written_mode:
        return None
    wanted = {"L": 1, "RGB": 2}.get(written_mode)
    quantization = getattr(picture, "quantization", None)
    if wanted is None or not isinstance(quantization, dict) or not quantization:
        return None
    # The tables the components name (Y's first, then Cb's), not the lowest ids: a file
    # whose Y used table 1 had its luminance written with its coarser chrominance table.
    layer = getattr(picture, "layer", None)
    named = [component[3] for component in layer] if isinstance(layer, list) else []
    keys = named[:wanted] or sorted(quantization)[:wanted]
    if not all(key in quantization for key in keys):
        return None
    tables = [list(quantization[key]) for key in keys]
    tables += tables[-1:] * (wanted - len(tables))  # one table for all: for chrominance too
    if not all(len(table) == 64 and all(1 <= value <= 255 for value in table) for table in tables):
        return None
    return tables


def _in_srgb_for(
    output_format: str,
    info: Mapping[Any, Any],
    frame: Image.Image,
    transforms: dict[str, object],
) -> Image.Image:
    """``frame`` as sRGB when written as GIF (no profile goes with it) from pixels whose
    profile says another space; else as it is (PNG and JPEG carry the profile)."""
    if output_format != "GIF" or frame.mode not in ("RGB", "RGBA"):
        return frame
    profile = matching_profile(info.get("icc_profile"), frame.mode)
    if profile is None:
        return frame
    return to_srgb(frame, profile, transforms)


# Alpha to GIF's two states: transparent under half opaque, opaque from half on.
_HALF_CUT: Final = [0] * 128 + [255] * 128


def _alpha_cut(frame: Image.Image) -> Image.Image:
    """``frame`` with each pixel wholly transparent or wholly opaque, cut at half: GIF has
    nothing between, and Pillow's writer made every pixel not wholly transparent opaque
    (a 38%-opaque background came out solid). A frame cut already is returned as it is:
    _save makes each frame writable again."""
    alpha = frame.getchannel("A")
    if not any(alpha.histogram()[1:255]):
        return frame
    cut = frame.copy()
    cut.putalpha(alpha.point(_HALF_CUT))
    return cut


def _writable(frame: Image.Image, output_format: str, *, animated: bool) -> Image.Image:
    """``frame`` in a mode ``output_format`` writes, its ``info`` (what writers copy) empty.

    Idempotent: a frame made writable is returned as it is, its ``info`` emptied again.
    Decoded first: a decoder may add to ``info`` as it reads the pixels.
    """
    from PIL import Image

    frame.load()
    if output_format != "PNG" and frame.mode == "I;16":
        frame = eight_bit_grey(frame)
    if output_format == "JPEG" and frame.mode not in ("RGB", "L"):
        frame = frame.convert("RGB")
    if output_format == "GIF" and frame.mode in ("RGBA", "LA"):
        frame = _alpha_cut(frame)
    if output_format == "GIF" and animated and frame.mode == "RGB":
        frame = frame.quantize(256, method=Image.Quantize.FASTOCTREE)
    # Only grey of more than 8 bits keeps a colour key (resampleable made others alpha).
    key = frame.info.get("transparency") if frame.mode in ("I;16", "L") else None
    frame.info = {} if key is None else {"transparency": key}
    return frame
