"""A model's image path must tell nothing about what lies outside the roots.

README "Security": a path not inside a root, and a link inside one that leads out, get
"the refusal a path outside gets (whatever is at its far end: a file, a folder, a
device, nothing)". The attacker here controls the model's arguments and can make links
in a folder under the image root (a shared Downloads folder), nowhere else.
"""

from __future__ import annotations

import collections
import contextlib
import io
import os
import pwd
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images import beneath, paths
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.paths import READ_WHOLE_BYTES, open_confined, path_exists
from ocp_users_photo.settings import door_image_roots, resolve_roots
from tests.conftest import CANARY_TOKEN, make_image, photo_requests
from tests.programs import bound_by_permissions


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = (tmp_path / "Downloads").resolve()
    root.mkdir()
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the root: a file, a folder; nothing at 'missing'."""
    place = (tmp_path / "private").resolve()
    place.mkdir()
    (place / "secret").write_bytes(b"SECRET")
    (place / "folder").mkdir()
    return place


async def test_a_base64_shaped_path_through_a_link_tells_what_exists_outside(
    root: Path, outside: Path
) -> None:
    """A link in the root to a folder outside, then a path through it made of base64's
    alphabet (64 characters or more: "/" repeated is the same path). Whether the far end
    exists decides base64 or path (Base64Resolver: path_exists follows the link), so the
    model gets "outside the folders" for what exists and "base64 ... malformed" for what
    does not: an existence oracle for any dot-free path (/etc/shadow, /home/NAME, ...).
    Expected: one answer for both."""
    (root / "L").symlink_to(outside)

    def probe(name: str) -> str:
        return "L" + "/" * (70 - len(name)) + name

    async with UsersSetPhoto(
        CANARY_TOKEN, base_url="http://127.0.0.1:9/api", image_roots=[root], environ={}
    ) as tool:
        answers = []
        for name in ("secret", "nosuch", "folder"):
            text = probe(name)
            result = await tool.run({"image": text})
            assert result["ok"] is False
            answers.append(result["problems"][0]["message"].replace(text, "PATH"))
    assert answers[0] == answers[1] == answers[2], answers


@pytest.mark.parametrize(
    "far_end",
    ["folder", "missing", "secret/below", "/dev/null"],
    ids=["a folder", "nothing", "a file on the way", "a device"],
)
def test_a_link_swapped_in_before_the_open_tells_nothing_of_its_far_end(
    root: Path, outside: Path, far_end: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race README says changes nothing: me.png is a plain file in the root when it is
    checked, and a link out when it is opened (a thread in a loop meets this moment; here
    it is made at once). The open's own errors (ENOENT, ENOTDIR) and the handle's type
    (folder, not a regular file) are reported before the handle's real path is checked,
    so the answer tells what is at the far end outside the root. Expected: the refusal a
    path outside gets, whatever is there."""
    target = root / "me.png"
    target.write_bytes(b"INSIDE")
    real_os_open = os.open
    swapped: list[bool] = []

    def swap_then_open(path: str, *args: object, **kwargs: object) -> int:
        if not swapped:
            swapped.append(True)
            target.unlink()
            target.symlink_to(outside / far_end if not far_end.startswith("/") else far_end)
        return real_os_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", swap_then_open)  # the os module paths calls
    source, problems = open_confined(str(target), (root,), 1024)
    assert source is None
    assert swapped
    (problem,) = problems
    assert "is outside the folders images may be read from" in problem.message, problem.message


@pytest.mark.parametrize("link_at", ["me.png", "album/me.png"])
def test_a_link_that_leads_out_is_said_to_be_one_and_where_it_leads_is_not(
    root: Path, outside: Path, link_at: str
) -> None:
    """``--image-root adir adir/link.png``, the link leading out: the refusal named a path
    inside the root as outside it, and never said a link was the cause."""
    (outside / "me.png").write_bytes(b"OUTSIDE")
    if link_at == "me.png":
        (root / "me.png").symlink_to(outside / "me.png")
    else:
        (root / "album").symlink_to(outside)
    source, problems = open_confined(str(root / link_at), (root,), 1024)
    assert source is None
    (refused,) = problems
    assert "is outside the folders images may be read from" in refused.message
    assert "through a link on its way: copy the file itself into one of them" in refused.message
    assert str(outside) not in refused.message


