"""Tests that kill the mutants a fifth hand mutation round (5b: the image modules, the
square, the argument view and checks, the command line) let live.

Each test's docstring names the mutation it was written against and the promise that
mutation broke.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.crop import CropBox
from tests.conftest import CANARY_TOKEN
from tests.hostile_images import ORIENTATION, png_chunk, quarters


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


def _sent(body: object) -> Image.Image:
    data = body if isinstance(body, bytes) else body.read()  # type: ignore[attr-defined]
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def _alpha(picture: Image.Image, point: tuple[int, int]) -> int:
    value = picture.getchannel("A").getpixel(point)
    assert isinstance(value, int)
    return value


def _gradient(size: tuple[int, int]) -> Image.Image:
    """Red grows left to right, green top to bottom, blue is flat: every place differs."""
    width, height = size
    red = (
        Image.linear_gradient("L")
        .rotate(90, expand=True)
        .transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    )
    green = Image.linear_gradient("L")
    return Image.merge(
        "RGB",
        (red.resize(size), green.resize(size), Image.new("L", size, 90)),
    ).crop((0, 0, width, height))


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return exif


# Stored 2400x1600: upright 1600x2400 for orientations 5-8. The box lies inside the upright
# picture but reaches below the stored picture's 1600 rows, away from any symmetric place.
_BOX = {"crop_x": 150, "crop_y": 1050, "crop_w": 1200}


@pytest.mark.parametrize("orientation", range(1, 9))
async def test_a_turned_photo_over_1024_with_a_crop_box_sends_the_boxs_own_pixels(
    checker: UsersSetPhoto, orientation: int
) -> None:
    """Mutants: reencode's crop box moved into the cut by ``crop_box.y - region.x``;
    orientation.stored_square's corner for 5 ((y, x) -> (x, y)), for 6
    ((y, far_x) -> (far_y, x)) and for 7 ((far_y, far_x) -> (far_x, far_y)); and
    SWAPS_SIDES without 7. The README's promise: the crop box is in pixels of the upright
    image (as a viewer shows it), and an image over 1024 with a box sends the box's own
    square. The wrong corner cut another square of the stored pixels; the missing 7
    measured the box against the stored (unturned) size and refused a box inside the
    upright picture."""
    stored = (2400, 1600) if orientation >= 5 else (1600, 2400)
    buffer = io.BytesIO()
    _gradient(stored).save(buffer, format="PNG", exif=_exif(orientation))
    data = buffer.getvalue()
    viewer = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    assert viewer.size == (1600, 2400)

    upload = await checker.prepare({"image": data, **_BOX})
    with upload:
        assert (upload.image.width, upload.image.height) == (1024, 1024)
        # The box is the square sent, so it covers it all (reencode.py moves it into the cut).
        assert upload.image.crop_box == CropBox(0, 0, 1024)
        sent = _sent(upload.image.body()).convert("RGB")
    x, y, side = _BOX["crop_x"], _BOX["crop_y"], _BOX["crop_w"]
    expected = viewer.crop((x, y, x + side, y + side)).resize((1024, 1024))
    for point in [(10, 10), (1013, 10), (10, 1013), (1013, 1013), (512, 512)]:
        got, want = sent.getpixel(point), expected.getpixel(point)
        assert isinstance(got, tuple)
        assert isinstance(want, tuple)
        assert all(abs(a - b) <= 12 for a, b in zip(got, want, strict=True)), (point, got, want)


def _imagemagick_raw_exif(orientation: int) -> str:
    """EXIF as ImageMagick keeps it in a PNG text chunk: a header, then hex lines."""
    payload = _exif(orientation).tobytes()  # starts with "Exif\0\0", as ImageMagick's does
    hex_text = payload.hex()
    lines = [hex_text[start : start + 72] for start in range(0, len(hex_text), 72)]
    return "\nexif\n" + f"{len(payload):8d}\n" + "\n".join(lines) + "\n"


async def test_a_png_turned_by_imagemagicks_raw_exif_profile_is_sent_upright(
    checker: UsersSetPhoto,
) -> None:
    """Mutant: orientation._CARRIERS without "Raw profile type exif". Promise (orientation.py):
    the turn a viewer applies is the turn we apply, ImageMagick's raw profile in a PNG text
    chunk included. Without the carrier the PNG was taken as unturned: sent 800x600 where
    every viewer built on Pillow shows it 600x800."""
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Raw profile type exif", _imagemagick_raw_exif(6))
    buffer = io.BytesIO()
    quarters((800, 600)).save(buffer, format="PNG", pnginfo=text)
    data = buffer.getvalue()
    viewer = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    assert viewer.size == (600, 800)  # what a viewer shows: turned

    upload = await checker.prepare({"image": data})
    with upload:
        assert (upload.image.width, upload.image.height) == (600, 800)
        sent = _sent(upload.image.body()).convert("RGB")
    # quarters' blue top-right quarter, turned by 6, is the bottom-right quarter.
    assert sent.getpixel((450, 600)) == viewer.convert("RGB").getpixel((450, 600))
    assert sent.getpixel((150, 200)) == viewer.convert("RGB").getpixel((150, 200))


async def test_a_png_turned_by_a_compressed_raw_profile_after_its_pixels_is_sent_upright(
    checker: UsersSetPhoto,
) -> None:
    """Mutant: png_metadata._METADATA without b"zTXt". Promise (png_metadata.py,
    orientation.py): text chunks after the image data are read as Pillow reads them once
    it has decoded the file, so the turn is the viewer's. ImageMagick writes its raw EXIF
    profile compressed (zTXt); skipped, the photo went out on its side."""
    import zlib

    buffer = io.BytesIO()
    quarters((800, 600)).save(buffer, format="PNG")
    plain = buffer.getvalue()
    end = plain.rindex(b"IEND") - 4
    text = _imagemagick_raw_exif(6).encode("latin-1")
    late = png_chunk(b"zTXt", b"Raw profile type exif\0\0" + zlib.compress(text))
    data = plain[:end] + late + plain[end:]
    viewer = Image.open(io.BytesIO(data))
    viewer.load()  # Pillow reads the chunks after the pixels only now
    upright = ImageOps.exif_transpose(viewer).convert("RGB")
    assert upright.size == (600, 800)

    upload = await checker.prepare({"image": data})
    with upload:
        assert (upload.image.width, upload.image.height) == (600, 800)
        sent = _sent(upload.image.body()).convert("RGB")
    assert sent.getpixel((450, 600)) == upright.getpixel((450, 600))


def _grey16_png(background: int, square: int, side: int = 1200) -> bytes:
    """A 16-bit grey PNG: ``background`` all round (its tRNS colour key), a ``square``
    in the middle half."""
    import struct

    low, high = side // 4, side * 3 // 4
    row_edge = struct.pack("<H", background) * side
    row_middle = (
        struct.pack("<H", background) * low
        + struct.pack("<H", square) * (high - low)
        + struct.pack("<H", background) * (side - high)
    )
    rows = [row_middle if low <= y < high else row_edge for y in range(side)]
    picture = Image.frombytes("I;16", (side, side), b"".join(rows))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", transparency=background)
    return buffer.getvalue()


@pytest.mark.parametrize("key", [500, 514, 129, 65000])
async def test_a_16_bit_grey_pngs_colour_key_stays_transparent_when_scaled_to_8_bits(
    checker: UsersSetPhoto, key: int
) -> None:
    """Real defect, found by the mutant pixel_modes.eight_bit_grey ``round(key / 257)`` ->
    ``key // 256`` (which survived). Promise (pixel_modes.py): grey of more than 8 bits is
    scaled to 8 'its colour key kept'. The pixels are scaled by truncation (500/257 = 1.95
    becomes 1) but the key was rounded (2): for a key whose fraction is .5 or more the
    transparent background came out opaque, and pixels one step brighter transparent."""
    data = _grey16_png(key, 60000)
    with Image.open(io.BytesIO(data)) as original:
        assert original.mode == "I;16"
        assert original.info["transparency"] == key

    upload = await checker.prepare({"image": data})
    with upload:
        assert upload.image.format == "PNG"
        assert upload.image.width == 1024
        sent = _sent(upload.image.body()).convert("RGBA")
    assert _alpha(sent, (5, 5)) == 0  # the keyed background: transparent
    assert _alpha(sent, (512, 512)) == 255  # the square: opaque


@pytest.mark.parametrize("key", [500, 385, 640, 129, 51272])
def test_eight_bit_greys_colour_key_is_the_value_its_pixels_take(key: int) -> None:
    """The same defect at the unit: the key written beside 8-bit grey is the value the keyed
    16-bit pixels became."""
    from ocp_users_photo.images.pixel_modes import eight_bit_grey

    picture = Image.new("I;16", (2, 2), key)
    picture.info["transparency"] = key
    scaled = eight_bit_grey(picture)
    assert scaled.info["transparency"] == scaled.getpixel((0, 0))


# An ICC profile's header says its colour space in bytes 16-20; nothing else is read here.
_GREY_PROFILE = bytes(16) + b"GRAY" + bytes(108)


async def test_a_grey_and_alpha_photo_keeps_its_grey_profile_when_re_encoded(
    checker: UsersSetPhoto,
) -> None:
    """Mutant: pixel_modes._PROFILE_SPACE["LA"] = b"RGB ". Promise (reencode.py): the
    colour profile is written when it describes the pixels written. A grey profile
    describes grey-and-alpha pixels; the mutant dropped it from every LA photo, which a
    colour-managed viewer then showed in another tone."""
    picture = Image.new("LA", (1200, 1200), (90, 255))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", icc_profile=_GREY_PROFILE)
    upload = await checker.prepare({"image": buffer.getvalue()})
    with upload:
        assert upload.image.width == 1024  # scaled, so written anew
        sent = _sent(upload.image.body())
    assert sent.mode == "LA"
    assert sent.info.get("icc_profile") == _GREY_PROFILE


async def test_an_animation_turned_into_a_gif_cuts_its_alpha_at_half(
    checker: UsersSetPhoto,
) -> None:
    """Mutant: reencode._HALF_CUT = [0] * 127 + [255] * 129. Promise (reencode.py): alpha
    goes to GIF's two states 'transparent under half opaque, opaque from half on'. Alpha
    127 is under half of 255; the mutant made it opaque."""
    frames = []
    for shade in (60, 160):
        frame = Image.new("RGBA", (600, 600), (shade, 90, 200, 255))
        frame.paste((shade, 90, 200, 127), (0, 0, 300, 600))  # just under half: transparent
        frame.paste((shade, 90, 200, 128), (300, 0, 600, 300))  # half: opaque
        frames.append(frame)
    buffer = io.BytesIO()
    frames[0].save(
        buffer, format="WEBP", save_all=True, append_images=frames[1:], lossless=True, loop=0
    )
    upload = await checker.prepare({"image": buffer.getvalue()})
    with upload:
        assert upload.image.format == "GIF"
        sent = _sent(upload.image.body())
    for index in range(2):
        sent.seek(index)
        rgba = sent.convert("RGBA")
        assert _alpha(rgba, (150, 300)) == 0, index
        assert _alpha(rgba, (450, 150)) == 255, index
        assert _alpha(rgba, (450, 450)) == 255, index


async def test_a_small_crop_box_on_a_large_photo_is_moved_into_the_square_cut_around_it(
    checker: UsersSetPhoto,
) -> None:
    """Mutant: reencode moved the crop box into the cut by ``crop_box.y - region.x``. Promise
    (README): with a crop box an image over 1024 sends a square cut around the box, and the
    crop box sent is the person's box in that square's pixels. With the box away from the
    diagonal the mutant sent a box over other pixels."""
    buffer = io.BytesIO()
    _gradient((1600, 2400)).save(buffer, format="PNG")
    upload = await checker.prepare(
        {"image": buffer.getvalue(), "crop_x": 700, "crop_y": 1500, "crop_w": 300}
    )
    with upload:
        side = upload.image.width
        assert upload.image.height == side
        box = upload.image.crop_box
    assert box is not None
    # The cut is centred on the box, so the box sits in its middle.
    assert (box.x, box.y, box.width) == ((side - 300) // 2, (side - 300) // 2, 300)


def _png_with_chunks_before_pixels(count: int) -> bytes:
    """A small PNG with ``count`` chunks before its image data (IHDR and empty private ones)."""
    buffer = io.BytesIO()
    quarters((600, 600)).save(buffer, format="PNG")
    plain = buffer.getvalue()
    idat = plain.index(b"IDAT") - 4
    return plain[:idat] + png_chunk(b"prVt", b"") * (count - 1) + plain[idat:]


@pytest.mark.parametrize(("chunks", "refused"), [(4096, False), (4097, True)])
def test_a_png_with_more_than_4096_chunks_before_its_pixels_is_refused(
    chunks: int, refused: bool
) -> None:
    """Mutant: structure._png_problem's ``count >= MAX_PNG_CHUNKS_BEFORE_PIXELS`` -> ``>``.
    Promise (structure.py's message): more than 4096 chunks before the pixels is refused;
    the mutant let 4097 through."""
    from ocp_users_photo.images.source import ImageSource
    from ocp_users_photo.images.structure import structure_problem

    data = _png_with_chunks_before_pixels(chunks)
    problem = structure_problem(
        ImageSource(label="test", filename_stem="image", byte_count=len(data), data=data), 100
    )
    assert (problem is not None) == refused
    if refused:
        assert problem is not None
        assert "more than 4096 chunks before its pixels" in problem


def _gif_with_frame(left: int, top: int, width: int, height: int) -> bytes:
    """A 100x100 GIF of one frame at (left, top), sized width x height (its data a stub)."""
    import struct

    return (
        b"GIF89a"
        + struct.pack("<HHBBB", 100, 100, 0x80, 0, 0)
        + b"\x00\x00\x00\xff\xff\xff"
        + b","
        + struct.pack("<HHHHB", left, top, width, height, 0)
        + b"\x02\x02\x44\x01\x00"
        + b";"
    )


@pytest.mark.parametrize(
    ("frame", "refused"),
    [((0, 50, 10, 50), False), ((0, 50, 10, 51), True), ((50, 0, 51, 10), True)],
)
def test_a_gif_frame_reaching_below_or_right_of_its_picture_is_refused(
    frame: tuple[int, int, int, int], refused: bool
) -> None:
    """Mutant: structure._gif_problem checked only ``left + frame_width > width``. Promise
    (structure.py): a frame that reaches outside its picture (Pillow grows the canvas to
    hold it: 9000x9000 from a 1100x1100 GIF) is refused; the mutant let a frame reaching
    below the picture through."""
    from ocp_users_photo.images.source import ImageSource
    from ocp_users_photo.images.structure import structure_problem

    data = _gif_with_frame(*frame)
    problem = structure_problem(
        ImageSource(label="test", filename_stem="image", byte_count=len(data), data=data), 100
    )
    assert (problem is not None) == refused
    if refused:
        assert problem is not None
        assert "reaches outside its 100x100 picture" in problem


@pytest.mark.parametrize(("entries", "refused"), [(4096, False), (4097, True)])
def test_a_tiff_directory_of_more_than_4096_entries_is_refused(entries: int, refused: bool) -> None:
    """Mutant: tiff_structure's ``entries > MAX_TIFF_ENTRIES`` -> ``>=``. Promise (its
    message): 'this tool reads at most 4096' entries; the mutant refused a directory of
    exactly 4096."""
    import struct

    from ocp_users_photo.images.source import ImageSource
    from ocp_users_photo.images.structure import structure_problem

    data = b"II*\0" + struct.pack("<IH", 8, entries) + bytes(12 * entries) + bytes(4)
    problem = structure_problem(
        ImageSource(label="test", filename_stem="image", byte_count=len(data), data=data), 100
    )
    assert (problem is not None) == refused
    if refused:
        assert problem is not None
        assert f"first directory has {entries} entries" in problem


@pytest.mark.parametrize(("strips", "refused"), [(2, False), (3, True)])
def test_a_tiff_listing_one_strip_more_than_its_picture_needs_is_refused(
    strips: int, refused: bool
) -> None:
    """Mutant: tiff_structure's ``given > max(needed, 1)`` -> ``given > needed + 1``.
    Promise (tiff_structure.py): strips beyond what the picture's size needs are refused,
    judged exactly for a file that lists each tag once. 10 rows of 5 per strip need 2."""
    import struct

    from ocp_users_photo.images.source import ImageSource
    from ocp_users_photo.images.structure import structure_problem

    def entry(tag: int, kind: int, count: int, value: int) -> bytes:
        return struct.pack("<HHII", tag, kind, count, value)

    listed = [
        entry(256, 3, 1, 10),  # ImageWidth
        entry(257, 3, 1, 10),  # ImageLength
        entry(273, 4, strips, 200),  # StripOffsets, the values elsewhere
        entry(278, 3, 1, 5),  # RowsPerStrip
    ]
    data = b"II*\0" + struct.pack("<IH", 8, len(listed)) + b"".join(listed) + bytes(4)
    data += bytes(300 - len(data))
    problem = structure_problem(
        ImageSource(label="test", filename_stem="image", byte_count=len(data), data=data), 100
    )
    assert (problem is not None) == refused
    if refused:
        assert problem is not None
        assert f"lists {strips} strips where its 10x10 picture needs 2" in problem


def test_the_letterbox_of_a_photo_with_alpha_is_transparent() -> None:
    """Mutant: square.slack_square filled an RGBA letterbox with alpha 255. Promise
    (square.py): the bars are white, or transparent when the image has an alpha channel;
    the mutant drew opaque white bars on the CLI's --preview and the emulator's renditions."""
    from ocp_users_photo.square import slack_square

    picture = Image.new("RGBA", (200, 100), (10, 120, 30, 255))
    square = slack_square(picture, None)
    assert square.size == (200, 200)
    assert _alpha(square, (100, 10)) == 0  # a bar
    assert _alpha(square, (100, 100)) == 255  # the picture


def test_history_keeps_a_web_images_host_and_name_never_its_query() -> None:
    """Mutant: argument_view kept a URL's first 120 characters rather than
    ``redact_url``'s host and file name. Promise (argument_view.py): 'the host and the
    file's name only: query strings often carry signatures'; the mutant put a presigned
    URL's signature into every history and observer."""
    from ocp_users_photo.argument_view import safe_view

    url = "https://cdn.example.com/a/b/photo.png?X-Amz-Signature=s3cretsig&t=1"
    view = safe_view({"image": url})
    assert "s3cretsig" not in str(view)
    assert view["image"].startswith("<url https://cdn.example.com/")
    assert view["image"].endswith("photo.png>")


