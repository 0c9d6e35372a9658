"""Tests that kill the mutants a mutation round of ocp_users_photo/images/ let live: each
pins a bound or a check of the image modules that no test held before.

The tool's ``prepare`` (no server) where the behaviour lives in it; a module's function
directly where only it decides.
"""

from __future__ import annotations

import asyncio
import io
import os
import struct
import sys
import unicodedata
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFile

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.images import beneath, paths
from ocp_users_photo.images.byte_budget import ByteBudget
from ocp_users_photo.images.file_end import missing_end
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.pixel_modes import resampleable
from ocp_users_photo.images.png_metadata import (
    TooManyChunks,
    colour_chunks,
    metadata_after_pixels,
    png_colour_chunks,
)
from ocp_users_photo.images.policy import upload_filename
from ocp_users_photo.images.reencode import (
    OutputTooLarge,
    _CappedBuffer,
    _gif_duration,
    _jpeg_tables,
    _writable,
)
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.images.structure import MAX_PNG_COLOUR_PROFILES, structure_problem
from ocp_users_photo.images.upload import FINGERPRINT_SPAN, _SamplingFile, fingerprint_of
from tests.conftest import CANARY_TOKEN, make_image
from tests.test_image_structure_bombs import _gray_1024, _rle8_rows, _tiff, bmp_rle8


async def test_fit_reject_takes_an_image_of_exactly_the_largest_side() -> None:
    """fit="reject" refuses only past max_side: a 1024x1024 PNG goes as it is."""
    data = make_image((1024, 1024))
    async with UsersSetPhoto(CANARY_TOKEN, fit="reject", environ={}) as tool:
        upload = await tool.prepare({"image": data})
    try:
        assert (upload.image.width, upload.image.height) == (1024, 1024)
        body = upload.image.body()
        assert (body if isinstance(body, bytes) else body.read()) == data
    finally:
        upload.close()


async def test_an_image_of_exactly_the_decoded_pixel_cap_is_converted() -> None:
    """max_decoded_pixels is the most decoded, not one past it: a BMP of exactly it converts."""
    limits = ImageLimits(max_decoded_pixels=512 * 512)
    async with UsersSetPhoto(CANARY_TOKEN, limits=limits, environ={}) as tool:
        upload = await tool.prepare({"image": make_image((512, 512), fmt="BMP")})
        try:
            assert (upload.image.format, upload.image.width) == ("PNG", 512)
        finally:
            upload.close()
        with pytest.raises(InvalidArguments) as caught:
            await tool.prepare({"image": make_image((512, 513), fmt="BMP")})
    (problem,) = caught.value.problems
    assert "more than this tool decodes" in problem.message


def _animated(size: tuple[int, int], frames: int, fmt: str) -> bytes:
    pictures = [Image.new("RGB", size, (70 * index, 30, 90)) for index in range(frames)]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format=fmt, save_all=True, append_images=pictures[1:], duration=80)
    return buffer.getvalue()


