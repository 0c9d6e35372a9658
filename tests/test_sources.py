"""Image sources: every accepted form reads the right bytes; every refused one says why."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from ocp_users_photo.deferred_close import DeferredCloseFile
from ocp_users_photo.errors import Problem
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.paths import READ_WHOLE_BYTES
from ocp_users_photo.images.resolvers import open_image_source
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.slack.form import READ_BLOCK_BYTES, READ_TAIL_BYTES
from tests.conftest import make_image

CAP = 1024 * 1024
PNG = make_image((600, 600))


def read(value: object, roots: list[Path] | None = None, cap: int = CAP) -> bytes:
    source, problems = open_image_source(
        value, image_roots=_roots(roots), limits=ImageLimits(max_bytes=cap)
    )
    assert problems == []
    assert source is not None
    try:
        return source.stream().read()
    finally:
        source.close()


def refused(value: object, roots: list[Path] | None = None, cap: int = CAP) -> Problem:
    source, problems = open_image_source(
        value, image_roots=_roots(roots), limits=ImageLimits(max_bytes=cap)
    )
    assert source is None
    assert len(problems) == 1
    assert problems[0].path == "$.image"
    return problems[0]


def _roots(roots: list[Path] | None) -> tuple[Path, ...] | None:
    return None if roots is None else tuple(roots)


@pytest.fixture
def png_path(tmp_path: Path) -> Path:
    path = tmp_path / "me.png"
    path.write_bytes(PNG)
    return path


def test_a_path_as_text_or_pathlike(png_path: Path) -> None:
    assert read(str(png_path)) == PNG
    assert read(png_path) == PNG


def test_a_large_file_is_opened_to_be_streamed_not_read(tmp_path: Path) -> None:
    large = tmp_path / "me.png"
    large.write_bytes(PNG + bytes(READ_WHOLE_BYTES))  # past the end: bytes never read
    limits = ImageLimits(max_bytes=4 * CAP)
    source, _ = open_image_source(large, image_roots=None, limits=limits)
    assert source is not None
    assert source.data is None
    assert source.file is not None
    assert source.file.tell() == 0
    assert source.byte_count == len(PNG) + READ_WHOLE_BYTES
    assert source.filename_stem == "me"
    source.close()
    assert source.file is None


@pytest.mark.parametrize("extra", [0, 1])
def test_a_file_is_read_whole_up_to_what_its_send_reads_in_one_trip(
    tmp_path: Path, extra: int
) -> None:
    """Sending from an open file reads up to READ_BLOCK_BYTES + READ_TAIL_BYTES in one
    worker-thread trip: a file no larger is read whole when opened (that trip spared, the
    same bytes held); one byte more stays open, to stream."""
    one_trip = READ_BLOCK_BYTES + READ_TAIL_BYTES
    path = tmp_path / "me.png"
    data = PNG + bytes(one_trip - len(PNG) + extra)
    path.write_bytes(data)
    source, _ = open_image_source(path, image_roots=None, limits=ImageLimits(max_bytes=4 * CAP))
    assert source is not None
    try:
        assert source.byte_count == len(data)
        if extra:
            assert (source.data, source.file is not None) == (None, True)
        else:
            assert (source.data, source.file) == (data, None)
    finally:
        source.close()


def test_a_small_file_is_read_whole_and_closed_at_once(png_path: Path) -> None:
    source, _ = open_image_source(png_path, image_roots=None, limits=ImageLimits(max_bytes=CAP))
    assert source is not None
    assert len(PNG) <= READ_WHOLE_BYTES
    assert (source.data, source.file) == (PNG, None)
    assert source.byte_count == len(PNG)
    assert source.filename_stem == "me"
    assert source.label == str(png_path.resolve())


def test_a_home_relative_path(png_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(png_path.parent))
    assert read("~/me.png") == PNG


def test_a_file_url(png_path: Path) -> None:
    assert read(png_path.as_uri()) == PNG


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_bytes_like_values(kind: type) -> None:
    assert read(kind(PNG)) == PNG


def test_a_binary_file_object_is_read_and_left_open() -> None:
    handle = io.BytesIO(PNG)
    assert read(handle) == PNG
    assert not handle.closed


def test_an_unbuffered_pipe_is_read_to_its_end() -> None:
    """A raw file object gives what one system read has (a pipe's 64 KiB), not what was
    asked: ``Popen(bufsize=0).stdout``'s PNG was refused as truncated after its first piece."""
    import threading

    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (400, 400), os.urandom(400 * 400 * 3)).save(buffer, "PNG")
    image = buffer.getvalue()  # noise: over four of a pipe's 64 KiB reads
    reader, writer = os.pipe()

    def write() -> None:
        with open(writer, "wb") as sink:
            sink.write(image)

    feeder = threading.Thread(target=write)
    feeder.start()
    with open(reader, "rb", buffering=0) as handle:
        got = read(handle, cap=len(image) + 1)
    feeder.join()
    assert got == image