def test_history_masks_a_token_and_escapes_control_characters_in_an_images_file_name() -> None:
    """Mutant: argument_view kept a path's file name as it was (cut to 60) rather than
    through ``shown``. Promise (argument_view.py): 'a token pasted as the image's name stays
    out of history (masked, as in errors)'; and a name's control characters never reach a
    terminal that prints the history."""
    from ocp_users_photo.argument_view import safe_view

    token = "xoxp-1234567890-1234567890-1234567890-abcdefabcdef"
    named = safe_view({"image": f"/tmp/{token}.png"})["image"]
    assert token not in named
    assert named.startswith("<path ")
    escaped = safe_view({"image": "/tmp/photo\x1b[2J.png"})["image"]
    assert "\x1b" not in escaped


@pytest.mark.parametrize(("scans", "refused"), [(100, False), (101, True)])
def test_a_progressive_jpeg_of_more_than_100_scans_is_refused(scans: int, refused: bool) -> None:
    """Mutant: structure._scans_problem's ``scans <= MAX_JPEG_SCANS`` -> ``<``. Promise (its
    message): 'more than 100 scans' is refused; the mutant refused exactly 100."""
    from ocp_users_photo.images.source import ImageSource
    from ocp_users_photo.images.structure import structure_problem

    frame_header = b"\xff\xc2\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00"  # SOF2, 16x16 grey
    # Each scan: its header (one component, spectral selection 0-63), then a byte of data.
    scan = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00"
    data = b"\xff\xd8" + frame_header + scan * scans + b"\xff\xd9"
    problem = structure_problem(
        ImageSource(label="test", filename_stem="image", byte_count=len(data), data=data), 100
    )
    assert (problem is not None) == refused
    if refused:
        assert problem is not None
        assert "more than 100 scans" in problem


