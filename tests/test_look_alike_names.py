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
from ocp_users_photo.images import look_alike_names, paths
from ocp_users_photo.images.look_alike_names import (
    MAX_LOOK_ALIKES,
    LookAlikes,
    escapes_told,
    folded,
    look_alikes_in,
    shown_name,
)
from ocp_users_photo.images.paths import open_confined
from ocp_users_photo.safe_text import shown
from ocp_users_photo.settings import resolve_roots
from tests.conftest import CANARY_TOKEN, make_image
from tests.programs import run_cli

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
    assert "Screenshot 2026-12-01 at 10.00.00\\u00a0AM.png" in message, message
    assert "give the file's name exactly" in message
    assert to_the_model["error"] == "invalid_arguments"
    assert "\\u202f" in str(to_the_model), to_the_model


async def test_several_look_alikes_in_cyrillic_are_named_readably_but_for_their_difference(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A name synced from macOS (NFD) beside a copy with a no-break space: each was named
    all in escapes ('\\u041c\\u043e\\u0438\\u0306 ...'), which a person who reads Russian
    could not read at all. Only the difference is an escape now."""
    typed = "Мой отпуск в Крыму й.png"
    for name in (typed, typed.replace(" й", "\u00a0й")):
        (tmp_path / unicodedata.normalize("NFD", name)).write_bytes(make_image())
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, image_roots=[tmp_path], environ={}
    ) as tool:
        before = photo_requests(emulator)
        with pytest.raises(InvalidArguments) as refused:
            await tool.call({"image": typed})
    (message,) = [problem.message for problem in refused.value.problems]
    assert "'Мои\\u0306 отпуск в Крыму и\\u0306.png'" in message, message
    assert "'Мои\\u0306 отпуск в Крыму\\u00a0и\\u0306.png'" in message, message
    assert photo_requests(emulator) == before


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("我的照片 😀.png", "我的照片 😀.png"),
        ("क्षत्रिय.png", "क्षत्रिय.png"),  # vowel signs that compose with nothing stay
        ("한글.png", "한글.png"),
        (
            unicodedata.normalize("NFD", "한글.png"),
            "\\u1112\\u1161\\u11ab\\u1100\\u1173\\u11af.png",
        ),
        ("\u212b.png", "\\u212b.png"),  # the Angstrom sign, which composes to \u00c5
        ("صورتي\u200f.png", "صورتي\\u200f.png"),  # a bidi mark stays neutralised
        ("x\u202e\\y", "x\\u202e\\\\y"),
    ],
)
def test_a_name_shown_is_escaped_only_where_names_reading_the_same_differ(
    name: str, shown: str
) -> None:
    assert shown_name(name) == shown


@pytest.mark.parametrize("before", ["", "x"], ids=["even", "odd"])
def test_a_long_name_shown_keeps_each_vowel_sign_on_its_letter(before: str) -> None:
    """A long Hindi name, its vowel signs kept as they are (they compose with nothing), cut
    at 300 characters between "\\u0915" and its "\\u093f": it ended in another syllable."""
    shown = shown_name(before + "कि" * 200)
    assert shown.endswith("कि..."), ascii(shown[-6:])


@pytest.mark.parametrize("before", ["", "x"], ids=["even", "odd"])
@pytest.mark.parametrize(
    ("letter", "part"), [("й", "и"), ("하", "\u1112")], ids=["russian", "korean"]
)
async def test_a_long_decomposed_name_is_cut_between_letters_not_from_an_accent(
    tmp_path: Path, before: str, letter: str, part: str
) -> None:
    """A long Russian name pasted from macOS (NFD), quoted back cut short: the cut fell
    between an "\\u0438" and its breve, and the quote ended in a letter the name does not
    have ("...\\u0439\\u0438..."), in the refusal and in any text ``shown`` bounds; a Korean
    one ended in a syllable's consonant without its vowel jamo."""
    typed = before + unicodedata.normalize("NFD", letter * 160 + ".png")
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        with pytest.raises(InvalidArguments) as refused:
            await tool.call({"image": str(tmp_path / typed)})
    (message,) = [problem.message for problem in refused.value.problems]
    for quoted_cut in (message.split("...")[0], shown(typed, 80).removesuffix("...")):
        composed = unicodedata.normalize("NFC", quoted_cut)
        assert composed.endswith(letter), ascii(quoted_cut[-6:])
        assert part not in composed, ascii(quoted_cut[-6:])


@pytest.mark.parametrize("roots", [True, False], ids=["image-roots", "no-roots"])
async def test_a_folder_on_the_way_whose_name_reads_the_same_is_named(
    emulator: RunningEmulator, tmp_path: Path, roots: bool
) -> None:
    """A folder synced from macOS (NFD) with the photo in it, its path typed composed: "no
    file at" alone, though the person sees that very folder. The folder is named, its
    breve written as an escape; nothing is sent."""
    (tmp_path / unicodedata.normalize("NFD", "Мой альбом")).mkdir()
    (tmp_path / unicodedata.normalize("NFD", "Мой альбом") / "фото.png").write_bytes(make_image())
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        image_roots=[tmp_path] if roots else None,
        environ={},
    ) as tool:
        before = photo_requests(emulator)
        with pytest.raises(InvalidArguments) as refused:
            await tool.call({"image": str(tmp_path / "Мой альбом" / "фото.png")})
    (message,) = [problem.message for problem in refused.value.problems]
    assert "no folder 'Мой альбом' is on its way, but 'Мои\\u0306 альбом' is" in message, message
    assert photo_requests(emulator) == before


