"""A file named as it reads, whose name on disk differs only in look-alike characters.

Every macOS screenshot's name has a narrow no-break space (U+202F) before "AM"/"PM"; a
person or a model writes a plain space. A name synced from macOS may be decomposed (NFD)
where the one typed is composed. Refused byte for byte, the message named what looks
exactly like the file in the folder (a first-try audit of the MCP server from a desktop
host): the one file that reads the same is now the one used, confined as any other; two
or more are named with their differences written out.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images.look_alike_names import folded, look_alikes, shown_name
from tests.conftest import CANARY_TOKEN, make_image

SCREENSHOT_ON_DISK = "Screenshot 2026-12-01 at 10.00.00\u202fAM.png"
SCREENSHOT_TYPED = "Screenshot 2026-12-01 at 10.00.00 AM.png"


def photo_requests(emulator: RunningEmulator) -> int:
    return len(emulator.requests.for_path("/api/users.setPhoto"))


@pytest.mark.parametrize(
    ("on_disk", "typed"),
    [
        (SCREENSHOT_ON_DISK, SCREENSHOT_TYPED),
        (unicodedata.normalize("NFD", "фото é.png"), unicodedata.normalize("NFC", "фото é.png")),
        ("me\u00a0and\u3000you.png", "me and you.png"),  # no-break and ideographic spaces
    ],
    ids=["macos-screenshot", "decomposed-accent", "other-spaces"],
)
async def test_the_one_file_whose_name_reads_the_same_is_the_one_sent(
    emulator: RunningEmulator, tmp_path: Path, on_disk: str, typed: str
) -> None:
    image = make_image()
    (tmp_path / on_disk).write_bytes(image)
    assert not (tmp_path / typed).exists()
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, image_roots=[tmp_path], environ={}
    ) as tool:
        before = photo_requests(emulator)
        result = await tool.call({"image": typed})
        relative = await tool.call({"image": str(tmp_path / typed)})
    assert result["ok"] is True
    assert relative["ok"] is True
    assert photo_requests(emulator) == before + 2


async def test_several_files_that_read_the_same_are_each_named_and_nothing_is_sent(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    narrow, no_break = SCREENSHOT_ON_DISK, SCREENSHOT_ON_DISK.replace("\u202f", "\u00a0")
    for name in (narrow, no_break):
        (tmp_path / name).write_bytes(make_image())
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, image_roots=[tmp_path], environ={}
    ) as tool:
        before = photo_requests(emulator)
        with pytest.raises(InvalidArguments) as refused:
            await tool.call({"image": SCREENSHOT_TYPED})
        to_the_model = await tool.run({"image": SCREENSHOT_TYPED})
    assert photo_requests(emulator) == before
    (message,) = [problem.message for problem in refused.value.problems]
    assert message.startswith(f"no file at {SCREENSHOT_TYPED!r}, and 2 files in its folder")
    assert "Screenshot 2026-12-01 at 10.00.00\\u202fAM.png" in message, message
    assert "Screenshot 2026-12-01 at 10.00.00\\xa0AM.png" in message, message
    assert "give one of these names exactly" in message
    assert to_the_model["error"] == "invalid_arguments"
    assert "\\u202f" in str(to_the_model), to_the_model


async def test_a_look_alike_that_links_out_of_the_image_folder_is_refused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    inside, outside = tmp_path / "photos", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    (outside / "secret.png").write_bytes(make_image())
    os.symlink(outside / "secret.png", inside / SCREENSHOT_ON_DISK)
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, image_roots=[inside], environ={}
    ) as tool:
        before = photo_requests(emulator)
        with pytest.raises(InvalidArguments) as refused:
            await tool.call({"image": SCREENSHOT_TYPED})
    assert photo_requests(emulator) == before
    (message,) = [problem.message for problem in refused.value.problems]
    assert "outside the folders images may be read from" in message, message
    assert "elsewhere" not in message  # where the link leads is not told


def test_only_spaces_and_unicode_forms_read_the_same(tmp_path: Path) -> None:
    assert folded("a\u202fb\u00a0c\u2009d\u3000e") == "a b c d e"
    assert folded(unicodedata.normalize("NFD", "é")) == "é"
    for other in ("ab.png", "a  b.png", "A b.png", "a\u200bb.png", "a\tb.png", "a_b.png"):
        assert folded(other) != folded("a b.png"), other  # no other difference is let by
    (tmp_path / "a\u202fb.png").write_bytes(b"")
    (tmp_path / "a b.png").write_bytes(b"")
    assert look_alikes(str(tmp_path / "a b.png")) == ["a\u202fb.png"]  # never itself
    assert look_alikes(str(tmp_path / "missing" / "a b.png")) == []  # no such folder
    assert shown_name("a\u202fb\x1b.png") == "a\\u202fb\\x1b.png"