def _png_declaring(width: int, height: int) -> bytes:
    import struct
    import zlib

    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + png_chunk(b"IDAT", zlib.compress(b""))
        + png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("size", "refused"), [((10_000, 5_000), False), ((10_001, 5_000), True)])
def test_a_header_declaring_50_million_pixels_is_read_and_one_more_row_is_refused(
    size: tuple[int, int], refused: bool
) -> None:
    """Mutant: header.read_header's ``width * height > max_declared_pixels`` -> ``>=``.
    Promise (limits.py): images are decoded up to 50 million declared pixels; the mutant
    refused a header declaring exactly that many."""
    from ocp_users_photo.images.header import read_header
    from ocp_users_photo.images.limits import DEFAULT_LIMITS
    from ocp_users_photo.images.source import ImageSource

    data = _png_declaring(*size)
    source = ImageSource(label="test", filename_stem="image", byte_count=len(data), data=data)
    facts, problems = read_header(source, DEFAULT_LIMITS)
    declared = [problem for problem in problems if "the image declares" in problem.message]
    assert bool(declared) == refused
    if not refused:
        assert facts is not None
        assert facts.stored_size == size


@pytest.mark.parametrize(("length", "taken"), [(64, True), (65, False)])
def test_a_tool_name_is_at_most_64_characters(length: int, taken: bool) -> None:
    """Mutant: model_tool.TOOL_NAME allowed 65 characters. Promise (model_tool.py): names
    of at most 64 characters, what OpenAI, Anthropic and Gemini all take; a 65-character
    name is refused by the providers at the first request."""
    from ocp_users_photo.model_tool import checked_definition

    class _Named:
        description = "sets a photo"

        def __init__(self, name: str) -> None:
            self.name = name
            self.input_schema = {"type": "object", "properties": {}}

    tool = _Named("t" * length)
    if taken:
        assert checked_definition(tool) is tool
    else:
        with pytest.raises(ValueError, match="1 to 64"):
            checked_definition(tool)