def test_an_image_root_whose_name_only_reads_the_same_is_named(tmp_path: Path) -> None:
    """An MCP host's --image-root typed composed, the folder on disk decomposed (synced
    from macOS): "does not exist" alone, about a folder the person sees."""
    (tmp_path / unicodedata.normalize("NFD", "Мой альбом")).mkdir()
    with pytest.raises(ValueError, match="is not an existing folder") as refused:
        resolve_roots([tmp_path / "Мой альбом" / "лето"])
    assert "but 'Мои\\u0306 альбом' is, whose name reads the same" in str(refused.value)


def test_an_image_root_beside_a_look_alike_folder_is_not_told_to_create_it(
    tmp_path: Path,
) -> None:
    """A folder reading as the root is there: "create it" made a second folder that reads
    the same, the images left in the first; the existing one's name is what to give."""
    (tmp_path / "Photos\u202fmine").mkdir()
    with pytest.raises(ValueError, match="is not an existing folder") as refused:
        resolve_roots([tmp_path / "Photos mine"])
    said = str(refused.value)
    assert "but 'Photos\\u202fmine' is, whose name reads the same" in said, said
    assert "create it" not in said, said
    assert "give the existing folder's name as it is on disk" in said, said


def test_the_escapes_told_name_what_a_character_without_a_name_is(tmp_path: Path) -> None:
    """Two files reading as the one typed, with a C1 control in their names: "\\u0085 is a
    character with no name" told a person nothing of what it is; so for a byte that is no
    UTF-8 (a lone surrogate), a private-use character and an unassigned code point."""
    for space in ("\u202f", "\u00a0"):
        (tmp_path / f"shot\x85{space}AM.png").write_bytes(make_image())
    source, problems = open_confined(str(tmp_path / "shot\x85 AM.png"), [tmp_path], 10**6)
    assert source is None
    (said,) = [found.message for found in problems]
    assert "\\u0085 is a C1 control character" in said, said
    assert "no name" not in said, said
    told = [
        ("\udce9", "\\udce9 is a lone surrogate: the byte 0xe9 of a name not in UTF-8"),
        ("\ud800", "\\ud800 is a lone surrogate: half of a pair, without its other half"),
        ("\ue000", "\\ue000 is a private-use character"),
        ("\u0378", "\\u0378 is a code point Unicode assigns no character"),
    ]
    for character, expected in told:
        name = f"a{character}\u202fb"
        assert expected in escapes_told([name], shown_name(name))