async def test_a_file_that_grows_after_its_checks_sends_no_more_than_was_checked(
    root: Path, emulator: RunningEmulator
) -> None:
    """A PNG over READ_WHOLE_BYTES is checked (size, header), kept open and streamed when
    sent. Someone who can write in the root appends 40 MiB between the checks and the send:
    the whole grown file went to Slack (44 MB, past the 32 MiB cap that is "refused from
    its size alone", and not the bytes the summary counts), on both HTTP stacks. Expected:
    at most the checked byte count is sent (or the change is refused)."""
    picture = Image.effect_noise((1000, 1000), 80).convert("RGB")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    data = buffer.getvalue()
    assert len(data) > READ_WHOLE_BYTES  # streamed from the open file
    target = root / "big.png"
    target.write_bytes(data)
    async with (
        UsersSetPhoto(
            CANARY_TOKEN, base_url=emulator.base_url, image_roots=[root], environ={}
        ) as tool,
        tool.prepare({"image": str(target)}) as upload,
    ):
        with target.open("ab") as grown:
            grown.write(b"\0" * (40 * 1024 * 1024))
        reply = await tool.send(upload)
    assert reply["ok"] is True
    (sent,) = photo_requests(emulator)[-1].files
    assert sent.size <= ImageLimits().max_bytes, f"{sent.size} bytes sent"
    assert sent.size == len(data), f"{sent.size} bytes sent, {len(data)} checked"