def test_an_unbuffered_pipe_over_the_cap_is_refused_as_over_it() -> None:
    """Read on in pieces after a short read, a raw pipe is read to one byte past the cap:
    one byte short, an image over the cap was taken as its first cap's worth of bytes."""
    import threading

    cap = 100_000
    reader, writer = os.pipe()

    def write() -> None:
        try:
            with open(writer, "wb") as sink:
                sink.write(PNG + bytes(3 * cap))
        except BrokenPipeError:  # the rest, past the cap, is not read: as it should be
            pass

    feeder = threading.Thread(target=write)
    feeder.start()
    with open(reader, "rb", buffering=0) as handle:
        message = refused(handle, cap=cap).message
    feeder.join()
    assert f"(more than {cap:,} bytes came, and the rest was not read)" in message, message


def test_an_open_file_over_the_cap_is_refused_from_its_size_unread(tmp_path: Path) -> None:
    """As a path is: the cap was read for nothing, and the refusal gave the size read
    ("1 MiB (1,048,577 bytes)") as the file's, whatever its size."""
    big = tmp_path / "big.png"
    big.write_bytes(PNG + bytes(3 * CAP))
    with big.open("rb") as handle:
        message = refused(handle).message
        assert handle.tell() == 0
    assert f"({len(PNG) + 3 * CAP:,} bytes), over the 1 MiB limit" in message


def test_an_endless_file_object_is_refused_as_over_the_cap_not_as_cap_plus_one() -> None:
    """A stream of no known size is read to one byte past the cap, no further; that byte
    count is no size of the image's, which may be far more."""

    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            buffer[:] = bytes(len(buffer))
            return len(buffer)

    message = refused(io.BufferedReader(Endless())).message
    assert f"over the 1 MiB limit (more than {CAP:,} bytes came" in message
    assert f"{CAP + 1:,}" not in message


def test_a_text_mode_file_is_refused(png_path: Path) -> None:
    with png_path.open("r", encoding="latin-1") as handle:
        assert "open it with 'rb'" in refused(handle).message


def test_a_data_uri() -> None:
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert read(uri) == PNG
    assert read("  " + uri + "\n") == PNG


def test_plain_base64_with_line_breaks_and_urlsafe_alphabet() -> None:
    encoded = base64.encodebytes(PNG).decode()
    assert "\n" in encoded
    assert read(encoded) == PNG
    assert read(base64.urlsafe_b64encode(PNG).decode().rstrip("=")) == PNG


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("https://example.com/me.png", "does not fetch URLs: download the file first"),
        ("HTTP://example.com/me.png", "does not fetch URLs"),
        ("ftp://example.com/me.png", "ftp: URL"),
        ("data:text/plain;base64,aGVsbG8=", "not an image"),
        ("data:image/png,%89PNG", "not base64-encoded"),
        ("data:image/png;base64,@@@@", "malformed"),
        ("data:image/png;base64", "no comma"),
        ("", "is empty"),
        ("   ", "is empty"),
        ("me\x00.png", "NUL character"),
        (12, "not int"),
        (None, "not NoneType"),
        (["me.png"], "not list"),
    ],
)
def test_refused_values_say_what_to_give_instead(value: object, says: str) -> None:
    assert says in refused(value).message