def _file_named_as_a_folder(tmp_path: Path) -> Path:
    """A file whose name reads as the folder of the path returned (NFD beside NFC)."""
    (tmp_path / unicodedata.normalize("NFD", "Мой альбом")).write_bytes(make_image())
    return tmp_path / "Мой альбом" / "фото.png"


async def test_a_file_whose_name_reads_as_a_folder_on_the_way_is_not_named_a_folder(
    tmp_path: Path,
) -> None:
    """A file beside the folder that is not there, its name reading the same: "no folder
    'Мой альбом' is on its way, but 'Мои\\u0306 альбом' is", a file called a folder, which
    no path goes through."""
    typed = _file_named_as_a_folder(tmp_path)
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        with pytest.raises(InvalidArguments) as refused:
            await tool.call({"image": str(typed)})
    (message,) = [problem.message for problem in refused.value.problems]
    assert "no file at" in message, message
    assert "is on its way" not in message, message


def test_a_file_whose_name_reads_as_an_image_root_is_not_named_a_folder(tmp_path: Path) -> None:
    """The same beside an image root that is not there: the file was named as the folder."""
    typed = _file_named_as_a_folder(tmp_path)
    with pytest.raises(ValueError, match="is not an existing folder") as refused:
        resolve_roots([typed.parent])
    assert "is on its way" not in str(refused.value), str(refused.value)


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
    assert look_alikes_in(str(tmp_path), "a b.png") == LookAlikes(["a\u202fb.png"], True)
    assert look_alikes_in(str(tmp_path / "missing"), "a b.png").names == []  # no such folder
    assert shown_name("a\u202fb\x1b.png") == "a\\u202fb\\u001b.png"
    assert folded("\ufb01le.png") != folded("file.png")  # a ligature is not its letters
    assert folded("\uff41.png") != folded("a.png")  # nor a full-width letter its own
    assert CANARY_TOKEN[-12:] not in shown_name(f"{CANARY_TOKEN}.png")
    assert len(shown_name("\u00e9" * 400)) == 303  # cut, with its mark