def test_the_real_home_is_no_model_root_when_home_says_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DEFAULTS.md: a model door does not read the working directory when that is the home
    folder itself. The home is taken from $HOME only: with HOME pointing elsewhere (sudo
    keeping the caller's HOME, a host that sets HOME=/tmp or a service's own folder), a
    server started in the account's real home (the password database's) opens all of it
    (~/.ssh, the photo history, the installation store) to the model. Expected: ()."""
    real_home = Path(pwd.getpwuid(os.getuid()).pw_dir).resolve()
    if not real_home.is_dir() or real_home == Path("/"):
        pytest.skip("this account has no home folder of its own")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(real_home)
    assert door_image_roots("model", None) == ()


# --- What precedes a ".." is never looked up: it may lie outside (a review of 2026-12-07).

_FAR_ENDS = ["secret", "missing", "folder"]  # a file, nothing, a folder: all outside


def _refusal_kinds(problems: list[Any]) -> str:
    if not problems:
        return "opened"
    message = str(problems[0].message)
    if "through a link on its way" in message:
        return "a link leading out"
    return message


@pytest.mark.parametrize("form", ["absolute", "relative"])
def test_a_path_through_an_outside_name_and_back_tells_nothing_of_that_name(
    root: Path, outside: Path, form: str
) -> None:
    """``/elsewhere/X/../../root/me.png`` reads as inside the root once ".." is applied to the
    text, but the system looked X up: a file there said "a folder on its way is a file",
    nothing there "no file at", a folder let the photo be set. A hostile model learnt what
    exists anywhere on the machine. Now one answer for all three: the path leaves the root
    at /elsewhere, refused there as outside, nothing there looked up."""
    (root / "me.png").write_bytes(make_image())
    answers = []
    for far_end in _FAR_ENDS:
        ups = "/".join([".."] * (len(outside.parts) - 1 + 1))
        through = f"{outside / far_end}/{ups}{root}/me.png"
        if form == "relative":
            through = os.path.relpath(outside / far_end, root) + f"/{ups}{root}/me.png"
        source, problems = open_confined(through, (root,), 10**6)
        assert source is None
        # As the message shows it: cut past 200 characters (a deep temporary folder).
        answers.append(_refusal_kinds(problems).replace(paths._for_message(through), "PATH"))
    assert answers[0] == answers[1] == answers[2], answers
    assert "is outside the folders images may be read from" in answers[0]


@pytest.mark.parametrize("ending", ["probe", "via.png"])
def test_a_link_that_goes_out_and_back_in_tells_nothing_of_the_way(
    root: Path, outside: Path, ending: str
) -> None:
    """A link in the root whose text passes outside and comes back
    (``../private/X/../../Downloads/me.png``): Python's realpath read it as inside, the
    system looked X up on the way. Each is now refused as a link leading out, whatever X is."""
    (root / "me.png").write_bytes(make_image())
    answers = []
    for far_end in _FAR_ENDS:
        link = root / f"{far_end}-{ending}"
        back = "me.png" if ending == "via.png" else link.name
        link.symlink_to(f"../{outside.name}/{far_end}/../../{root.name}/{back}")
        source, problems = open_confined(str(link), (root,), 10**6)
        assert source is None
        answers.append(_refusal_kinds(problems))
    assert answers == ["a link leading out"] * 3, answers


@pytest.mark.parametrize("far_end", ["secret/below.png", "missing", "secret"])
def test_a_link_flipped_in_and_out_while_paths_open_tells_nothing_of_its_far_end(
    root: Path, outside: Path, far_end: str
) -> None:
    """A writer of the root flips me.png between a file inside and a link out while the
    model's path is opened: an open that failed outside and was checked again once the
    link was back reported the outside error ("no file at", "a folder on its way is a
    file"). Every step now opens from the folder before it, no link followed by the
    system: the answers are the photo or the refusal of a link leading out."""
    (root / "inside.png").write_bytes(make_image())
    (root / "me.png").symlink_to("inside.png")  # there from the first open on
    stop = threading.Event()

    def flip() -> None:
        turn = 0
        while not stop.is_set():
            spare = root / f".flip{turn % 2}"
            with contextlib.suppress(FileNotFoundError):
                spare.unlink()
            spare.symlink_to("inside.png" if turn % 2 else str(outside / far_end))
            os.replace(spare, root / "me.png")
            turn += 1

    flipper = threading.Thread(target=flip, daemon=True)
    flipper.start()
    seen: collections.Counter[str] = collections.Counter()
    try:
        for _ in range(3000):
            source, problems = open_confined(str(root / "me.png"), (root,), 10**6)
            seen[_refusal_kinds(problems)] += 1
            if source is not None:
                source.close()
    finally:
        stop.set()
        flipper.join(5)
    assert set(seen) <= {"opened", "a link leading out"}, seen


def test_links_walked_by_the_tool_keep_the_systems_meaning(root: Path, outside: Path) -> None:
    """The tool follows links itself now: what stays inside still opens as the system would
    open it, a link to the folder holding the root is outside, and a chain of links past
    the system's 40 is a loop."""
    (root / "sub").mkdir()
    (root / "sub" / "me.png").write_bytes(make_image())
    (root / "subl").symlink_to("sub")
    (root / "up").symlink_to("..")
    (root / "abs.png").symlink_to(root / "sub" / "me.png")
    (root / "dd.png").symlink_to("subl/../sub/me.png")
    for index in range(41):
        (root / f"chain{index}").symlink_to(f"chain{index + 1}")
    (root / "chain41").symlink_to("sub/me.png")
    opened = ["subl/me.png", f"up/{root.name}/sub/me.png", "abs.png", "dd.png", "chain2"]
    for name in opened:
        source, problems = open_confined(name, (root,), 10**6)
        assert source is not None, (name, problems)
        assert source.label == str(root / "sub" / "me.png"), name
        source.close()
    source, problems = open_confined("up", (root,), 10**6)
    assert source is None
    assert "through a link on its way" in problems[0].message
    source, problems = open_confined("chain0", (root,), 10**6)
    assert source is None
    assert "a symlink loop" in problems[0].message


async def test_a_base64_shaped_path_through_a_way_out_and_back_tells_nothing(
    root: Path, outside: Path
) -> None:
    """A link in the root whose text goes out and comes back (``../private/X/../../Downloads``),
    then a base64-shaped path through it to a photo in the root: whether the path exists
    decided base64 or path, and the system's lookup of X decided that (a folder there:
    the path, refused as a link leading out; a file or nothing: base64). One answer now."""
    (root / "mepng").write_bytes(make_image())
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url="http://127.0.0.1:9/api", image_roots=[root], environ={}
    ) as tool:
        answers = []
        for far_end in _FAR_ENDS:
            (root / f"L{far_end}").symlink_to(f"../{outside.name}/{far_end}/../../{root.name}")
            text = f"L{far_end}" + "/" * (70 - len(far_end)) + "mepng"
            result = await tool.run({"image": text})
            assert result["ok"] is False, result
            assert result["problems"], (far_end, result)
            answers.append(result["problems"][0]["message"].replace(text, "PATH"))
    assert answers[0] == answers[1] == answers[2], answers