def test_undo_refuses_entry_0_before_asking_slack(tmp_path: Path) -> None:
    """Mutant: undo_command's ``args.entry < 1`` -> ``< 0``. Promise (undo_command.py):
    '--entry must be an entry number from history (1 or more)', said before anything is
    read or sent (exit 2). The mutant went on to ask Slack whose the token is, and failed
    on what it found there instead."""
    from tests.test_cli import cli

    done = cli(
        "undo",
        "--entry",
        "0",
        "--history",
        str(tmp_path / "history.sqlite3"),
        env={"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": "http://127.0.0.1:9/api"},
    )
    assert done.returncode == 2, done.stderr
    assert "(1 or more)" in done.stderr


@pytest.mark.parametrize("padding", ["=", "==", "==="])
def test_base64_with_three_padding_characters_is_malformed(padding: str) -> None:
    """Mutant: encoded_text._decoded took up to three "=" (``padding > 3``). Promise
    (encoded_text.py): at most two "=", and only where the last group lacks them; 'QQQQ==='
    is base64 gone wrong and is said so, not decoded."""
    import base64

    from ocp_users_photo.images.encoded_text import decode_base64

    text = base64.b64encode(bytes(range(96))).decode("ascii") + padding
    source, problems = decode_base64(text, "base64 text", 1024)
    if padding == "===":
        assert source is None
        assert "malformed" in problems[0].message
    else:  # a whole last group followed by "=" or "==": let stand, as before
        assert source is not None
        assert source.data == bytes(range(96))