def test_a_preview_named_as_the_look_alike_found_is_refused_before_anything(
    tmp_path: Path,
) -> None:
    """``set --dry-run --preview`` with the preview named as the file really is (a shell's
    completion) and the image as it reads: the check that --preview is not the image
    compared the typed name, which no file has, and the square was written over the
    person's photo (a review of this change)."""
    photo = tmp_path / SCREENSHOT_ON_DISK
    photo.write_bytes(make_image((900, 600)))
    before = photo.read_bytes()
    done = run_cli(
        "set",
        SCREENSHOT_TYPED,
        "--dry-run",
        "--preview",
        SCREENSHOT_ON_DISK,
        env={"SLACK_USER_TOKEN": CANARY_TOKEN},
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "is the image itself" in done.stderr, done.stderr
    assert photo.read_bytes() == before


def test_a_folder_that_leads_out_of_the_roots_has_no_names_listed(tmp_path: Path) -> None:
    """The folder of a missing name is read through a handle whose real path is checked
    first: listing look-alikes from a folder swapped for a link out, between the path's
    check and its opening, told names outside the roots (a review found it, racing the
    swap). Here the opening is asked as the race leaves it: the link already there."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    for name in ("secret\u202freport.png", "secret\u00a0report.png"):
        (outside / name).write_bytes(make_image())
    os.symlink(outside, root / "d")
    typed = str(root / "d" / "secret report.png")
    with pytest.raises(paths._Refused) as refused:
        paths._opened(typed, "d/secret report.png", [root])
    message = refused.value.problem.message
    assert "outside the folders images may be read from" in message, message
    assert "read the same" not in message, message
    assert "\\u202f" not in message, message  # no name of the folder outside listed
    # The whole path, as a caller gives it, is refused before the opening is asked.
    source, problems = open_confined(typed, [root], 10**6)
    assert source is None
    assert "outside the folders" in problems[0].message, problems


def test_more_look_alikes_than_are_named_are_not_counted_as_those_named(tmp_path: Path) -> None:
    spaces = ("\u202f", "\u00a0", "\u2009", "\u3000", "\u2002", "\u2003")
    for space in spaces:
        (tmp_path / f"a{space}b.png").write_bytes(make_image())
    alike = look_alikes_in(str(tmp_path), "a b.png")
    assert not alike.complete
    assert len(alike.names) == MAX_LOOK_ALIKES
    assert set(alike.names) <= {f"a{space}b.png" for space in spaces}
    source, problems = open_confined(str(tmp_path / "a b.png"), [tmp_path], 10**6)
    assert source is None
    (message,) = [problem.message for problem in problems]
    assert message.startswith("no file at 'a b.png'") or "a b.png" in message, message
    assert f"{MAX_LOOK_ALIKES} files" not in message, message
    assert "among others" in message, message


def test_a_folder_larger_than_is_read_is_said_not_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(look_alike_names, "MAX_ENTRIES_READ", 1)
    for name in ("one.png", "two.png"):
        (tmp_path / name).write_bytes(b"")
    assert look_alikes_in(str(tmp_path), "three.png") == LookAlikes([], complete=False)


def test_the_one_look_alike_of_a_folder_not_read_whole_is_named_not_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another further on could read the same too: the one found is named, not taken."""
    (tmp_path / SCREENSHOT_ON_DISK).write_bytes(make_image())
    found_early = LookAlikes([SCREENSHOT_ON_DISK], complete=False)
    monkeypatch.setattr(paths, "look_alikes_in", lambda folder, name: found_early)
    source, problems = open_confined(str(tmp_path / SCREENSHOT_TYPED), [tmp_path], 10**6)
    assert source is None
    (message,) = [problem.message for problem in problems]
    assert "Screenshot 2026-12-01 at 10.00.00\\u202fAM.png' among others" in message, message


def test_a_dangling_link_by_the_very_name_is_not_passed_over_for_a_look_alike(
    tmp_path: Path,
) -> None:
    (tmp_path / SCREENSHOT_ON_DISK).write_bytes(make_image())
    os.symlink(tmp_path / "gone.png", tmp_path / SCREENSHOT_TYPED)
    source, problems = open_confined(str(tmp_path / SCREENSHOT_TYPED), [tmp_path], 10**6)
    assert source is None
    assert problems[0].message.startswith("no file at"), problems


def test_the_escapes_of_the_names_listed_are_the_ones_explained(tmp_path: Path) -> None:
    """Two files, "a\\u00a0b.png" and "a\\u2009b.png", asked for as "a b.png": the refusal
    explained "\\u202f is a narrow space", a character neither name holds, and left the two
    escapes it did list unexplained."""
    for space in ("\u00a0", "\u2009"):
        (tmp_path / f"a{space}b.png").write_bytes(make_image())
    result = run_cli("set", str(tmp_path / "a b.png"), "--dry-run")
    assert result.returncode == 2, result.stderr
    assert "\\u202f" not in result.stderr, result.stderr
    assert "(\\u00a0 is no-break space, \\u2009 is thin space)" in result.stderr, result.stderr


def test_the_space_two_decomposed_names_differ_by_is_explained_first(tmp_path: Path) -> None:
    """A Vietnamese screenshot's name synced from macOS in NFD, once with its narrow space and
    once with a plain one: three of its accents were explained, the narrow space that told
    the two files apart was not, and nothing said two more escapes were left out."""
    typed = "\u1ea2nh ch\u1ee5p M\u00e0n h\u00ecnh l\u00fac 10.00.00 SA.png"
    decomposed = unicodedata.normalize("NFD", typed)
    for space in ("\u202f", " "):
        (tmp_path / decomposed.replace(" SA", f"{space}SA")).write_bytes(make_image())
    source, problems = open_confined(str(tmp_path / typed), [tmp_path], 10**6)
    assert source is None
    told = problems[0].message
    assert "(\\u202f is narrow no-break space, \\u0300 is combining grave accent" in told, told
    assert told.endswith(", and 2 more)"), told