async def test_the_walk_is_taken_where_os_open_is_wrapped(root: Path) -> None:
    """An async test runs under blockbuster, whose wrapper around os.open is in no
    ``os.supports_dir_fd``: asked there, the walk was left out, and the system's lookup
    taken again (the way-out-and-back test above passed through it). Read at import."""
    from ocp_users_photo.images.beneath import can_open_beneath

    assert can_open_beneath() is (os.name == "posix")


# --- Where a walk begins, and what is asked after it (a review of the walk, 2026-12-07).


def test_a_root_inside_another_is_walked_into_from_the_outer_one(tmp_path: Path) -> None:
    """Roots [A/sub/B, A], and a writer of A replaces sub with a link out: a walk begun at
    A/sub/B opened by its path had the system follow that link, and its errors told what
    lay outside. Every answer is now the refusal of a link leading out."""
    outer = (tmp_path / "A").resolve()
    (outer / "sub" / "B").mkdir(parents=True)
    roots = resolve_roots([outer / "sub" / "B", outer])
    (outer / "sub" / "B").rmdir()
    (outer / "sub").rmdir()
    elsewhere = tmp_path / "elsewhere"
    (outer / "sub").symlink_to(elsewhere)
    answers = []
    for step in range(4):
        if step == 1:
            elsewhere.write_bytes(b"file")
        elif step == 2:
            elsewhere.unlink()
            elsewhere.mkdir()
        elif step == 3:
            (elsewhere / "B").mkdir()
            (elsewhere / "B" / "x.png").write_bytes(b"x")
        named = str(outer / "sub" / "B" / "x.png")
        source, problems = open_confined(named, roots, 10**6)
        assert source is None
        answers.append((_refusal_kinds(problems), path_exists(named, roots)))
    # One answer for all four (the inner root, a link now, is taken for one given through a
    # link: walked where it leads, outside, and refused there).
    assert len(set(answers)) == 1, answers
    assert answers[0][1] is False
    assert "is outside the folders images may be read from" in answers[0][0], answers


def test_a_root_given_through_a_link_opens_paths_written_through_it(tmp_path: Path) -> None:
    """macOS's /tmp: the root given through a link, whose own path is a root too. A walk
    begun at it opened by its path refused it (a link, opened without following it), with
    "a folder on its way is a file"."""
    real = (tmp_path / "data" / "photos").resolve()
    real.mkdir(parents=True)
    (real / "me.png").write_bytes(make_image())
    (real / "l.png").symlink_to("../photos/me.png")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "linkroot").symlink_to(real)
    roots = resolve_roots([tmp_path / "home" / "linkroot"])
    for written in (
        real / "l.png",
        tmp_path / "home/linkroot/me.png",
        tmp_path / "home/linkroot/l.png",
    ):
        source, problems = open_confined(str(written), roots, 10**6)
        assert source is not None, (written, problems)
        assert source.label == str(real / "me.png")
        source.close()
        assert path_exists(str(written), roots)