def test_a_path_too_long_to_be_one_is_not_called_malformed_base64() -> None:
    too_long = "/tmp/" + "album/" * 700 + "me.png"
    message = refused(too_long).message
    assert "too long for a file path (4096 characters at most)" in message
    assert "base64 text is malformed" not in message
    # Base64 of that length that is damaged is still called so.
    assert "base64 text is malformed" in refused("QUJD" * 1100 + "Q").message


def test_a_missing_file_names_the_path_it_looked_at(tmp_path: Path) -> None:
    problem = refused(str(tmp_path / "nope.png"))
    assert "no file at" in problem.message
    assert "nope.png" in problem.message


def test_a_missing_relative_path_says_which_folder_it_was_looked_for_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "photos"
    root.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    message = refused("nope.png", [root]).message
    rule = "a relative path is taken from the first image folder"
    assert f"(looked for {str(root / 'nope.png')!r}: {rule})" in message, message
    # In the first root itself (the command line leaves a path as typed there): the current
    # folder is where it was looked for, as the command line's own rule says.
    monkeypatch.chdir(root)
    message = refused("nope.png", [root]).message
    assert f"(looked in the current folder, {str(root)!r})" in message, message
    assert "first image folder" not in message, message


def test_a_missing_path_with_control_characters_is_shown_escaped(tmp_path: Path) -> None:
    # The message reaches terminals (the CLI's one line on stderr) and models: a newline
    # or an escape sequence from the argument must not pass through raw.
    message = refused(str(tmp_path / "new\nline\x1b[2J.png")).message
    assert message.isprintable(), message
    assert "new\\nline\\x1b[2J.png" in message


@pytest.mark.parametrize(
    "value",
    ["photo\ud800.png", PurePosixPath("photo.png\x00.jpg")],
    ids=["a lone surrogate", "a NUL in a path object"],
)
def test_a_name_no_file_system_takes_is_refused_not_raised(tmp_path: Path, value: object) -> None:
    # A lone surrogate that is no escaped byte cannot be encoded; a path object is not
    # screened for NUL like text is. Either used to raise out of the tool's checks.
    for roots in (None, [tmp_path]):
        assert "cannot be resolved (not a valid file name)" in refused(value, roots).message


def test_a_home_folder_of_an_unknown_user_is_refused_not_raised(tmp_path: Path) -> None:
    # expanduser() raises RuntimeError for "~name" when no such user exists. With roots,
    # the roots answer first: outside them, as "~root/..." is (no user is told apart).
    message = refused("~no-such-user-corpus/me.png", None).message
    assert "starts with a home folder (~) that cannot be found" in message
    message = refused("~no-such-user-corpus/me.png", [tmp_path]).message
    assert "is outside the folders images may be read from" in message


def test_a_folder_is_not_an_image(tmp_path: Path) -> None:
    assert "is a folder" in refused(str(tmp_path)).message


def test_a_special_file_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    assert "not a regular file" in refused(fifo).message


def test_a_zero_byte_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert "empty (0 bytes)" in refused(empty).message


def test_a_file_over_the_byte_cap_is_refused_from_its_size_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * 2048)
    from ocp_users_photo.images import paths

    readers: list[int] = []
    real_file, real_read = DeferredCloseFile, os.read

    def spy(raw: io.RawIOBase) -> object:
        readers.append(raw.fileno())
        return real_file(raw)

    def read_spy(descriptor: int, length: int) -> bytes:
        readers.append(descriptor)
        return real_read(descriptor, length)

    # A file object (streamed) or a read from the descriptor (a small file read whole).
    monkeypatch.setattr(paths, "DeferredCloseFile", spy)
    monkeypatch.setattr(os, "read", read_spy)  # the os module paths calls
    assert "over the 1,000-byte limit" in refused(big, cap=1000).message
    assert readers == [], "nothing was read from a file over the cap"
    # The spies do see the files the tool reads: a file under the cap is read.
    assert read(big, cap=4096) == b"\0" * 2048
    assert readers