async def test_the_decoded_pixel_cap_counts_every_frame_of_an_animation() -> None:
    """Two frames of 512x512 to convert are twice one's pixels: over a cap of 1.5 frames."""
    limits = ImageLimits(max_decoded_pixels=512 * 512 * 3 // 2)
    async with UsersSetPhoto(CANARY_TOKEN, limits=limits, environ={}) as tool:
        with pytest.raises(InvalidArguments) as caught:
            await tool.prepare({"image": _animated((512, 512), 2, "WEBP")})
    (problem,) = caught.value.problems
    assert "the image has 2 frames of 512x512 pixels, more than this tool decodes" in (
        problem.message
    )


async def test_a_too_long_image_with_exactly_the_least_short_side_is_told_of_its_ratio() -> None:
    """2100x512: its short side is Slack's least, but scaled to 1024 it would be 250."""
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        with pytest.raises(InvalidArguments) as caught:
            await tool.prepare({"image": make_image((2100, 512))})
    (problem,) = caught.value.problems
    assert "its short side would be 250, under Slack's 512-pixel minimum" in problem.message


@pytest.mark.parametrize(
    ("stem", "expected"),
    [("a" * 100, "a" * 64 + ".png"), ("folder/../me", "folder_.._me.png")],
)
def test_an_upload_file_name_is_cut_to_64_characters_of_letters_digits_dots_and_dashes(
    stem: str, expected: str
) -> None:
    """The stem sent to Slack is at most 64 characters, and a slash is no character of it."""
    assert upload_filename(stem, "PNG") == expected


async def test_an_image_of_exactly_the_declared_caps_is_read() -> None:
    """max_declared_side and max_declared_pixels are the most a header may say, not past it."""
    limits = ImageLimits(max_declared_side=600, max_declared_pixels=600 * 520)
    async with UsersSetPhoto(CANARY_TOKEN, limits=limits, environ={}) as tool:
        upload = await tool.prepare({"image": make_image((600, 520))})
        upload.close()
        assert (upload.image.width, upload.image.height) == (600, 520)
        for size in ((601, 512), (600, 521)):
            with pytest.raises(InvalidArguments) as caught:
                await tool.prepare({"image": make_image(size)})
            (problem,) = caught.value.problems
            assert f"the image declares {size[0]}x{size[1]} pixels, more than" in problem.message


@pytest.fixture
def without_open_beneath(monkeypatch: pytest.MonkeyPatch) -> None:
    """The path checks as on a system without ``openat`` and ``O_NOFOLLOW`` (Windows)."""
    monkeypatch.setattr(paths, "can_open_beneath", lambda: False)


def _photo_outside(tmp_path: Path) -> tuple[Path, Path]:
    """A root, and a photo in a folder beside it (outside the root)."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.png").write_bytes(make_image((512, 512)))
    return root, outside


@pytest.mark.usefixtures("without_open_beneath")
def test_a_link_out_of_the_roots_is_refused_where_nothing_opens_beneath(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without open_beneath, a link in the root to a file outside it is refused unopened."""
    root, outside = _photo_outside(tmp_path)
    (root / "me.png").symlink_to(outside / "secret.png")
    opened: list[object] = []
    real_open = os.open

    def recorded(path: Any, *args: Any, **kwargs: Any) -> int:
        opened.append(path)
        return real_open(path, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(os, "open", recorded)
        source, problems = paths.open_confined(str(root / "me.png"), [root], 1 << 20)
    assert source is None
    (problem,) = problems
    assert "through a link on its way" in problem.message
    assert str(root / "me.png") not in map(str, opened)  # refused before it is opened


@pytest.mark.usefixtures("without_open_beneath")
def test_a_link_swapped_out_of_the_roots_before_the_open_is_not_described(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link turned to a missing file outside between the check and the open is refused as
    leading out: what is (or is not) outside is not told."""
    root, outside = _photo_outside(tmp_path)
    link = root / "me.png"
    link.symlink_to(root / "missing.png")
    opened = paths._opened

    def swapped_first(*args: Any, **kwargs: Any) -> Any:
        link.unlink()
        link.symlink_to(outside / "missing.png")
        return opened(*args, **kwargs)

    monkeypatch.setattr(paths, "_opened", swapped_first)
    source, problems = paths.open_confined(str(link), [root], 1 << 20)
    assert source is None
    (problem,) = problems
    assert "through a link on its way" in problem.message


@pytest.mark.parametrize("open_beneath", [True, False])
def test_a_folder_whose_name_starts_with_a_roots_is_outside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_beneath: bool
) -> None:
    """Root ".../photos" holds nothing of ".../photos-private": a name's start is no folder."""
    monkeypatch.setattr(paths, "can_open_beneath", lambda: open_beneath and os.name == "posix")
    root, beside = tmp_path / "photos", tmp_path / "photos-private"
    root.mkdir()
    beside.mkdir()
    (beside / "secret.png").write_bytes(make_image((512, 512)))
    source, problems = paths.open_confined(str(beside / "secret.png"), [root], 1 << 20)
    assert source is None
    (problem,) = problems
    assert "is outside the folders images may be read from" in problem.message


def _real_path_untold(monkeypatch: pytest.MonkeyPatch) -> None:
    """A system that cannot tell an open folder's real path (no /proc, no F_GETPATH)."""
    monkeypatch.setattr(paths, "real_path_of", lambda *args: None)


def test_a_folder_whose_real_path_is_untold_has_no_look_alike_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where a missing file's folder cannot be placed inside the roots, no look-alike of the
    name is opened or listed: the path is refused as outside."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "secret\u202freport.png").write_bytes(make_image((512, 512)))
    _real_path_untold(monkeypatch)
    with pytest.raises(paths._Refused) as refused:
        paths._opened(str(root / "secret report.png"), "secret report.png", [root])
    assert "outside the folders images may be read from" in refused.value.problem.message


def test_a_folder_on_the_way_whose_real_path_is_untold_is_not_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing folder's look-alikes are named only from a folder placed inside the roots."""
    root = tmp_path / "root"
    (root / unicodedata.normalize("NFD", "Мой альбом")).mkdir(parents=True)
    _real_path_untold(monkeypatch)
    source, problems = paths.open_confined(str(root / "Мой альбом" / "фото.png"), [root], 1 << 20)
    assert source is None
    (problem,) = problems
    assert "no file at" in problem.message or "does not exist" in problem.message, problem
    assert "is on its way, but" not in problem.message


def test_a_file_path_of_a_page_or_more_is_too_long_to_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The message says "4096 bytes or more": a path of exactly 4096 bytes is one of them."""
    monkeypatch.setattr(paths, "can_open_beneath", lambda: True)
    root = str(tmp_path)
    found = root + os.sep + "a" * (4096 - len(os.fsencode(root)) - 1)
    assert len(os.fsencode(found)) == 4096
    assert paths._too_long_to_read_back(found, [tmp_path])
    assert not paths._too_long_to_read_back(found[:-1], [tmp_path])


def test_where_the_handle_cannot_tell_its_path_the_named_path_must_be_that_very_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without /proc or F_GETPATH, a name resolving to another file than the one opened
    (swapped since) tells no real path: the file is not placed inside the roots by it."""
    opened, other = tmp_path / "opened.png", tmp_path / "other.png"
    opened.write_bytes(b"one")
    other.write_bytes(b"two")
    monkeypatch.setattr(sys, "platform", "sunos5")
    descriptor = os.open(opened, os.O_RDONLY)
    try:
        status = os.fstat(descriptor)
        assert paths.real_path_of(descriptor, status, str(opened)) == os.path.realpath(opened)
        assert paths.real_path_of(descriptor, status, str(other)) is None
    finally:
        os.close(descriptor)


def test_a_link_to_a_file_named_as_a_roots_start_leads_out(tmp_path: Path) -> None:
    """Root ".../photos": a link in it to ".../pho" (a file beside it) leads out of it; the
    walk is not told ".../pho" is on the way to the root."""
    root = tmp_path / "photos"
    root.mkdir()
    (tmp_path / "pho").write_bytes(make_image((512, 512)))
    (root / "me.png").symlink_to(tmp_path / "pho")
    with pytest.raises(beneath.LeadsOut):
        beneath.open_beneath(str(root / "me.png"), [root], os.O_RDONLY)


@pytest.mark.parametrize("rest", ["photos-private/me.png", "photosx"])
def test_a_root_given_through_a_link_is_no_start_of_a_longer_name(
    tmp_path: Path, rest: str
) -> None:
    """Root ".../photos" given through a link: ".../photos-private/..." is not rewritten to
    where that link leads, nor judged inside it (as text: images/paths.py's rule)."""
    (tmp_path / "real").mkdir()
    (tmp_path / "photos").symlink_to(tmp_path / "real")
    alias, named = str(tmp_path / "photos"), str(tmp_path / rest)
    assert beneath._through_aliases(named, [alias]) == named
    assert not beneath.inside_roots(named, [Path(alias)])


def _structure_problem(data: bytes) -> str | None:
    source = ImageSource(label="test", filename_stem="test", byte_count=len(data), data=data)
    return structure_problem(source, max_frames=100)


def test_a_progressive_jpeg_cut_at_its_101st_scan_is_refused_for_its_scans() -> None:
    """The 101st scan is refused where it starts, not left to Pillow where its length is cut."""
    frame_header = b"\xff\xc2\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00"  # SOF2, 16x16 grey
    scan = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00"
    problem = _structure_problem(b"\xff\xd8" + frame_header + scan * 100 + b"\xff\xda")
    assert problem is not None
    assert "more than 100 scans" in problem


@pytest.mark.parametrize(("extensions", "refused"), [(4296, False), (4297, True)])
def test_a_gif_of_more_extension_blocks_than_its_frames_allow_is_refused(
    extensions: int, refused: bool
) -> None:
    """4096 extensions and two a frame (4296 for 100 frames) are read; one more is refused."""
    comment = b"!\xfe\x01a\x00"
    data = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0, 0, 0) + comment * extensions + b";"
    problem = _structure_problem(data)
    if refused:
        assert problem is not None
        assert "the GIF has more than 4296 extension blocks" in problem
    else:
        assert problem is None


def test_a_small_top_down_rle_bitmap_is_read_by_its_height_not_refused_as_huge() -> None:
    """A top-down bitmap's height is negative: read as Pillow reads it, -600 is 600 rows."""
    data = bytearray(bmp_rle8(600, 600, _rle8_rows(600, 600)))
    data[22:26] = struct.pack("<i", -600)
    assert _structure_problem(bytes(data)) is None
    data[18:22] = struct.pack("<i", 4000)  # 4000x600 is over the RLE cap: still refused
    problem = _structure_problem(bytes(data))
    assert problem is not None
    assert "4000x600 pixels" in problem


@pytest.mark.parametrize(("count", "refused"), [(262_144, False), (262_145, True)])
def test_a_tiff_of_tiny_tiles_is_refused_past_the_piece_cap_whatever_its_size_needs(
    count: int, refused: bool
) -> None:
    """1x1 tiles make a 1024x1024 picture need a million: past 262,144 pieces it is refused."""
    entries = _gray_1024()
    data = 8 + 2 + 12 * (len(entries) + 4) + 4
    entries += [
        (322, 4, 1, 1),  # TileWidth
        (323, 4, 1, 1),  # TileLength
        (324, 4, count, data),  # TileOffsets
        (325, 4, count, data + 4 * count),  # TileByteCounts
    ]
    problem = _structure_problem(_tiff(entries, struct.pack("<L", 0) * count * 2))
    if refused:
        assert problem is not None
        assert f"the TIFF lists {count} tiles where its 1024x1024 picture needs" in problem
    else:
        assert problem is None


def test_a_tiff_giving_rows_per_strip_twice_is_judged_by_the_copy_needing_fewest_strips() -> None:
    """RowsPerStrip 1 and 1024: Pillow may take either, so 1024 strips are more than needed."""
    count = 1024
    entries = _gray_1024()
    data = 8 + 2 + 12 * (len(entries) + 4) + 4
    entries += [
        (273, 4, count, data),  # StripOffsets
        (278, 4, 1, 1),  # RowsPerStrip
        (278, 4, 1, 1024),  # RowsPerStrip again
        (279, 4, count, data + 4 * count),  # StripByteCounts
    ]
    arrays = struct.pack("<L", 0) * count + struct.pack("<L", 1024) * count
    problem = _structure_problem(_tiff(entries, arrays, in_order=True))
    assert problem is not None
    assert "the TIFF lists 1024 strips where its 1024x1024 picture needs 1" in problem


@pytest.mark.parametrize("cut", [1, 4])
def test_a_png_cut_inside_its_iend_crc_is_cut_short(cut: int) -> None:
    """The IEND chunk is 12 bytes, its CRC included: a file ending before its last byte is cut."""
    data = make_image((512, 512))[:-cut]
    source = ImageSource(label="test", filename_stem="test", byte_count=len(data), data=data)
    assert missing_end(source, "PNG") == (
        "the PNG file is cut short (no IEND end marker): send the complete file"
    )


def test_a_png_cut_where_its_last_bytes_are_the_iend_crc_is_cut_short() -> None:
    """Only IEND and its CRC end a PNG: a chunk cut where its data holds the CRC's 4 bytes
    is still cut."""
    whole = make_image((512, 512))
    header_end = 8 + 25  # the signature, then IHDR: length, type, 13 bytes, CRC
    cut = whole[:header_end] + b"\x00\x00\x01\x00tEXtnote\x00" + b"\xaeB`\x82"
    source = ImageSource(label="test", filename_stem="test", byte_count=len(cut), data=cut)
    assert missing_end(source, "PNG") is not None


@pytest.mark.parametrize(("intent", "kept"), [(3, True), (4, False)])
def test_an_srgb_intent_no_reader_knows_voids_the_colour_chunks(intent: int, kept: bool) -> None:
    """sRGB intents are 0 to 3: libpng voids the colour chunks of a PNG saying 4, and so
    does the copy written."""
    whole = make_image((512, 512))
    header_end = 8 + 25  # the signature, then IHDR
    srgb = struct.pack(">I", 1) + b"sRGB" + bytes([intent])
    srgb += struct.pack(">I", zlib.crc32(b"sRGB" + bytes([intent])))
    data = whole[:header_end] + srgb + whole[header_end:]
    source = ImageSource(label="test", filename_stem="test", byte_count=len(data), data=data)
    assert colour_chunks(source) == ({b"sRGB": bytes([intent])} if kept else {})


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _with_chunks_before_iend(png: bytes, chunks: bytes) -> ImageSource:
    """``png`` with ``chunks`` put just before its IEND chunk (its last 12 bytes)."""
    data = png[:-12] + chunks + png[-12:]
    return ImageSource(label="test", filename_stem="test", byte_count=len(data), data=data)


def _after_pixels(source: ImageSource) -> dict[Any, Any]:
    assert source.data is not None
    with Image.open(io.BytesIO(source.data)) as picture:
        assert isinstance(picture, ImageFile.ImageFile)
        return metadata_after_pixels(picture, source)


@pytest.mark.parametrize("extra", [0, 1])
def test_colour_profiles_after_a_pngs_pixels_are_refused_past_the_cap(extra: int) -> None:
    """metadata_after_pixels: MAX_PNG_COLOUR_PROFILES iCCP chunks after IDAT are walked,
    one more is TooManyChunks."""
    profile = _chunk(b"iCCP", b"icc\0\0" + zlib.compress(b"profile"))
    source = _with_chunks_before_iend(
        make_image((64, 64)), profile * (MAX_PNG_COLOUR_PROFILES + extra)
    )
    if extra:
        with pytest.raises(TooManyChunks):
            _after_pixels(source)
    else:
        assert _after_pixels(source) == {}


def test_an_animated_pngs_metadata_after_its_next_frame_is_not_read() -> None:
    """metadata_after_pixels stops at an APNG's next fcTL, as Pillow does for frame one."""
    first = Image.new("RGB", (64, 64), (200, 30, 30))
    second = Image.new("RGB", (64, 64), (30, 30, 200))
    buffer = io.BytesIO()
    first.save(buffer, "PNG", save_all=True, append_images=[second])
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turned
    source = _with_chunks_before_iend(buffer.getvalue(), _chunk(b"eXIf", exif.tobytes()))
    assert _after_pixels(source) == {}
    still = _with_chunks_before_iend(make_image((64, 64)), _chunk(b"eXIf", exif.tobytes()))
    assert "exif" in _after_pixels(still)


@pytest.mark.parametrize(("gamma", "kept"), [(625_000_000, True), (625_000_001, False)])
def test_a_gamma_past_libpngs_largest_voids_the_colour_chunks(gamma: int, kept: bool) -> None:
    """colour_chunks: a gAMA over 625,000,000 (libpng's bound) is void, and not written."""
    whole = make_image((64, 64))
    header_end = 8 + 25  # the signature, then IHDR
    value = gamma.to_bytes(4, "big")
    data = whole[:header_end] + _chunk(b"gAMA", value) + whole[header_end:]
    source = ImageSource(label="test", filename_stem="test", byte_count=len(data), data=data)
    assert colour_chunks(source) == ({b"gAMA": value} if kept else {})


def test_a_gamma_after_the_palette_is_ignored_as_libpng_ignores_it() -> None:
    """colour_chunks: a gAMA between PLTE and IDAT is not applied, so not written again."""
    buffer = io.BytesIO()
    Image.new("P", (64, 64), 3).save(buffer, "PNG")
    whole = buffer.getvalue()
    pixels = whole.index(b"IDAT") - 4  # the IDAT chunk's length field, after PLTE
    assert whole.index(b"PLTE") < pixels
    data = whole[:pixels] + _chunk(b"gAMA", (100_000).to_bytes(4, "big")) + whole[pixels:]
    source = ImageSource(label="test", filename_stem="test", byte_count=len(data), data=data)
    assert colour_chunks(source) == {}


@pytest.mark.parametrize("gamma", [0, 2**31, 2**32 - 1])
def test_a_gamma_a_png_cannot_hold_is_not_written(gamma: int) -> None:
    """png_colour_chunks: a gAMA of 0 or past 2**31 - 1 is left out; 1 and 2**31 - 1 go."""
    assert png_colour_chunks({b"gAMA": gamma.to_bytes(4, "big")}) is None
    for held in (1, 2**31 - 1):
        written = png_colour_chunks({b"gAMA": held.to_bytes(4, "big")})
        assert written is not None
        assert written.chunks == [(b"gAMA", held.to_bytes(4, "big"), False)]


@pytest.mark.parametrize(
    ("mode", "key", "other", "made"),
    [("RGB", (1, 2, 3), (200, 200, 200), "RGBA"), ("L", 7, 200, "LA"), ("I;16", 7, 60000, "LA")],
)
def test_a_colour_key_is_made_an_alpha_channel_before_resizing(
    mode: str, key: int | tuple[int, int, int], other: int | tuple[int, int, int], made: str
) -> None:
    """resampleable: RGB, L or 16-bit grey with a transparency key comes out with the keyed
    pixels clear."""
    picture = Image.new(mode, (4, 1), key)
    picture.putpixel((0, 0), other)
    picture.info["transparency"] = key
    converted = resampleable(picture)
    assert converted.mode == made
    assert [converted.getpixel((x, 0))[-1] for x in range(4)] == [255, 0, 0, 0]  # type: ignore[index]


def test_a_re_encoding_stops_past_its_byte_cap_and_not_at_it() -> None:
    """_CappedBuffer: writes up to the cap are taken; one byte more, at once or later, not."""
    buffer = _CappedBuffer(10)
    assert buffer.write(b"x" * 10) == 10
    with pytest.raises(OutputTooLarge):
        buffer.write(b"x")
    with pytest.raises(OutputTooLarge):
        _CappedBuffer(10).write(b"x" * 11)


@pytest.mark.parametrize(
    ("duration", "held"), [(10, 10), (11, 20), (16, 20), (655_350, 655_350), (10**7, 655_350)]
)
def test_a_gif_frames_time_is_kept_at_10_ms_or_less_and_cut_at_a_gifs_longest(
    duration: int, held: int
) -> None:
    """_gif_duration: 10 ms or less as it is, more at least 20, at most 65535 hundredths."""
    assert _gif_duration(duration) == held


def test_a_file_read_again_from_its_start_has_the_fingerprint_of_its_bytes(tmp_path: Path) -> None:
    """_SamplingFile: a retried upload reads the file again from 0; its fingerprint is that
    of the bytes, not of the byte count of both reads."""
    data = bytes(range(256)) * (FINGERPRINT_SPAN // 64)
    photo = tmp_path / "photo.bin"
    photo.write_bytes(data)
    with photo.open("rb") as file:
        sampling = _SamplingFile(file, len(data))
        for _ in range(2):
            sampling.seek(0)
            while sampling.read(1000):
                pass
            expected = fingerprint_of(len(data), data[:FINGERPRINT_SPAN], data[-FINGERPRINT_SPAN:])
            assert sampling.fingerprint() == expected


def test_16_bit_grey_keeps_its_colour_key_in_a_png_and_is_scaled_for_a_jpeg() -> None:
    """_writable: a PNG of 16-bit grey keeps its transparency key; a JPEG gets it as 8-bit
    grey scaled (32896 to 128), not clipped white by Pillow's own conversion."""
    grey = Image.new("I;16", (2, 1), 32896)
    grey.info["transparency"] = 7
    kept = _writable(grey.copy(), "PNG", animated=False)
    assert (kept.mode, kept.info) == ("I;16", {"transparency": 7})
    written = _writable(grey.copy(), "JPEG", animated=False)
    assert (written.mode, written.getpixel((0, 0))) == ("L", 128)


def test_jpeg_tables_holding_a_zero_are_not_written_again() -> None:
    """_jpeg_tables: a quantization table with a 0 (no baseline JPEG holds one) is dropped;
    the same file's tables without it are used."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(buffer, "JPEG", quality=90)
    whole = buffer.getvalue()
    with Image.open(io.BytesIO(whole)) as picture:
        assert _jpeg_tables(picture, "RGB") is not None
    zeroed = bytearray(whole)
    zeroed[whole.index(b"\xff\xdb") + 15] = 0  # a value of the first table
    with Image.open(io.BytesIO(bytes(zeroed))) as picture:
        assert isinstance(picture, ImageFile.ImageFile)
        assert 0 in picture.quantization[0]  # type: ignore[attr-defined]
        assert _jpeg_tables(picture, "RGB") is None


def test_a_byte_budget_grants_up_to_its_capacity_exactly_and_holds_one_byte_at_least() -> None:
    """ByteBudget: holds that fill it to the byte are granted; one more byte is not, and a
    budget of no bytes is refused."""
    budget = ByteBudget(10)
    first = budget.try_hold(4)
    second = budget.try_hold(6)
    assert first is not None
    assert second is not None
    assert budget.try_hold(1) is None
    first.release()
    second.release()
    with pytest.raises(ValueError, match="at least one byte"):
        ByteBudget(0)


async def test_a_byte_budget_grants_no_try_before_a_hold_waiting() -> None:
    """ByteBudget.try_hold: bytes that fit are not taken past a hold already waiting."""
    budget = ByteBudget(10)
    held = await budget.hold(8)
    waiting = asyncio.create_task(budget.hold(5))
    await asyncio.sleep(0)  # the task runs until it waits for the budget
    assert budget.waiting == 1
    assert budget.try_hold(1) is None
    held.release()
    (await waiting).release()