@pytest.mark.parametrize("far_end", ["file", "folder", "folder with x.png", "nothing"])
def test_the_look_alike_search_after_a_walk_asks_the_system_nothing(
    tmp_path: Path, far_end: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the walk finds no file, the folder its look-alikes are read in was opened by its
    path, links followed: a folder of the root swapped for a link out just then told
    whether the far end was a folder and held the name. Now opened by the walk too."""
    root = (tmp_path / "R").resolve()
    (root / "a").mkdir(parents=True)
    outside = tmp_path / "O"
    if far_end == "file":
        outside.write_bytes(b"x")
    elif far_end.startswith("folder"):
        outside.mkdir()
        if far_end == "folder with x.png":
            (outside / "x.png").write_bytes(make_image())
    walk = beneath.open_beneath

    def walk_then_swap(named: str, roots: Sequence[Path], flags: int) -> tuple[int, str]:
        try:
            return walk(named, roots, flags)
        except FileNotFoundError:
            if (root / "a").is_dir() and not (root / "a").is_symlink():
                (root / "a").rmdir()
                (root / "a").symlink_to(outside)  # the root's writer, just after the walk
            raise

    monkeypatch.setattr(paths, "open_beneath", walk_then_swap)
    source, problems = open_confined(str(root / "a" / "x.png"), (root,), 10**6)
    assert source is None
    assert _refusal_kinds(problems) == "a link leading out", problems


# --- The walk opens what the system opens, and says nothing of what is outside (a second
# review of the walk, 2026-12-07).


@pytest.mark.parametrize("named", ["sub/../x.png", "deep/up/../r/x.png"])
def test_dot_dot_after_a_link_inside_is_the_systems(tmp_path: Path, named: str) -> None:
    """ ".." after a link is the folder holding where the link led, as the system has it:
    applied to the text first, ``sub/../x.png`` (sub leading to deep/er) opened another
    file than the system's, and ``deep/up/../r/x.png`` (up leading to "..") none."""
    root = (tmp_path / "r").resolve()
    (root / "deep" / "er").mkdir(parents=True)
    (root / "sub").symlink_to("deep/er")
    (root / "deep" / "up").symlink_to("..")
    for folder in (root, root / "deep"):
        (folder / "x.png").write_bytes(make_image())
    descriptor = os.open(root / named, os.O_RDONLY)
    try:
        systems = os.readlink(f"/proc/self/fd/{descriptor}")
    finally:
        os.close(descriptor)
    source, problems = open_confined(named, (root,), 10**6)
    assert source is not None, problems
    assert source.label == systems
    source.close()


def test_a_way_out_of_the_roots_as_written_is_refused_as_outside(root: Path, outside: Path) -> None:
    """``/private/X/../../Downloads/me.png`` leaves the root at ``/private``: refused there as a
    path outside is (no link on its way), whatever X is, nothing there looked up."""
    (root / "me.png").write_bytes(make_image())
    for far_end in _FAR_ENDS:
        written = f"{outside / far_end}/../../{root.name}/me.png"
        source, problems = open_confined(written, (root,), 10**6)
        assert source is None
        (refused,) = problems
        assert "is outside the folders images may be read from" in refused.message
        assert "through a link" not in refused.message


@pytest.mark.parametrize("kind", ["folder", "link", "nothing"])
def test_no_file_at_says_nothing_of_names_outside(
    root: Path, outside: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path that goes out and comes back, to no file: the refusal's wording was worked out
    by resolving the path, links followed outside the roots (a link there: "looked for ...:
    a relative path is taken from the first image folder", for an absolute path too), and
    a relative one named the working folder, outside the roots."""
    working = outside / "working"
    working.mkdir()
    monkeypatch.chdir(working)
    probe = outside / "probe"
    if kind == "folder":
        probe.mkdir()
    elif kind == "link":
        probe.symlink_to(outside / "folder")
    said = []
    for written in (
        f"{root}/../{outside.name}/probe/../../{root.name}/nope.png",
        "../" * 30 + f"{str(root).lstrip('/')}/nope.png",
    ):
        source, problems = open_confined(written, (root,), 10**6)
        assert source is None
        said.append(problems[0].message.replace(written, "PATH"))
    assert str(working) not in " ".join(said)
    assert said[0] == "image path 'PATH' is outside the folders images may be read from " + (
        f"({root}): copy the file into one of them, or have whoever runs this tool add its "
        "folder (image_roots= in Python, --image-root for the command line and the MCP server)"
    )


def test_a_root_given_through_links_on_its_own_way_opens_paths_written_through_it(
    tmp_path: Path,
) -> None:
    """macOS's /tmp/pics where /tmp is a link too (or a home folder that is a link): walked
    from the top, the links on the root's own way led where no root is, and every path
    written through it was refused. The links on a root's own way are the host's."""
    photos = (tmp_path / "photos").resolve()
    photos.mkdir()
    (photos / "a.png").write_bytes(make_image())
    (tmp_path / "real_tmp").mkdir()
    (tmp_path / "real_tmp" / "pics").symlink_to(photos)
    (tmp_path / "tmp").symlink_to("real_tmp")
    roots = resolve_roots([tmp_path / "tmp" / "pics"])
    written = str(tmp_path / "tmp" / "pics" / "a.png")
    source, problems = open_confined(written, roots, 10**6)
    assert source is not None, problems
    assert source.label == str(photos / "a.png")
    source.close()
    assert path_exists(written, roots)


# --- A third review of the walk (2026-12-07): what the system opens, the tool opens.


def test_a_root_given_through_a_link_follows_where_the_link_leads_now(tmp_path: Path) -> None:
    """Roots [a, a/alias], a/alias a link to b: where it led was kept from its first use, so
    once a writer of a pointed it elsewhere, or made it a folder, a path through it still
    opened b's file, not the system's."""
    outer, b, c = (tmp_path / name for name in ("a", "b", "c"))
    for folder, mark in ((outer, b"A"), (b, b"B"), (c, b"C")):
        folder.mkdir()
        (folder / "f.png").write_bytes(mark)
    (outer / "alias").symlink_to(b)
    roots = resolve_roots([outer, outer / "alias"])

    def opened() -> bytes | str:
        source, problems = open_confined(str(outer / "alias" / "f.png"), roots, 10**6)
        if source is None:
            return _refusal_kinds(problems)
        try:
            assert source.data is not None
            return source.data
        finally:
            source.close()

    assert opened() == b"B"
    (outer / "alias").unlink()
    (outer / "alias").symlink_to(c)  # c is no root
    assert "is outside the folders images may be read from" in str(opened())
    (outer / "alias").unlink()
    (outer / "alias").mkdir()
    (outer / "alias" / "f.png").write_bytes(b"A-alias")
    assert opened() == b"A-alias"


def test_an_inner_root_swapped_for_a_link_before_its_first_use_opens_once_put_back(
    tmp_path: Path,
) -> None:
    outer = (tmp_path / "outer").resolve()
    (outer / "in").mkdir(parents=True)
    (outer / "in" / "x.png").write_bytes(b"IN")
    roots = resolve_roots([outer, outer / "in"])
    (outer / "in").rename(tmp_path / "kept")
    (outer / "in").symlink_to(tmp_path / "elsewhere")
    source, problems = open_confined(str(outer / "in" / "x.png"), roots, 10**6)
    assert source is None
    (outer / "in").unlink()
    (tmp_path / "kept").rename(outer / "in")
    source, problems = open_confined(str(outer / "in" / "x.png"), roots, 10**6)
    assert source is not None, problems
    assert source.data == b"IN"
    source.close()


def test_a_trailing_slash_names_a_folder_as_the_system_has_it(root: Path) -> None:
    (root / "x.png").write_bytes(make_image())
    (root / "sub").mkdir()
    with pytest.raises(NotADirectoryError):
        os.open(f"{root}/x.png/", os.O_RDONLY)  # the system's answer
    source, problems = open_confined(f"{root}/x.png/", (root,), 10**6)
    assert source is None
    assert "a folder on its way is a file" in problems[0].message
    assert not path_exists(f"{root}/x.png/", (root,))
    source, problems = open_confined(f"{root}/sub/", (root,), 10**6)
    assert source is None
    assert "is a folder" in problems[0].message


_SEARCH_ONLY = """
import sys
from pathlib import Path
from ocp_users_photo.images.paths import open_confined, path_exists
root = Path(sys.argv[1])
for named in sys.argv[2:]:
    source, problems = open_confined(named, (root,), 10**6)
    print(source.data.decode() if source else problems[0].message, path_exists(named, (root,)))
"""


def test_folders_that_may_be_searched_but_not_listed_are_passed_through(tmp_path: Path) -> None:
    """A folder of mode 311 (a home folder of 711): the system opens what lies in it, and the
    walk, opening each folder for reading, said "permission denied" (inside the root, and
    on the way to it for a path walked from the top)."""
    home = tmp_path / "home"
    root = (home / "u" / "photos").resolve()
    (root / "sub").mkdir(parents=True)
    (root / "x.png").write_bytes(b"X")
    (root / "sub" / "y.png").write_bytes(b"Y")
    (root / "sub").chmod(0o311)
    home.chmod(0o311)
    try:
        ran = subprocess.run(
            [
                *bound_by_permissions(),
                sys.executable,
                "-c",
                _SEARCH_ONLY,
                str(root),
                str(root / "sub" / "y.png"),
                f"{root}/sub/../x.png",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            check=False,
        )
    finally:
        home.chmod(0o755)
        (root / "sub").chmod(0o755)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split("\n")[:2] == ["Y True", "X True"], ran.stdout


@pytest.mark.parametrize("leads_to", ["..", "/", "elsewhere"])
def test_a_link_to_a_folder_above_the_root_is_nothing_there_as_one_elsewhere_is(
    root: Path, outside: Path, leads_to: str
) -> None:
    """A link in the root to "..", or to "/", reached only folders on the way to the root:
    path_exists said yes (base64-shaped text was then taken for a path), where a link to
    any other folder outside said no. The open refuses all three alike."""
    target = str(outside) if leads_to == "elsewhere" else leads_to
    (root / "L").symlink_to(target)
    assert not path_exists("L", (root,))
    source, problems = open_confined("L", (root,), 10**6)
    assert source is None
    assert "through a link on its way" in problems[0].message


async def test_a_root_removed_since_it_was_given_is_said_to_be_gone(tmp_path: Path) -> None:
    """A root removed under a running tool (an MCP server's folder, cleaned away) told the
    model "no file at NAME ... give the path of an existing file": every name it tried got
    the same, and no name could help. The folder's being gone is said, with what works."""
    root = (tmp_path / "shared" / "Downloads").resolve()
    root.mkdir(parents=True)
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url="http://127.0.0.1:9/api", image_roots=[root], environ={}
    ) as tool:
        for removed in (root, root.parent):  # the folder, then the one holding it too
            removed.rmdir()
            for named in ("me.png", str(root / "me.png")):
                result = await tool.run({"image": named})
                assert result["ok"] is False
                message = result["problems"][0]["message"]
                assert message.startswith(
                    f"the image folder {str(root)!r} does not exist any more"
                ), message
                assert "base64 text or a data: URI" in message
        root.mkdir(parents=True)
        (root / "me.png").write_bytes(b"not an image")
        result = await tool.run({"image": "me.png"})
        assert "does not exist" not in result["problems"][0]["message"]


@pytest.mark.skipif(not os.path.exists("/proc/self/fd"), reason="Linux's /proc tells the path")
def test_a_file_too_deep_to_be_told_back_is_not_said_to_be_through_a_link(
    root: Path,
) -> None:
    """A file in the root, reached through links that stay in it, whose full path is longer
    than /proc tells back (a page): refused as "outside ... through a link on its way",
    untrue and no help. It is still refused (where it is cannot be checked), saying why."""
    folder = os.open(root, os.O_RDONLY)
    names = ["d" * 200] * 22
    try:
        for name in names:
            os.mkdir(name, dir_fd=folder)
            inner = os.open(name, os.O_RDONLY, dir_fd=folder)
            os.close(folder)
            folder = inner
        written = os.open("me.png", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=folder)
        os.write(written, make_image())
        os.close(written)
    finally:
        os.close(folder)
    (root / "a").symlink_to("/".join(names[:11]))
    os.symlink("/".join(names[11:]), root / "a" / "b")
    source, problems = open_confined("a/b/me.png", (root,), 10**6)
    assert source is None
    message = problems[0].message
    assert "through a link" not in message, message
    assert "full path is too long (4096 bytes or more)" in message
    assert "move the file to a folder with a shorter path" in message


async def test_a_root_replaced_by_a_file_is_said_to_be_no_folder_any_more(tmp_path: Path) -> None:
    """A root (or a folder holding it) removed and a file put in its place told the model
    "no file at NAME: a folder on its way is a file", as if the name it gave were wrong:
    every name it tried got the same. The folder's being gone is said, with what works."""
    root = (tmp_path / "shared" / "Downloads").resolve()
    root.mkdir(parents=True)
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url="http://127.0.0.1:9/api", image_roots=[root], environ={}
    ) as tool:
        for replaced in (root, root.parent):  # the folder, then the one holding it
            if replaced == root.parent:
                root.unlink()
            replaced.rmdir()
            replaced.write_bytes(b"not a folder")
            for named in ("me.png", str(root / "me.png")):
                result = await tool.run({"image": named})
                assert result["ok"] is False
                message = result["problems"][0]["message"]
                assert message.startswith(
                    f"the image folder {str(root)!r} is no folder any more"
                ), message
                assert "base64 text or a data: URI" in message
        root.parent.unlink()
        (root / "sub").mkdir(parents=True)
        (root / "sub" / "x").write_bytes(b"a file")
        result = await tool.run({"image": "sub/x/me.png"})  # a name's own folder: its fault
        assert "a folder on its way is a file" in result["problems"][0]["message"]