def test_bytes_and_base64_over_the_cap() -> None:
    assert "over the 100-byte limit" in refused(b"x" * 101, cap=100).message
    big_base64 = base64.b64encode(b"x" * 3000).decode()
    assert "more than the 100-byte limit" in refused(big_base64, cap=100).message


def test_an_unreadable_file(png_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests may run as root, which reads any file, so the refusal is simulated.
    real_open = os.open

    def denied(path: str, *args: object, **kwargs: object) -> int:
        if str(path) == str(png_path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", denied)  # the os module paths calls
    assert "cannot be opened (permission denied)" in refused(png_path).message


def test_a_symlink_loop(tmp_path: Path) -> None:
    loop = tmp_path / "loop.png"
    loop.symlink_to(tmp_path / "loop2.png")
    (tmp_path / "loop2.png").symlink_to(loop)
    assert "(a symlink loop)" in refused(str(loop)).message


class TestImageRoots:
    @pytest.fixture
    def root(self, tmp_path: Path) -> Path:
        root = tmp_path / "root"
        root.mkdir()
        (root / "me.png").write_bytes(PNG)
        (tmp_path / "secret.png").write_bytes(PNG)
        return root.resolve()

    def test_a_path_inside_a_root(self, root: Path) -> None:
        assert read(str(root / "me.png"), roots=[root]) == PNG

    def test_a_relative_path_is_taken_from_the_first_root(self, root: Path) -> None:
        assert read("me.png", roots=[root]) == PNG

    def test_escaping_by_dot_dot_is_refused(self, root: Path) -> None:
        problem = refused(str(root / ".." / "secret.png"), roots=[root])
        assert "outside the folders images may be read from" in problem.message
        assert "../secret.png" in refused("../secret.png", roots=[root]).message

    def test_escaping_by_symlink_is_refused(self, root: Path) -> None:
        (root / "link.png").symlink_to(root.parent / "secret.png")
        assert "outside the folders" in refused(str(root / "link.png"), roots=[root]).message

    def test_a_symlink_that_stays_inside_is_fine(self, root: Path) -> None:
        (root / "alias.png").symlink_to(root / "me.png")
        assert read(str(root / "alias.png"), roots=[root]) == PNG

    def test_existence_outside_a_root_is_not_revealed(self, root: Path) -> None:
        exists = refused(str(root.parent / "secret.png"), roots=[root])
        missing = refused(str(root.parent / "missing.png"), roots=[root])
        assert "outside the folders" in exists.message
        assert "outside the folders" in missing.message

    def test_a_file_url_is_confined_too(self, root: Path) -> None:
        problem = refused((root.parent / "secret.png").as_uri(), roots=[root])
        assert "outside the folders" in problem.message


def test_image_source_stream_rewinds() -> None:
    source = ImageSource(label="t", filename_stem="t", byte_count=3, data=b"abc")
    assert source.stream().read() == b"abc"
    assert source.stream().read() == b"abc"


def test_a_file_objects_long_name_is_bounded_in_the_refusal_over_the_cap() -> None:
    """A file object's name is a host's text, quoted as any value: one of 5,000 characters
    went whole into the refusal of an image over the cap, and a token's shape with it."""
    name = "x" * 5000 + "xoxp-1234567890-1234567890-1234567890-" + "ab" * 16
    image = io.BytesIO(PNG + bytes(200))
    image.name = name
    message = refused(image, cap=100).message
    assert "is over the" in message, message
    assert len(message) < 600, len(message)
    assert "xoxp-1234567890" not in message