# --- set_command.py and output.py: the survivors round 5b left --------------------------------


def test_a_preview_name_ending_in_upper_case_png_is_taken(tmp_path: Path) -> None:
    """Mutant: ``target.suffix.lower() != ".png"`` -> ``target.suffix != ".png"``. A PNG's
    name is a PNG's name in any case (``OUT.PNG``, as some tools and systems write them)."""
    from ocp_users_photo.set_command import _preview_path

    assert _preview_path(str(tmp_path / "OUT.PNG")) == tmp_path / "OUT.PNG"
    assert _preview_path(str(tmp_path / "out.Png")) == tmp_path / "out.Png"


class _Failing(io.StringIO):
    def __init__(self, error: OSError) -> None:
        super().__init__()
        self.error = error

    def write(self, text: str) -> int:
        raise self.error


def test_a_reader_gone_is_a_closed_stdout_and_a_full_disk_is_not() -> None:
    """Mutant: ``closed=isinstance(error, BrokenPipeError)`` -> ``closed=False``. A reader
    that went away (``| head``) is told as "stdout was closed", not as a write that failed
    for a reason to fix (a full disk)."""
    import errno

    from ocp_users_photo.output import OutputFailed, answers_to

    with pytest.raises(OutputFailed) as gone:
        answers_to(_Failing(BrokenPipeError(errno.EPIPE, "Broken pipe"))).write("answer\n")
    assert gone.value.closed is True
    with pytest.raises(OutputFailed) as full:
        answers_to(_Failing(OSError(errno.ENOSPC, "No space left on device"))).write("answer\n")
    assert full.value.closed is False
    assert full.value.reason == "No space left on device"
