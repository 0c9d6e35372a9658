"""Tests that kill the mutants a mutation round of ocp_users_photo/images/ let live: each
pins a bound or a check of the image modules that no test held before.

The tool's ``prepare`` (no server) where the behaviour lives in it; a module's function
directly where only it decides.
"""

from __future__ import annotations

import io
import os
import struct
import sys
import unicodedata
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.images import beneath, paths
from ocp_users_photo.images.file_end import missing_end
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.png_metadata import colour_chunks
from ocp_users_photo.images.policy import upload_filename
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.images.structure import structure_problem
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
