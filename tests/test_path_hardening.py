"""What an attack on image paths found (issue 11: findings 2, 4, 6, 8), kept fixed.

The default root at a model door, text too long to be an image, the race between a
root check and the open, and refusals that told what exists outside the roots.
"""

from __future__ import annotations

import base64
import concurrent.futures
import gc
import os
import sys
import threading
from pathlib import Path

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto, register
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images import encoded_text, resolvers
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.paths import NO_ROOT_ADVICE, NO_ROOT_ADVICE_FOR_MODELS, open_confined
from ocp_users_photo.images.resolvers import ImageIntake, IntakeContext
from ocp_users_photo.settings import door_image_roots
from tests.conftest import CANARY_TOKEN, make_image, photo_requests
from tests.programs import run_cli
from tests.undo_fixtures import picture

PNG = make_image((600, 600))


class TestTheDefaultRootAtAModelDoor:
    """Finding 2: a working directory of /, the home folder, or a folder holding it (/home,
    /Users: every file of the home folder would be open to the model) is no image root."""

    @pytest.mark.parametrize("where", ["root", "home", "above home"])
    def test_slash_and_home_are_not_roots(
        self, where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        home = tmp_path / "home" / "me"
        home.mkdir(parents=True)
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.chdir({"root": Path("/"), "home": home, "above home": home.parent}[where])
        assert door_image_roots("model", None) == ()
        assert door_image_roots("python", None) is None
        assert door_image_roots("cli", None) is None
        assert door_image_roots("model", [home]) == (home.resolve(),)

    def test_a_folder_below_home_is_a_root(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("HOME", str(tmp_path))
        (tmp_path / "pictures").mkdir()
        monkeypatch.chdir(tmp_path / "pictures")
        assert door_image_roots("model", None) == ((tmp_path / "pictures").resolve(),)

    async def test_paths_are_refused_with_how_to_give_a_root_and_bytes_still_work(
        self, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir("/")
        for tool in (
            register(None, token=CANARY_TOKEN, base_url=emulator.base_url, environ={}),
            UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}),
        ):
            async with tool:
                refused = await tool.run({"image": "/etc/hostname"})
                assert refused["error"] == "invalid_arguments"
                (problem,) = refused["problems"]
                # A model's text: what to send now, and what the person does (no Python).
                assert problem["message"] == NO_ROOT_ADVICE_FOR_MODELS
                assert "--image-root" in problem["message"]
                assert "register(" not in problem["message"]
                assert (await tool.run({"image": base64.b64encode(PNG).decode()}))["ok"] is True
        assert len(photo_requests(emulator)) == 2

    async def test_the_python_call_still_reads_anywhere(
        self, emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (tmp_path / "me.png").write_bytes(PNG)
        monkeypatch.chdir("/")
        async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
            assert (await tool.call({"image": str(tmp_path / "me.png")}))["ok"] is True
            refused = await tool.run({"image": str(tmp_path / "me.png")})
        assert refused["problems"][0]["message"] == NO_ROOT_ADVICE_FOR_MODELS

    def test_an_empty_list_of_roots_is_told_as_such(self, tmp_path: Path) -> None:
        # The advice gave one reason only ("the working directory is /, the home folder or
        # a folder holding it"), false when the caller gave image_roots=[] from elsewhere.
        _, problems = open_confined(str(tmp_path / "me.png"), [], 10_000)
        (problem,) = problems
        assert "an empty list was given" in problem.message
        assert problem.message == NO_ROOT_ADVICE  # the caller's text, with the Python options


class TestTextIsBoundedBeforeAnyWork:
    """Finding 4: an over-long text is refused before any scanning or decoding starts."""

    @pytest.fixture
    def nothing_decodes(self, monkeypatch: pytest.MonkeyPatch) -> list[str]:
        calls: list[str] = []

        def recorded(name: str) -> object:
            def refuse(*args: object, **kwargs: object) -> object:
                calls.append(name)
                raise AssertionError(f"{name} ran on an over-long text")

            return refuse

        for module in (encoded_text, resolvers):
            monkeypatch.setattr(module, "decode_base64", recorded("decode_base64"))
            monkeypatch.setattr(module, "decode_data_uri", recorded("decode_data_uri"))
            monkeypatch.setattr(module, "looks_like_base64", recorded("looks_like_base64"))
        monkeypatch.setattr(base64, "b64decode", recorded("b64decode"))
        return calls

    @pytest.mark.parametrize(
        "text",
        [
            "QUJD\n" * 2000,  # a newline every 4 characters
            "data:image/png;base64," + "%2B" * 5000,  # %-escaped
            "A" * 20_000,
        ],
        ids=["base64 with newlines", "escaped data URI", "plain"],
    )
    async def test_an_over_long_text_is_refused_at_once(
        self, text: str, nothing_decodes: list[str]
    ) -> None:
        limits = ImageLimits(max_bytes=4000)
        resolved, problems = await ImageIntake().resolve(
            text, IntakeContext(image_roots=None, limits=limits)
        )
        assert resolved is None
        (problem,) = problems
        assert f"image text is {len(text):,} characters" in problem.message
        assert nothing_decodes == []

    async def test_a_text_within_the_bound_is_still_decoded(self) -> None:
        limits = ImageLimits(max_bytes=len(PNG) + 10)
        text = base64.encodebytes(PNG).decode()  # MIME base64: a line break every 76
        resolved, problems = await ImageIntake().resolve(
            text, IntakeContext(image_roots=None, limits=limits)
        )
        assert problems == []
        assert resolved is not None
        assert resolved.source.data == PNG


class TestTheRootCheckAndTheOpenRace:
    """Finding 6: the handle opened is the handle checked; a FIFO never stalls."""

    TRIES = 3000

    def test_swapping_a_folder_for_a_symlink_never_reads_outside(self, tmp_path: Path) -> None:
        root = (tmp_path / "root").resolve()
        (root / "album").mkdir(parents=True)
        (root / "album" / "me.png").write_bytes(b"INSIDE")
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "me.png").write_bytes(b"OUTSIDE")
        stop = threading.Event()

        def swap() -> None:
            real, parked = root / "album", root / "parked"
            while not stop.is_set():
                real.rename(parked)
                real.symlink_to(outside)
                real.unlink()
                parked.rename(real)

        swapper = threading.Thread(target=swap, daemon=True)
        read: set[bytes] = set()
        refused_outside = 0
        # The threads' interleaving is the scheduler's: switching often, and trying on
        # until both sides of the race were met (within a bound of tries, not of time),
        # keeps a loaded machine from meeting only one side.
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-5)
        swapper.start()
        try:
            for tried in range(self.TRIES * 100):
                if tried >= self.TRIES and read and refused_outside:
                    break
                source, problems = open_confined(str(root / "album" / "me.png"), (root,), 1024)
                if source is not None:
                    read.add(source.stream().read())
                    source.close()
                elif "outside the folders" in problems[0].message:
                    refused_outside += 1
        finally:
            stop.set()
            swapper.join()
            sys.setswitchinterval(switch_interval)
        assert b"OUTSIDE" not in read
        # Both sides of the race were met: the file read, and the symlink caught.
        assert read == {b"INSIDE"}
        assert refused_outside > 0, "no try met the folder as a symlink"

    def test_swapping_the_file_for_a_fifo_never_stalls(self, tmp_path: Path) -> None:
        root = tmp_path.resolve()
        target, fifo, parked = root / "me.png", root / "pipe", root / "parked.png"
        target.write_bytes(b"INSIDE")
        os.mkfifo(fifo)
        stop = threading.Event()

        def swap() -> None:
            while not stop.is_set():
                target.rename(parked)
                fifo.rename(target)
                target.rename(fifo)
                parked.rename(target)

        swapper = threading.Thread(target=swap, daemon=True)
        swapper.start()
        outcomes = {"read": 0, "not a regular file": 0}
        try:
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                for tried in range(self.TRIES * 3):
                    if tried >= self.TRIES // 3 and all(outcomes.values()):
                        break
                    # An open that blocked on the FIFO (waiting for a writer) would
                    # never return: the result's timeout is what catches it.
                    source, problems = pool.submit(
                        open_confined, str(target), (root,), 1024
                    ).result(timeout=5)
                    if source is not None:
                        assert source.stream().read() == b"INSIDE"
                        source.close()
                        outcomes["read"] += 1
                    elif "not a regular file" in problems[0].message:
                        outcomes["not a regular file"] += 1
        finally:
            stop.set()
            swapper.join()
        # Both sides of the race were met: the file read, and the FIFO refused.
        assert all(outcomes.values()), outcomes

    @pytest.fixture
    def swapped_just_before_the_open(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> list[tuple[Path, Path]]:
        """Swaps (path, replacement) at the worst moment: after every check, right before
        the file is opened (whatever opens it: os.open, or the built-in open)."""
        from ocp_users_photo.images import paths

        swaps: list[tuple[Path, Path]] = []
        real_open, real_os_open = open, os.open

        def swap_now() -> None:
            while swaps:
                target, replacement = swaps.pop()
                parked = target.with_name(target.name + ".parked")
                target.rename(parked)
                replacement.rename(target)

        def os_open(path: str, *args: object, **kwargs: object) -> int:
            swap_now()
            return real_os_open(path, *args, **kwargs)  # type: ignore[arg-type]

        def builtin_open(path: str, *args: object, **kwargs: object) -> object:
            swap_now()
            return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

        monkeypatch.setattr(os, "open", os_open)  # the os module paths calls
        monkeypatch.setattr(paths, "open", builtin_open, raising=False)
        return swaps

    def test_a_folder_swapped_for_a_symlink_at_the_worst_moment(
        self, tmp_path: Path, swapped_just_before_the_open: list[tuple[Path, Path]]
    ) -> None:
        root = (tmp_path / "root").resolve()
        (root / "album").mkdir(parents=True)
        (root / "album" / "me.png").write_bytes(b"INSIDE")
        (tmp_path / "outside").mkdir()
        (tmp_path / "outside" / "me.png").write_bytes(b"OUTSIDE")
        link = root / "link"
        link.symlink_to(tmp_path / "outside")
        swapped_just_before_the_open.append((root / "album", link))
        source, problems = open_confined(str(root / "album" / "me.png"), (root,), 1024)
        assert source is None, "a file outside the root was opened"
        assert "outside the folders" in problems[0].message

    def test_a_file_swapped_for_a_fifo_at_the_worst_moment(
        self, tmp_path: Path, swapped_just_before_the_open: list[tuple[Path, Path]]
    ) -> None:
        root = tmp_path.resolve()
        (root / "me.png").write_bytes(b"INSIDE")
        os.mkfifo(root / "pipe")
        swapped_just_before_the_open.append((root / "me.png", root / "pipe"))
        pool = concurrent.futures.ThreadPoolExecutor(1)
        opening = pool.submit(open_confined, str(root / "me.png"), (root,), 1024)
        try:
            source, problems = opening.result(timeout=3)
        finally:
            if not opening.done():  # unblock a reader stuck on the FIFO, then fail
                with open(root / "me.png", "wb"):
                    pass
            pool.shutdown()
        assert source is None
        assert "not a regular file" in problems[0].message

    def test_a_fifo_is_refused_without_blocking(self, tmp_path: Path) -> None:
        # In a worker thread: an open that blocked on the FIFO (no writer) would hang the
        # test rather than fail it. A writer is opened to unblock it if it does.
        fifo = tmp_path / "pipe.png"
        os.mkfifo(fifo)
        pool = concurrent.futures.ThreadPoolExecutor(1)
        opening = pool.submit(open_confined, str(fifo), None, 1024)
        try:
            source, problems = opening.result(timeout=1.0)
        finally:
            if not opening.done():
                with open(fifo, "wb"):
                    pass
            pool.shutdown()
        assert source is None
        assert "not a regular file" in problems[0].message

    @pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="a Linux /proc")
    def test_a_file_that_tells_no_size_is_not_called_empty(self, tmp_path: Path) -> None:
        # /proc/self/status is a regular file of 0 bytes by its size, text when read: it was
        # refused as "the image is empty (0 bytes)". A truly empty file still is.
        source, problems = open_confined("/proc/self/status", None, 1024)
        assert source is None
        assert "a special file (such as those under /proc or /sys)" in problems[0].message
        assert "empty" not in problems[0].message
        (tmp_path / "empty.png").write_bytes(b"")
        source, problems = open_confined(str(tmp_path / "empty.png"), None, 1024)
        assert source is None
        assert "the image is empty (0 bytes)" in problems[0].message

    def test_without_proc_the_handle_is_still_checked_by_device_and_inode(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A Linux without /proc mounted (a chroot, a sandbox) cannot name a handle's file;
        # the named path's target, if it is the very file held, is checked instead.
        real_readlink = os.readlink
        asked: list[str] = []

        def no_proc(path: str, *args: object, **kwargs: object) -> str:
            if str(path).startswith("/proc/self/fd/"):
                asked.append(str(path))
                raise FileNotFoundError(2, "No such file or directory", str(path))
            return real_readlink(path, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "readlink", no_proc)  # the os module paths calls
        root = (tmp_path / "root").resolve()
        root.mkdir()
        (root / "me.png").write_bytes(PNG)
        (root / "alias.png").symlink_to(root / "me.png")
        (tmp_path / "secret.png").write_bytes(PNG)
        (root / "away.png").symlink_to(tmp_path / "secret.png")
        for inside in ("me.png", "alias.png"):
            source, problems = open_confined(str(root / inside), (root,), len(PNG))
            assert problems == []
            assert source is not None
            assert source.label == str(root / "me.png")
            source.close()
        source, problems = open_confined(str(root / "away.png"), (root,), len(PNG))
        assert source is None
        assert "outside the folders" in problems[0].message
        if sys.platform.startswith("linux"):
            assert asked, "the /proc way was tried first"

    def test_a_symlink_inside_a_root_still_works(self, tmp_path: Path) -> None:
        root = tmp_path.resolve()
        (root / "me.png").write_bytes(PNG)
        (root / "alias.png").symlink_to(root / "me.png")
        source, problems = open_confined(str(root / "alias.png"), (root,), len(PNG))
        assert problems == []
        assert source is not None
        source.close()


class TestNothingOutsideTheRootsIsRevealed:
    """Finding 8: the roots decide first; existence outside them changes no answer."""

    @pytest.fixture
    def root(self, tmp_path: Path) -> Path:
        root = (tmp_path / "root").resolve()
        root.mkdir()
        return root

    @pytest.mark.parametrize(
        ("exists", "missing"),
        [
            ("/etc/passwd/x", "/etc/nopasswd/x"),
            ("/etc/passwd", "/etc/nopasswd"),
            ("../root/../../etc/passwd", "../root/../../etc/nopasswd"),
            ("/proc/self/environ", "/proc/self/nothing"),
        ],
    )
    def test_outside_paths_get_the_same_answer_whether_or_not_they_exist(
        self, root: Path, exists: str, missing: str
    ) -> None:
        answers = []
        for text in (exists, missing):
            source, problems = open_confined(text, (root,), 1024)
            assert source is None
            (problem,) = problems
            answers.append(problem.message.replace(text, "PATH"))
        assert answers[0] == answers[1]
        assert "outside the folders images may be read from" in answers[0]

    async def test_base64_or_path_never_depends_on_what_exists_outside(
        self, root: Path, tmp_path: Path
    ) -> None:
        outside = tmp_path / "elsewhere"
        outside.mkdir()
        name = "QUJD" * 20  # base64's alphabet only, and long enough to be base64
        (outside / name).write_bytes(PNG)
        context = IntakeContext(image_roots=(root,), limits=ImageLimits())
        intake = ImageIntake()
        present = await intake.resolve(str(outside / name), context)
        absent = await intake.resolve(str(outside / ("QUJE" * 20)), context)
        assert present[0] is None
        assert absent[0] is None
        assert [p.message for p in present[1]] == [p.message for p in absent[1]]

    async def test_a_model_never_learns_what_exists_outside(
        self, root: Path, emulator: RunningEmulator
    ) -> None:
        async with UsersSetPhoto(
            CANARY_TOKEN, base_url=emulator.base_url, image_roots=[root], environ={}
        ) as tool:
            answers = [
                (await tool.run({"image": text}))["problems"][0]["message"].replace(text, "P")
                for text in ("/etc/passwd/x", "/etc/nopasswd/x")
            ]
            with pytest.raises(InvalidArguments):
                await tool.call({"image": "/etc/passwd"})
        assert answers[0] == answers[1]


# A regular file of 4096 bytes whose every read fails with EIO (Linux's sysfs: the perf
# "software" device has no runtime power management to report).
UNREADABLE = "/sys/devices/software/power/autosuspend_delay_ms"
needs_an_unreadable_file = pytest.mark.skipif(
    not os.path.isfile(UNREADABLE), reason=f"no {UNREADABLE} here (Linux sysfs) to fail reads"
)


@needs_an_unreadable_file
class TestAFileThatCannotBeRead:
    """A read that fails after the checks: a typed refusal, and its descriptor closed once."""

    def test_the_descriptor_is_closed_once(self) -> None:
        # Before: the file object made from the descriptor and the error path each closed
        # it; the second close hit whatever file had been given that number meanwhile.
        outcome: object  # the refusal or the error, only held until it is let go
        try:
            outcome = open_confined(UNREADABLE, None, 1024 * 1024)
        except OSError as error:
            outcome = error
        reused = os.open(os.devnull, os.O_RDONLY)  # the lowest free number: the one let go
        try:
            del outcome
            gc.collect()
            os.fstat(reused)  # EBADF if it was closed behind its owner's back
        finally:
            os.close(reused)

    async def test_it_is_refused_with_what_to_do(self) -> None:
        async with UsersSetPhoto(
            CANARY_TOKEN, base_url="http://127.0.0.1:9/api", environ={}
        ) as tool:
            with pytest.raises(InvalidArguments, match="cannot be read") as caught:
                await tool.call({"image": UNREADABLE})
        assert "Input/output error" in str(caught.value)


def test_a_missing_relative_path_says_where_it_was_looked_for(tmp_path: Path) -> None:
    """A relative path is taken from the first image folder; the refusal says so, since the
    person may have meant their current folder."""
    source, problems = open_confined("me.png", [tmp_path], 1_000_000)
    assert source is None
    (problem,) = problems
    assert problem.message.startswith(
        f"no file at 'me.png' (looked for '{tmp_path / 'me.png'}': a relative path is taken "
        "from the first image folder): give the path"
    )
    # An absolute path, or no roots: nothing more to say.
    _, problems = open_confined(str(tmp_path / "me.png"), [tmp_path], 1_000_000)
    assert "looked for" not in problems[0].message
    _, problems = open_confined(str(tmp_path / "me.png"), None, 1_000_000)
    assert "looked for" not in problems[0].message


def test_a_token_given_as_a_path_is_not_quoted_back(tmp_path: Path) -> None:
    for text in (CANARY_TOKEN, f"{CANARY_TOKEN}.png", f"sub/{CANARY_TOKEN}.png"):
        source, problems = open_confined(text, [tmp_path], 1_000_000)
        assert source is None
        assert CANARY_TOKEN not in problems[0].message
        assert "[redacted]" in problems[0].message


async def test_a_path_outside_the_roots_says_nothing_about_local_users(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # "~name/..." outside the roots gets the same refusal whether or not the system knows
    # that user: else a model learns which accounts exist (the roots are checked first).
    root = tmp_path / "images"
    root.mkdir()
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, image_roots=[root]
    ) as tool:
        known = await tool.run({"image": "~root/photo.png"})
        unknown = await tool.run({"image": "~no-such-user-4711/photo.png"})
    assert known["ok"] is False
    assert unknown["ok"] is False
    messages = [
        problem["message"].replace(name, "NAME")
        for problem, name in (
            (known["problems"][0], "~root/photo.png"),
            (unknown["problems"][0], "~no-such-user-4711/photo.png"),
        )
    ]
    assert messages[0] == messages[1], messages
    assert "outside the folders" in messages[0]


@pytest.mark.parametrize("value", ["", " "])
def test_an_empty_image_root_is_refused_not_taken_as_the_working_directory(
    tmp_path: Path, value: str
) -> None:
    """``--image-root "$PHOTOS"`` with the variable unset: "" was the working directory, so
    run from "/" it confined nothing, and elsewhere it refused the person's own folder as
    outside one they never named. Refused as ``--history ""`` is, before anything is read."""
    image = tmp_path / "red.png"
    image.write_bytes(picture((200, 30, 30)))
    with pytest.raises(ValueError, match="an image root is empty"):
        UsersSetPhoto(CANARY_TOKEN, image_roots=[value], environ={})
    done = run_cli(
        "set", str(image), "--image-root", value, "--dry-run",
        env={"SLACK_USER_TOKEN": CANARY_TOKEN}, cwd=Path("/"),
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "an image root is empty" in done.stderr, done.stderr
    assert "Checked:" not in done.stdout, done.stdout


def test_a_socket_is_told_it_is_no_regular_file(tmp_path: Path) -> None:
    """A Unix socket in a root was told it "cannot be resolved (No such device or address)":
    the path resolves, and what is there is no file, as a FIFO is told."""
    import socket

    root = tmp_path.resolve()
    listening = socket.socket(socket.AF_UNIX)
    try:
        listening.bind(str(root / "me.png"))
        for roots in ((root,), None):
            source, problems = open_confined(str(root / "me.png"), roots, 1024)
            assert source is None
            assert [found.message for found in problems] == [
                f"image path {str(root / 'me.png')!r} is not a regular file: give an image file"
            ]
    finally:
        listening.close()
